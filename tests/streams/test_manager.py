"""``client.stream`` against a real local WebSocket server: formats, sharing, faults, backpressure."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from stream_frames import execution_report, v1_kline, v1_trades, v2_depth, v2_trade
from stream_server import StreamServer

from hashkey_async import (
    AuthenticationError,
    ExecutionReport,
    HashKeyClient,
    InvalidParameterError,
    OrderStatus,
    StreamDown,
    StreamGap,
    StreamOverflowError,
    UnknownEvent,
)
from hashkey_async.config import ClientConfig
from hashkey_async.streams.backoff import DEFAULT_BASE_DELAY
from hashkey_async.streams.connection import ConnectionState
from hashkey_async.streams.subscription import DEFAULT_QUEUE_SIZE

V1 = "/quote/ws/v1"
#: Tasks of the exchange double (aiohttp's request handlers, socket accepts, its ping loops).
_SERVER_SIDE = ("RequestHandler.", "StreamServer.", "BaseSelectorEventLoop._accept_connection")
V2 = "/quote/ws/v2"


async def test_v2_subscribe_typed_data_and_cancel_when_another_remains(
    client: HashKeyClient, server: StreamServer
) -> None:
    async with client.stream.depth("BTCUSDT") as books, client.stream.trades("ETHUSDT") as trades:
        await server.wait_until(
            lambda: len(server.on(V2)) == 1 and len(server.on(V2)[0].subs()) == 2
        )
        conn = server.on(V2)[0]
        assert conn.subs() == [
            {"topic": "depth", "event": "sub", "params": {"symbol": "BTCUSDT"}},
            {"topic": "trade", "event": "sub", "params": {"symbol": "ETHUSDT"}},
        ]
        await conn.send(v2_depth("BTCUSDT", 1))
        await conn.send(v2_trade("ETHUSDT", 4645465192627367936))
        async with asyncio.timeout(2):
            book = await books.get()
            trade = await trades.get()
        assert book.symbol == "BTCUSDT" and book.bids[0].price == Decimal("86962.98")
        assert book.asks[1].raw_price == "86963.00"
        assert trade.id == 4645465192627367936 and trade.price == Decimal("2974.53")
    await server.wait_until(lambda: conn.closed)
    # trades left first (inner context): cancelled; then depth was the last, so the socket closed.
    assert conn.subs()[2:] == [
        {"topic": "trade", "event": "cancel", "params": {"symbol": "ETHUSDT"}}
    ]
    assert len(server.on(V2)) == 1  # both shared one connection
    assert client.stream.state("public-v2") is ConnectionState.CLOSED


async def test_v1_formats_kline_topic_and_array_data(
    client: HashKeyClient, server: StreamServer
) -> None:
    klines = client.stream.klines("BTCUSDT", "1m", version=1)
    trades = client.stream.trades("BTCUSDT", version=1)
    async with klines, trades:
        await server.wait_until(
            lambda: len(server.on(V1)) == 1 and len(server.on(V1)[0].subs()) == 2
        )
        conn = server.on(V1)[0]
        assert conn.subs() == [
            {"symbol": "BTCUSDT", "topic": "kline_1m", "event": "sub", "params": {"binary": False}},
            {"symbol": "BTCUSDT", "topic": "trade", "event": "sub", "params": {"binary": False}},
        ]
        await conn.send(v1_kline("BTCUSDT", "1m", "88888.01"))
        await conn.send(v1_trades("BTCUSDT", [1, 2, 3]))
        async with asyncio.timeout(2):
            candle = await klines.get()
            got = [(await trades.get()).id for _ in range(3)]
        assert candle.close == Decimal("88888.01") and candle.close_time == 0
        assert got == [1, 2, 3]
        await klines.close()
        await server.wait_until(lambda: len(conn.subs()) == 3)
        assert conn.subs()[-1] == {
            "symbol": "BTCUSDT",
            "topic": "kline_1m",
            "event": "cancel",
            "params": {"binary": False},
        }


async def test_bad_arguments_raise_before_any_io(
    client: HashKeyClient, server: StreamServer
) -> None:
    with pytest.raises(InvalidParameterError) as info:
        client.stream.klines("BTCUSDT", "7m")
    assert info.value.field == "interval"
    with pytest.raises(InvalidParameterError):
        client.stream.bbo("BTCUSDT", version=1)  # V1 has no bbo topic
    with pytest.raises(InvalidParameterError):
        client.stream.depth("BTCUSDT", version=3)
    with pytest.raises(InvalidParameterError):
        client.stream.trades("", queue_size=10)
    with pytest.raises(InvalidParameterError):
        client.stream.trades("BTCUSDT", queue_size=0)
    assert server.conns == []


async def test_breaking_out_of_the_loop_unsubscribes_and_closes(
    client: HashKeyClient, server: StreamServer
) -> None:
    async def first_book() -> Any:
        async for book in client.stream.depth("BTCUSDT"):
            return book
        return None

    reader = asyncio.create_task(first_book())
    await server.wait_until(lambda: len(server.on(V2)) == 1 and bool(server.on(V2)[0].subs()))
    await server.on(V2)[0].send(v2_depth("BTCUSDT", 7))
    async with asyncio.timeout(2):
        book = await reader
    assert book.time == 7
    await server.wait_until(lambda: server.on(V2)[0].closed)


async def test_public_pings_and_abrupt_drop_reconnects_and_resubscribes(
    make_client: Callable[..., HashKeyClient], server: StreamServer
) -> None:
    client = make_client(ws_ping_interval=0.05)
    states: list[tuple[str, ConnectionState]] = []
    client.stream.add_listener(lambda name, old, new: states.append((name, new)))
    try:
        async with client.stream.depth("BTCUSDT") as books:
            await server.wait_until(lambda: len(server.on(V2)) == 1)
            first = server.on(V2)[0]
            await server.wait_until(lambda: any("ping" in m for m in first.received))
            ping = next(m for m in first.received if "ping" in m)
            assert set(ping) == {"ping"} and isinstance(ping["ping"], int)
            await server.wait_until(lambda: bool(first.subs()))
            first.abort()
            await server.wait_until(
                lambda: len(server.on(V2)) == 2 and bool(server.on(V2)[1].subs())
            )
            second = server.on(V2)[1]
            assert second.subs() == first.subs()
            await second.send(v2_depth("BTCUSDT", 2))
            async with asyncio.timeout(2):
                assert (await books.get()).time == 2
        stats = client.stream.stats["public-v2"]
        assert stats.reconnects == 1 and stats.drops >= 1 and stats.pongs_received >= 1
        assert ("public-v2", ConnectionState.RECONNECTING) in states
        assert [s for _, s in states][-1] is ConnectionState.CLOSED
    finally:
        await client.close()


@pytest.mark.parametrize("code", [1000, 1001, 1011])
async def test_server_close_codes_reconnect(
    client: HashKeyClient, server: StreamServer, code: int
) -> None:
    async with client.stream.bbo("BTCUSDT") as quotes:
        await server.wait_until(lambda: len(server.on(V2)) == 1 and bool(server.on(V2)[0].subs()))
        await server.on(V2)[0].ws.close(code=code, message=b"bye")
        await server.wait_until(lambda: len(server.on(V2)) == 2 and bool(server.on(V2)[1].subs()))
        bbo = {"s": "BTCUSDT", "b": "1", "bz": "2", "a": "3", "az": "4", "t": 9}
        await server.on(V2)[1].send({"topic": "bbo", "params": {"symbol": "BTCUSDT"}, "data": bbo})
        async with asyncio.timeout(2):
            assert (await quotes.get()).ask_price == Decimal("3")
    assert f"code {code}" in client.stream.stats["public-v2"].last_drop_reason


async def test_handshake_failures_are_retried(client: HashKeyClient, server: StreamServer) -> None:
    server.reject_next = 3
    states: list[ConnectionState] = []
    client.stream.add_listener(lambda name, old, new: states.append(new))
    async with client.stream.depth("BTCUSDT") as books:
        await server.wait_until(lambda: len(server.on(V2)) == 1 and bool(server.on(V2)[0].subs()))
        await server.on(V2)[0].send(v2_depth("BTCUSDT", 3))
        async with asyncio.timeout(2):
            assert (await books.get()).time == 3
    stats = client.stream.stats["public-v2"]
    assert server.rejected == 3 and stats.connect_failures == 3 and stats.connects == 1
    # CONNECTING (initial) -> RECONNECTING while refused -> OPEN -> CLOSED, no flapping.
    assert states == [ConnectionState.RECONNECTING, ConnectionState.OPEN, ConnectionState.CLOSED]


async def test_restart_on_request_replays(client: HashKeyClient, server: StreamServer) -> None:
    async with client.stream.depth("ETHUSDT", version=1):
        await server.wait_until(lambda: len(server.on(V1)) == 1 and bool(server.on(V1)[0].subs()))
        client.stream.restart("public-v1")
        await server.wait_until(lambda: len(server.on(V1)) == 2 and bool(server.on(V1)[1].subs()))
        assert server.on(V1)[0].closed
        assert server.on(V1)[1].subs() == server.on(V1)[0].subs()
    assert client.stream.stats["public-v1"].last_drop_reason == "restart requested"


async def test_server_that_stops_answering_is_replaced_by_the_watchdog(
    make_client: Callable[..., HashKeyClient], server: StreamServer
) -> None:
    client = make_client(ws_ping_interval=0.05)
    try:
        async with client.stream.trades("BTCUSDT") as trades:
            await server.wait_until(
                lambda: len(server.on(V2)) == 1 and bool(server.on(V2)[0].subs())
            )
            server.answer_pings = False  # half-open: the socket stays up but nothing comes back
            await server.wait_until(
                lambda: len(server.on(V2)) == 2 and bool(server.on(V2)[1].subs())
            )
            assert client.stream.stats["public-v2"].watchdog_kills >= 1
            server.answer_pings = True
            await server.on(V2)[1].send(v2_trade("BTCUSDT", 5))
            async with asyncio.timeout(2):
                assert (await trades.get()).id == 5
    finally:
        await client.close()


async def test_malformed_frame_is_logged_skipped_and_stream_continues(
    client: HashKeyClient, server: StreamServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with client.stream.trades("BTCUSDT") as trades:
        await server.wait_until(lambda: len(server.on(V2)) == 1 and bool(server.on(V2)[0].subs()))
        conn = server.on(V2)[0]
        await conn.send('{"topic": "trade", "params": {"symbol": "BTC')
        await conn.send({"topic": "trade", "params": {"symbol": "BTCUSDT"}, "data": {"v": "x"}})
        await conn.send({"topic": "brand-new", "params": {"symbol": "BTCUSDT"}, "data": {}})
        await conn.send(v2_trade("BTCUSDT", 9))
        async with asyncio.timeout(2):
            assert (await trades.get()).id == 9
    stats = client.stream.stats["public-v2"]
    assert stats.decode_errors == 2 and stats.unrouted == 1  # bad JSON, bad shape; new topic
    assert "malformed frame skipped" in caplog.text


async def test_slow_consumer_depth_conflates_trades_overflow_others_unaffected(
    client: HashKeyClient, server: StreamServer
) -> None:
    books = client.stream.depth("BTCUSDT", queue_size=4)
    slow = client.stream.trades("ETHUSDT", queue_size=5)
    fast = client.stream.trades("ETHUSDT", queue_size=100)
    async with books, slow, fast:
        await server.wait_until(
            lambda: len(server.on(V2)) == 1 and len(server.on(V2)[0].subs()) == 2
        )
        conn = server.on(V2)[0]
        for t in range(1, 31):
            await conn.send(v2_depth("BTCUSDT", t))
        for i in range(1, 21):
            await conn.send(v2_trade("ETHUSDT", i))
        async with asyncio.timeout(2):
            assert [(await fast.get()).id for _ in range(20)] == list(range(1, 21))
            latest = await books.get()
            assert latest.time == 30 and len(books.queue) == 0  # conflated to the latest
            assert [(await slow.get()).id for _ in range(5)] == [1, 2, 3, 4, 5]
            with pytest.raises(StreamOverflowError) as info:
                await slow.get()
        assert info.value.dropped == 15 and slow.queue.dropped == 15
        assert books.queue.conflated == 29
        # The overflowing subscription keeps running after the error.
        await conn.send(v2_trade("ETHUSDT", 21))
        async with asyncio.timeout(2):
            assert (await slow.get()).id == 21
    assert client.stream.stats["public-v2"].drops == 0


# --- private stream ---------------------------------------------------------------------------


def _private(server: StreamServer) -> list[Any]:
    return [c for c in server.conns if c.path.startswith("/api/v1/ws/")]


async def _outage(events: Any) -> StreamGap:
    """A ``StreamDown`` at once, then the ``StreamGap`` of the same outage on recovery."""
    down = await events.get()
    assert isinstance(down, StreamDown), down
    gap = await events.get()
    assert isinstance(gap, StreamGap), gap
    assert down.started_at <= gap.started_at  # the gap's reason is the last failed attempt's
    return gap


async def test_private_pong_keepalive_schedule_and_delete_on_close(
    make_client: Callable[..., HashKeyClient], server: StreamServer
) -> None:
    server.private_ping_interval = 0.05
    client = make_client(listen_key_keepalive_interval=0.05)
    try:
        async with client.stream.user() as events:
            await server.wait_until(lambda: len(_private(server)) == 1)
            conn = _private(server)[0]
            assert conn.path == "/api/v1/ws/key1"
            await server.wait_until(
                lambda: any(m.get("pong") == 1748504490001 for m in conn.received)
            )
            await server.wait_until(lambda: server.rest_calls.count(("PUT", "key1")) >= 2)
            await conn.send([execution_report(2113879002607330816)])
            async with asyncio.timeout(2):
                event = await events.get()
            assert isinstance(event, ExecutionReport)
            assert event.order_id == 2113879002607330816 and event.price == Decimal("3150.11")
        await server.wait_until(lambda: ("DELETE", "key1") in server.rest_calls and conn.closed)
    finally:
        await client.close()
    assert server.rest_calls[0] == ("POST", None)


async def test_key_expiry_new_key_gap_event_stream_continues(
    client: HashKeyClient, server: StreamServer
) -> None:
    async with client.stream.user() as events:
        async with asyncio.timeout(2):
            await client.stream.wait_state("private", ConnectionState.OPEN)
        await server.wait_until(lambda: len(_private(server)) == 1)
        await server.expire_keys()
        await server.wait_until(lambda: len(server.live("/api/v1/ws/key2")) == 1)
        conn = server.live("/api/v1/ws/key2")[0]
        await conn.send([execution_report(42, "FILLED"), {"e": "somethingNew", "E": "1"}])
        async with asyncio.timeout(2):
            gap = await _outage(events)
            report = await events.get()
            unknown = await events.get()
        assert isinstance(gap, StreamGap) and gap.ended_at >= gap.started_at > 0
        assert "closed by server" in gap.reason
        assert isinstance(report, ExecutionReport) and report.status is OrderStatus.FILLED
        assert unknown == UnknownEvent("somethingNew", {"e": "somethingNew", "E": "1"})
        assert client.stream.listen_key == "key2"


async def test_keepalive_failure_renews_key_and_reconnects(
    make_client: Callable[..., HashKeyClient], server: StreamServer
) -> None:
    client = make_client(listen_key_keepalive_interval=0.05)
    try:
        async with client.stream.user() as events:
            await server.wait_until(lambda: len(_private(server)) == 1)
            server.fail_keepalive = True
            await server.wait_until(lambda: len(server.live("/api/v1/ws/key2")) == 1)
            server.fail_keepalive = False
            async with asyncio.timeout(2):
                gap = await _outage(events)
            assert isinstance(gap, StreamGap) and "keepalive failed" in gap.reason
            assert _private(server)[0].closed
    finally:
        await client.close()


async def test_private_overflow_becomes_a_gap_event(
    client: HashKeyClient, server: StreamServer
) -> None:
    slow_sub, fast_sub = client.stream.user(queue_size=2), client.stream.user()
    async with slow_sub as events, fast_sub as others:
        await server.wait_until(lambda: len(_private(server)) == 1)
        conn = _private(server)[0]
        await conn.send([execution_report(i) for i in range(1, 6)])
        async with asyncio.timeout(2):
            got = [await events.get() for _ in range(3)]
            await conn.send([execution_report(6)])
            assert [e.order_id for e in got[:2]] == [1, 2]  # type: ignore[union-attr]
            assert got[2] == StreamGap(got[2].started_at, got[2].ended_at, "overflow", 3)  # type: ignore[union-attr]
            assert (await events.get()).order_id == 6  # type: ignore[union-attr]
            # The other subscriber of the same connection lost nothing.
            assert [(await others.get()).order_id for _ in range(6)] == [1, 2, 3, 4, 5, 6]  # type: ignore[union-attr]
    assert slow_sub.queue.dropped == 3 and fast_sub.queue.dropped == 0
    assert len(_private(server)) == 1  # one shared private connection


async def test_user_stream_without_credentials_fails_fast(
    make_client: Callable[..., HashKeyClient], server: StreamServer
) -> None:
    client = make_client(api_key=None, api_secret=None)
    try:
        for _ in range(2):  # a second attempt fails the same way instead of hanging
            with pytest.raises(AuthenticationError):
                async with asyncio.timeout(2):
                    async for _ in client.stream.user():
                        pass
        assert server.rest_calls == []
    finally:
        await client.close()


async def test_close_cancels_every_task_and_closes_every_socket(
    make_client: Callable[..., HashKeyClient], server: StreamServer
) -> None:
    server.private_ping_interval = 0.05
    before = asyncio.all_tasks()
    client = make_client(listen_key_keepalive_interval=0.05)
    books = client.stream.depth("BTCUSDT")
    ticks = client.stream.ticker("BTCUSDT", version=1)
    user = client.stream.user()
    await books.__aenter__()
    await ticks.__aenter__()
    await user.__aenter__()
    await server.wait_until(lambda: len(server.live()) == 3)
    # The server accepting a socket does not mean the client finished its handshake: wait for
    # every endpoint to be OPEN on the client side too, so the close tears down open links.
    async with asyncio.timeout(3):
        for endpoint in ("public-v2", "public-v1", "private"):
            await client.stream.wait_state(endpoint, ConnectionState.OPEN)
    await client.close()
    await server.wait_until(lambda: not server.live())
    leftover = [
        t
        for t in asyncio.all_tasks() - before
        if not t.done() and not t.get_coro().__qualname__.startswith(_SERVER_SIDE)  # type: ignore[union-attr]
    ]
    assert leftover == []
    assert ("DELETE", "key1") in server.rest_calls
    with pytest.raises(StopAsyncIteration):
        await books.get()
    assert (
        dataclasses.asdict(client.stream.stats["private"])["connects"] == 1
    )  # counters stay readable


async def test_close_during_the_handshake_leaves_nothing_running(
    make_client: Callable[..., HashKeyClient], server: StreamServer
) -> None:
    release = asyncio.Event()
    server.hold_upgrades = release
    before = asyncio.all_tasks()
    client = make_client()
    books = client.stream.depth("BTCUSDT")
    user = client.stream.user()
    await books.__aenter__()
    await user.__aenter__()
    await server.wait_until(lambda: server.held == 2)  # both upgrades are in flight
    assert client.stream.state("public-v2") is ConnectionState.CONNECTING
    assert client.stream.state("private") is ConnectionState.CONNECTING
    async with asyncio.timeout(2):
        await client.close()
    assert client.stream.state("public-v2") is ConnectionState.CLOSED
    assert ("DELETE", "key1") in server.rest_calls  # the key made for the aborted link is gone
    release.set()
    await server.wait_until(lambda: not server.live())
    leftover = [
        t
        for t in asyncio.all_tasks() - before
        if not t.done() and not t.get_coro().__qualname__.startswith(_SERVER_SIDE)  # type: ignore[union-attr]
    ]
    assert leftover == []
    assert client.stream.stats["public-v2"].connects == 0
    with pytest.raises(StopAsyncIteration):
        await books.get()


async def test_private_abrupt_drop_reuses_key_then_renews_when_refused(
    client: HashKeyClient, server: StreamServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with client.stream.user() as events:
        await server.wait_until(lambda: len(_private(server)) == 1)
        _private(server)[0].abort()  # network blip: the key is still good
        await server.wait_until(lambda: len(server.live("/api/v1/ws/key1")) == 1)
        async with asyncio.timeout(2):
            first_gap = await _outage(events)
        assert isinstance(first_gap, StreamGap)
        server.keys.clear()  # now the key is gone and the socket drops again
        server.live("/api/v1/ws/key1")[0].abort()
        await server.wait_until(lambda: len(server.live("/api/v1/ws/key2")) == 1)
        async with asyncio.timeout(2):
            second_gap = await _outage(events)
        assert isinstance(second_gap, StreamGap) and second_gap.started_at >= first_gap.ended_at
    assert [m for m, _ in server.rest_calls].count("POST") == 2
    assert "key1" not in caplog.text and "key2" not in caplog.text  # the URL is never logged


async def test_replay_after_reconnect_is_paced(client: HashKeyClient, server: StreamServer) -> None:
    symbols = [f"SYM{i}USDT" for i in range(14)]
    subs = [client.stream.bbo(symbol) for symbol in symbols]
    for sub in subs:
        await sub.__aenter__()
    await server.wait_until(lambda: len(server.on(V2)) == 1 and len(server.on(V2)[0].subs()) == 14)
    arrivals: list[float] = []
    loop = asyncio.get_running_loop()

    def replayed() -> bool:
        conns = server.on(V2)
        if len(conns) == 2:
            arrivals.extend(loop.time() for _ in range(len(conns[1].subs()) - len(arrivals)))
        return len(arrivals) == 14

    server.on(V2)[0].abort()
    await server.wait_until(replayed)
    assert [m["params"]["symbol"] for m in server.on(V2)[1].subs()] == symbols
    # A burst of 10, then 20/s: the last 4 need at least ~0.2 s after the burst.
    assert arrivals[-1] - arrivals[0] >= 0.15
    for sub in subs:
        await sub.aclose()


async def test_silent_private_link_is_replaced_and_reported(
    make_client: Callable[..., HashKeyClient], server: StreamServer
) -> None:
    client = make_client(ws_ping_interval=0.05)
    try:
        async with client.stream.user() as events:
            await server.wait_until(lambda: len(_private(server)) == 1)
            server.answer_pings = False  # no server pings, no pongs: a half-open link
            await server.wait_until(lambda: len(_private(server)) == 2)
            server.answer_pings = True
            async with asyncio.timeout(2):
                gap = await _outage(events)
            assert isinstance(gap, StreamGap) and gap.reason.startswith("watchdog")
            assert client.stream.stats["private"].watchdog_kills >= 1
            assert client.stream.listen_key == "key1"  # the key was fine: reused
    finally:
        await client.close()


async def test_client_passes_stream_queue_size_and_reconnect_base_delay(
    make_client: Callable[..., HashKeyClient], server: StreamServer
) -> None:
    assert ClientConfig().stream_queue_size == DEFAULT_QUEUE_SIZE
    assert ClientConfig().reconnect_base_delay == DEFAULT_BASE_DELAY
    for bad in ({"stream_queue_size": 0}, {"stream_queue_size": 2.5}):
        with pytest.raises(InvalidParameterError) as info:
            make_client(**bad)
        assert info.value.field == "stream_queue_size"
    with pytest.raises(InvalidParameterError) as info:
        make_client(reconnect_base_delay=0)
    assert info.value.field == "reconnect_base_delay"
    # A tiny base delay under a large cap: three refused handshakes cost milliseconds, not seconds.
    server.reject_next = 3
    client = make_client(
        stream_queue_size=3,
        reconnect_base_delay=0.001,
        reconnect_max_delay=30.0,
        ws_ping_interval=1.0,  # no watchdog reconnect on a loaded machine
    )
    try:
        assert client.config.reconnect_base_delay == 0.001
        async with (
            client.stream.trades("BTCUSDT") as trades,
            client.stream.trades("BTCUSDT", queue_size=10) as roomy,
        ):
            async with asyncio.timeout(1.5):
                await client.stream.wait_state("public-v2", ConnectionState.OPEN)
            await server.wait_until(
                lambda: bool(server.live(V2)) and bool(server.live(V2)[0].subs())
            )
            for i in range(1, 6):
                await server.live(V2)[0].send(v2_trade("BTCUSDT", i))
            async with asyncio.timeout(2):
                assert [(await roomy.get()).id for _ in range(5)] == [1, 2, 3, 4, 5]
                assert [(await trades.get()).id for _ in range(3)] == [1, 2, 3]
                with pytest.raises(StreamOverflowError) as overflow:
                    await trades.get()
            assert overflow.value.dropped == 2 and trades.queue.maxsize == 3
        assert server.rejected == 3
    finally:
        await client.close()
