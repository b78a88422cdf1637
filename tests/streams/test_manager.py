"""``client.stream`` against the offline exchange: formats, sharing, faults, backpressure.

The exchange's market stands still (``conftest.QUIET``): frames come from subscription answers
and from what a test sends with ``send_raw``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from stream_frames import execution_report, v2_depth, v2_trade
from stream_wait import until

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
from hashkey_async.testing import OfflineExchange

#: Tasks of the exchange (aiohttp's request handlers, socket accepts, its hub).
_SERVER_SIDE = ("RequestHandler.", "StreamHub.", "BaseSelectorEventLoop._accept_connection")
OPEN = ConnectionState.OPEN


def _raw(frame: Any) -> str:
    return json.dumps(frame)


async def _outage(events: Any) -> StreamGap:
    """A ``StreamDown`` at once, then the ``StreamGap`` of the same outage on recovery."""
    down = await events.get()
    assert isinstance(down, StreamDown), down
    gap = await events.get()
    assert isinstance(gap, StreamGap), gap
    assert down.started_at <= gap.started_at  # the gap's reason is the last failed attempt's
    return gap


async def test_v2_subscribe_typed_data_and_cancel_when_another_remains(
    client: HashKeyClient, ex: OfflineExchange
) -> None:
    async with client.stream.depth("BTCUSDT") as books, client.stream.trades("ETHUSDT") as trades:
        await until(
            lambda: ex.subscriptions("v2") == [[("depth", "BTCUSDT", ""), ("trade", "ETHUSDT", "")]]
        )
        async with asyncio.timeout(2):
            snapshot = await books.get()  # the exchange answers a depth subscription at once
        assert snapshot.symbol == "BTCUSDT" and snapshot.bids[0].price < snapshot.asks[0].price
        await ex.send_raw(_raw(v2_depth("BTCUSDT", 1)), "v2")
        await ex.send_raw(_raw(v2_trade("ETHUSDT", 4645465192627367936)), "v2")
        async with asyncio.timeout(2):
            book = await books.get()
            trade = await trades.get()
        assert book.symbol == "BTCUSDT" and book.bids[0].price == Decimal("86962.98")
        assert book.asks[1].raw_price == "86963.00"
        assert trade.id == 4645465192627367936 and trade.price == Decimal("2974.53")
        await trades.close()
        # trades left: cancelled at the exchange, depth stays on the same connection.
        await until(lambda: ex.subscriptions("v2") == [[("depth", "BTCUSDT", "")]])
    await until(lambda: ex.hub.connections("v2") == [])  # depth was the last: the socket closed
    assert client.stream.state("public-v2") is ConnectionState.CLOSED
    assert client.stream.stats["public-v2"].connects == 1  # both shared one connection


async def test_v1_formats_kline_topic_and_array_data(
    client: HashKeyClient, ex: OfflineExchange
) -> None:
    klines = client.stream.klines("BTCUSDT", "1m", version=1)
    trades = client.stream.trades("BTCUSDT", version=1)
    async with klines, trades:
        await until(
            lambda: (
                ex.subscriptions("v1") == [[("kline", "BTCUSDT", "1m"), ("trade", "BTCUSDT", "")]]
            )
        )
        async with asyncio.timeout(2):
            candle = await klines.get()  # V1 answers with ``"f": true`` frames
            first, second = await trades.get(), await trades.get()
        assert candle.symbol == "BTCUSDT" and candle.low <= candle.close <= candle.high
        assert first.id < second.id  # V1 trade data is an array, delivered one by one
        await klines.close()
        await until(lambda: ex.subscriptions("v1") == [[("trade", "BTCUSDT", "")]])


async def test_bad_arguments_raise_before_any_io(
    client: HashKeyClient, ex: OfflineExchange
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
    assert ex.hub.connections() == [] and client.stream.stats == {}


async def test_breaking_out_of_the_loop_unsubscribes_and_closes(
    client: HashKeyClient, ex: OfflineExchange
) -> None:
    async def first_book() -> Any:
        async for book in client.stream.depth("BTCUSDT"):
            return book
        return None

    async with asyncio.timeout(2):
        book = await first_book()
    assert book.symbol == "BTCUSDT"
    await until(lambda: ex.hub.connections("v2") == [])


async def test_public_pings_and_abrupt_drop_reconnects_and_resubscribes(
    make_client: Callable[..., HashKeyClient], ex: OfflineExchange
) -> None:
    client = make_client(ws_ping_interval=0.05)
    states: list[tuple[str, ConnectionState]] = []
    client.stream.add_listener(lambda name, old, new: states.append((name, new)))
    try:
        async with client.stream.depth("BTCUSDT") as books:
            async with asyncio.timeout(2):
                await books.get()
            await until(lambda: client.stream.stats["public-v2"].pongs_received >= 1)
            first = ex.hub.connections("v2")
            assert await ex.drop_connections("v2") == 1
            await until(lambda: ex.hub.connections("v2") not in ([], first))
            await until(lambda: ex.subscriptions("v2") == [[("depth", "BTCUSDT", "")]])
            async with asyncio.timeout(2):
                await books.get()  # the resubscription's answer
        stats = client.stream.stats["public-v2"]
        assert stats.reconnects == 1 and stats.drops >= 1 and stats.pings_sent >= 1
        assert ("public-v2", ConnectionState.RECONNECTING) in states
        assert [s for _, s in states][-1] is ConnectionState.CLOSED
    finally:
        await client.close()


@pytest.mark.parametrize("code", [1000, 1001, 1011])
async def test_server_close_codes_reconnect(
    client: HashKeyClient, ex: OfflineExchange, code: int
) -> None:
    async with client.stream.bbo("BTCUSDT") as quotes:
        async with asyncio.timeout(2):
            await quotes.get()
        assert await ex.close_connections("v2", code=code) == 1
        await until(lambda: client.stream.stats["public-v2"].reconnects == 1)
        bbo = {"s": "BTCUSDT", "b": "1", "bz": "2", "a": "3", "az": "4", "t": 9}
        await until(lambda: ex.subscriptions("v2") == [[("bbo", "BTCUSDT", "")]])
        await ex.send_raw(_raw({"topic": "bbo", "params": {"symbol": "BTCUSDT"}, "data": bbo}))
        async with asyncio.timeout(2):
            while (quote := await quotes.get()).time != 9:
                pass  # the resubscription's answer comes first
        assert quote.ask_price == Decimal("3")
    assert f"code {code}" in client.stream.stats["public-v2"].last_drop_reason


async def test_handshake_failures_are_retried(client: HashKeyClient, ex: OfflineExchange) -> None:
    ex.reject_upgrades(3)
    states: list[ConnectionState] = []
    client.stream.add_listener(lambda name, old, new: states.append(new))
    async with client.stream.depth("BTCUSDT") as books:
        async with asyncio.timeout(3):
            await books.get()
    stats = client.stream.stats["public-v2"]
    assert stats.connect_failures == 3 and stats.connects == 1
    assert "HTTP 503" in stats.last_drop_reason or stats.drops == 0
    # CONNECTING (initial) -> RECONNECTING while refused -> OPEN -> CLOSED, no flapping.
    assert states == [ConnectionState.RECONNECTING, OPEN, ConnectionState.CLOSED]


async def test_restart_on_request_replays(client: HashKeyClient, ex: OfflineExchange) -> None:
    async with client.stream.depth("ETHUSDT", version=1) as books:
        async with asyncio.timeout(2):
            await books.get()
        first = ex.hub.connections("v1")
        client.stream.restart("public-v1")
        await until(lambda: ex.hub.connections("v1") not in ([], first))
        await until(lambda: ex.subscriptions("v1") == [[("depth", "ETHUSDT", "")]])
    assert client.stream.stats["public-v1"].last_drop_reason == "restart requested"


async def test_server_that_stops_answering_is_replaced_by_the_watchdog(
    make_client: Callable[..., HashKeyClient], ex: OfflineExchange
) -> None:
    client = make_client(ws_ping_interval=0.05)
    try:
        async with client.stream.trades("BTCUSDT") as trades:
            await until(
                lambda: bool(ex.subscriptions("v2")) and client.stream.state("public-v2") is OPEN
            )
            ex.stall()  # half-open: the socket stays up but nothing comes back
            await until(lambda: client.stream.stats["public-v2"].watchdog_kills >= 1)
            ex.stall(False)
            await until(lambda: ex.subscriptions("v2") == [[("trade", "BTCUSDT", "")]])
            await ex.send_raw(_raw(v2_trade("BTCUSDT", 5)), "v2")
            async with asyncio.timeout(2):
                assert (await trades.get()).id == 5
    finally:
        await client.close()


async def test_malformed_frame_is_logged_skipped_and_stream_continues(
    client: HashKeyClient, ex: OfflineExchange, caplog: pytest.LogCaptureFixture
) -> None:
    async with client.stream.trades("BTCUSDT") as trades:
        await until(lambda: ex.subscriptions("v2") == [[("trade", "BTCUSDT", "")]])
        await ex.send_raw('{"topic": "trade", "params": {"symbol": "BTC', "v2")
        await ex.send_raw(
            _raw({"topic": "trade", "params": {"symbol": "BTCUSDT"}, "data": {"v": "x"}}), "v2"
        )
        await ex.send_raw(
            _raw({"topic": "brand-new", "params": {"symbol": "BTCUSDT"}, "data": {}}), "v2"
        )
        await ex.send_raw(_raw(v2_trade("BTCUSDT", 9)), "v2")
        async with asyncio.timeout(2):
            assert (await trades.get()).id == 9
    stats = client.stream.stats["public-v2"]
    assert stats.decode_errors == 2 and stats.unrouted == 1  # bad JSON, bad shape; new topic
    assert "malformed frame skipped" in caplog.text


async def test_slow_consumer_depth_conflates_trades_overflow_others_unaffected(
    client: HashKeyClient, ex: OfflineExchange
) -> None:
    books = client.stream.depth("BTCUSDT", queue_size=4)
    slow = client.stream.trades("ETHUSDT", queue_size=5)
    fast = client.stream.trades("ETHUSDT", queue_size=100)
    async with books, slow, fast:
        await until(lambda: len(ex.subscriptions("v2")[:1] and ex.subscriptions("v2")[0]) == 2)
        await until(lambda: len(books.queue) == 1)  # the subscription's answer, unread
        for t in range(1, 31):
            await ex.send_raw(_raw(v2_depth("BTCUSDT", t)), "v2")
        for i in range(1, 21):
            await ex.send_raw(_raw(v2_trade("ETHUSDT", i)), "v2")
        async with asyncio.timeout(2):
            assert [(await fast.get()).id for _ in range(20)] == list(range(1, 21))
            latest = await books.get()
            assert latest.time == 30 and len(books.queue) == 0  # conflated to the latest
            assert [(await slow.get()).id for _ in range(5)] == [1, 2, 3, 4, 5]
            with pytest.raises(StreamOverflowError) as info:
                await slow.get()
        assert info.value.dropped == 15 and slow.queue.dropped == 15
        assert books.queue.conflated == 30  # the answer and 29 frames replaced by the latest
        # The overflowing subscription keeps running after the error.
        await ex.send_raw(_raw(v2_trade("ETHUSDT", 21)), "v2")
        async with asyncio.timeout(2):
            assert (await slow.get()).id == 21
    assert client.stream.stats["public-v2"].drops == 0


# --- private stream ---------------------------------------------------------------------------


async def test_key_expiry_new_key_gap_event_unknown_events(
    client: HashKeyClient, ex: OfflineExchange
) -> None:
    async with client.stream.user() as events:
        async with asyncio.timeout(2):
            await client.stream.wait_state("private", OPEN)
        key = client.stream.listen_key
        await ex.expire_listen_keys()
        async with asyncio.timeout(3):
            gap = await _outage(events)
        assert gap.ended_at >= gap.started_at > 0 and "closed by server" in gap.reason
        assert client.stream.listen_key not in (None, key)
        frame = [execution_report(42, "FILLED"), {"e": "somethingNew", "E": "1"}]
        assert await ex.send_raw(_raw(frame), "private") == 1
        async with asyncio.timeout(2):
            report = await events.get()
            unknown = await events.get()
        assert isinstance(report, ExecutionReport) and report.status is OrderStatus.FILLED
        assert unknown == UnknownEvent("somethingNew", {"e": "somethingNew", "E": "1"})


async def test_keepalive_refused_for_a_passing_reason_keeps_key_and_link(
    make_client: Callable[..., HashKeyClient], ex: OfflineExchange
) -> None:
    client = make_client(listen_key_keepalive_interval=0.05)
    try:
        async with client.stream.user() as events:
            async with asyncio.timeout(2):
                await client.stream.wait_state("private", OPEN)
            key = client.stream.listen_key
            ex.rate_limit_storm(1)  # the next keepalive is answered 429
            await until(lambda: ex.faults.rate_limit_storm == 0)
            assert client.stream.listen_key == key and client.stream.state("private") is OPEN
            assert client.stream.stats["private"].drops == 0 and len(events.queue) == 0
    finally:
        await client.close()


async def test_private_overflow_becomes_a_gap_event(
    client: HashKeyClient, ex: OfflineExchange
) -> None:
    slow_sub, fast_sub = client.stream.user(queue_size=2), client.stream.user()
    async with slow_sub as events, fast_sub as others:
        async with asyncio.timeout(2):
            await client.stream.wait_state("private", OPEN)
        await ex.send_raw(_raw([execution_report(i) for i in range(1, 6)]), "private")
        async with asyncio.timeout(2):
            got = [await events.get() for _ in range(3)]
            await ex.send_raw(_raw([execution_report(6)]), "private")
            assert [e.order_id for e in got[:2]] == [1, 2]  # type: ignore[union-attr]
            assert got[2] == StreamGap(got[2].started_at, got[2].ended_at, "overflow", 3)  # type: ignore[union-attr]
            assert (await events.get()).order_id == 6  # type: ignore[union-attr]
            # The other subscriber of the same connection lost nothing.
            assert [(await others.get()).order_id for _ in range(6)] == [1, 2, 3, 4, 5, 6]  # type: ignore[union-attr]
    assert slow_sub.queue.dropped == 3 and fast_sub.queue.dropped == 0
    assert client.stream.stats["private"].connects == 1  # one shared private connection


async def test_user_stream_without_credentials_fails_fast(
    make_client: Callable[..., HashKeyClient], ex: OfflineExchange
) -> None:
    client = make_client(api_key=None, api_secret=None)
    try:
        for _ in range(2):  # a second attempt fails the same way instead of hanging
            with pytest.raises(AuthenticationError):
                async with asyncio.timeout(2):
                    async for _ in client.stream.user():
                        pass
        assert ex.hub.connections() == [] and ex.engine.listen_keys.owner("", ex.now_ms()) is None
    finally:
        await client.close()


def _leftover(before: set[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    return [
        t
        for t in asyncio.all_tasks() - before
        if not t.done() and not t.get_coro().__qualname__.startswith(_SERVER_SIDE)  # type: ignore[union-attr]
    ]


async def test_close_cancels_every_task_and_closes_every_socket(
    make_client: Callable[..., HashKeyClient], ex: OfflineExchange
) -> None:
    before = asyncio.all_tasks()
    client = make_client(listen_key_keepalive_interval=0.05)
    books = client.stream.depth("BTCUSDT")
    ticks = client.stream.ticker("BTCUSDT", version=1)
    user = client.stream.user()
    await books.__aenter__()
    await ticks.__aenter__()
    await user.__aenter__()
    async with asyncio.timeout(3):
        for endpoint in ("public-v2", "public-v1", "private"):
            await client.stream.wait_state(endpoint, OPEN)
    key = client.stream.listen_key
    assert key is not None and len(ex.hub.connections()) == 3
    await client.close()
    await until(lambda: ex.hub.connections() == [])
    assert _leftover(before) == []
    assert ex.engine.listen_keys.owner(key, ex.now_ms()) is None  # deleted
    with pytest.raises(StopAsyncIteration):
        async with asyncio.timeout(2):
            while True:  # what was queued drains, then the iterator ends
                await books.get()
    assert dataclasses.asdict(client.stream.stats["private"])["connects"] == 1  # still readable


async def test_close_during_the_handshake_leaves_nothing_running(ex: OfflineExchange) -> None:
    # A listener that accepts TCP and never answers: every WebSocket handshake hangs there,
    # while REST (the listenKey) goes to the exchange.
    accepted = asyncio.Event()
    writers: list[asyncio.StreamWriter] = []

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        if len(writers) == 2:
            accepted.set()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    before = asyncio.all_tasks()
    client = HashKeyClient(
        ex.api_key,
        ex.api_secret,
        base_url=ex.rest_url,
        stream_url=f"ws://127.0.0.1:{port}",
        query_rate=1000,
    )
    try:
        books = client.stream.depth("BTCUSDT")
        user = client.stream.user()
        await books.__aenter__()
        await user.__aenter__()
        async with asyncio.timeout(3):
            await accepted.wait()  # both upgrades are in flight
        key = client.stream.listen_key
        assert client.stream.state("public-v2") is ConnectionState.CONNECTING
        assert client.stream.state("private") is ConnectionState.CONNECTING
        async with asyncio.timeout(2):
            await client.close()
        assert client.stream.state("public-v2") is ConnectionState.CLOSED
        assert key is not None and ex.engine.listen_keys.owner(key, ex.now_ms()) is None
        assert _leftover(before) == []
        assert client.stream.stats["public-v2"].connects == 0
        with pytest.raises(StopAsyncIteration):
            await books.get()
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_private_abrupt_drop_reuses_key_then_renews_when_refused(
    client: HashKeyClient, ex: OfflineExchange, caplog: pytest.LogCaptureFixture
) -> None:
    async with client.stream.user() as events:
        async with asyncio.timeout(2):
            await client.stream.wait_state("private", OPEN)
        key = client.stream.listen_key
        assert key is not None
        assert await ex.drop_connections("private") == 1  # network blip: the key is still good
        async with asyncio.timeout(3):
            first_gap = await _outage(events)
        assert client.stream.listen_key == key
        await ex.expire_listen_keys()  # now the key is gone and the server hangs up
        async with asyncio.timeout(3):
            second_gap = await _outage(events)
        assert second_gap.started_at >= first_gap.ended_at
        assert client.stream.listen_key not in (None, key)
        new_key = client.stream.listen_key
    assert key not in caplog.text and str(new_key) not in caplog.text  # the URL is never logged


async def test_replay_after_reconnect_is_paced(client: HashKeyClient, ex: OfflineExchange) -> None:
    symbols = [f"SYM{i}USDT" for i in range(14)]
    async with OfflineExchange(market_interval=3600.0, symbols=tuple(symbols)) as many:
        quiet = many.client(ws_ping_interval=1.0, reconnect_max_delay=0.05, query_rate=1000)
        subs = [quiet.stream.bbo(symbol) for symbol in symbols]
        async with quiet:
            for sub in subs:
                await sub.__aenter__()
            async with asyncio.timeout(3):
                for sub in subs:
                    await sub.get()  # every subscription answered once
            loop = asyncio.get_running_loop()
            assert await many.drop_connections("v2") == 1
            arrivals = []
            async with asyncio.timeout(3):
                for sub in subs:  # the replay is in subscription order: answers come in turn
                    await sub.get()
                    arrivals.append(loop.time())
            assert [k[1] for k in many.subscriptions("v2")[0]] == symbols
            # A burst of 10, then 20/s: the last 4 need at least ~0.2 s after the burst.
            assert arrivals[-1] - arrivals[0] >= 0.15
            for sub in subs:
                await sub.aclose()  # the alias of close()


async def test_silent_private_link_is_replaced_and_reported(
    make_client: Callable[..., HashKeyClient], ex: OfflineExchange
) -> None:
    client = make_client(ws_ping_interval=0.05)
    try:
        async with client.stream.user() as events:
            async with asyncio.timeout(2):
                await client.stream.wait_state("private", OPEN)
            key = client.stream.listen_key
            ex.stall()  # no server pings, no pongs: a half-open link
            await until(lambda: client.stream.stats["private"].watchdog_kills >= 1)
            ex.stall(False)
            async with asyncio.timeout(3):
                gap = await _outage(events)
            assert gap.reason.startswith("watchdog")
            assert client.stream.listen_key == key  # the key was fine: reused
    finally:
        await client.close()


async def test_client_passes_stream_queue_size_and_reconnect_base_delay(
    make_client: Callable[..., HashKeyClient], ex: OfflineExchange
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
    ex.reject_upgrades(3)
    client = make_client(stream_queue_size=3, reconnect_base_delay=0.001, reconnect_max_delay=30.0)
    try:
        assert client.config.reconnect_base_delay == 0.001
        async with (
            client.stream.trades("BTCUSDT") as trades,
            client.stream.trades("BTCUSDT", queue_size=10) as roomy,
        ):
            async with asyncio.timeout(1.5):
                await client.stream.wait_state("public-v2", OPEN)
            await until(lambda: ex.subscriptions("v2") == [[("trade", "BTCUSDT", "")]])
            for i in range(1, 6):
                await ex.send_raw(_raw(v2_trade("BTCUSDT", i)), "v2")
            async with asyncio.timeout(2):
                assert [(await roomy.get()).id for _ in range(5)] == [1, 2, 3, 4, 5]
                assert [(await trades.get()).id for _ in range(3)] == [1, 2, 3]
                with pytest.raises(StreamOverflowError) as overflow:
                    await trades.get()
            assert overflow.value.dropped == 2 and trades.queue.maxsize == 3
        assert client.stream.stats["public-v2"].connect_failures == 3
    finally:
        await client.close()
