"""What every resource shares: a transport and a one-line way to call a table row."""

from __future__ import annotations

from typing import TypeVar

from ..errors import InvalidParameterError
from .endpoints import Endpoint
from .transport import Transport

__all__ = ["Resource", "required"]

T = TypeVar("T")
V = TypeVar("V")


def required(field: str, value: V) -> V:
    """``value``, unless it is missing (``None`` or ``""``): then raise naming ``field``."""
    if value is None or value == "":
        raise InvalidParameterError(field, "is required")
    return value


class Resource:
    """Base of ``client.market``, ``client.spot``, ...: methods name a row and pass kwargs."""

    __slots__ = ("_transport",)

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def _call(self, endpoint: Endpoint[T], /, **params: object) -> T:
        """Call ``endpoint`` with snake_case params (``None`` values are dropped when encoding)."""
        return await self._transport.request(endpoint, params)
