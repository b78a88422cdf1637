"""HashKeyClient: credentials, environments, session ownership, lifecycle, secrecy."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from types import SimpleNamespace

import aiohttp
import pytest
from mockrest import BASE, Recorder

import hashkey_async
from hashkey_async import AuthenticationError, HashKeyClient, HashKeyError, TransportError
from hashkey_async.ratelimit import Bucket
from hashkey_async.testing import OfflineExchange

KEY = "myApiKey1234567890"
SECRET = "superSecretValue-0123456789abcdef"


@pytest.fixture(autouse=True)
def no_env_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HASHKEY_API_KEY", raising=False)
    monkeypatch.delenv("HASHKEY_API_SECRET", raising=False)


@pytest.fixture
def mocked() -> Recorder:
    return Recorder()


@pytest.fixture
async def exchange() -> AsyncIterator[OfflineExchange]:
    async with OfflineExchange() as running:
        yield running


async def test_environments_select_the_reference_urls() -> None:
    async with HashKeyClient() as prod, HashKeyClient(environment="sandbox") as sandbox:
        assert prod.config.rest_url == "https://api-pro.hashkey.com"
        assert prod.config.stream_url == "wss://stream-pro.hashkey.com"
        assert sandbox.config.rest_url == "https://api-pro.sim.hashkeydev.com"
        assert sandbox.config.stream_url == "wss://stream-pro.sim.hashkeydev.com"


async def test_url_overrides_win_and_lose_their_trailing_slash() -> None:
    async with HashKeyClient(
        environment="sandbox", base_url="http://127.0.0.1:8080/", stream_url="ws://127.0.0.1:8080/"
    ) as client:
        assert client.config.rest_url == "http://127.0.0.1:8080"
        assert client.config.stream_url == "ws://127.0.0.1:8080"


def test_unknown_environment_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="environment"):
        HashKeyClient(environment="staging")  # type: ignore[arg-type]


async def test_keys_come_from_arguments_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HASHKEY_API_KEY", "envKey123456")
    monkeypatch.setenv("HASHKEY_API_SECRET", "envSecret")
    async with HashKeyClient() as from_env, HashKeyClient(KEY, SECRET) as from_args:
        assert from_env._credentials is not None and from_env._credentials.api_key == "envKey123456"
        assert from_args._credentials is not None and from_args._credentials.api_key == KEY


async def test_repr_and_str_never_show_the_secret() -> None:
    async with HashKeyClient(KEY, SECRET) as client:
        for text in (repr(client), str(client), repr(client._credentials), repr(client.config)):
            assert SECRET not in text
        assert KEY not in repr(client)  # the key is masked too, only its prefix shows
        assert KEY[:4] in repr(client)


async def test_in_doubt_record_is_exported_from_the_package() -> None:
    async with HashKeyClient(KEY, SECRET) as client:
        assert isinstance(client.spot.in_doubt, hashkey_async.InDoubtOrders)
    assert "InDoubtOrders" in hashkey_async.__all__


async def test_public_only_client_refuses_signed_calls_before_io(mocked: Recorder) -> None:
    async with HashKeyClient(base_url=BASE, transport=mocked.transport) as client:
        with pytest.raises(AuthenticationError):
            await client.user_stream.create()
    assert mocked.calls == []


async def test_rates_are_configurable_and_wired_to_the_transport() -> None:
    async with HashKeyClient(
        KEY, SECRET, order_rate=5, query_rate=3, rate_limit_margin=0.1
    ) as client:
        order = client.limiter.window(Bucket.ORDER)
        query = client.limiter.window(Bucket.QUERY)
        assert order is not None and (order.limit, order.period) == (5, pytest.approx(1.1))
        assert query is not None and query.limit == 3
        assert client._transport.limiter is client.limiter
        assert client._transport.clock is client.clock


async def test_caller_owned_session_is_used_and_left_open(exchange: OfflineExchange) -> None:
    sent: list[str] = []

    async def on_request_end(
        _: aiohttp.ClientSession, __: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        sent.append(f"{params.method} {params.url.path} {params.response.status}")

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_request_end)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        client = HashKeyClient(base_url=exchange.rest_url, session=session)
        await client.market.ping()
        await client.close()
        await client.close()  # idempotent
        assert not session.closed
    assert sent == ["GET /api/v1/ping 200"]  # through the caller's session


async def test_own_session_is_closed_and_close_is_idempotent(exchange: OfflineExchange) -> None:
    client = HashKeyClient(base_url=exchange.rest_url)
    await client.market.ping()
    session = client._transport._session
    assert session is not None and not session.closed
    await client.close()
    await client.close()
    assert session.closed
    with pytest.raises(TransportError, match="closed"):
        await client.market.ping()
    assert client._transport._session is None  # no new session is opened behind the user's back


async def test_own_session_is_closed_even_when_closing_the_streams_is_cancelled(
    exchange: OfflineExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = HashKeyClient(base_url=exchange.rest_url)
    await client.market.ping()
    session = client._transport._session
    assert session is not None
    entered = asyncio.Event()

    async def slow_stream_close() -> None:  # e.g. a listenKey DELETE that hangs
        entered.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(client.stream, "close", slow_stream_close)
    closing = asyncio.create_task(client.close())
    async with asyncio.timeout(5):
        await entered.wait()
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    assert session.closed


async def test_no_log_line_or_error_contains_the_secret(
    mocked: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mocked.on("GET", "/api/v1/time", payload={"serverTime": 1})
    mocked.on(
        "POST",
        "/api/v1/userDataStream",
        status=400,
        payload={"code": "-1002", "msg": "Unauthorized"},
    )
    async with HashKeyClient(KEY, SECRET, base_url=BASE, transport=mocked.transport) as client:
        with pytest.raises(HashKeyError) as info:
            await client.user_stream.create()
    assert mocked.paths() == ["GET /api/v1/time", "POST /api/v1/userDataStream"]
    assert isinstance(info.value, AuthenticationError)
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    assert all(SECRET not in record.getMessage() for record in caplog.records)


async def test_time_sync_and_minus_1021_recovery_against_the_offline_exchange(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from hashkey_async.testing import OfflineExchange

    caplog.set_level(logging.INFO, logger="hashkey_async")
    async with asyncio.timeout(10), OfflineExchange() as exchange:
        exchange.skew_clock(20_000)  # the exchange runs 20 s ahead of us
        async with exchange.client() as client:
            await client.account.balances()  # lazy first sync makes this pass at once
            assert abs(client.clock.offset_ms - 20_000) < 1_000
            assert not any("-1021" in r.getMessage() for r in caplog.records)
            exchange.skew_clock(-30_000)  # the server clock jumps: our estimate is now stale
            await client.account.balances()  # -1021, resync, one retry
            assert abs(client.clock.offset_ms + 30_000) < 1_000
            assert any("-1021" in r.getMessage() for r in caplog.records)
