"""REST handlers of the offline exchange (placeholder)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from .exchange import OfflineExchange

__all__ = ["RestApi"]


class RestApi:
    """Placeholder: serves every REST endpoint of the reference."""

    def __init__(self, exchange: OfflineExchange) -> None:
        self.exchange = exchange

    def install(self, app: web.Application) -> None:
        """Add the REST routes to ``app``."""
