"""Symbol trading rules and the order vocabulary of the offline exchange (pure data)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

__all__ = [
    "OPEN_STATUSES",
    "ORDER_TYPES",
    "SIDES",
    "STP_MODES",
    "TIME_IN_FORCE",
    "SymbolSpec",
    "spec_for",
]

SIDES: Final = ("BUY", "SELL")
ORDER_TYPES: Final = ("LIMIT", "MARKET", "LIMIT_MAKER")
TIME_IN_FORCE: Final = ("GTC", "IOC", "FOK")
STP_MODES: Final = ("EXPIRE_TAKER", "EXPIRE_MAKER")
OPEN_STATUSES: Final = frozenset({"NEW", "PARTIALLY_FILLED"})

_QUOTES: Final = ("USDT", "USDC", "USD", "HKD", "AED", "BTC", "ETH")


@dataclass(frozen=True)
class SymbolSpec:
    """Trading rules of one symbol (reference, "Get Exchange Information" filters)."""

    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    max_amount: Decimal
    start_price: Decimal


_KNOWN_SPECS: Final = {
    "BTCUSDT": ("BTC", "USDT", "0.01", "0.00001", "0.00001", "100", "1", "10000000", "60000"),
    "ETHUSDT": ("ETH", "USDT", "0.01", "0.0001", "0.0001", "1000", "1", "10000000", "3000"),
    "BTCUSD": ("BTC", "USD", "0.01", "0.00001", "0.00001", "100", "1", "10000000", "60000"),
    "ETHUSD": ("ETH", "USD", "0.01", "0.0001", "0.0001", "1000", "1", "10000000", "3000"),
}


def spec_for(symbol: str) -> SymbolSpec:
    """Rules for ``symbol``: realistic ones for the majors, generic ones for anything else."""
    known = _KNOWN_SPECS.get(symbol)
    if known is not None:
        base, quote, *numbers = known
        tick, step, min_qty, max_qty, notional, max_amount, start = (Decimal(n) for n in numbers)
        return SymbolSpec(
            symbol, base, quote, tick, step, min_qty, max_qty, notional, max_amount, start
        )
    quote = next((q for q in _QUOTES if symbol.endswith(q) and symbol != q), "USDT")
    base = symbol[: -len(quote)] if symbol.endswith(quote) else symbol
    return SymbolSpec(
        symbol,
        base,
        quote,
        Decimal("0.01"),
        Decimal("0.01"),
        Decimal("0.01"),
        Decimal("100000"),
        Decimal("1"),
        Decimal("10000000"),
        Decimal("100"),
    )
