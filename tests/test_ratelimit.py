"""Rate limiter: pure rolling-window bookkeeping with plain numbers, then the async waiter on a fake clock."""

from __future__ import annotations

import asyncio

import pytest
from fakeclock import FakeClock

from hashkey_async.errors import IPBannedError, RateLimitError
from hashkey_async.ratelimit import Bucket, RateLimiter, SlidingWindow

# --- SlidingWindow: pure -------------------------------------------------------


def test_window_grants_up_to_limit_then_says_how_long_to_wait() -> None:
    window = SlidingWindow(10, 1.05)
    assert [window.reserve(100.0) for _ in range(10)] == [0.0] * 10
    assert window.reserve(100.2) == pytest.approx(0.85)
    assert window.used(100.2) == 10  # the refusal recorded nothing
    assert window.reserve(101.05) == 0.0  # the first grant has left the window


def test_window_frees_slots_one_by_one_in_grant_order() -> None:
    window = SlidingWindow(3, 1.0)
    for stamp in (0.0, 0.3, 0.6):
        assert window.reserve(stamp) == 0.0
    assert window.reserve(0.9) == pytest.approx(0.1)
    assert window.reserve(1.0) == 0.0
    assert window.reserve(1.0) == pytest.approx(0.3)


def test_weighted_window_waits_until_enough_weight_expired() -> None:
    window = SlidingWindow(10, 60.0)
    assert window.reserve(0.0, 4) == 0.0
    assert window.reserve(1.0, 4) == 0.0
    # 8 used: 5 more fit only once the first grant (4) leaves the window at t=60
    assert window.reserve(2.0, 5) == pytest.approx(58.0)
    assert window.reserve(60.0, 5) == 0.0
    assert window.used(60.0) == 9


def test_cost_above_limit_is_capped_so_it_can_ever_pass() -> None:
    window = SlidingWindow(5, 1.0)
    assert window.reserve(0.0, 50) == 0.0
    assert window.used(0.0) == 5


def test_window_rejects_nonsense_configuration() -> None:
    with pytest.raises(ValueError):
        SlidingWindow(0, 1.0)
    with pytest.raises(ValueError):
        SlidingWindow(1, 0.0)


@pytest.mark.parametrize(("limit", "margin"), [(10, 0.05), (2, 0.05), (10, 0.03)])
def test_sustained_load_never_exceeds_any_rolling_second_and_uses_95_percent(
    limit: int, margin: float
) -> None:
    window = SlidingWindow(limit, 1.0 + margin)
    now, grants = 0.0, []
    while len(grants) < 50 * limit:
        wait = window.reserve(now)
        if wait:
            now += wait + 1e-9  # a sleeping caller wakes a hair after the deadline
            continue
        grants.append(now)
    # strictest counting: no rolling 1.0 s window ever holds limit + 1 grants
    assert all(grants[i + limit] - grants[i] >= 1.0 for i in range(len(grants) - limit))
    rate = (len(grants) - limit) / (grants[-1] - grants[0])
    assert rate >= 0.95 * limit


# --- RateLimiter: async waiter on a fake clock -----------------------------------


def make_limiter(clock: FakeClock, **kwargs: object) -> RateLimiter:
    return RateLimiter(clock=clock, sleep=clock.sleep, **kwargs)  # type: ignore[arg-type]


async def test_fifo_order_and_rolling_window_spacing(fake_clock: FakeClock) -> None:
    limiter = make_limiter(fake_clock)
    granted: list[tuple[int, float]] = []

    async def caller(n: int) -> None:
        await limiter.acquire(Bucket.ORDER)
        granted.append((n, fake_clock.now))

    start = fake_clock.now
    tasks = []
    for n in range(30):
        tasks.append(asyncio.create_task(caller(n)))
        await asyncio.sleep(0)  # callers arrive one after the other
    await fake_clock.advance(5.0)
    await asyncio.gather(*tasks)
    assert [n for n, _ in granted] == list(range(30))
    times = [t - start for _, t in granted]
    assert times[:10] == [0.0] * 10
    assert times[10:20] == pytest.approx([1.05] * 10)
    assert times[20:] == pytest.approx([2.10] * 10)


