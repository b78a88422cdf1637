"""Offline exchange for tests, examples and the demo: ``OfflineExchange``.

Names are imported on first use so that loading the pytest plugin stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import ExchangeConfig
    from .exchange import OfflineExchange

__all__ = ["ExchangeConfig", "OfflineExchange"]


def __getattr__(name: str) -> Any:
    if name == "ExchangeConfig":
        from .config import ExchangeConfig

        return ExchangeConfig
    if name == "OfflineExchange":
        from .exchange import OfflineExchange

        return OfflineExchange
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
