"""Pure reconnect schedule (immediate first retry, full jitter, reset on proof, connect cap) and pacing.

- The first retry after a working link drops waits ``uniform(0, FIRST_RETRY_JITTER)``: almost at
  once, yet links dropped together (a server restart) do not all come back in the same instant.
- Every further retry in a row waits ``uniform(0, min(cap, base * factor**(n - 1)))`` (full jitter).
- The run of retries resets on proof: the last link had resubscribed and delivered data. A link
  that opens and drops without that proof keeps climbing the schedule.
- Whatever the schedule says, at most ``max_connects`` connection attempts start in any
  ``CONNECT_WINDOW`` seconds: a server that accepts, answers and drops at once cannot cause a
  storm (the cap is the storm bound, per connection).
"""

from __future__ import annotations

import random
from collections import deque
from typing import Final

from ..backoff import backoff_ceiling

__all__ = [
    "CONNECT_WINDOW",
    "DEFAULT_BASE_DELAY",
    "FIRST_RETRY_JITTER",
    "MAX_CONNECTS",
    "Backoff",
    "Pacer",
]

DEFAULT_BASE_DELAY: Final = 0.5
#: Ceiling of the first retry's random delay (seconds).
FIRST_RETRY_JITTER: Final = 0.1
#: Connection attempts allowed per connection in any ``CONNECT_WINDOW`` seconds.
MAX_CONNECTS: Final = 20
CONNECT_WINDOW: Final = 60.0


class Backoff:
    """Delay schedule for reconnects; tell it about attempts and drops, it says how long to wait."""

    __slots__ = ("_attempts", "_rng", "attempt", "base", "cap", "factor", "window")

    def __init__(
        self,
        cap: float,
        *,
        base: float = DEFAULT_BASE_DELAY,
        factor: float = 2.0,
        max_connects: int = MAX_CONNECTS,
        window: float = CONNECT_WINDOW,
        rng: random.Random | None = None,
    ) -> None:
        if max_connects < 1:
            raise ValueError("max_connects must be at least 1")
        self.cap = cap
        self.base = base
        self.factor = factor
        self.window = window
        #: Retries in a row since the last proven link.
        self.attempt = 0
        self._attempts: deque[float] = deque(maxlen=max_connects)
        self._rng = rng or random.Random()

    def connecting(self, now: float) -> None:
        """A connection attempt starts at ``now`` (counts towards the connect cap)."""
        self._attempts.append(now)

    def ceiling(self) -> float:
        """Upper bound of the next delay before the connect cap applies."""
        if self.attempt == 0:
            return min(self.cap, FIRST_RETRY_JITTER)
        return backoff_ceiling(self.attempt - 1, self.base, self.cap, self.factor)

    def cap_wait(self, now: float) -> float:
        """Seconds until another attempt fits under the connect cap (0.0 if it does now)."""
        attempts = self._attempts
        if len(attempts) < (attempts.maxlen or 0):
            return 0.0
        return max(0.0, attempts[0] + self.window - now)

    def next_delay(self, now: float, *, proven: bool) -> float:
        """Delay before the next attempt; ``proven`` if the link that just ended delivered data."""
        if proven:
            self.attempt = 0
        delay = self._rng.random() * self.ceiling()  # full jitter (``backoff.full_jitter``)
        self.attempt = min(self.attempt + 1, 64)
        return max(delay, self.cap_wait(now))


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
