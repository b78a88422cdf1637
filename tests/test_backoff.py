"""The one capped exponential backoff formula (hashkey_async.backoff)."""

from __future__ import annotations

import random

import pytest

from hashkey_async.backoff import backoff_ceiling, full_jitter


def test_ceiling_doubles_then_caps() -> None:
    assert [backoff_ceiling(i, 0.25, 1.0) for i in range(5)] == [0.25, 0.5, 1.0, 1.0, 1.0]


def test_ceiling_other_factor() -> None:
    assert backoff_ceiling(2, 1.0, 100.0, factor=3.0) == 9.0


def test_ceiling_never_overflows() -> None:
    assert backoff_ceiling(5000, 0.5, 30.0) == 30.0


def test_ceiling_refuses_negative_attempt() -> None:
    with pytest.raises(ValueError, match="attempt"):
        backoff_ceiling(-1, 0.5, 30.0)


def test_full_jitter_scales_the_ceiling() -> None:
    assert full_jitter(0, 0.1, 2.0, lambda: 1.0) == pytest.approx(0.1)
    assert full_jitter(10, 0.1, 2.0, lambda: 1.0) == 2.0
    assert full_jitter(3, 0.1, 2.0, lambda: 0.0) == 0.0
    assert full_jitter(2, 0.1, 2.0, lambda: 0.5) == pytest.approx(0.2)


def test_full_jitter_stays_below_the_ceiling() -> None:
    rng = random.Random(7)
    delays = [full_jitter(4, 0.5, 3.0, rng.random) for _ in range(200)]
    assert all(0.0 <= d < 3.0 for d in delays)
    assert max(delays) > 2.0  # spread over the range, not stuck at the bottom
