"""Pure stall rule by cadence: a link whose topics push on a known schedule is stalled after a
few seconds without data, not after the ping rule's two ping intervals (``protocol.Liveness``).

The reader only counts frames; the heartbeat samples that count every ``window / 8`` seconds, so
the per-frame path pays nothing for this rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

__all__ = [
    "CADENCE",
    "SAMPLES_PER_WINDOW",
    "STALL_FLOOR",
    "STALL_PERIODS",
    "STEADY_SAMPLES",
    "DataWatch",
    "stall_window",
]

#: Push period in seconds per (version, topic), from the reference's "Update frequency" lines.
#: Topics pushed "real-time" (V2 trade, kline, realtimes, bbo) arrive only when something
#: changes, and V1 trades only when trades happen: they have no cadence and keep the ping rule.
CADENCE: Final[Mapping[tuple[int, str], float]] = {
    (1, "depth"): 0.3,
    (1, "kline"): 0.3,
    (1, "realtimes"): 0.5,
    (2, "depth"): 0.1,
}
#: A stall is never declared after less silence than this (seconds).
STALL_FLOOR: Final = 2.0
#: ... nor before this many pushes of the fastest topic were missed.
STALL_PERIODS: Final = 4
#: The heartbeat samples the data count this many times per stall window.
SAMPLES_PER_WINDOW: Final = 8
#: The rule arms once data moved in this many samples in a row, each within 3/8 of a window
#: of the last (0.75 s for a 2 s window): the link proved it keeps a cadence the rule can hold.
STEADY_SAMPLES: Final = 4


def stall_window(periods: Iterable[float]) -> float | None:
    """Seconds without data that mean a stall on a link carrying topics of these push periods.

    None when no topic has a cadence (only the ping rule applies). Every cadence the reference
    lists gives ``STALL_FLOOR`` (2 s): detection within ``2 s + 2 s / SAMPLES_PER_WINDOW``.
    """
    fastest = min(periods, default=None)
    if fastest is None:
        return None
    return max(STALL_FLOOR, STALL_PERIODS * fastest)


class DataWatch:
    """The stall rule of one link, fed samples of its data-frame count by the heartbeat.

    The rule arms only once the link showed steady data (``STEADY_SAMPLES``): a server or a
    quiet market that pushes slower than the reference says never gets a link killed by it,
    only by the ping rule. A sample taken late - the event loop was blocked, so the reader may
    not have run either - is not evidence of silence: the next timely sample decides.
    """

    __slots__ = ("_frames", "_progress_at", "_sampled_at", "_steady", "armed")

    def __init__(self, now: float, frames: int = 0) -> None:
        self._frames = frames
        self._progress_at = now
        self._sampled_at = now
        self._steady = 0
        self.armed = False

    def silence(self, now: float) -> float:
        """Seconds since the data count last moved."""
        return now - self._progress_at

    def stalled(self, now: float, frames: int, window: float | None) -> bool:
        """Record the count at ``now``; True when the link is stalled under ``window``."""
        late = window is not None and now - self._sampled_at > 2 * window / SAMPLES_PER_WINDOW
        self._sampled_at = now
        if frames != self._frames:
            steady = window is not None and now - self._progress_at <= 3 * window / 8
            self._steady = self._steady + 1 if steady else 0
            self.armed = self.armed or self._steady >= STEADY_SAMPLES
            self._frames = frames
            self._progress_at = now
            return False
        if window is None or not self.armed or late:
            return False
        return now - self._progress_at >= window

    @staticmethod
    def next_sample(now: float, window: float | None) -> float:
        """When the heartbeat should sample next (``inf`` when no window applies)."""
        return now + window / SAMPLES_PER_WINDOW if window is not None else float("inf")
