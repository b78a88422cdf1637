"""``client.stats()``: the counters move as requests, limits, retries, reconnects, subscribers
and tolerant decoding happen (against the offline exchange, or the MockTransport seam where
the exchange cannot be made to answer that way), and the histogram stays bounded."""

from __future__ import annotations

import asyncio
import math

import pytest

from hashkey_async import (
    ConnectionState,
    ExecutionStatusUnknown,
    HashKeyClient,
    IPBannedError,
    OrderNotFoundError,
    RateLimitError,
    ReconcilePolicy,
    decode_stats,
)
from hashkey_async.rest.mock_transport import MockRequest, MockResponse, MockTransport
from hashkey_async.stats import (
    LATENCY_BUCKETS,
    LATENCY_GROWTH,
    LatencyHistogram,
    RequestRecorder,
    SubscriptionStats,
)
from hashkey_async.testing import OfflineExchange

BASE = "http://exchange.test"
KEY, SECRET = "made-up-key", "made-up-secret"


# --- the pure parts ------------------------------------------------------------------------


def test_percentiles_are_bucket_bounds_at_most_one_growth_step_high() -> None:
    histogram = LatencyHistogram()
    for ms in range(1, 1001):  # 1 ms .. 1 s, uniform
        histogram.record(ms / 1000)
    summary = histogram.summary()
    assert summary.count == 1000 and summary.max == 1.0
    assert math.isclose(summary.mean, 0.5005)
    for measured, exact in ((summary.p50, 0.5), (summary.p90, 0.9), (summary.p99, 0.99)):
        assert exact <= measured <= exact * LATENCY_GROWTH
    assert summary.buckets[-1][1] == 1000  # cumulative: the last bound holds them all


def test_memory_is_bounded_whatever_the_traffic() -> None:
    recorder = RequestRecorder()
    for i in range(50_000):
        recorder.request("depth", "ok", (i % 997) * 1e-4)
    recorder.request("depth", "ok", 10_000.0)  # past the last bound: counted there
    histogram = recorder.histogram("depth")
    assert histogram is not None and len(histogram.counts) == LATENCY_BUCKETS
    depth = recorder.endpoints()["depth"]
    assert depth.requests == {"ok": 50_001} and depth.latency.max == 10_000.0


# --- requests, outcomes, latency, limits ---------------------------------------------------


async def test_requests_are_counted_by_endpoint_and_outcome() -> None:
    async with OfflineExchange() as ex, ex.client() as client:
        before = client.stats()
        assert before.requests == 0 and before.endpoints == {}
        await client.market.depth("BTCUSDT")
        await client.market.depth("BTCUSDT")
        with pytest.raises(OrderNotFoundError):
            await client.spot.cancel_order(order_id=12345)
        stats = client.stats()
    assert stats.endpoints["depth"].requests == {"ok": 2}
    assert stats.endpoints["cancel_order"].requests == {"OrderNotFoundError": 1}
    depth = stats.endpoints["depth"].latency
    assert depth.count == 2 and 0 < depth.p50 <= depth.max
    assert stats.latency.count == stats.requests  # every attempt has a latency


async def test_429_and_limiter_waits_are_counted() -> None:
    async with OfflineExchange() as ex, ex.client(query_rate=1) as client:
        await client.account.balances()
        await client.account.balances()  # 1 query/s: this one waits for the limiter
        stats = client.stats()
        assert stats.limiter_waits == 1 and 0.5 < stats.limiter_wait_seconds < 5
        ex.rate_limit_storm(1)
        with pytest.raises(RateLimitError):
            await client.account.balances()
        stats = client.stats()
    assert stats.rate_limited == 1 and stats.banned == 0
    assert stats.endpoints["balances"].requests == {"ok": 2, "RateLimitError": 1}


