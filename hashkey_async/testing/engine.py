"""Matching engine, balances and order state of the offline exchange (placeholder)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .exchange import ExchangeConfig

__all__ = ["Engine"]


class Engine:
    """Placeholder: books, orders and balances per account."""

    def __init__(self, config: ExchangeConfig) -> None:
        self.config = config
