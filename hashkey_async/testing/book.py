"""Orders of the offline exchange and the book they rest on, price-time priority (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from .accounts import Account
from .specs import OPEN_STATUSES

__all__ = ["BookOrder", "EngineOrderRequest", "OrderBook", "better", "crosses", "opposite"]

_ZERO: Final = Decimal(0)


@dataclass
class EngineOrderRequest:
    """A validated new order, before it reaches the book."""

    symbol: str
    side: str
    type: str
    quantity: Decimal | None = None
    amount: Decimal | None = None
    price: Decimal | None = None
    client_order_id: str | None = None
    time_in_force: str | None = None
    stp_mode: str = "EXPIRE_TAKER"


@dataclass
class BookOrder:
    """One order and its state."""

    order_id: int
    client_order_id: str
    account: Account
    api_key: str
    symbol: str
    side: str
    type: str
    time_in_force: str
    price: Decimal
    orig_qty: Decimal
    req_amount: Decimal
    stp_mode: str
    time: int
    update_time: int
    status: str = "NEW"
    executed_qty: Decimal = _ZERO
    cum_quote: Decimal = _ZERO
    locked: Decimal = _ZERO
    cancel_reason: str = ""

    @property
    def is_open(self) -> bool:
        """Resting on the book (NEW or PARTIALLY_FILLED)."""
        return self.status in OPEN_STATUSES

    @property
    def remaining(self) -> Decimal:
        """Base quantity still to fill (orders by quote amount have none fixed)."""
        return self.orig_qty - self.executed_qty

    @property
    def avg_price(self) -> Decimal:
        """Average fill price, 0 before any fill."""
        return self.cum_quote / self.executed_qty if self.executed_qty else _ZERO


class OrderBook:
    """Resting user orders of one symbol, price-time priority."""

    def __init__(self) -> None:
        self.bids: list[BookOrder] = []
        self.asks: list[BookOrder] = []

    def side(self, side: str) -> list[BookOrder]:
        """Resting orders of ``side`` ("BUY" = bids), best first."""
        return self.bids if side == "BUY" else self.asks

    def add(self, order: BookOrder) -> None:
        """Insert behind every order at the same or a better price."""
        orders = self.side(order.side)
        index = 0
        while index < len(orders) and not better(order.side, order.price, orders[index].price):
            index += 1
        orders.insert(index, order)

    def remove(self, order: BookOrder) -> None:
        """Take ``order`` off the book if it is there."""
        orders = self.side(order.side)
        if order in orders:
            orders.remove(order)


def crosses(taker_side: str, limit: Decimal | None, price: Decimal) -> bool:
    """Whether a taker on ``taker_side`` with ``limit`` (None = market) trades at ``price``."""
    if limit is None:
        return True
    return price <= limit if taker_side == "BUY" else price >= limit


def opposite(side: str) -> str:
    """The other side of the book: "BUY" <-> "SELL"."""
    return "SELL" if side == "BUY" else "BUY"


def better(side: str, a: Decimal, b: Decimal) -> bool:
    """Whether price ``a`` ranks before ``b`` among resting orders of ``side`` (bids: higher)."""
    return a < b if side == "SELL" else a > b
