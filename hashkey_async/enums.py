"""Exchange enumerations (reference, "Spot Trading": order status, types, direction, timeInForce).

Each is a ``str`` enum whose values are the exchange's strings, so members compare equal
to them (``Side.BUY == "BUY"``) and encode as themselves.

Decoding is tolerant, input is strict. A value the reference does not list (a new order
status, say) decodes into a pseudo-member that compares equal to its string, so an
answer about an order that *was* placed never fails to decode; such values are logged
once per enum and value. ``parse``, used on every user argument, accepts only the listed
members (or their exchange strings, any case) and raises ``InvalidParameterError``
naming the field, before anything is sent.
"""

from __future__ import annotations

import enum
import logging
from typing import Final, TypeVar

from .errors import InvalidParameterError

__all__ = [
    "KLINE_INTERVALS",
    "OrderStatus",
    "OrderType",
    "Side",
    "StpMode",
    "TimeInForce",
    "interval_param",
    "parse",
    "parse_optional",
]

log = logging.getLogger("hashkey_async")

#: Unknown values remembered per enum (same pseudo-member, one log line); beyond this
#: many, further ones are still decoded but neither kept nor logged.
_MAX_UNKNOWN: Final = 64

_unknown: dict[type[enum.Enum], dict[str, enum.Enum]] = {}

#: Candle intervals, for ``client.market.klines`` and ``client.stream.klines`` alike
#: (reference, "Get Kline" and the ``kline_$interval`` stream topic).
KLINE_INTERVALS: Final = frozenset(
    ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "1w", "1M")
)


def interval_param(interval: object) -> str:
    """``interval`` if it is one of ``KLINE_INTERVALS``, else ``InvalidParameterError``."""
    if not isinstance(interval, str) or interval not in KLINE_INTERVALS:
        raise InvalidParameterError(
            "interval", f"must be one of {sorted(KLINE_INTERVALS)}, got {interval!r}"
        )
    return interval


class _ExchangeEnum(enum.StrEnum):
    """Base of the exchange's enums: unknown server values decode instead of failing."""

    @classmethod
    def _missing_(cls, value: object) -> _ExchangeEnum | None:
        """A listed member in another case, else a pseudo-member for a value the reference lacks.

        Pseudo-members are never added to the class's member maps: iteration and
        ``parse`` see only the reference's members.
        """
        if not isinstance(value, str) or not value.strip():
            return None  # not a string, or blank: "not given", which decoding maps to None
        member = cls._value2member_map_.get(value.strip().upper())
        if isinstance(member, cls):
            return member
        seen = _unknown.setdefault(cls, {})
        pseudo = seen.get(value)
        if isinstance(pseudo, cls):
            return pseudo
        pseudo = str.__new__(cls, value)
        pseudo._name_ = value
        pseudo._value_ = value
        if len(seen) < _MAX_UNKNOWN:
            seen[value] = pseudo
            log.warning(
                "%s %r is not in the API reference; kept as an unknown value",
                cls.__name__,
                value,
            )
        return pseudo


class Side(_ExchangeEnum):
    """Order direction."""

    BUY = "BUY"
    SELL = "SELL"


class OrderType(_ExchangeEnum):
    """Order type: LIMIT and LIMIT_MAKER need a price; MARKET takes a quantity or an amount."""

    LIMIT = "LIMIT"
    MARKET = "MARKET"
    LIMIT_MAKER = "LIMIT_MAKER"


class TimeInForce(_ExchangeEnum):
    """How long an order lives: GTC (limit, limit maker), IOC (limit, market), FOK (limit)."""

    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class StpMode(_ExchangeEnum):
    """Self-trade prevention: which side of a self-match expires (exchange default EXPIRE_TAKER)."""

    EXPIRE_TAKER = "EXPIRE_TAKER"
    EXPIRE_MAKER = "EXPIRE_MAKER"


class OrderStatus(_ExchangeEnum):
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
        """Whether the order can no longer trade (filled, cancelled or rejected).

        An unknown status is not final: watching an order that may still trade is safer
        than forgetting it.
        """
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
    """``value`` as a listed member of ``kind`` (member, or its exchange string in any case).

    Pseudo-members from tolerant decoding are refused like any other unlisted value.
    """
    if isinstance(value, kind) and kind.__members__.get(value.name) is value:
        return value
    if isinstance(value, str):
        members: dict[str, E] = kind._value2member_map_  # type: ignore[assignment]
        member = members.get(value) or members.get(value.strip().upper())
        if member is not None:
            return member
    allowed = ", ".join(str(member.value) for member in kind)
    raise InvalidParameterError(field, f"must be one of {allowed}; got {value!r}")


def parse_optional(kind: type[E], field: str, value: E | str | None) -> E | None:
    """``parse`` for an optional argument: ``None`` (not given) stays ``None``."""
    return None if value is None else parse(kind, field, value)
