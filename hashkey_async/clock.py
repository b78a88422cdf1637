"""Server clock estimate: local time plus an offset measured from ``/api/v1/time``.

Reference, "Time-base security requirement": a signed request's ``timestamp`` must lie
within ``recvWindow`` behind and 1 s ahead of the server's clock, so we stamp requests
with our best estimate of server time rather than raw local time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["ServerClock"]


class ServerClock:
    """Holds the estimated offset between the exchange's clock and ours (pure bookkeeping).

    ``wall`` (epoch seconds) and ``monotonic`` are injectable for tests.
    """

    __slots__ = ("_monotonic", "_wall", "offset_ms", "rtt_ms", "synced_at")

    def __init__(
        self,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._wall = wall
        self._monotonic = monotonic
        self.offset_ms = 0
        self.rtt_ms: int | None = None
        self.synced_at: float | None = None

    def local_ms(self) -> int:
        """Local wall-clock time in milliseconds."""
        return int(self._wall() * 1000)

    def now_ms(self) -> int:
        """Estimated server time in milliseconds."""
        return self.local_ms() + self.offset_ms

    def update(self, sent_ms: int, server_ms: int, received_ms: int) -> None:
        """Record one sample: the server stamped ``server_ms`` at the midpoint of the round trip."""
        self.offset_ms = server_ms - (sent_ms + received_ms) // 2
        self.rtt_ms = received_ms - sent_ms
        self.synced_at = self._monotonic()

    def mark_attempt(self) -> None:
        """Note a failed sync so the next attempt waits a full interval instead of every call."""
        self.synced_at = self._monotonic()

    def stale(self, interval: float | None) -> bool:
        """Whether a (re)sync is due: never synced, or synced more than ``interval`` s ago."""
        if interval is None:
            return False
        return self.synced_at is None or self._monotonic() - self.synced_at >= interval
