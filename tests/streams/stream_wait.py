"""Waiting on the offline exchange's state from a test."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["until"]


async def until(predicate: Callable[[], bool], timeout: float = 3.0) -> None:  # noqa: ASYNC109
    """Wait until ``predicate()`` holds, re-checking every 10 ms, for at most ``timeout`` s."""
    async with asyncio.timeout(timeout):
        # The state lives in the exchange, which signals nothing: poll it, bounded by the timeout.
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
