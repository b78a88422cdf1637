"""RedisRateLimiter against a real redis-server: shared windows, FIFO turns, shared suspensions,
hashed and expiring keys, and the local fallback when Redis dies or stalls."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis_server import RedisServer

from hashkey_async import HashKeyClient
from hashkey_async.errors import IPBannedError, RateLimitError
from hashkey_async.ratelimit import Bucket, Limiter, RateLimiter, RedisRateLimiter
from hashkey_async.ratelimit.redis import key_namespace
from hashkey_async.testing import OfflineExchange

pytestmark = pytest.mark.timeout(30)


def _max_in_window(stamps: list[float], window: float) -> int:
    """Most stamps inside any half-open window of ``window`` seconds."""
    stamps = sorted(stamps)
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamps[start] <= stamp - window:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


def test_both_limiters_follow_the_interface() -> None:
    assert isinstance(RateLimiter(), Limiter)
    assert isinstance(RedisRateLimiter("redis://127.0.0.1:1/0"), Limiter)


async def test_limiters_sharing_a_namespace_share_one_window(redis_server: RedisServer) -> None:
    limiters = [
        RedisRateLimiter(redis_server.url, namespace="shared", order_rate=5) for _ in range(3)
    ]
    grants: list[float] = []
    by_limiter: Counter[int] = Counter()

    async def worker(n: int) -> None:
        for _ in range(4):
            await limiters[n].acquire(Bucket.ORDER)
            grants.append(time.monotonic())
            by_limiter[n] += 1

    start = time.monotonic()
    await asyncio.gather(*(worker(n) for n in range(3)))
    elapsed = time.monotonic() - start
    for limiter in limiters:
        await limiter.aclose()
    # 12 grants at 5 per 1.05 s: two full windows must pass, and no window holds more than 5.
    assert _max_in_window(grants, 1.0) <= 5
    assert elapsed >= 2 * 1.05 - 0.1
    assert elapsed < 6.0
    assert by_limiter == Counter({0: 4, 1: 4, 2: 4})


async def test_waiters_take_turns_no_process_starves(redis_server: RedisServer) -> None:
    limiters = [
        RedisRateLimiter(redis_server.url, namespace="fair", order_rate=4) for _ in range(3)
    ]
    order: list[int] = []
    stop = asyncio.Event()

    async def greedy(n: int) -> None:
        while not stop.is_set():
            await limiters[n].acquire(Bucket.ORDER)
            order.append(n)
            if len(order) >= 15:
                stop.set()

    await asyncio.wait_for(asyncio.gather(*(greedy(n) for n in range(3))), 20)
    for limiter in limiters:
        await limiter.aclose()
    counts = Counter(order[:15])
    # Each of three always-hungry callers gets its turn in every window once it waits (the
    # first window is granted before anyone queues, in whatever order the callers arrive):
    # nobody starves, nobody is far behind.
    assert min(counts[n] for n in range(3)) >= 3, order
    assert all(n in order[4:8] for n in range(3)), order  # the second window: one each at least


async def test_a_suspension_in_one_process_stops_every_process(redis_server: RedisServer) -> None:
    first = RedisRateLimiter(redis_server.url, namespace="k")
    second = RedisRateLimiter(redis_server.url, namespace="k")
    await second.acquire(Bucket.ORDER)
    first.suspend(Bucket.ORDER, 0.8)
    await first.flush()
    with pytest.raises(RateLimitError) as refused:
        await second.acquire(Bucket.ORDER)
    assert refused.value.retry_after is not None and 0.5 < refused.value.retry_after <= 0.8
    with pytest.raises(RateLimitError):  # now refused without asking Redis again
        await second.acquire(Bucket.ORDER)
    await second.acquire(Bucket.QUERY)  # other buckets go on
    await asyncio.sleep(refused.value.retry_after)  # the refusal says when it lifts: wait that
    await asyncio.wait_for(first.acquire(Bucket.ORDER), 1.0)
    await asyncio.wait_for(second.acquire(Bucket.ORDER), 1.0)
    first.ban(0.5)
    await first.flush()
    with pytest.raises(IPBannedError):
        await second.acquire(Bucket.PUBLIC)
    await first.aclose()
    await second.aclose()


async def test_throttle_pauses_every_process(redis_server: RedisServer) -> None:
    first = RedisRateLimiter(redis_server.url, namespace="t")
    second = RedisRateLimiter(redis_server.url, namespace="t")
    assert first.throttle(Bucket.QUERY, 0.4) == 0.4
    await first.flush()
    start = time.monotonic()
    await second.acquire(Bucket.QUERY)
    assert time.monotonic() - start >= 0.3
    await first.aclose()
    await second.aclose()


async def test_keys_are_hashed_and_expire(redis_server: RedisServer, redis: Redis) -> None:
    limiter = RedisRateLimiter(redis_server.url, weight_budget=100)
    limiter.bind_key("made-up-api-key-123")
    await limiter.acquire(Bucket.ORDER)
    await limiter.acquire(Bucket.QUERY, 5)
    limiter.suspend(Bucket.QUERY, 5)
    await limiter.flush()
    keys = [key.decode() for key in await redis.keys("*")]
    assert keys
    for key in keys:
        assert "made-up-api-key" not in key
        assert key_namespace("made-up-api-key-123") in key
        assert await redis.pttl(key) > 0, key
    with pytest.raises(ValueError, match="another key"):
        limiter.bind_key("another-made-up-key")
    await limiter.aclose()


async def test_clients_share_a_limiter_and_leave_it_open(redis_server: RedisServer) -> None:
    limiter = RedisRateLimiter(redis_server.url, order_rate=3)
    async with OfflineExchange() as ex:
        clients = [ex.client(rate_limiter=limiter) for _ in range(2)]
        assert all(client.limiter is limiter for client in clients)
        start = time.monotonic()
        await asyncio.gather(
            *(
                c.spot.test_order("BTCUSDT", "BUY", "LIMIT", quantity="0.01", price="20000")
                for c in clients * 2
            )
        )
        assert time.monotonic() - start >= 1.0  # 4 orders at 3 per window: shared
        for client in clients:
            await client.close()
        await limiter.acquire(Bucket.ORDER)  # still open after the clients closed
    await limiter.aclose()


async def test_redis_killed_falls_back_then_recovers(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RedisRateLimiter(
        redis_server.url, namespace="f", fallback_share=0.5, retry_interval=0.3
    )
    await limiter.acquire(Bucket.ORDER)
    redis_server.kill()
    with caplog.at_level(logging.WARNING, "hashkey_async.ratelimit"):
        start = time.monotonic()
        grants = []
        for _ in range(6):
            await asyncio.wait_for(limiter.acquire(Bucket.ORDER), 5)
            grants.append(time.monotonic())
    assert limiter.in_fallback and limiter.fallbacks == 1
    assert grants[0] - start >= 1.0  # the last Redis window was waited out first
    assert _max_in_window(grants, 1.0) <= 5  # half of 10 per window
    assert [r.levelname for r in caplog.records].count("WARNING") == 1
    assert "unreachable" in caplog.records[0].getMessage()
    redis_server.start()
    deadline = time.monotonic() + 5
    while limiter.in_fallback:  # the next acquire after retry_interval probes Redis again
        assert time.monotonic() < deadline
        await limiter.acquire(Bucket.ORDER)
    assert limiter.fallbacks == 1
    await limiter.aclose()


async def test_stalled_redis_times_out_into_fallback(redis_server: RedisServer) -> None:
    limiter = RedisRateLimiter(redis_server.url, namespace="s", timeout=0.2, retry_interval=0.3)
    await limiter.acquire(Bucket.QUERY)
    assert redis_server.proc is not None
    redis_server.proc.send_signal(signal.SIGSTOP)
    try:
        start = time.monotonic()
        await asyncio.wait_for(limiter.acquire(Bucket.ORDER), 5)
        assert limiter.in_fallback
        assert time.monotonic() - start < 2.5  # timeout + one window, not a hang
    finally:
        redis_server.proc.send_signal(signal.SIGCONT)
    await limiter.aclose()


async def test_client_keeps_its_own_limiter_by_default() -> None:
    client = HashKeyClient(base_url="http://127.0.0.1:1")
    assert isinstance(client.limiter, RateLimiter)
    await client.close()
