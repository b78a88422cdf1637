"""Pure reconnect schedule and pacing."""

from __future__ import annotations

import random

import pytest

from hashkey_async.streams.backoff import Backoff, Pacer


def test_full_jitter_grows_to_the_cap() -> None:
    backoff = Backoff(4.0, base=0.5, healthy_after=30.0, rng=random.Random(1))
    ceilings = []
    for _ in range(6):
        ceiling = backoff.ceiling()
        delay = backoff.next_delay(uptime=0.0)
        assert 0.0 <= delay <= ceiling
        ceilings.append(ceiling)
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_delays_are_spread_not_fixed() -> None:
    delays = {Backoff(10.0, rng=random.Random(seed)).next_delay(0.0) for seed in range(20)}
    assert len(delays) == 20 and max(delays) <= 0.5


def test_resets_only_after_a_healthy_link() -> None:
    backoff = Backoff(30.0, base=1.0, healthy_after=20.0, rng=random.Random(2))
    for _ in range(4):
        backoff.next_delay(uptime=0.0)
    backoff.next_delay(uptime=5.0)  # accepted and dropped quickly: no reset
    assert backoff.ceiling() == 30.0 or backoff.attempt == 5
    assert backoff.attempt == 5
    backoff.next_delay(uptime=25.0)  # was healthy: start over
    assert backoff.attempt == 1 and backoff.ceiling() == 2.0


def test_pacer_allows_a_burst_then_spaces_messages() -> None:
    pacer = Pacer(rate=10.0, burst=3, now=0.0)
    assert [pacer.delay(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert pacer.delay(0.0) == pytest.approx(0.1)
    assert pacer.delay(0.0) == pytest.approx(0.2)
    assert pacer.delay(1.0) == 0.0  # refilled meanwhile
