"""``client.stream`` end to end against the offline exchange and its fault switches."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from hashkey_async import (
    AccountUpdate,
    DepthUpdate,
    ExecutionReport,
    HashKeyClient,
    KlineUpdate,
    OrderStatus,
    OrderType,
    RateLimitError,
    Side,
    StreamDown,
    StreamGap,
    TimeInForce,
)
from hashkey_async.ratelimit import Bucket
from hashkey_async.streams.connection import ConnectionState
from hashkey_async.testing import OfflineExchange

OPEN, RECONNECTING = ConnectionState.OPEN, ConnectionState.RECONNECTING

FAST: dict[str, Any] = {"market_interval": 0.02, "private_ping_interval": 0.1}


@pytest.fixture
async def ex() -> AsyncIterator[OfflineExchange]:
    """An offline exchange with fast market ticks and private pings."""
    async with OfflineExchange(**FAST) as exchange:
        yield exchange


@pytest.fixture
async def client(ex: OfflineExchange) -> AsyncIterator[HashKeyClient]:
    """A client with test-sized heartbeat and reconnect settings."""
    c = ex.client(ws_ping_interval=0.1, reconnect_max_delay=0.05, query_rate=1000)
    yield c
    await c.close()


class States:
    """Connection state changes of one client, in order, to wait on."""

    def __init__(self, client: HashKeyClient) -> None:
        self.seen: asyncio.Queue[tuple[str, ConnectionState]] = asyncio.Queue()
        client.stream.add_listener(lambda name, old, new: self.seen.put_nowait((name, new)))

    async def reach(self, endpoint: str, *states: ConnectionState) -> None:
        """Wait until ``endpoint`` went through ``states`` in this order."""
        async with asyncio.timeout(3):
            for state in states:
                while await self.seen.get() != (endpoint, state):
                    pass


async def _outage(events: Any) -> StreamGap:
    """A ``StreamDown`` at once, then the ``StreamGap`` of the same outage on recovery."""
    down = await events.get()
    assert isinstance(down, StreamDown), down
    gap = await events.get()
    assert isinstance(gap, StreamGap), gap
    assert down.started_at <= gap.started_at  # the gap's reason is the last failed attempt's
    return gap


async def test_live_feeds_v2_depth_and_v1_klines(client: HashKeyClient) -> None:
    async with asyncio.timeout(3):
        async for book in client.stream.depth("BTCUSDT"):
            assert isinstance(book, DepthUpdate) and book.symbol == "BTCUSDT"
            assert book.bids[0].price < book.asks[0].price
            break
        async for candle in client.stream.klines("ETHUSDT", "1m", version=1):
            assert isinstance(candle, KlineUpdate) and candle.symbol == "ETHUSDT"
            assert candle.low <= candle.close <= candle.high
            break


async def test_live_feeds_every_other_topic(client: HashKeyClient) -> None:
    subs = (
        client.stream.ticker("BTCUSDT", version=1),
        client.stream.ticker("ETHUSDT"),
        client.stream.klines("BTCUSDT", "5m"),
        client.stream.trades("BTCUSDT", version=1),
        client.stream.depth("ETHUSDT", version=1),
    )
    async with asyncio.timeout(5):
        for sub in subs:
            async with sub:
                item = await sub.get()
                assert getattr(item, "symbol", "BTCUSDT") in ("BTCUSDT", "ETHUSDT")
    v1, v2 = client.stream.stats["public-v1"], client.stream.stats["public-v2"]
    assert v1.decode_errors == v2.decode_errors == 0  # every frame the exchange sent decoded


async def test_drop_reconnects_and_resubscribes(ex: OfflineExchange, client: HashKeyClient) -> None:
    states = States(client)
    async with client.stream.depth("BTCUSDT") as books:
        async with asyncio.timeout(3):
            await books.get()
        assert await ex.drop_connections("public") == 1
        await states.reach("public-v2", RECONNECTING, OPEN)
        async with asyncio.timeout(3):
            await books.get()  # the resubscription answers with a fresh snapshot
        stats = client.stream.stats["public-v2"]
        assert stats.drops == 1 and stats.reconnects == 1


async def test_stall_triggers_the_watchdog(ex: OfflineExchange, client: HashKeyClient) -> None:
    states = States(client)
    async with client.stream.trades("BTCUSDT") as trades:
        await states.reach("public-v2", OPEN)
        ex.stall()
        await states.reach("public-v2", RECONNECTING)
        assert client.stream.stats["public-v2"].watchdog_kills == 1
        ex.stall(False)
        async with asyncio.timeout(5):
            trade = await trades.get()
        assert trade.price > 0


async def test_malformed_frame_skipped(ex: OfflineExchange, client: HashKeyClient) -> None:
    states = States(client)
    async with client.stream.trades("BTCUSDT") as trades:
        await states.reach("public-v2", OPEN)
        assert await ex.send_raw('{"topic": "trade", "data": [', "v2") == 1
        marker = (
            '{"topic":"trade","params":{"symbol":"BTCUSDT"},'
            '"data":{"v":"42","t":1,"p":"1.5","q":"2","m":true}}'
        )
        await ex.send_raw(marker, "v2")
        async with asyncio.timeout(3):
            while (trade := await trades.get()).id != 42:
                pass  # live trades may come first; none is conflated away
        assert trade.price == Decimal("1.5") and trade.is_maker
        assert client.stream.stats["public-v2"].decode_errors == 1


async def test_private_events_pongs_and_key_expiry_gap(
    ex: OfflineExchange, client: HashKeyClient
) -> None:
    states = States(client)
    async with client.stream.user() as events:
        await states.reach("private", OPEN)
        key = client.stream.listen_key
        order = await client.spot.create_order(
            "BTCUSDT", "BUY", "LIMIT", quantity="0.01", price="1000"
        )
        async with asyncio.timeout(3):
            report = await events.get()
            account = await events.get()
        assert isinstance(report, ExecutionReport) and report.order_id == order.order_id
        assert report.price == Decimal("1000") and report.status is OrderStatus.NEW
        assert (report.side, report.order_type, report.time_in_force) == (
            Side.BUY,
            OrderType.LIMIT,
            TimeInForce.GTC,
        )
        assert isinstance(report.side, Side) and isinstance(report.time_in_force, TimeInForce)
        assert isinstance(account, AccountUpdate)
        await ex.expire_listen_keys()
        async with asyncio.timeout(3):
            gap = await _outage(events)
        assert isinstance(gap, StreamGap) and gap.ended_at >= gap.started_at
        assert client.stream.listen_key not in (None, key)
        await client.spot.cancel_order(order_id=order.order_id)
        async with asyncio.timeout(3):
            cancelled = await events.get()
        assert isinstance(cancelled, ExecutionReport) and cancelled.status is OrderStatus.CANCELED


async def test_keepalive_schedule_extends_the_key_at_the_exchange() -> None:
    ttl = 0.6
    # Heartbeats far slower than the TTL: a loaded machine must not trip either side's
    # liveness check, which would reconnect and hide what this test looks at.
    settings = {**FAST, "private_ping_interval": 1.0, "listen_key_ttl": ttl, "query_rate": 1000}
    async with OfflineExchange(**settings) as ex:
        options: dict[str, Any] = {
            "ws_ping_interval": 1.0,
            "reconnect_max_delay": 0.05,
            "query_rate": 1000,
        }
        kept = ex.client(listen_key_keepalive_interval=0.05, **options)
        lapsing = ex.client(listen_key_keepalive_interval=30.0, **options)  # the control
        try:
            kept_states, lapsing_states = States(kept), States(lapsing)
            async with kept.stream.user() as kept_events, lapsing.stream.user() as lapsing_events:
                await kept_states.reach("private", OPEN)
                await lapsing_states.reach("private", OPEN)
                key = kept.stream.listen_key
                assert key is not None
                opened_ms = ex.now_ms()
                # Without keepalives the exchange drops the key TTL after its creation: the
                # control client's stream is closed by the exchange and reports the gap.
                async with asyncio.timeout(3):
                    gap = await _outage(lapsing_events)
                assert isinstance(gap, StreamGap) and "closed by server" in gap.reason
                # Let two TTLs pass on the exchange's clock (its depth frames carry it).
                async with asyncio.timeout(5):
                    async for book in kept.stream.depth("BTCUSDT"):
                        if book.time >= opened_ms + 2 * ttl * 1000:
                            break
                # The kept key outlived two TTLs: every keepalive pushed its expiry forward.
                assert ex.engine.listen_keys.owner(key, ex.now_ms()) == ex.api_key
                assert kept.stream.listen_key == key
                assert kept.stream.state("private") is OPEN
                stats = kept.stream.stats["private"]
                assert stats.connects == 1 and stats.reconnects == 0 and stats.drops == 0
                assert len(kept_events.queue) == 0  # no gap event: the stream never broke
        finally:
            await kept.close()
            await lapsing.close()
        assert ex.engine.listen_keys.owner(key) is None  # deleted on close


async def test_v1_trades_resubscription_snapshot_delivers_no_trade_twice(
    ex: OfflineExchange,
) -> None:
    # A slow heartbeat: only the drop below may reconnect, not a watchdog on a loaded machine.
    client = ex.client(ws_ping_interval=1.0, reconnect_max_delay=0.05, query_rate=1000)
    states = States(client)
    ids: list[int] = []
    async with client, client.stream.trades("BTCUSDT", version=1) as trades:
        async with asyncio.timeout(3):
            while len(ids) < 70:  # the subscription snapshot (60 trades), then live ones
                ids.append((await trades.get()).id)
        assert await ex.drop_connections("v1") == 1
        await states.reach("public-v1", RECONNECTING, OPEN)
        # The replayed subscription is answered with the latest 60 trades again.
        async with asyncio.timeout(3):
            while len(ids) < 100:
                ids.append((await trades.get()).id)
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)  # nothing replayed out of order either
    assert client.stream.stats["public-v1"].reconnects == 1


# --- healing ------------------------------------------------------------------------------


async def _book_after(books: Any, ms: int) -> DepthUpdate:
    """The first book the exchange made after its clock read ``ms``."""
    while (book := await books.get()).time <= ms:
        pass
    return book  # type: ignore[no-any-return]


async def test_cadence_stall_is_detected_in_seconds_with_the_default_ping_interval(
    ex: OfflineExchange,
) -> None:
    # Default heartbeat (10 s ping: the ping rule alone would take 20 s) and reconnect settings.
    client = ex.client(query_rate=1000)
    states = States(client)
    loop = asyncio.get_running_loop()
    async with client, client.stream.depth("BTCUSDT") as books:
        async with asyncio.timeout(3):
            first = await books.get()
            await _book_after(books, first.time + 1500)  # the link showed a steady cadence
        ex.stall()
        stalled_at = loop.time()
        await states.reach("public-v2", RECONNECTING)
        assert loop.time() - stalled_at < 3.0
        stats = client.stream.stats["public-v2"]
        assert stats.watchdog_kills == 1 and "no data" in stats.last_drop_reason
        await states.reach("public-v2", OPEN)  # the first retry is immediate
        ex.stall(False)
        ended_at, ended_ms = loop.time(), ex.now_ms()
        async with asyncio.timeout(3):
            await _book_after(books, ended_ms)
        assert loop.time() - ended_at < 2.0
        assert client.stream.stats["public-v2"].reconnects == 1


async def test_repeated_drops_heal_in_seconds_each_time(ex: OfflineExchange) -> None:
    # Default schedule (base 0.5 s, cap 30 s). Each drop follows a link that resubscribed and
    # delivered data, so every retry is a first retry: no climb towards the cap.
    client = ex.client(query_rate=1000)
    states = States(client)
    loop = asyncio.get_running_loop()
    heal_times = []
    async with client, client.stream.depth("BTCUSDT") as books:
        async with asyncio.timeout(3):
            await books.get()
        for _ in range(6):
            dropped_at, dropped_ms = loop.time(), ex.now_ms()
            assert await ex.drop_connections("v2") == 1
            async with asyncio.timeout(3):
                await _book_after(books, dropped_ms)
            heal_times.append(loop.time() - dropped_at)
            await states.reach("public-v2", RECONNECTING, OPEN)
    assert max(heal_times) < 2.0, heal_times
    assert client.stream.stats["public-v2"].reconnects == 6


# --- the private stream has priority -------------------------------------------------------


async def _recovers_promptly(ex: OfflineExchange, client: HashKeyClient, events: Any) -> None:
    """Expire the key: ``StreamDown`` at once, a new key and the ``StreamGap`` within 2 s."""
    loop = asyncio.get_running_loop()
    key = client.stream.listen_key
    expired_at = loop.time()
    await ex.expire_listen_keys()
    async with asyncio.timeout(3):
        down = await events.get()
        down_after = loop.time() - expired_at
        gap = await events.get()
    assert isinstance(down, StreamDown) and isinstance(gap, StreamGap)
    assert down_after < 1.0 and loop.time() - expired_at < 2.0
    assert client.stream.listen_key not in (None, key)


async def test_queued_or_suspended_queries_never_keep_the_private_stream_down() -> None:
    # The reference's 2 queries/s at the exchange and in the client's limiter.
    async with OfflineExchange(**FAST) as ex:
        client = ex.client(ws_ping_interval=1.0, reconnect_max_delay=0.05)
        states = States(client)
        async with client, client.stream.user() as events:
            await states.reach("private", OPEN)
            # A burst: 20 queries queue in the query bucket for ~10 s.
            burst = [asyncio.create_task(client.account.types()) for _ in range(20)]
            await _recovers_promptly(ex, client, events)
            assert sum(not task.done() for task in burst) >= 10  # still queued meanwhile
            for task in burst:
                task.cancel()
            await asyncio.gather(*burst, return_exceptions=True)
            # A 429 on a query call suspends the query bucket for a minute.
            ex.rate_limit_storm(1)
            with pytest.raises(RateLimitError):
                await client.account.types()
            with pytest.raises(RateLimitError):
                client.limiter.check(Bucket.QUERY)
            await _recovers_promptly(ex, client, events)
            with pytest.raises(RateLimitError):  # recovered while queries were still suspended
                client.limiter.check(Bucket.QUERY)
            report = await client.spot.create_order(
                "BTCUSDT", "BUY", "LIMIT", quantity="0.01", price="1000"
            )
            async with asyncio.timeout(3):
                event = await events.get()
            assert isinstance(event, ExecutionReport) and event.order_id == report.order_id


# --- sharding and the session -------------------------------------------------------------

SYMBOLS = tuple(f"C{i}USDT" for i in range(6))


async def test_subscriptions_spread_over_shards_and_a_drop_touches_only_its_share() -> None:
    async with OfflineExchange(symbols=SYMBOLS, market_interval=0.05) as ex:
        client = ex.client(ws_ping_interval=1.0, query_rate=1000, stream_max_per_connection=2)
        states = States(client)
        async with client, contextlib.AsyncExitStack() as stack:
            books = [await stack.enter_async_context(client.stream.depth(s)) for s in SYMBOLS]
            async with asyncio.timeout(3):
                for sub in books:
                    await sub.get()
            assert client.stream.connections("public-v2") == 3
            before = ex.hub.connections("v2")
            assert len(before) == 3 and client.stream.state("public-v2") is OPEN
            # The oldest connection carries the first two symbols; drop only it.
            assert await ex.drop_connections("v2", count=1) == 1
            await states.reach("public-v2", RECONNECTING, OPEN)
            after = ex.hub.connections("v2")
            assert after[:2] == before[1:] and len(after) == 3  # the other two never dropped
            dropped_ms = ex.now_ms()
            async with asyncio.timeout(3):
                for sub in books:  # every symbol flows again, the dropped share included
                    await _book_after(sub, dropped_ms)
            stats = client.stream.stats["public-v2"]
            assert stats.drops == 1 and stats.reconnects == 1 and stats.connects == 3
            # Leaving empties a shard: it closes; a new subscription fills the room it left.
            await books[0].close()
            await books[1].close()
            assert client.stream.connections("public-v2") == 2
            extra = await stack.enter_async_context(client.stream.trades(SYMBOLS[0]))
            assert client.stream.connections("public-v2") == 3
            async with asyncio.timeout(3):
                await extra.get()
        assert client.stream.stats["public-v2"].connects == 4  # kept across closed shards


async def test_a_session_passed_to_the_client_serves_the_streams(ex: OfflineExchange) -> None:
    seen: list[str] = []

    async def on_request_start(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        seen.append(params.url.path)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        client = ex.client(session=session, ws_ping_interval=1.0, query_rate=1000)
        async with client, client.stream.depth("BTCUSDT") as books:
            async with asyncio.timeout(3):
                await books.get()
        assert "/quote/ws/v2" in seen
        assert not session.closed  # the caller's session outlives the client
