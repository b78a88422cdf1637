"""A fake monotonic clock for tests: ``sleep`` only ends when the test advances time.

Lives in ``tests/`` (on pytest's ``pythonpath``) so any test can
``from fakeclock import FakeClock`` without clashing with subfolder conftests.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

__all__ = ["FakeClock"]


class FakeClock:
    """Monotonic seconds under the test's control; ``sleep`` waits until ``advance`` passes it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        """Park until the clock reaches now + ``delay``."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(delay, 0.0), next(self._seq), future))
        await future

    @staticmethod
    async def settle() -> None:
        """Let every runnable task run until all are parked again."""
        for _ in range(50):
            await asyncio.sleep(0)

    async def advance(self, seconds: float) -> None:
        """Move time forward, waking each sleeper at its own deadline, in deadline order."""
        target = self.now + seconds
        while True:
            await self.settle()
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)
            if not self._sleepers or self._sleepers[0][0] > target:
                break
            deadline, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, deadline)
            future.set_result(None)
        self.now = target
        await self.settle()

    @property
    def sleeping(self) -> int:
        """How many sleepers are still parked."""
        return sum(1 for *_, future in self._sleepers if not future.done())
