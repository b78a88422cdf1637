"""The in-process limiter: pure rolling-window bookkeeping plus a small FIFO async waiter.

Pauses after a 400 rate-limit code double on repeats so a rate set above the server's
converges instead of hammering it. We assume the strictest counting a server could use (any
rolling window), widened by a small margin for network jitter, and charge public market
data only to the optional per-IP weight budget. One process, one budget: several processes
on one key share theirs through ``RedisRateLimiter`` instead.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

from ..errors import IPBannedError, RateLimitError
from .base import (
    DEFAULT_BAN_SECONDS,
    DEFAULT_MARGIN,
    DEFAULT_MAX_PAUSE,
    DEFAULT_SUSPEND_SECONDS,
    DEFAULT_THROTTLE_SECONDS,
    WEIGHT_PERIOD,
    Bucket,
)

__all__ = ["RateLimiter", "SlidingWindow"]


class SlidingWindow:
    """At most ``limit`` units granted in any window of ``period`` seconds (pure, no clock).

    ``reserve(now, cost)`` either records the grant and returns ``0.0``, or records
    nothing and returns how many seconds to wait before asking again.
    """

    __slots__ = ("_log", "_used", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        if limit < 1 or period <= 0:
            raise ValueError(f"need limit >= 1 and period > 0, got {limit} / {period}")
        self.limit = limit
        self.period = period
        self._log: deque[tuple[float, int]] = deque()
        self._used = 0

    def used(self, now: float) -> int:
        """Units granted in the window ending at ``now``."""
        self._expire(now)
        return self._used

    def _expire(self, now: float) -> None:
        log = self._log
        cutoff = now - self.period
        while log and log[0][0] <= cutoff:
            self._used -= log.popleft()[1]

    def reserve(self, now: float, cost: int = 1) -> float:
        """Grant ``cost`` units at ``now`` (returns 0.0) or say how long until they fit."""
        self._expire(now)
        cost = min(max(cost, 1), self.limit)
        if self._used + cost <= self.limit:
            self._log.append((now, cost))
            self._used += cost
            return 0.0
        need = self._used + cost - self.limit
        freed = 0
        for stamp, units in self._log:
            freed += units
            if freed >= need:
                return stamp + self.period - now
        raise AssertionError("unreachable: cost is capped at limit")  # pragma: no cover


class _Lane:
    """One window plus the FIFO lock its waiters queue on (``pending`` counts them)."""

    __slots__ = ("lock", "pending", "window")

    def __init__(self, window: SlidingWindow) -> None:
        self.window = window
        self.lock = asyncio.Lock()
        self.pending = 0


class RateLimiter:
    """Grants permission to send, per bucket, in FIFO order; enforces pauses, suspensions, bans.

    A pause (``throttle``) makes callers wait; a suspension (``suspend``, after a 429) and
    a ban (``ban``, after a 418) make them fail fast. ``clock`` (monotonic seconds) and
    ``sleep`` are injectable so tests drive it with a fake clock. A waiter cancelled while
    queued or sleeping has reserved nothing and leaves the queue, so it never delays the others.
    """

    def __init__(
        self,
        order_rate: int = 10,
        query_rate: int = 2,
        *,
        weight_budget: int | None = None,
        weight_period: float = WEIGHT_PERIOD,
        margin: float = DEFAULT_MARGIN,
        max_pause: float = DEFAULT_MAX_PAUSE,
        window: float = 1.0,
        suspend_seconds: float = DEFAULT_SUSPEND_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lanes: dict[Bucket, _Lane] = {
            Bucket.ORDER: _Lane(SlidingWindow(order_rate, window + margin)),
            Bucket.QUERY: _Lane(SlidingWindow(query_rate, window + margin)),
            Bucket.USER_STREAM: _Lane(SlidingWindow(query_rate, window + margin)),
        }
        self._weights = (
            _Lane(SlidingWindow(weight_budget, weight_period + margin))
            if weight_budget is not None
            else None
        )
        self._suspended: dict[Bucket, float] = {}
        self._banned_until = 0.0
        self.max_pause = max_pause
        self.suspend_seconds = suspend_seconds
        self._paused: dict[Bucket, float] = {}
        #: Per bucket: (clock of the last throttle, its pause) to double repeated pauses.
        self._throttled: dict[Bucket, tuple[float, float]] = {}

    def bind_key(self, api_key: str | None) -> None:
        """Nothing to do: this limiter's budget is its own, whatever the key."""

    def window(self, bucket: Bucket) -> SlidingWindow | None:
        """The per-key window of ``bucket`` (None for PUBLIC, which is not charged per key)."""
        lane = self._lanes.get(bucket)
        return lane.window if lane is not None else None

    def suspend(self, bucket: Bucket, seconds: float | None = None) -> None:
        """After a 429: refuse ``bucket`` for ``seconds`` (default ``suspend_seconds``)."""
        until = self._clock() + (self.suspend_seconds if seconds is None else seconds)
        self._suspended[bucket] = max(self._suspended.get(bucket, 0.0), until)

    def throttle(self, bucket: Bucket, seconds: float | None = None) -> float:
        """After a 400 rate-limit code: hold ``bucket`` back for ``seconds``; returns the pause.

        Without ``seconds`` (no Retry-After) the pause is one window, doubled for each
        throttle that follows the previous one within a minute, up to a minute. A pause
        longer than ``max_pause`` becomes a suspension: callers fail fast instead of waiting.
        """
        now = self._clock()
        if seconds is None:
            seconds = DEFAULT_THROTTLE_SECONDS
            last = self._throttled.get(bucket)
            if last is not None and now - last[0] < DEFAULT_SUSPEND_SECONDS:
                seconds = min(max(2.0 * last[1], seconds), DEFAULT_SUSPEND_SECONDS)
        self._throttled[bucket] = (now, seconds)
        if seconds > self.max_pause:
            self.suspend(bucket, seconds)
        else:
            self.pause(bucket, seconds)
        return seconds

    def pause(self, bucket: Bucket, seconds: float) -> None:
        """Make callers of ``bucket`` wait ``seconds`` before their next grant (no doubling)."""
        now = self._clock()
        self._paused[bucket] = max(self._paused.get(bucket, 0.0), now + seconds)

    def _pause_left(self, bucket: Bucket, now: float) -> float:
        """Seconds until ``bucket``'s pause ends (0.0 when none is in force)."""
        until = self._paused.get(bucket)
        if until is None:
            return 0.0
        if now < until:
            return until - now
        del self._paused[bucket]
        return 0.0

    def ban(self, seconds: float | None = None) -> None:
        """After a 418: refuse every call for ``seconds``."""
        until = self._clock() + (DEFAULT_BAN_SECONDS if seconds is None else seconds)
        self._banned_until = max(self._banned_until, until)

    def check(self, bucket: Bucket) -> None:
        """Raise at once if a ban or a suspension of ``bucket`` is in force."""
        now = self._clock()
        if now < self._banned_until:
            remaining = self._banned_until - now
            raise IPBannedError(
                418, None, f"IP banned for another {remaining:.1f}s", retry_after=remaining
            )
        until = self._suspended.get(bucket)
        if until is not None:
            if now < until:
                remaining = until - now
                raise RateLimitError(
                    429,
                    None,
                    f"{bucket.value} requests suspended for another {remaining:.1f}s after a 429",
                    retry_after=remaining,
                )
            del self._suspended[bucket]

    async def acquire(self, bucket: Bucket, weight: int = 1) -> None:
        """Wait until a request of ``weight`` may go out on ``bucket``, or raise if refused."""
        self.check(bucket)
        lane = self._lanes.get(bucket)
        if lane is not None:
            await self._take(lane, bucket, 1)
        elif self._paused:
            while wait := self._pause_left(bucket, self._clock()):
                await self._sleep(wait)
        if self._weights is not None:
            await self._take(self._weights, bucket, weight)

    async def _take(self, lane: _Lane, bucket: Bucket, cost: int) -> None:
        # Fast path: nobody queued (so nobody is overtaken) and the window has room.
        if not lane.pending:
            now = self._clock()
            if (not self._paused or not self._pause_left(bucket, now)) and lane.window.reserve(
                now, cost
            ) == 0.0:
                return
        lane.pending += 1
        try:
            async with lane.lock:
                while True:
                    self.check(bucket)
                    now = self._clock()
                    wait = self._pause_left(bucket, now) or lane.window.reserve(now, cost)
                    if wait == 0.0:
                        return
                    await self._sleep(wait)
        finally:
            lane.pending -= 1
