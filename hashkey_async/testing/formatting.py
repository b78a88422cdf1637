"""Decimal to JSON text, as the exchange writes numbers."""

from __future__ import annotations

from decimal import Decimal

__all__ = ["fmt"]


def fmt(value: Decimal) -> str:
    """Render a Decimal as the exchange does: plain digits, no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text
