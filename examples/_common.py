"""Set-up shared by the examples: the offline exchange by default, the sandbox with ``--live``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

from hashkey_async import HashKeyClient, Subscription
from hashkey_async.testing import OfflineExchange

__all__ = ["connect", "next_before", "parser"]

T = TypeVar("T")


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the options every example shares."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--live",
        action="store_true",
        help="use the sandbox with $HASHKEY_API_KEY / $HASHKEY_API_SECRET instead of the "
        "bundled offline exchange",
    )
    parser.add_argument("--symbol", default="BTCUSDT", help="symbol (default BTCUSDT)")
    return parser


@contextlib.asynccontextmanager
async def connect(live: bool) -> AsyncIterator[HashKeyClient]:
    """A client of the sandbox (``live``) or of an offline exchange started for the run."""
    if live:
        async with HashKeyClient(environment="sandbox") as client:
            yield client
        return
    async with OfflineExchange() as exchange, exchange.client() as client:
        yield client


async def next_before(subscription: Subscription[T], deadline: float | None) -> T | None:
    """The subscription's next item, or None once the loop clock passes ``deadline``."""
    if deadline is None:
        return await subscription.get()
    timeout = deadline - asyncio.get_running_loop().time()
    if timeout <= 0:
        return None
    try:
        return await asyncio.wait_for(subscription.get(), timeout)
    except TimeoutError:
        return None
