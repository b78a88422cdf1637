"""pytest plugin: fixtures giving a running offline exchange and a client connected to it.

Registered through the ``pytest11`` entry point, so it loads in every pytest run of an
environment where ``hashkey_async`` is installed: importing it does nothing but define
the fixtures and the marker (the exchange and the client are imported on first use).

Fixtures (async, function-scoped; they need pytest-asyncio)::

    async def test_buy(hashkey_client, hashkey_exchange):
        order = await hashkey_client.spot.create_order("BTCUSDT", "BUY", "MARKET", amount="100")

    @pytest.mark.hashkey_exchange(seed=1, order_rate=100)   # ExchangeConfig overrides
    async def test_fast(hashkey_client): ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

if TYPE_CHECKING:
    from ..client import HashKeyClient
    from .exchange import OfflineExchange

__all__ = ["MARKER", "hashkey_client", "hashkey_exchange", "pytest_configure"]

#: Marker whose keyword arguments override ``ExchangeConfig`` fields for one test.
MARKER = "hashkey_exchange"

_F = TypeVar("_F", bound=Callable[..., Any])


def _fixture_decorator() -> Callable[[_F], _F]:
    """pytest-asyncio's fixture decorator, or ``pytest.fixture`` so the plugin loads without it."""
    try:
        from pytest_asyncio import fixture
    except ImportError:  # pragma: no cover - only where pytest-asyncio is absent
        return cast("Callable[[_F], _F]", pytest.fixture)
    return cast("Callable[[_F], _F]", fixture)


_async_fixture = _fixture_decorator()


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker so ``--strict-markers`` runs accept it."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**overrides): ExchangeConfig overrides for the hashkey_exchange fixture",
    )


@_async_fixture
async def hashkey_exchange(request: pytest.FixtureRequest) -> AsyncIterator[OfflineExchange]:
    """A running ``OfflineExchange`` on an ephemeral loopback port, closed after the test."""
    from .exchange import OfflineExchange

    overrides: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        overrides.update(marker.kwargs)
    async with OfflineExchange(**overrides) as exchange:
        yield exchange


@_async_fixture
async def hashkey_client(hashkey_exchange: OfflineExchange) -> AsyncIterator[HashKeyClient]:
    """A ``HashKeyClient`` with the exchange's default account keys, closed after the test."""
    async with hashkey_exchange.client() as client:
        yield client