async def test_a_late_arrival_does_not_overtake_queued_waiters(fake_clock: FakeClock) -> None:
    limiter = make_limiter(fake_clock, query_rate=1)
    order: list[str] = []

    async def caller(name: str) -> None:
        await limiter.acquire(Bucket.QUERY)
        order.append(name)

    first = asyncio.create_task(caller("first"))
    second = asyncio.create_task(caller("second"))
    await fake_clock.settle()
    await fake_clock.advance(1.0)  # window not yet free (1.05 s)
    late = asyncio.create_task(caller("late"))
    await fake_clock.advance(0.05)  # exactly one slot frees: it belongs to "second"
    assert order == ["first", "second"]
    await fake_clock.advance(1.05)
    await asyncio.gather(first, second, late)
    assert order == ["first", "second", "late"]


async def test_cancelled_waiter_consumes_nothing_and_blocks_nobody(fake_clock: FakeClock) -> None:
    limiter = make_limiter(fake_clock, order_rate=2)
    got: list[str] = []

    async def caller(name: str) -> None:
        await limiter.acquire(Bucket.ORDER)
        got.append(name)

    for name in ("a", "b"):
        await caller(name)
    head = asyncio.create_task(caller("head"))  # sleeps holding the queue's head
    middle = asyncio.create_task(caller("middle"))
    tail = asyncio.create_task(caller("tail"))
    await fake_clock.settle()
    head.cancel()
    middle.cancel()
    await fake_clock.settle()
    assert head.cancelled() and middle.cancelled()
    await fake_clock.advance(1.05)
    assert tail.done()  # granted as soon as the window freed: the cancelled ones held nothing
    await tail
    assert got == ["a", "b", "tail"]
    window = limiter.window(Bucket.ORDER)
    assert window is not None and window.used(fake_clock.now) == 1  # only "tail" counted
    await limiter.acquire(Bucket.ORDER)  # one slot left right now: no wait
    assert fake_clock.sleeping == 0


async def test_public_market_data_is_not_charged_per_key(fake_clock: FakeClock) -> None:
    limiter = make_limiter(fake_clock)
    for _ in range(500):
        await limiter.acquire(Bucket.PUBLIC)
    assert limiter.window(Bucket.PUBLIC) is None
    window = limiter.window(Bucket.QUERY)
    assert window is not None and window.used(fake_clock.now) == 0
    assert fake_clock.sleeping == 0


async def test_weight_budget_is_separate_and_charges_public_calls(fake_clock: FakeClock) -> None:
    limiter = make_limiter(fake_clock, weight_budget=10, weight_period=60.0)
    await limiter.acquire(Bucket.PUBLIC, 5)
    await limiter.acquire(Bucket.QUERY, 5)
    third = asyncio.create_task(limiter.acquire(Bucket.PUBLIC, 1))
    await fake_clock.advance(59.0)
    assert not third.done()
    await fake_clock.advance(1.1)
    await third


async def test_429_suspends_only_that_bucket_until_it_lifts(fake_clock: FakeClock) -> None:
    limiter = make_limiter(fake_clock)
    limiter.suspend(Bucket.ORDER, 7.0)
    with pytest.raises(RateLimitError) as info:
        await limiter.acquire(Bucket.ORDER)
    assert not isinstance(info.value, IPBannedError)
    assert info.value.retry_after == pytest.approx(7.0)
    await limiter.acquire(Bucket.QUERY)
    await limiter.acquire(Bucket.PUBLIC)
    await fake_clock.advance(6.9)
    with pytest.raises(RateLimitError):
        await limiter.acquire(Bucket.ORDER)
    await fake_clock.advance(0.1)
    await limiter.acquire(Bucket.ORDER)


async def test_429_default_suspension_is_a_minute(fake_clock: FakeClock) -> None:
    limiter = make_limiter(fake_clock)
    limiter.suspend(Bucket.QUERY)
    with pytest.raises(RateLimitError) as info:
        await limiter.acquire(Bucket.QUERY)
    assert info.value.retry_after == pytest.approx(60.0)


async def test_queued_waiters_fail_once_suspension_arrives(fake_clock: FakeClock) -> None:
    limiter = make_limiter(fake_clock, order_rate=1)
    await limiter.acquire(Bucket.ORDER)
    waiters = [asyncio.create_task(limiter.acquire(Bucket.ORDER)) for _ in range(3)]
    await fake_clock.settle()
    limiter.suspend(Bucket.ORDER, 60.0)
    await fake_clock.advance(1.05)
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, RateLimitError) for r in results)
    window = limiter.window(Bucket.ORDER)
    assert window is not None and window.used(fake_clock.now) == 0


