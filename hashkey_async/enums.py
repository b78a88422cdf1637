"""Exchange enumerations (reference, "Spot Trading": order status, types, direction, timeInForce).

Each is a ``str`` enum whose values are the exchange's strings, so members compare equal
to them (``Side.BUY == "BUY"``) and encode as themselves. ``parse`` turns a member or an
exchange string (any case) into a member, or raises ``InvalidParameterError`` naming the
field, before anything is sent.
"""

from __future__ import annotations

import enum
from typing import TypeVar

from .errors import InvalidParameterError

__all__ = ["OrderStatus", "OrderType", "Side", "StpMode", "TimeInForce", "parse"]


class Side(str, enum.Enum):
    """Order direction."""

    BUY = "BUY"
    SELL = "SELL"


class OrderType(str, enum.Enum):
    """Order type: LIMIT and LIMIT_MAKER need a price; MARKET takes a quantity or an amount."""

    LIMIT = "LIMIT"
    MARKET = "MARKET"
    LIMIT_MAKER = "LIMIT_MAKER"


class TimeInForce(str, enum.Enum):
    """How long an order lives: GTC (limit, limit maker), IOC (limit, market), FOK (limit)."""

    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class StpMode(str, enum.Enum):
    """Self-trade prevention: which side of a self-match expires (exchange default EXPIRE_TAKER)."""

    EXPIRE_TAKER = "EXPIRE_TAKER"
    EXPIRE_MAKER = "EXPIRE_MAKER"


class OrderStatus(str, enum.Enum):
    """Order state as the exchange reports it."""

    PENDING_NEW = "PENDING_NEW"
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    PARTIALLY_CANCELED = "PARTIALLY_CANCELED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"

    @property
    def is_final(self) -> bool:
        """Whether the order can no longer trade (filled, cancelled or rejected)."""
        return self in _FINAL


_FINAL = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.PARTIALLY_CANCELED,
        OrderStatus.REJECTED,
    }
)

E = TypeVar("E", bound=enum.Enum)


def parse(kind: type[E], field: str, value: E | str) -> E:
    """``value`` as a member of ``kind`` (member, or its exchange string in any case)."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        members: dict[str, E] = kind._value2member_map_  # type: ignore[assignment]
        member = members.get(value) or members.get(value.strip().upper())
        if member is not None:
            return member
    allowed = ", ".join(str(member.value) for member in kind)
    raise InvalidParameterError(field, f"must be one of {allowed}; got {value!r}")
