"""What every resource shares: a transport and a one-line way to call a table row."""

from __future__ import annotations

from typing import TypeVar

from .endpoints import Endpoint
from .transport import Transport

__all__ = ["Resource"]

T = TypeVar("T")


class Resource:
    """Base of ``client.market``, ``client.spot``, ...: methods name a row and pass kwargs."""

    __slots__ = ("_transport",)

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def _call(self, endpoint: Endpoint[T], /, **params: object) -> T:
        """Call ``endpoint`` with snake_case params (``None`` values are dropped when encoding)."""
        return await self._transport.request(endpoint, params)
