"""Fixtures of the stream tests: the exchange double (``stream_server``) and clients aimed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from stream_server import StreamServer

from hashkey_async import HashKeyClient


@pytest.fixture
async def server() -> AsyncIterator[StreamServer]:
    """A running exchange double."""
    srv = StreamServer()
    await srv.start()
    yield srv
    await srv.stop()


@pytest.fixture
def make_client(server: StreamServer) -> Callable[..., HashKeyClient]:
    """Build clients pointed at the double with test-sized intervals."""

    def build(**overrides: Any) -> HashKeyClient:
        options: dict[str, Any] = {
            "api_key": "test-key",
            "api_secret": "test-secret",
            "base_url": server.url,
            "stream_url": server.ws_url,
            "ws_ping_interval": 1.0,  # tests of heartbeats pass their own; a loaded CI has stalls
            "reconnect_max_delay": 0.05,
            "listen_key_keepalive_interval": 30.0,
            "query_rate": 1000,
        }
        options.update(overrides)
        return HashKeyClient(**options)

    return build


@pytest.fixture
async def client(make_client: Callable[..., HashKeyClient]) -> AsyncIterator[HashKeyClient]:
    """A client with default test settings, closed after the test."""
    c = make_client()
    yield c
    await c.close()
