"""Fixtures of the stream tests: the offline exchange with its market standing still, and clients.

The market does not tick (``market_interval`` of an hour): the exchange answers subscriptions
with their first frame and pushes what a test sends with ``send_raw``, nothing else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from hashkey_async import HashKeyClient
from hashkey_async.testing import OfflineExchange

#: Seconds per market tick: longer than any test, so the market stands still.
QUIET = 3600.0


@pytest.fixture
async def ex() -> AsyncIterator[OfflineExchange]:
    """A running offline exchange whose market stands still."""
    async with OfflineExchange(market_interval=QUIET) as exchange:
        yield exchange


@pytest.fixture
def make_client(ex: OfflineExchange) -> Callable[..., HashKeyClient]:
    """Build clients pointed at the exchange with test-sized intervals."""

    def build(**overrides: Any) -> HashKeyClient:
        options: dict[str, Any] = {
            "ws_ping_interval": 1.0,  # tests of heartbeats pass their own; a loaded CI has stalls
            "reconnect_max_delay": 0.05,
            "listen_key_keepalive_interval": 30.0,
            "query_rate": 1000,
        }
        options.update(overrides)
        return ex.client(**options)

    return build


@pytest.fixture
async def client(make_client: Callable[..., HashKeyClient]) -> AsyncIterator[HashKeyClient]:
    """A client with default test settings, closed after the test."""
    c = make_client()
    yield c
    await c.close()
