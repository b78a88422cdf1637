"""MockTransport: the handler sees the exact wire request, its answer takes the real path."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

import hashkey_async
from hashkey_async import (
    ExecutionStatusUnknown,
    HashKeyClient,
    InvalidParameterError,
    MockRequest,
    MockResponse,
    MockTransport,
    RateLimitError,
    TransportError,
)
from hashkey_async.auth import Credentials
from hashkey_async.clock import ServerClock
from hashkey_async.config import ClientConfig
from hashkey_async.models.common import Empty
from hashkey_async.ratelimit import Bucket
from hashkey_async.rest.endpoints import DEPTH, Endpoint, Security
from hashkey_async.rest.transport import Transport
from hashkey_async.signing import API_KEY_HEADER

KEY = "mockKey0123456789"
SECRET = "mockSecret-0123456789abcdefghijklmnop"
BASE = "http://hk.test"
ORDER_POST = Endpoint[Empty](
    "order_probe", "POST", "/api/v1/probe/order", Security.TRADE, 1, Bucket.ORDER, Empty
)
BOOK = {"t": 7, "b": [["100.50", "1"]], "a": [["101", "2"]]}

Handler = Callable[[MockRequest], MockResponse | Awaitable[MockResponse]]


def transport_at(url: str, mock: MockTransport | None = None, **config: object) -> Transport:
    """A signing transport with a frozen clock, so two transports sign identical bytes."""
    return Transport(
        ClientConfig(rest_url=url, stream_url="ws://unused", time_sync_interval=None, **config),  # type: ignore[arg-type]
        Credentials(KEY, SECRET),
        clock=ServerClock(wall=lambda: 1_700_000_000.0),
        mock=mock,
    )


async def send_both_ways(transport: Transport) -> None:
    """A signed POST with a query and a JSON body, then a public GET."""
    await transport.request(
        ORDER_POST,
        {"symbol": "BTCUSDT", "price": Decimal("0.10"), "client_order_id": "a b/c"},
        json_body=[{"price": Decimal("1.50"), "quantity": "2"}],
    )
    await transport.request(DEPTH, {"symbol": "BTCUSDT", "limit": 5})


async def test_the_handler_sees_what_a_real_server_receives() -> None:
    wire: list[tuple[str, str, bytes, str | None, str | None]] = []

    async def server(request: web.Request) -> web.Response:
        body = await request.read()
        headers = request.headers
        wire.append(
            (
                request.method,
                request.raw_path,
                body,
                headers.get(API_KEY_HEADER),
                headers.get("Content-Type") if body else None,
            )
        )
        return web.json_response(BOOK if request.method == "GET" else {})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    real = transport_at(f"http://127.0.0.1:{runner.addresses[0][1]}")
    try:
        await send_both_ways(real)
    finally:
        await real.close()
        await runner.cleanup()

    seen: list[MockRequest] = []

    def handler(request: MockRequest) -> MockResponse:
        seen.append(request)
        return MockResponse(json=BOOK if request.method == "GET" else {})

    mocked = transport_at(BASE, MockTransport(handler))
    await send_both_ways(mocked)
    await mocked.close()

    as_mocked = [
        (
            r.method,
            f"{r.path}?{r.query}",
            r.body,
            r.headers.get(API_KEY_HEADER),
            r.headers.get("Content-Type"),
        )
        for r in seen
    ]
    assert as_mocked == wire
    assert [r.url.startswith(BASE + "/") for r in seen] == [True, True]
    assert wire[0][2] == b'[{"price":"1.50","quantity":"2"}]'
    assert "clientOrderId=a%20b%2Fc" in wire[0][1] and wire[0][1].count("&signature=") == 1


async def async_book(request: MockRequest) -> MockResponse:
    return MockResponse(json=BOOK)


def sync_book(request: MockRequest) -> MockResponse:
    return MockResponse(content=b'{"t":7,"b":[["100.50","1"]],"a":[["101","2"]]}')


@pytest.mark.parametrize("handler", [sync_book, async_book], ids=["sync", "async"])
async def test_sync_or_async_handler_answers_through_the_client(handler: Handler) -> None:
    async with HashKeyClient(base_url=BASE, transport=MockTransport(handler)) as client:
        book = await client.market.depth("BTCUSDT", limit=5)
        assert book.time == 7 and book.bids[0].price == Decimal("100.50")
        assert client._transport._session is None  # aiohttp was never involved


async def test_response_headers_are_case_insensitive_and_drive_the_limiter() -> None:
    answers = iter([MockResponse(429, json={"code": "-1015"}, headers={"retry-after": "7"})])
    calls: list[MockRequest] = []

    def handler(request: MockRequest) -> MockResponse:
        calls.append(request)
        return next(answers)

    async with HashKeyClient(
        KEY, SECRET, base_url=BASE, time_sync_interval=None, transport=MockTransport(handler)
    ) as client:
        with pytest.raises(RateLimitError) as info:
            await client.market.depth("BTCUSDT")
        assert info.value.status == 429 and info.value.retry_after == 7.0
        with pytest.raises(RateLimitError):  # suspended: not sent again
            await client.market.depth("BTCUSDT")
    assert len(calls) == 1


async def test_a_raising_handler_is_a_transport_failure() -> None:
    failures: list[BaseException] = [TimeoutError(), aiohttp.ServerDisconnectedError()]
    calls: list[str] = []

    def handler(request: MockRequest) -> MockResponse:
        calls.append(f"{request.method} {request.path}")
        if failures:
            raise failures.pop(0)
        return MockResponse(json=BOOK)

    transport = transport_at(BASE, MockTransport(handler), retry_base_delay=0.001)
    try:
        with pytest.raises(ExecutionStatusUnknown, match="may have taken effect") as info:
            await transport.request(ORDER_POST, {"client_order_id": "t-1"})
        assert info.value.client_order_id == "t-1"
        assert (await transport.request(DEPTH, {"symbol": "X"})).time == 7  # retried once
    finally:
        await transport.close()
    assert calls == ["POST /api/v1/probe/order", "GET /quote/v1/depth", "GET /quote/v1/depth"]


async def test_a_stalled_handler_hits_the_request_timeout() -> None:
    entered = asyncio.Event()

    async def stall(request: MockRequest) -> MockResponse:
        entered.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    transport = transport_at(BASE, MockTransport(stall), request_timeout=0.05, max_retries=0)
    try:
        async with asyncio.timeout(5):
            with pytest.raises(ExecutionStatusUnknown) as info:
                await transport.request(ORDER_POST, {"client_order_id": "slow-1"})
            with pytest.raises(TransportError, match="Timeout"):
                await transport.request(DEPTH, {"symbol": "X"})
    finally:
        await transport.close()
    assert entered.is_set() and info.value.client_order_id == "slow-1"


async def test_a_handler_must_answer_a_mock_response() -> None:
    def wrong(request: MockRequest) -> MockResponse:
        return {"t": 1}  # type: ignore[return-value]

    async with HashKeyClient(base_url=BASE, transport=MockTransport(wrong)) as client:
        with pytest.raises(TypeError, match="returned dict, not MockResponse"):
            await client.market.depth("BTCUSDT")


async def test_after_close_nothing_reaches_the_handler() -> None:
    calls: list[MockRequest] = []

    def handler(request: MockRequest) -> MockResponse:
        calls.append(request)
        return MockResponse(json={})

    client = HashKeyClient(base_url=BASE, transport=MockTransport(handler))
    await client.market.ping()
    await client.close()
    with pytest.raises(TransportError, match="closed"):
        await client.market.ping()
    assert len(calls) == 1


async def test_a_session_and_a_mock_transport_together_are_refused() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(InvalidParameterError) as info:
            HashKeyClient(session=session, transport=MockTransport(sync_book))
    assert info.value.field == "transport"


def test_mock_request_reads_the_wire_form() -> None:
    request = MockRequest(
        "POST",
        "http://hk.test/api/v1.1/spot/batchOrders?b=2&a=x%20y&empty=&signature=ff",
        CIMultiDictProxy(CIMultiDict({"X-HK-APIKEY": "k", "Content-Type": "application/json"})),
        b'[{"price":"1.5"}]',
    )
    assert request.path == "/api/v1.1/spot/batchOrders"
    assert request.query == "b=2&a=x%20y&empty=&signature=ff"
    assert list(request.params.items()) == [
        ("b", "2"),
        ("a", "x y"),
        ("empty", ""),
        ("signature", "ff"),
    ]
    assert request.headers["x-hk-apikey"] == "k"
    assert request.json() == [{"price": "1.5"}]
    assert MockRequest("GET", "http://hk.test/api/v1/ping", request.headers).params == {}


def test_mock_response_bodies() -> None:
    assert MockResponse(json={"price": Decimal("0.10")}).content == b'{"price":"0.10"}'
    assert MockResponse(502, content="<h1>bad</h1>").content == b"<h1>bad</h1>"
    assert MockResponse().content == b"" and MockResponse().status == 200
    assert MockResponse(headers={"Retry-After": "3"}).headers["retry-after"] == "3"
    with pytest.raises(ValueError, match="not both"):
        MockResponse(json={}, content=b"{}")


def test_the_seam_is_public() -> None:
    for name in ("MockTransport", "MockRequest", "MockResponse", "MockHandler"):
        assert name in hashkey_async.__all__ and hasattr(hashkey_async, name)
