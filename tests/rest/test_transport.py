"""Transport: exact request shapes, error mapping, retries, 429/418 handling and time sync."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from decimal import Decimal

import aiohttp
import pytest
from aiohttp import web
from fakeclock import FakeClock
from mockrest import BASE, Recorder

from hashkey_async.auth import Credentials
from hashkey_async.clock import ServerClock
from hashkey_async.config import ClientConfig
from hashkey_async.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    DecodeError,
    DuplicateOrderError,
    ExecutionStatusUnknown,
    HashKeyError,
    IPBannedError,
    OrderNotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TimestampError,
    TransportError,
    normalize_code,
)
from hashkey_async.models.common import Empty
from hashkey_async.models.market import Depth, ServerTime
from hashkey_async.ratelimit import Bucket, RateLimiter
from hashkey_async.rest.endpoints import (
    CREATE_LISTEN_KEY,
    DEPTH,
    SERVER_TIME,
    Endpoint,
    Security,
)
from hashkey_async.rest.transport import Transport
from hashkey_async.signing import API_KEY_HEADER, sign, verify

KEY = "tAQfOrPIZAhym0qHISRt8EFvxPemdBm5"
SECRET = "lH3ELTNiFxCQTmi9pPcWWikhsjO04Yoqw3euoHUuOLC3GYBW64ZqzQsiOEHXQS76"
WALL = 1_700_000_000.0
WALL_MS = int(WALL * 1000)

# Probe rows of our own, so these tests do not depend on other sections' models.
SIGNED_GET = Endpoint[Empty](
    "probe", "GET", "/api/v1/probe", Security.USER_DATA, 1, Bucket.QUERY, Empty
)
ORDER_POST = Endpoint[Empty](
    "order_probe", "POST", "/api/v1/probe/order", Security.TRADE, 1, Bucket.ORDER, Empty
)
KEYED_GET = Endpoint[Empty](
    "keyed", "GET", "/api/v1/keyed", Security.MARKET_DATA, 1, Bucket.QUERY, Empty
)


class Harness:
    """A transport answered by ``mocked`` on a fake clock, recording backoff sleeps, mid jitter."""

    def __init__(
        self,
        clock: FakeClock,
        credentials: Credentials | None,
        mocked: Recorder,
        **config: object,
    ) -> None:
        self.sleeps: list[float] = []
        self.clock = clock
        self.transport = Transport(
            ClientConfig(rest_url=BASE, stream_url="ws://hk.test", **config),  # type: ignore[arg-type]
            credentials,
            limiter=RateLimiter(clock=clock, sleep=clock.sleep),
            clock=ServerClock(wall=lambda: WALL, monotonic=clock),
            sleep=self._sleep,
            rand=lambda: 0.5,
            mock=mocked.transport,
        )

    async def _sleep(self, delay: float) -> None:
        self.sleeps.append(delay)


@pytest.fixture
def mocked() -> Recorder:
    return Recorder()


@pytest.fixture
async def harness(fake_clock: FakeClock, mocked: Recorder) -> AsyncIterator[Harness]:
    h = Harness(fake_clock, Credentials(KEY, SECRET), mocked)
    yield h
    await h.transport.close()


def server_time(offset_ms: int = 0) -> dict[str, int]:
    return {"serverTime": WALL_MS + offset_ms}


# --- request shapes --------------------------------------------------------------


async def test_public_get_has_no_key_no_signature_no_sync(
    harness: Harness, mocked: Recorder
) -> None:
    mocked.on("GET", "/quote/v1/depth", payload={"t": 1, "b": [["1.10", "2"]], "a": []})
    book = await harness.transport.request(DEPTH, {"symbol": "BTCUSDT", "limit": 5})
    assert isinstance(book, Depth) and book.bids[0].price == Decimal("1.10")
    [call] = mocked.calls
    assert (call.method, call.path) == ("GET", "/quote/v1/depth")
    assert call.query == "symbol=BTCUSDT&limit=5"
    assert API_KEY_HEADER not in call.headers
    assert call.body == b""


async def test_signed_get_syncs_then_signs_with_server_time(
    harness: Harness, mocked: Recorder
) -> None:
    mocked.on("GET", "/api/v1/time", payload=server_time(2500))
    mocked.on("GET", "/api/v1/probe", payload={})
    await harness.transport.request(SIGNED_GET, {"order_id": 12, "symbol": "ETHUSDT"})
    assert mocked.paths() == ["GET /api/v1/time", "GET /api/v1/probe"]
    time_call, call = mocked.calls
    assert API_KEY_HEADER not in time_call.headers
    assert call.headers[API_KEY_HEADER] == KEY
    signed = f"orderId=12&symbol=ETHUSDT&recvWindow=5000&timestamp={WALL_MS + 2500}"
    assert call.query == f"{signed}&signature={sign(SECRET, signed)}"
    assert call.body == b"" and "Content-Type" not in call.headers


async def test_post_sends_params_in_query_and_signs_query_plus_json_body(
    harness: Harness, mocked: Recorder
) -> None:
    harness.transport.clock.update(WALL_MS, WALL_MS, WALL_MS)  # already synced
    mocked.on("POST", "/api/v1/probe/order", payload={})
    await harness.transport.request(
        ORDER_POST, {"symbol": "BTCUSDT"}, json_body=[{"price": Decimal("1.50"), "quantity": "2"}]
    )
    [call] = mocked.calls
    assert call.method == "POST"
    assert call.body == b'[{"price":"1.50","quantity":"2"}]'
    assert call.headers["Content-Type"] == "application/json"
    query = f"symbol=BTCUSDT&recvWindow=5000&timestamp={WALL_MS}"
    assert call.query == f"{query}&signature={sign(SECRET, query, call.body)}"
    assert call.headers[API_KEY_HEADER] == KEY


async def test_keyed_unsigned_endpoint_sends_key_but_no_signature(
    harness: Harness, mocked: Recorder
) -> None:
    mocked.on("GET", "/api/v1/keyed", payload={})
    await harness.transport.request(KEYED_GET, {"symbol": "X"})
    [call] = mocked.calls
    assert call.headers[API_KEY_HEADER] == KEY
    assert call.query == "symbol=X"


async def test_exact_query_bytes_on_the_wire_verify_against_the_signature() -> None:
    """A real local server sees the query in our order, byte for byte, and it verifies."""
    seen: list[tuple[str, str, bytes, str]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(
            (
                request.method,
                request.raw_path,
                await request.read(),
                request.headers[API_KEY_HEADER],
            )
        )
        return web.json_response({})

    app = web.Application()
    app.router.add_route("*", "/api/v1/probe/order", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    transport = Transport(
        ClientConfig(
            rest_url=f"http://127.0.0.1:{port}", stream_url="ws://unused", time_sync_interval=None
        ),
        Credentials(KEY, SECRET),
        clock=ServerClock(wall=lambda: 1538323200.0),
    )
    try:
        await transport.request(
            ORDER_POST,
            {
                "symbol": "ETHBTC",
                "side": "BUY",
                "type": "LIMIT",
                "time_in_force": "GTC",
                "quantity": 1,
                "price": Decimal("0.1"),
            },
        )
    finally:
        await transport.close()
        await runner.cleanup()
    [(method, raw_path, body, key)] = seen
    path, _, query = raw_path.partition("?")
    signed, _, signature = query.rpartition("&signature=")
    assert (method, path, body, key) == ("POST", "/api/v1/probe/order", b"", KEY)
    # The reference's Example 1, exactly (same params, order, recvWindow and timestamp).
    assert signed == (
        "symbol=ETHBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        "&recvWindow=5000&timestamp=1538323200000"
    )
    assert signature == "5f2750ad7589d1d40757a55342e621a44037dad23b5128cc70e18ec1d1c3f4c6"
    assert verify(SECRET, signed, body, signature)


# --- credentials -------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", [SIGNED_GET, ORDER_POST, KEYED_GET])
async def test_keyed_calls_without_credentials_fail_before_any_io(
    fake_clock: FakeClock, mocked: Recorder, endpoint: Endpoint[Empty]
) -> None:
    h = Harness(fake_clock, None, mocked)
    with pytest.raises(AuthenticationError):
        await h.transport.request(endpoint, {"symbol": "X"})
    assert mocked.calls == []
    window = h.transport.limiter.window(endpoint.bucket)
    assert window is not None and window.used(fake_clock.now) == 0
    await h.transport.close()


# --- error mapping -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "payload", "cls", "code"),
    [
        (400, {"code": "-1130", "msg": "Illegal parameter 'symbol'"}, BadRequestError, "-1130"),
        (400, {"code": -1141, "msg": "Duplicate order"}, DuplicateOrderError, "-1141"),
        (400, {"code": 1, "msg": "Incorrect signature"}, AuthenticationError, "0001"),
        (400, {"code": "0211", "msg": "Order not found"}, OrderNotFoundError, "0211"),
        (400, {"code": "0003", "msg": "Rate limit exceeded"}, RateLimitError, "0003"),
        (403, {"code": "-9999", "msg": "forbidden"}, PermissionDeniedError, "-9999"),
        (400, {"code": "-8888", "msg": "new code"}, ServerError, "-8888"),
        (200, {"code": "-1130", "msg": "Illegal parameter"}, BadRequestError, "-1130"),
    ],
)
async def test_status_and_code_map_to_the_tree(
    harness: Harness,
    mocked: Recorder,
    status: int,
    payload: dict[str, object],
    cls: type[HashKeyError],
    code: str,
) -> None:
    harness.transport.clock.update(WALL_MS, WALL_MS, WALL_MS)
    mocked.on("POST", "/api/v1/probe/order", status=status, payload=payload)
    with pytest.raises(cls) as info:
        await harness.transport.request(ORDER_POST, {"symbol": "X"})
    assert type(info.value) is cls
    assert getattr(info.value, "code", None) == code
    assert getattr(info.value, "status", None) == status
    assert len(mocked.calls) == 1


async def test_success_code_body_decodes_normally(harness: Harness, mocked: Recorder) -> None:
    mocked.on("GET", "/api/v1/time", payload={"code": "0000", "serverTime": 5})
    assert (await harness.transport.request(SERVER_TIME)).server_time == 5


async def test_unexpected_200_shape_is_a_decode_error(harness: Harness, mocked: Recorder) -> None:
    mocked.on("GET", "/api/v1/time", payload={"foo": 1})
    with pytest.raises(DecodeError, match="serverTime"):
        await harness.transport.request(SERVER_TIME)


async def test_html_5xx_on_post_is_execution_status_unknown_with_an_excerpt(
    harness: Harness, mocked: Recorder
) -> None:
    harness.transport.clock.update(WALL_MS, WALL_MS, WALL_MS)
    page = "<html><body><h1>502 Bad Gateway</h1>" + "x" * 5000 + "</body></html>"
    mocked.on("POST", "/api/v1/probe/order", status=502, body=page, content_type="text/html")
    with pytest.raises(ExecutionStatusUnknown) as info:
        await harness.transport.request(ORDER_POST, {"symbol": "X", "client_order_id": "c-1"})
    err = info.value
    assert err.status == 502 and err.client_order_id == "c-1"
    assert "502 Bad Gateway" in str(err) and len(str(err)) < 400
    assert len(mocked.calls) == 1  # never retried: it may have taken effect


@pytest.mark.parametrize("code", ["-1006", "-1007", "-1146"])
async def test_unknown_outcome_codes_on_post(harness: Harness, mocked: Recorder, code: str) -> None:
    harness.transport.clock.update(WALL_MS, WALL_MS, WALL_MS)
    mocked.on("POST", "/api/v1/probe/order", status=400, payload={"code": code, "msg": "unknown"})
    with pytest.raises(ExecutionStatusUnknown) as info:
        await harness.transport.request(ORDER_POST, {"client_order_id": "abc"})
    assert info.value.code == code and info.value.client_order_id == "abc"
    assert len(mocked.calls) == 1


async def test_get_5xx_is_retried_with_jittered_backoff_then_succeeds(
    harness: Harness, mocked: Recorder
) -> None:
    mocked.on("GET", "/quote/v1/depth", status=503, body="busy", content_type="text/plain")
    mocked.on("GET", "/quote/v1/depth", status=500, payload={"code": "-1006", "msg": "unknown"})
    mocked.on("GET", "/quote/v1/depth", payload={"t": 7})
    book = await harness.transport.request(DEPTH, {"symbol": "X"})
    assert book.time == 7
    assert len(mocked.calls) == 3
    assert harness.sleeps == [pytest.approx(0.05), pytest.approx(0.1)]  # 0.5 * min(2, 0.1 * 2**n)


async def test_get_5xx_gives_server_error_after_max_retries(
    harness: Harness, mocked: Recorder
) -> None:
    mocked.on(
        "GET",
        "/quote/v1/depth",
        status=502,
        body="<h1>Bad Gateway</h1>",
        content_type="text/html",
        repeat=True,
    )
    with pytest.raises(ServerError) as info:
        await harness.transport.request(DEPTH, {"symbol": "X"})
    assert info.value.status == 502 and "Bad Gateway" in info.value.message
    assert len(mocked.calls) == 3  # 1 + max_retries


async def test_post_timeout_is_unknown_get_timeout_is_retried(
    harness: Harness, mocked: Recorder
) -> None:
    harness.transport.clock.update(WALL_MS, WALL_MS, WALL_MS)
    mocked.on("POST", "/api/v1/probe/order", exception=TimeoutError())
    with pytest.raises(ExecutionStatusUnknown, match="may have taken effect"):
        await harness.transport.request(ORDER_POST, {"client_order_id": "t-1"})
    mocked.on("GET", "/quote/v1/depth", exception=aiohttp.ServerDisconnectedError())
    mocked.on("GET", "/quote/v1/depth", payload={"t": 1})
    assert (await harness.transport.request(DEPTH, {"symbol": "X"})).time == 1
    assert mocked.paths() == [
        "POST /api/v1/probe/order",
        "GET /quote/v1/depth",
        "GET /quote/v1/depth",
    ]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("endpoint", [DEPTH, ORDER_POST])
async def test_connection_refused_is_a_transport_error(
    fake_clock: FakeClock, endpoint: Endpoint[object]
) -> None:
    sleeps: list[float] = []

    async def record(delay: float) -> None:
        sleeps.append(delay)

    transport = Transport(
        ClientConfig(
            rest_url=f"http://127.0.0.1:{closed_port()}",
            stream_url="ws://x",
            time_sync_interval=None,
        ),
        Credentials(KEY, SECRET),
        limiter=RateLimiter(clock=fake_clock, sleep=fake_clock.sleep),
        sleep=record,
    )
    try:
        with pytest.raises(TransportError, match="cannot connect"):
            await transport.request(endpoint, {"symbol": "X"})
    finally:
        await transport.close()
    assert len(sleeps) == (2 if endpoint.idempotent else 0)


# --- 429 and 418 ------------------------------------------------------------------------


async def test_429_suspends_the_bucket_for_retry_after_without_reaching_the_exchange(
    harness: Harness, mocked: Recorder
) -> None:
    harness.transport.clock.update(WALL_MS, WALL_MS, WALL_MS)
    mocked.on(
        "POST",
        "/api/v1/probe/order",
        status=429,
        payload={"code": "-1015", "msg": "Too many"},
        headers={"Retry-After": "7"},
    )
    mocked.on("POST", "/api/v1/probe/order", payload={})
    mocked.on("GET", "/api/v1/probe", payload={})
    with pytest.raises(RateLimitError) as info:
        await harness.transport.request(ORDER_POST)
    assert info.value.status == 429 and info.value.retry_after == 7.0
    with pytest.raises(RateLimitError):
        await harness.transport.request(ORDER_POST)
    assert len(mocked.calls) == 1  # the second call never left
    await harness.transport.request(SIGNED_GET)  # the query bucket is unaffected
    await harness.clock.advance(7.0)
    await harness.transport.request(ORDER_POST)
    assert mocked.paths() == [
        "POST /api/v1/probe/order",
        "GET /api/v1/probe",
        "POST /api/v1/probe/order",
    ]


async def test_429_without_retry_after_suspends_a_minute_and_is_not_retried(
    harness: Harness, mocked: Recorder
) -> None:
    mocked.on("GET", "/quote/v1/depth", status=429, body="")
    with pytest.raises(RateLimitError):
        await harness.transport.request(DEPTH, {"symbol": "X"})
    await harness.clock.advance(59.0)
    with pytest.raises(RateLimitError) as info:
        await harness.transport.request(DEPTH, {"symbol": "X"})
    assert info.value.retry_after == pytest.approx(1.0)
    assert len(mocked.calls) == 1


@pytest.mark.parametrize(
    ("code", "retry_after", "pause"),
    [("-1015", None, 1.0), ("0003", None, 1.0), ("-3145", "0.5", 0.5)],
)
async def test_400_rate_limit_code_pauses_the_bucket_then_lets_calls_through(
    harness: Harness, mocked: Recorder, code: str, retry_after: str | None, pause: float
) -> None:
    harness.transport.clock.update(WALL_MS, WALL_MS, WALL_MS)
    headers = {"Retry-After": retry_after} if retry_after else None
    mocked.on(
        "POST",
        "/api/v1/probe/order",
        status=400,
        payload={"code": code, "msg": "Too many"},
        headers=headers,
    )
    mocked.on("POST", "/api/v1/probe/order", payload={})
    mocked.on("GET", "/api/v1/probe", payload={})
    with pytest.raises(RateLimitError) as info:
        await harness.transport.request(ORDER_POST)
    assert (info.value.status, info.value.code) == (400, code)
    second = asyncio.create_task(harness.transport.request(ORDER_POST))
    await harness.clock.advance(pause - 0.01)
    assert not second.done() and len(mocked.calls) == 1  # held back, not refused
    await harness.transport.request(SIGNED_GET)  # the query bucket is unaffected
    await harness.clock.advance(0.01)
    await second
    assert mocked.paths() == [
        "POST /api/v1/probe/order",
        "GET /api/v1/probe",
        "POST /api/v1/probe/order",
    ]


async def test_order_count_limit_minus_1193_does_not_pause(
    harness: Harness, mocked: Recorder
) -> None:
    harness.transport.clock.update(WALL_MS, WALL_MS, WALL_MS)
    mocked.on("POST", "/api/v1/probe/order", status=400, payload={"code": "-1193", "msg": "n"})
    mocked.on("POST", "/api/v1/probe/order", payload={})
    with pytest.raises(RateLimitError):
        await harness.transport.request(ORDER_POST)
    # at once: a pause would park on the fake clock and time out here
    await asyncio.wait_for(harness.transport.request(ORDER_POST), 1.0)
    assert len(mocked.calls) == 2


async def test_418_bans_every_call_until_the_ban_ends(
    fake_clock: FakeClock, mocked: Recorder
) -> None:
    h = Harness(fake_clock, Credentials(KEY, SECRET), mocked, ip_ban_seconds=30.0)
    h.transport.clock.update(WALL_MS, WALL_MS, WALL_MS)
    mocked.on("GET", "/quote/v1/depth", status=418, body="banned")
    mocked.on("GET", "/quote/v1/depth", payload={"t": 3})
    with pytest.raises(IPBannedError) as info:
        await h.transport.request(DEPTH, {"symbol": "X"})
    assert info.value.status == 418
    for endpoint in (DEPTH, SIGNED_GET, ORDER_POST):
        with pytest.raises(IPBannedError):
            await h.transport.request(endpoint, {"symbol": "X"})
    assert len(mocked.calls) == 1
    await fake_clock.advance(30.0)
    assert (await h.transport.request(DEPTH, {"symbol": "X"})).time == 3
    await h.transport.close()


async def test_418_retry_after_sets_the_ban_length(harness: Harness, mocked: Recorder) -> None:
    mocked.on("GET", "/quote/v1/depth", status=418, body="", headers={"Retry-After": "5"})
    with pytest.raises(IPBannedError):
        await harness.transport.request(DEPTH, {"symbol": "X"})
    await harness.clock.advance(4.9)
    with pytest.raises(IPBannedError) as info:
        await harness.transport.request(DEPTH, {"symbol": "X"})
    assert info.value.retry_after == pytest.approx(0.1)


# --- time sync --------------------------------------------------------------------------


async def test_minus_1021_resyncs_once_and_resends_with_a_new_timestamp(
    harness: Harness, mocked: Recorder
) -> None:
    mocked.on("GET", "/api/v1/time", payload=server_time(0))
    mocked.on(
        "POST",
        "/api/v1/probe/order",
        status=400,
        payload={"code": "-1021", "msg": "outside recvWindow"},
    )
    mocked.on("GET", "/api/v1/time", payload=server_time(-9000))
    mocked.on("POST", "/api/v1/probe/order", payload={})
    await harness.transport.request(ORDER_POST, {"symbol": "X"})
    assert mocked.paths() == [
        "GET /api/v1/time",
        "POST /api/v1/probe/order",
        "GET /api/v1/time",
        "POST /api/v1/probe/order",
    ]
    assert mocked.calls[1].params["timestamp"] == str(WALL_MS)
    assert mocked.calls[3].params["timestamp"] == str(WALL_MS - 9000)


async def test_a_second_minus_1021_is_raised(harness: Harness, mocked: Recorder) -> None:
    mocked.on("GET", "/api/v1/time", payload=server_time(), repeat=True)
    mocked.on(
        "POST",
        "/api/v1/probe/order",
        status=400,
        payload={"code": "-1021", "msg": "late"},
        repeat=True,
    )
    with pytest.raises(TimestampError):
        await harness.transport.request(ORDER_POST)
    assert mocked.paths().count("POST /api/v1/probe/order") == 2


async def test_sync_is_lazy_shared_and_periodic(fake_clock: FakeClock, mocked: Recorder) -> None:
    h = Harness(fake_clock, Credentials(KEY, SECRET), mocked, time_sync_interval=10.0)
    mocked.on("GET", "/api/v1/time", payload=server_time(), repeat=True)
    mocked.on("GET", "/api/v1/probe", payload={}, repeat=True)
    mocked.on("GET", "/quote/v1/depth", payload={}, repeat=True)
    await h.transport.request(DEPTH, {"symbol": "X"})  # public: no sync
    await asyncio.gather(h.transport.request(SIGNED_GET), h.transport.request(SIGNED_GET))
    assert mocked.paths().count("GET /api/v1/time") == 1
    await fake_clock.advance(9.0)
    await h.transport.request(SIGNED_GET)
    assert mocked.paths().count("GET /api/v1/time") == 1
    await fake_clock.advance(1.0)
    await h.transport.request(SIGNED_GET)
    assert mocked.paths().count("GET /api/v1/time") == 2
    await h.transport.close()


async def test_failed_sync_does_not_block_signed_calls(harness: Harness, mocked: Recorder) -> None:
    mocked.on("GET", "/api/v1/time", status=500, body="down", repeat=True)
    mocked.on("GET", "/api/v1/probe", payload={}, repeat=True)
    await harness.transport.request(SIGNED_GET)
    await harness.transport.request(SIGNED_GET)  # no new attempt until the interval passes
    assert mocked.paths() == ["GET /api/v1/time"] * 3 + ["GET /api/v1/probe"] * 2
    assert mocked.calls[-1].params["timestamp"] == str(WALL_MS)


def test_clock_offset_is_measured_at_the_round_trip_midpoint() -> None:
    clock = ServerClock(wall=lambda: 100.0, monotonic=lambda: 5.0)
    clock.update(sent_ms=1000, server_ms=5000, received_ms=1200)
    assert clock.offset_ms == 3900 and clock.rtt_ms == 200
    assert clock.now_ms() == 100_000 + 3900
    assert not clock.stale(1.0) and clock.stale(0.0) and not clock.stale(None)


# --- secrets never leak -------------------------------------------------------------


async def test_secret_never_appears_in_logs_errors_or_reprs(
    harness: Harness, mocked: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mocked.on("GET", "/api/v1/time", status=500, body=f"echo {KEY}", repeat=True)
    mocked.on(
        "POST",
        "/api/v1/probe/order",
        status=400,
        payload={"code": "-1021", "msg": "late"},
        repeat=True,
    )
    mocked.on(
        "GET", "/api/v1/probe", status=400, payload={"code": "0001", "msg": "Incorrect signature"}
    )
    mocked.on("GET", "/quote/v1/depth", status=503, body="<html>", repeat=True)
    errors: list[BaseException] = []
    for endpoint in (ORDER_POST, SIGNED_GET, DEPTH):
        with pytest.raises(HashKeyError) as info:
            await harness.transport.request(endpoint, {"symbol": "X"})
        errors.append(info.value)
    texts = (
        [r.getMessage() for r in caplog.records]
        + [str(e) for e in errors]
        + [repr(e) for e in errors]
    )
    texts += [repr(harness.transport.credentials), repr(harness.transport)]
    assert caplog.records, "expected the failures to be logged"
    assert all(SECRET not in text for text in texts)
    assert all(not isinstance(e, APIError) or SECRET not in e.message for e in errors)


async def test_an_undecodable_listen_key_answer_is_not_quoted_in_the_error(
    harness: Harness, mocked: Recorder
) -> None:
    harness.transport.clock.update(WALL_MS, WALL_MS, WALL_MS)
    listen_key = "L" * 64
    mocked.on("POST", "/api/v1/userDataStream", payload={"listenKey": [listen_key]})
    with pytest.raises(DecodeError) as info:
        await harness.transport.request(CREATE_LISTEN_KEY)
    assert "listenKey" in str(info.value)  # says which field did not fit
    assert listen_key not in str(info.value) and listen_key not in repr(info.value)


# --- pure helpers ------------------------------------------------------------------


def test_normalize_code() -> None:
    assert normalize_code(1) == "0001" and normalize_code(-1021) == "-1021"
    assert normalize_code("0211") == "0211" and normalize_code(None) is None
    assert normalize_code(200) == "200" and normalize_code(0) == "0"


def test_server_time_model() -> None:
    assert SERVER_TIME.decoder.decode(b'{"serverTime":"1764229341307"}') == ServerTime(
        1764229341307
    )


async def test_concurrent_orders_against_a_strict_rolling_window_server_see_no_429() -> None:
    """20 concurrent orders, server allows 10 in any rolling second: no 429, ~1.05 s total."""
    arrivals: list[float] = []
    rejected = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal rejected
        now = asyncio.get_running_loop().time()
        if sum(1 for t in arrivals if now - t < 1.0) >= 10:
            rejected += 1
            return web.json_response({"code": "-1015", "msg": "Too many"}, status=429)
        arrivals.append(now)
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/api/v1/probe/order", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    transport = Transport(
        ClientConfig(
            rest_url=f"http://127.0.0.1:{port}", stream_url="ws://unused", time_sync_interval=None
        ),
        Credentials(KEY, SECRET),
    )
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        async with asyncio.timeout(10):
            await asyncio.gather(
                *(transport.request(ORDER_POST, {"client_order_id": str(n)}) for n in range(20))
            )
    finally:
        await transport.close()
        await runner.cleanup()
    elapsed = loop.time() - start
    assert rejected == 0 and len(arrivals) == 20
    assert 1.0 <= elapsed < 2.0
    assert all(arrivals[i + 10] - arrivals[i] >= 1.0 for i in range(len(arrivals) - 10))


async def test_per_request_timeout_against_a_stalled_server() -> None:
    """A server that never answers: POST -> ExecutionStatusUnknown, GET -> TransportError."""
    release = asyncio.Event()

    async def stall(_: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/api/v1/probe/order", stall)
    app.router.add_get("/quote/v1/depth", stall)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    transport = Transport(
        ClientConfig(
            rest_url=f"http://127.0.0.1:{port}",
            stream_url="ws://unused",
            time_sync_interval=None,
            request_timeout=0.2,
            max_retries=0,
        ),
        Credentials(KEY, SECRET),
    )
    try:
        async with asyncio.timeout(5):
            with pytest.raises(ExecutionStatusUnknown) as info:
                await transport.request(ORDER_POST, {"client_order_id": "slow-1"})
            assert info.value.client_order_id == "slow-1"
            with pytest.raises(TransportError, match="Timeout"):
                await transport.request(DEPTH, {"symbol": "X"})
    finally:
        release.set()
        await transport.close()
        await runner.cleanup()
