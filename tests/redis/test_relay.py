"""The market-data relay against a real redis-server and the offline exchange's streams."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from redis.asyncio import Redis
from redis_server import RedisServer

from hashkey_async import HashKeyClient
from hashkey_async.errors import InvalidParameterError, StreamOverflowError
from hashkey_async.models.common import Level
from hashkey_async.models.stream import DepthUpdate, StreamGap, TradeUpdate
from hashkey_async.relay import RedisStreams, parse_topic, run_relay
from hashkey_async.relay.topics import MESSAGE_FIELD, decode_entry, encode_message
from hashkey_async.streams.subscription import Subscription
from hashkey_async.testing import OfflineExchange

pytestmark = pytest.mark.timeout(30)

TOPICS = ["trade:BTCUSDT", "depth:BTCUSDT"]


@dataclass
class Relay:
    exchange: OfflineExchange
    url: str
    direct: HashKeyClient


@pytest.fixture
async def relay(redis_server: RedisServer) -> AsyncIterator[Relay]:
    async with OfflineExchange(market_interval=0.02) as ex:
        publisher_client = ex.client()
        direct = ex.client()
        redis = Redis.from_url(redis_server.url)
        started = asyncio.Event()
        task = asyncio.create_task(run_relay(redis, TOPICS, publisher_client, started=started))
        try:
            await asyncio.wait_for(started.wait(), 10)
            yield Relay(ex, redis_server.url, direct)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await publisher_client.close()
            await direct.close()
            await redis.aclose()


async def take(sub: Subscription[Any], count: int) -> list[Any]:
    return [await asyncio.wait_for(sub.get(), 10) for _ in range(count)]


def test_topic_specs_are_checked() -> None:
    assert parse_topic("kline:BTCUSDT:1m").key() == "hashkey_async:relay:kline:BTCUSDT:1m"
    for bad in ("trades:BTCUSDT", "depth", "kline:BTCUSDT", "kline:BTCUSDT:7m", "depth::"):
        with pytest.raises(InvalidParameterError, match="topic"):
            parse_topic(bad)


def test_entries_keep_decimals_exact() -> None:
    trade = TradeUpdate(7, 1, Decimal("60000.10"), Decimal("0.00012300"))
    back = decode_entry("trade", {MESSAGE_FIELD: encode_message(trade)})
    assert back == trade and str(back.price) == "60000.10" and str(back.quantity) == "0.00012300"


async def test_consumers_get_what_a_direct_stream_delivers_in_the_same_order(relay: Relay) -> None:
    async with relay.direct.stream.trades("BTCUSDT") as direct:
        await take(direct, 1)
        one, two = RedisStreams(relay.url), RedisStreams(relay.url)
        async with one, two, one.trades("BTCUSDT") as a, two.trades("BTCUSDT") as b:
            got_a, got_b = await take(a, 15), await take(b, 15)
        assert got_a == got_b
        assert all(type(t) is TradeUpdate for t in got_a)
        seen = await take(direct, 1)
        while seen[-1].id < got_a[-1].id:
            seen += await take(direct, 1)
    start = next(i for i, t in enumerate(seen) if t.id == got_a[0].id)
    assert seen[start : start + 15] == got_a


async def test_depth_arrives_typed_with_exact_levels(relay: Relay) -> None:
    async with RedisStreams(relay.url) as streams, streams.depth("BTCUSDT") as depth:
        book = await asyncio.wait_for(depth.get(), 10)
    assert type(book) is DepthUpdate and book.symbol == "BTCUSDT"
    assert book.bids and type(book.bids[0]) is Level


async def test_relay_outage_reaches_consumers_as_a_gap(relay: Relay) -> None:
    async with RedisStreams(relay.url) as streams, streams.trades("BTCUSDT") as trades:
        await take(trades, 1)
        assert await relay.exchange.drop_connections("public") >= 1
        while not isinstance(item := await asyncio.wait_for(trades.get(), 10), StreamGap):
            assert type(item) is TradeUpdate
        assert item.ended_at >= item.started_at
        assert type(await asyncio.wait_for(trades.get(), 10)) is TradeUpdate  # and it goes on


async def test_restarted_consumer_resumes_without_repeats(relay: Relay) -> None:
    async with RedisStreams(relay.url) as reference, reference.trades("BTCUSDT") as ref:
        async with RedisStreams(relay.url, name="worker") as first, first.trades("BTCUSDT") as sub:
            before = await take(sub, 5)
        seen = await take(ref, 8)  # the "process" is gone; trades keep coming
        async with RedisStreams(relay.url, name="worker") as again, again.trades("BTCUSDT") as sub:
            after = await take(sub, 5)
        while seen[-1].id < after[-1].id:
            seen += await take(ref, 1)
    start = next(i for i, t in enumerate(seen) if t.id == before[0].id)
    # exactly the next entries: nothing repeated, nothing skipped
    assert seen[start : start + 10] == before + after


async def test_consumer_reconnects_and_resumes_where_it_was(
    relay: Relay, redis_server: RedisServer
) -> None:
    victim = Redis.from_url(relay.url, client_name="victim")
    admin = Redis.from_url(relay.url)
    try:
        async with RedisStreams(relay.url) as reference, reference.trades("BTCUSDT") as ref:
            streams = RedisStreams(victim, retry_delay=0.05)
            async with streams, streams.trades("BTCUSDT") as sub:
                got = await take(sub, 3)
                killed = 0
                for client in await admin.client_list():
                    if client.get("name") == "victim":
                        killed += await admin.client_kill_filter(_id=client["id"])
                assert killed >= 1
                got += await take(sub, 10)
            seen = await take(ref, 1)
            while seen[-1].id < got[-1].id:
                seen += await take(ref, 1)
    finally:
        await victim.aclose()
        await admin.aclose()
    start = next(i for i, t in enumerate(seen) if t.id == got[0].id)
    assert seen[start : start + 13] == got  # across the reconnect: nothing lost or repeated


async def test_slow_trade_consumer_gets_an_overflow_error(relay: Relay) -> None:
    async with (
        RedisStreams(relay.url) as streams,
        streams.trades("BTCUSDT") as ref,
        streams.trades("BTCUSDT", queue_size=2) as slow,
    ):
        await take(slow, 1)
        await take(ref, 6)  # 5+ more trades reached the slow one's queue of 2
        with pytest.raises(StreamOverflowError):
            await take(slow, 6)
