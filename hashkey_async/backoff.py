"""Capped exponential backoff, the one formula behind every retry, lookup and reconnect delay.

Pure functions, no clock and no randomness of their own: ``backoff_ceiling`` is the
deterministic schedule ``min(cap, base * factor**attempt)``; ``full_jitter`` draws the
delay uniformly below it (AWS's "full jitter"), so many clients that failed together do
not retry together. REST retries (``rest/transport``), order lookups (``rest/reconcile``)
and stream reconnects (``streams/backoff``) all use these.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["backoff_ceiling", "full_jitter"]


def backoff_ceiling(attempt: int, base: float, cap: float, factor: float = 2.0) -> float:
    """``min(cap, base * factor**attempt)``: the longest wait before retry ``attempt`` (0-based).

    Never overflows: an attempt so late that the power exceeds a float answers ``cap``.
    """
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, got {attempt}")
    try:
        return min(cap, base * factor**attempt)
    except OverflowError:
        return cap


def full_jitter(
    attempt: int, base: float, cap: float, rand: Callable[[], float], factor: float = 2.0
) -> float:
    """A delay uniform in ``[0, backoff_ceiling(...))``; ``rand`` answers in ``[0, 1)``."""
    return rand() * backoff_ceiling(attempt, base, cap, factor)
