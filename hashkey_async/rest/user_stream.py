"""``client.user_stream``: create, keep alive and delete listenKeys (reference, "Miscellaneous")."""

from __future__ import annotations

from . import endpoints as E
from .base import Resource

__all__ = ["UserStreamResource"]


class UserStreamResource(Resource):
    """ListenKey calls that back the private stream; the stream manager uses them itself."""

    __slots__ = ()

    async def create(self) -> str:
        """Create a listenKey valid for 60 minutes."""
        return (await self._call(E.CREATE_LISTEN_KEY)).listen_key

    async def keepalive(self, listen_key: str) -> None:
        """Extend ``listen_key`` by another 60 minutes."""
        await self._call(E.KEEPALIVE_LISTEN_KEY, listen_key=listen_key)

    async def delete(self, listen_key: str) -> None:
        """Delete ``listen_key``; its stream closes."""
        await self._call(E.DELETE_LISTEN_KEY, listen_key=listen_key)