async def test_418_bans_every_bucket_until_it_ends(fake_clock: FakeClock) -> None:
    limiter = make_limiter(fake_clock)
    limiter.ban(30.0)
    for bucket in Bucket:
        with pytest.raises(IPBannedError) as info:
            await limiter.acquire(bucket)
        assert info.value.status == 418
        assert info.value.retry_after == pytest.approx(30.0)
    await fake_clock.advance(30.0)
    for bucket in Bucket:
        await limiter.acquire(bucket)


# --- 400 rate-limit codes: brief pauses -------------------------------------------------


async def test_throttle_pauses_the_bucket_and_callers_wait_in_order(fake_clock: FakeClock) -> None:
    limiter = make_limiter(fake_clock)
    assert limiter.throttle(Bucket.ORDER) == pytest.approx(1.0)
    granted: list[tuple[str, float]] = []

    async def caller(name: str, bucket: Bucket) -> None:
        await limiter.acquire(bucket)
        granted.append((name, fake_clock.now))

    start = fake_clock.now
    tasks = [asyncio.create_task(caller(f"o{n}", Bucket.ORDER)) for n in range(3)]
    await fake_clock.settle()
    await caller("query", Bucket.QUERY)  # other buckets are not held back
    await fake_clock.advance(0.99)
    assert [name for name, _ in granted] == ["query"]
    await fake_clock.advance(0.01)
    await asyncio.gather(*tasks)
    assert [(name, t - start) for name, t in granted] == [
        ("query", 0.0),
        ("o0", pytest.approx(1.0)),
        ("o1", pytest.approx(1.0)),
        ("o2", pytest.approx(1.0)),
    ]


async def test_repeated_throttles_double_then_fail_fast_and_reset_after_a_quiet_minute(
    fake_clock: FakeClock,
) -> None:
    limiter = make_limiter(fake_clock)
    assert limiter.throttle(Bucket.QUERY) == pytest.approx(1.0)
    await fake_clock.advance(1.0)
    assert limiter.throttle(Bucket.QUERY) == pytest.approx(2.0)
    waiter = asyncio.create_task(limiter.acquire(Bucket.QUERY))
    await fake_clock.advance(1.9)
    assert not waiter.done()  # 2 s is still a pause: waited out, not raised
    await fake_clock.advance(0.1)
    await waiter
    assert limiter.throttle(Bucket.QUERY) == pytest.approx(4.0)  # above max_pause: suspended
    with pytest.raises(RateLimitError) as info:
        await limiter.acquire(Bucket.QUERY)
    assert info.value.retry_after == pytest.approx(4.0)
    await fake_clock.advance(4.0)
    await limiter.acquire(Bucket.QUERY)
    await fake_clock.advance(60.0)
    assert limiter.throttle(Bucket.QUERY) == pytest.approx(1.0)  # a quiet minute resets


async def test_throttle_honours_retry_after(fake_clock: FakeClock) -> None:
    limiter = make_limiter(fake_clock)
    limiter.throttle(Bucket.ORDER, 0.5)
    waiter = asyncio.create_task(limiter.acquire(Bucket.ORDER))
    await fake_clock.advance(0.49)
    assert not waiter.done()
    await fake_clock.advance(0.01)
    await waiter
    limiter.throttle(Bucket.ORDER, 30.0)  # a long Retry-After fails fast like a 429
    with pytest.raises(RateLimitError) as info:
        await limiter.acquire(Bucket.ORDER)
    assert info.value.retry_after == pytest.approx(30.0)


async def test_throttle_pauses_public_calls_too(fake_clock: FakeClock) -> None:
    limiter = make_limiter(fake_clock)
    limiter.throttle(Bucket.PUBLIC)
    waiter = asyncio.create_task(limiter.acquire(Bucket.PUBLIC))
    await fake_clock.advance(0.9)
    assert not waiter.done()
    await fake_clock.advance(0.1)
    await waiter
    await limiter.acquire(Bucket.PUBLIC)
    assert fake_clock.sleeping == 0
