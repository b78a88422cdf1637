"""WebSocket endpoints of the offline exchange (placeholder)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from aiohttp import web

if TYPE_CHECKING:
    from .exchange import OfflineExchange

__all__ = ["StreamHub"]


class StreamHub:
    """Placeholder: serves /quote/ws/v1, /quote/ws/v2 and /api/v1/ws/{listenKey}."""

    def __init__(self, exchange: OfflineExchange) -> None:
        self.exchange = exchange

    def install(self, app: web.Application) -> None:
        """Add the WebSocket routes to ``app``."""

    async def start(self) -> None:
        """Start the market generator task."""

    async def close(self) -> None:
        """Stop tasks and close every connection."""

    async def drop(self, which: Literal["all", "public", "private"]) -> int:
        """Abort matching connections."""
        return 0

    async def send_raw(self, frame: str | bytes, which: Literal["all", "public", "private"]) -> int:
        """Send a raw frame to matching connections."""
        return 0

    async def expire_listen_keys(self) -> None:
        """Expire every listenKey now."""
