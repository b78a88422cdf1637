"""Fixtures of the stream tests: the exchange double (``stream_server``) and clients aimed at it."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)  # lets the tests here import ``stream_server`` and ``stream_frames``

from stream_server import StreamServer  # noqa: E402 - importable once the folder is on sys.path

from hashkey_async import HashKeyClient  # noqa: E402


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
