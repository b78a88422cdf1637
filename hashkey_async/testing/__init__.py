"""Offline exchange for tests, examples and the demo: ``OfflineExchange``.

Names are imported on first use so that loading the pytest plugin stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .exchange import ExchangeConfig, OfflineExchange

__all__ = ["ExchangeConfig", "OfflineExchange"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import exchange

        return getattr(exchange, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
