"""Structs and types shared by several model modules."""

from __future__ import annotations

from decimal import Decimal

import msgspec

__all__ = ["Empty", "Level", "Model", "optional_decimal"]


def optional_decimal(text: str | None) -> Decimal | None:
    """A money field the exchange sends as ``""`` until it is known: Decimal, or None if blank."""
    return Decimal(text) if text else None


class Model(msgspec.Struct, rename="camel", omit_defaults=True):
    """Base of REST models: snake_case attributes read from the exchange's camelCase keys."""


class Empty(msgspec.Struct):
    """A ``{}`` answer (ping, test order, keepalive): decoding it proves the call succeeded."""


class Level(msgspec.Struct, array_like=True, frozen=True, gc=False):
    """One price level ``["price", "quantity"]``, kept as the exact strings the exchange sent.

    ``price`` and ``quantity`` convert to Decimal on access, so decoding a 200-level book
    costs a string copy per value rather than a Decimal parse.
    """

    raw_price: str
    raw_quantity: str

    @property
    def price(self) -> Decimal:
        """Exact price."""
        return Decimal(self.raw_price)

    @property
    def quantity(self) -> Decimal:
        """Exact quantity."""
        return Decimal(self.raw_quantity)
