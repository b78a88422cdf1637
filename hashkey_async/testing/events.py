"""Private events of the engine and their JSON (reference, "User Data Stream").

The engine emits typed events to its listeners synchronously; ``private_event`` shapes
one into the reference's ``executionReport`` / ``ticketInfo`` / ``outboundAccountInfo``
at that moment (orders are mutable, so shape before the engine moves on).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from .accounts import Account, Fill
from .book import BookOrder
from .formatting import fmt

__all__ = [
    "BalancesChanged",
    "EngineEvent",
    "EventListener",
    "OrderChanged",
    "OrderFilled",
    "account_info",
    "execution_report",
    "private_event",
    "ticket_info",
]

_ZERO: Final = Decimal(0)


@dataclass(frozen=True)
class OrderChanged:
    """An order was placed, filled (``fill``) or ended."""

    order: BookOrder
    now_ms: int
    fill: Fill | None = None


@dataclass(frozen=True)
class OrderFilled:
    """One fill of an order (a ticket)."""

    order: BookOrder
    fill: Fill
    now_ms: int


@dataclass(frozen=True)
class BalancesChanged:
    """``assets`` of ``account`` moved."""

    account: Account
    assets: tuple[str, ...]
    now_ms: int


EngineEvent = OrderChanged | OrderFilled | BalancesChanged
#: Called with the API key that owns the event, synchronously inside the engine.
EventListener = Callable[[str, EngineEvent], None]


def private_event(event: EngineEvent) -> dict[str, Any]:
    """The stream JSON of ``event``."""
    if isinstance(event, OrderChanged):
        return execution_report(event.order, event.now_ms, event.fill)
    if isinstance(event, OrderFilled):
        return ticket_info(event.order, event.fill, event.now_ms)
    return account_info(event.account, event.assets, event.now_ms)


def account_info(account: Account, assets: tuple[str, ...], now_ms: int) -> dict[str, Any]:
    """``outboundAccountInfo`` for ``assets`` of ``account``."""
    return {
        "e": "outboundAccountInfo",
        "E": str(now_ms),
        "T": True,
        "W": True,
        "D": True,
        "B": [
            {
                "a": asset,
                "f": fmt(account.balance(asset).free),
                "l": fmt(account.balance(asset).locked),
                "r": "",
            }
            for asset in assets
        ],
    }


def execution_report(order: BookOrder, now_ms: int, fill: Fill | None = None) -> dict[str, Any]:
    """``executionReport`` for the order's current state (and the fill that caused it)."""
    return {
        "e": "executionReport",
        "E": str(now_ms),
        "s": order.symbol,
        "c": order.client_order_id,
        "S": order.side,
        "o": order.type,
        "f": order.time_in_force,
        "q": fmt(order.orig_qty),
        "p": fmt(order.price),
        "X": order.status,
        "i": str(order.order_id),
        "l": fmt(fill.qty) if fill else "0",
        "z": fmt(order.executed_qty),
        "L": fmt(fill.price) if fill else "0",
        "n": fmt(fill.commission) if fill else "0",
        "N": fill.commission_asset if fill else "",
        "u": True,
        "w": order.is_open,
        "m": fill.is_maker if fill else False,
        "O": str(order.time),
        "Z": fmt(order.cum_quote),
        "C": False,
        "v": "0",
        "reqAmt": fmt(order.req_amount),
        "d": str(fill.trade_id) if fill else "0",
        "r": fmt(max(order.remaining, _ZERO)),
        "V": fmt(order.avg_price),
        "P": "0",
        "lo": False,
        "lt": "",
        "x": order.cancel_reason,
    }


def ticket_info(order: BookOrder, fill: Fill, now_ms: int) -> dict[str, Any]:
    """``ticketInfo`` for one fill."""
    return {
        "e": "ticketInfo",
        "E": str(now_ms),
        "s": order.symbol,
        "q": fmt(fill.qty),
        "t": str(fill.time),
        "p": fmt(fill.price),
        "T": str(fill.ticket_id),
        "o": str(order.order_id),
        "c": order.client_order_id,
        "a": str(order.account.account_id),
        "m": fill.is_maker,
        "S": order.side,
    }
