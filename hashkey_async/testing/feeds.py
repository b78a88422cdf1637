"""Seeded market-data generator of the offline exchange (placeholder)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import Engine
    from .exchange import ExchangeConfig

__all__ = ["MarketFeeds"]


class MarketFeeds:
    """Placeholder: moves each symbol's book by a seeded random walk."""

    def __init__(self, config: ExchangeConfig, engine: Engine) -> None:
        self.config = config
        self.engine = engine