async def test_418_retries_and_in_doubt_orders_are_counted() -> None:
    answers = iter(
        [MockResponse(500, content="busy"), MockResponse(200, json={"serverTime": 1})]
        + [MockResponse(500, content="busy")] * 3  # the order and its lookup: never an answer
        + [MockResponse(418, json={"code": "-1003"}, headers={"Retry-After": "60"})]
    )

    def handler(request: MockRequest) -> MockResponse:
        return next(answers)

    async with HashKeyClient(
        KEY,
        SECRET,
        base_url=BASE,
        time_sync_interval=None,
        retry_base_delay=0.001,
        reconcile=ReconcilePolicy(lookups=1, base_delay=0.001, resubmit=False),
        transport=MockTransport(handler),
    ) as client:
        assert await client.market.server_time() == 1  # a 500, retried once
        with pytest.raises(ExecutionStatusUnknown):
            await client.spot.create_order("BTCUSDT", "BUY", "LIMIT", quantity="1", price="1")
        with pytest.raises(IPBannedError):
            await client.market.depth("BTCUSDT")
        stats = client.stats()
    assert stats.retries >= 1
    assert stats.endpoints["server_time"].requests == {"ServerError": 1, "ok": 1}
    assert stats.in_doubt_orders == 1
    assert stats.banned == 1 and stats.rate_limited == 0


# --- streams -------------------------------------------------------------------------------


async def test_reconnects_are_counted_per_connection() -> None:
    async with OfflineExchange() as ex, ex.client() as client:
        reconnecting = asyncio.Event()
        client.stream.add_listener(
            lambda name, old, new: (
                reconnecting.set() if new is ConnectionState.RECONNECTING else None
            )
        )
        async with client.stream.depth("BTCUSDT") as books:
            await books.get()
            assert client.stats().connections["public-v2"].reconnects == 0
            assert await ex.drop_connections("public") == 1
            async with asyncio.timeout(10):
                await reconnecting.wait()
            await client.stream.wait_state("public-v2", ConnectionState.OPEN)
            await books.get()
            connection = client.stats().connections["public-v2"]
    assert connection.reconnects == 1 and connection.state == "open"
    assert connection.messages >= 2


async def test_subscribers_count_received_conflated_and_dropped() -> None:
    # A witness on the same topic is fed by the same routing call as the slow subscriber:
    # once it has taken N messages, the slow one has received at least N.
    async with OfflineExchange() as ex, ex.client() as client:
        slow_books = client.stream.depth("BTCUSDT", queue_size=1)
        slow_trades = client.stream.trades("BTCUSDT", queue_size=1)
        books, trades = client.stream.depth("BTCUSDT"), client.stream.trades("BTCUSDT")
        async with slow_books, slow_trades, books, trades:
            async with asyncio.timeout(20):
                for _ in range(3):
                    await books.get()
                    await trades.get()
            by_topic: dict[str, list[SubscriptionStats]] = {}
            for sub in client.stats().subscriptions:
                by_topic.setdefault(sub.topic, []).append(sub)
    slow_book = min(by_topic["depth:BTCUSDT"], key=lambda s: s.delivered)
    slow_trade = min(by_topic["trade:BTCUSDT"], key=lambda s: s.delivered)
    assert slow_book.delivered == slow_trade.delivered == 0
    assert slow_book.policy == "conflate" and slow_book.received >= 3
    assert slow_book.queued == 1 and slow_book.conflated == slow_book.received - 1
    assert slow_trade.policy == "raise" and slow_trade.received >= 3
    assert slow_trade.queued == 1 and slow_trade.dropped == slow_trade.received - 1


# --- decoding ------------------------------------------------------------------------------


async def test_decode_fallbacks_show_in_the_snapshot() -> None:
    def book_with_blank_time(request: MockRequest) -> MockResponse:
        return MockResponse(content=b'{"t":"","b":[["100.5","1"]],"a":[["101","2"]]}')

    async with HashKeyClient(
        base_url=BASE, transport=MockTransport(book_with_blank_time)
    ) as client:
        before = dict(client.stats().decode_fallbacks)
        book = await client.market.depth("BTCUSDT")
        after = client.stats().decode_fallbacks
    assert book.bids[0].raw_price == "100.5"
    grown = {key: n - before.get(key, 0) for key, n in after.items() if n != before.get(key, 0)}
    assert grown == {(type(book).__name__, "time"): 1}
    assert after == decode_stats().snapshot()["fallbacks"]
