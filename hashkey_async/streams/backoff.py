"""Pure reconnect schedule (exponential backoff, full jitter, reset after a healthy link) and pacing.

Full jitter: the n-th retry waits ``uniform(0, min(cap, base * factor**n))``. The attempt counter
resets only when the link that just dropped had stayed up ``healthy_after`` seconds, so a server
that accepts and then drops at once is not hammered (unlike resetting after any handshake).
"""

from __future__ import annotations

import random
from typing import Final

__all__ = ["DEFAULT_BASE_DELAY", "DEFAULT_HEALTHY_AFTER", "Backoff", "Pacer"]

DEFAULT_BASE_DELAY: Final = 0.5
DEFAULT_HEALTHY_AFTER: Final = 30.0


class Backoff:
    """Delay schedule for reconnects; feed it drops, it answers how long to wait."""

    __slots__ = ("_rng", "attempt", "base", "cap", "factor", "healthy_after")

    def __init__(
        self,
        cap: float,
        *,
        base: float = DEFAULT_BASE_DELAY,
        factor: float = 2.0,
        healthy_after: float = DEFAULT_HEALTHY_AFTER,
        rng: random.Random | None = None,
    ) -> None:
        self.cap = cap
        self.base = base
        self.factor = factor
        self.healthy_after = healthy_after
        self.attempt = 0
        self._rng = rng or random.Random()

    def ceiling(self) -> float:
        """Upper bound of the next delay."""
        return min(self.cap, self.base * self.factor**self.attempt)

    def next_delay(self, uptime: float) -> float:
        """Delay before the next attempt after a link that stayed up ``uptime`` s (0: never up)."""
        if uptime >= self.healthy_after:
            self.attempt = 0
        delay = self._rng.uniform(0.0, self.ceiling())
        self.attempt = min(self.attempt + 1, 64)
        return delay


class Pacer:
    """Token bucket that spaces outgoing subscribe messages so a replay cannot trip limits."""

    __slots__ = ("_last", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._last = now

    def delay(self, now: float) -> float:
        """Take one token; return how long to wait before sending (0 if one was available)."""
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.rate)
        self._last = now
        self._tokens -= 1.0
        if self._tokens >= 0:
            return 0.0
        return -self._tokens / self.rate
