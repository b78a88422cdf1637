"""Subscriber queues: conflation, overflow marked where it happened, gap events, ending."""

from __future__ import annotations

import asyncio

import pytest

from hashkey_async import StreamGap, StreamOverflowError
from hashkey_async.streams.subscription import Policy, Registry, SubscriberQueue


async def test_conflate_keeps_latest_per_key_and_bounds_keys() -> None:
    queue: SubscriberQueue[tuple[str, int]] = SubscriberQueue(
        "kline", Policy.CONFLATE, 2, conflate_key=lambda item: item[0]
    )
    for item in [("a", 1), ("b", 1), ("a", 2), ("c", 1)]:
        queue.put(item)
    assert len(queue) == 2 and queue.conflated == 2
    # "a" was updated in place, then evicted as the oldest key (for klines: the oldest candle).
    assert [await queue.get(), await queue.get()] == [("b", 1), ("c", 1)]


async def test_raise_policy_marks_the_loss_in_place_and_keeps_running() -> None:
    queue: SubscriberQueue[int] = SubscriberQueue("trade:BTCUSDT", Policy.RAISE, 3)
    for i in range(1, 8):
        queue.put(i)
    assert queue.dropped == 4 and queue.overflows == 1
    assert [await queue.get() for _ in range(3)] == [1, 2, 3]
    with pytest.raises(StreamOverflowError) as info:
        await queue.get()
    assert info.value.dropped == 4 and info.value.topic == "trade:BTCUSDT"
    queue.put(8)
    assert await queue.get() == 8


async def test_gap_policy_turns_the_loss_into_an_event() -> None:
    queue: SubscriberQueue[object] = SubscriberQueue("user", Policy.GAP, 1)
    queue.put("a")
    queue.put("b")
    queue.put("c")
    assert await queue.get() == "a"
    gap = await queue.get()
    assert isinstance(gap, StreamGap) and gap.reason == "overflow" and gap.dropped == 2


async def test_out_of_band_events_pass_the_bound() -> None:
    queue: SubscriberQueue[object] = SubscriberQueue("user", Policy.GAP, 1)
    queue.put("a")
    queue.put_event("gap")
    assert [await queue.get(), await queue.get()] == ["a", "gap"]
    assert queue.dropped == 0


async def test_get_waits_and_end_drains_then_stops_or_raises() -> None:
    queue: SubscriberQueue[int] = SubscriberQueue("t", Policy.RAISE, 10)
    waiter = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    assert not waiter.done()
    queue.put(1)
    assert await waiter == 1
    queue.put(2)
    queue.end()
    assert await queue.get() == 2
    with pytest.raises(StopAsyncIteration):
        await queue.get()
    failing: SubscriberQueue[int] = SubscriberQueue("t", Policy.RAISE, 10)
    failing.end(RuntimeError("boom"))
    with pytest.raises(RuntimeError):
        await failing.get()


def test_registry_first_and_last_subscriber() -> None:
    registry: Registry[str, int] = Registry()
    a: SubscriberQueue[int] = SubscriberQueue("x", Policy.RAISE)
    b: SubscriberQueue[int] = SubscriberQueue("x", Policy.RAISE)
    assert registry.add("k", a) is True
    assert registry.add("k", b) is False
    assert registry.live_keys() == ["k"] and registry.get("k") == [a, b]
    assert registry.remove("k", a) is False
    assert registry.remove("k", b) is True
    assert registry.remove("k", b) is False and len(registry) == 0
