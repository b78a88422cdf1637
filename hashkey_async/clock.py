"""Server clock estimate: local time plus an offset measured from ``/api/v1/time``."""

from __future__ import annotations

import time

__all__ = ["ServerClock"]


class ServerClock:
    """Holds the estimated offset between the exchange's clock and ours (pure bookkeeping)."""

    def __init__(self) -> None:
        self.offset_ms = 0
        self.synced_at: float | None = None

    def now_ms(self) -> int:
        """Estimated server time in milliseconds."""
        return int(time.time() * 1000) + self.offset_ms

    def update(self, sent_ms: int, server_ms: int, received_ms: int) -> None:
        """Record one sample: the server stamped ``server_ms`` at the midpoint of the round trip."""
        self.offset_ms = server_ms - (sent_ms + received_ms) // 2
        self.synced_at = time.monotonic()
