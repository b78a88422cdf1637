"""Pure reconnect schedule, connect cap, pacing, and the cadence stall rule."""

from __future__ import annotations

import random

import pytest

from hashkey_async.streams.backoff import FIRST_RETRY_JITTER, Backoff, Pacer
from hashkey_async.streams.health import STALL_FLOOR, DataWatch, stall_window


def test_first_retry_is_immediate_with_jitter_then_full_jitter_grows_to_the_cap() -> None:
    backoff = Backoff(4.0, base=0.5, rng=random.Random(1))
    ceilings = []
    for n in range(7):
        ceiling = backoff.ceiling()
        delay = backoff.next_delay(float(n), proven=False)
        assert 0.0 <= delay <= ceiling
        ceilings.append(ceiling)
    assert ceilings == [FIRST_RETRY_JITTER, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_first_retries_are_spread_not_fixed() -> None:
    delays = {
        Backoff(10.0, rng=random.Random(seed)).next_delay(0.0, proven=False) for seed in range(20)
    }
    assert len(delays) == 20 and max(delays) <= FIRST_RETRY_JITTER


def test_resets_on_proof_only() -> None:
    backoff = Backoff(30.0, base=1.0, rng=random.Random(2))
    for n in range(4):
        backoff.next_delay(float(n), proven=False)
    assert backoff.attempt == 4 and backoff.ceiling() == 8.0
    backoff.next_delay(5.0, proven=False)  # opened and dropped without data: keeps climbing
    assert backoff.attempt == 5
    assert backoff.next_delay(6.0, proven=True) <= FIRST_RETRY_JITTER  # resubscribed, got data
    assert backoff.attempt == 1 and backoff.ceiling() == 1.0


def test_connect_cap_bounds_a_server_that_accepts_and_drops_at_once() -> None:
    backoff = Backoff(30.0, max_connects=5, window=60.0, rng=random.Random(3))
    now = 0.0
    starts = []
    for _ in range(12):  # every link "proves" itself and drops at once: the schedule says go
        backoff.connecting(now)
        starts.append(now)
        now += backoff.next_delay(now, proven=True)
    assert starts[4] < 1.0  # five quick attempts ...
    assert starts[5] >= 60.0  # ... then the sixth waits for the first to leave the window
    for i in range(len(starts) - 5):  # never more than five in any 60 s
        assert starts[i + 5] - starts[i] >= 60.0 - 1e-9
    with pytest.raises(ValueError):
        Backoff(1.0, max_connects=0)


def test_pacer_allows_a_burst_then_spaces_messages() -> None:
    pacer = Pacer(rate=10.0, burst=3, now=0.0)
    assert [pacer.delay(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert pacer.delay(0.0) == pytest.approx(0.1)
    assert pacer.delay(0.0) == pytest.approx(0.2)
    assert pacer.delay(1.0) == 0.0  # refilled meanwhile


def test_stall_window_from_cadences() -> None:
    assert stall_window([]) is None  # no cadenced topic: the ping rule alone
    assert stall_window([0.1, 0.3]) == STALL_FLOOR == 2.0  # a few seconds, not 2 x 10 s
    assert stall_window([1.0]) == 4.0  # four missed pushes of a slow topic


def _steady(watch: DataWatch, start: float, frames: int, until: float) -> tuple[float, int]:
    """Samples every 0.25 s with data moving each time, after ``start`` up to ``until``."""
    t = start
    while t < until:
        t += 0.25
        frames += 1
        assert not watch.stalled(t, frames, 2.0)
    return t, frames


def test_data_watch_arms_on_steady_data_and_fires_after_the_window() -> None:
    watch = DataWatch(now=0.0, frames=0)
    assert not any(watch.stalled(t * 0.25, 0, 2.0) for t in range(1, 20))  # no data: not armed
    watch = DataWatch(now=0.0, frames=0)
    t, frames = _steady(watch, 0.0, 0, 0.75)
    assert not watch.armed  # three steady samples ...
    t, frames = _steady(watch, t, frames, 1.0)
    assert watch.armed  # ... the fourth arms it
    assert not watch.stalled(t + 5.0, frames, None)  # no cadenced topic any more: never stalled
    watch = DataWatch(now=0.0, frames=0)
    t, frames = _steady(watch, 0.0, 0, 1.0)
    while not watch.stalled(t, frames, 2.0):
        t += 0.25
        assert t < 10
    assert t == pytest.approx(3.0) and watch.silence(t) == pytest.approx(2.0)


def test_data_watch_never_arms_for_a_server_slower_than_its_cadence() -> None:
    watch = DataWatch(now=0.0, frames=0)
    t, frames = 0.0, 0
    for n in range(1, 41):  # a push every second: never two within 0.75 s
        t = n * 0.25
        frames += n % 4 == 0
        assert not watch.stalled(t, frames, 2.0)
    assert not watch.armed
    assert not watch.stalled(t + 0.25, frames, 2.0)
    assert not watch.stalled(t + 0.5, frames, 2.0)  # silence is left to the ping rule


def test_data_watch_ignores_a_late_sample() -> None:
    watch = DataWatch(now=0.0, frames=0)
    t, frames = _steady(watch, 0.0, 0, 1.0)
    # The event loop was blocked for 5 s: the reader may not have run, so no verdict yet ...
    assert not watch.stalled(t + 5.0, frames, 2.0)
    # ... the next timely sample decides (still no data: stalled).
    assert watch.stalled(t + 5.25, frames, 2.0)
    again = DataWatch(now=0.0, frames=0)
    t, frames = _steady(again, 0.0, 0, 1.0)
    assert not again.stalled(t + 5.0, frames, 2.0)
    assert not again.stalled(t + 5.25, frames + 7, 2.0)  # the reader caught up: alive
