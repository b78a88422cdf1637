"""The order tracker's pure core: one order's state and the monotonic rule that moves it.

Everything the tracker learns about an order (the request it sent, the REST answer, a stream
``ExecutionReport``, a REST lookup or list row, a refusal, a lookup that proves absence) is an
observation folded into an immutable ``TrackedOrder`` by ``advance``. Observations arrive out
of order (a REST snapshot taken before a fill can land after the fill's event), so the rule is
monotonic: an order's progress is ranked (unanswered < PENDING_NEW < NEW < PARTIALLY_FILLED <
final) together with its executed quantity, and an observation that ranks lower is ignored.
The single exception: a final state the *client* concluded (refused, not found) yields to
anything the exchange itself reports later, because the exchange is the authority.
No I/O here; ``tracking/ledger.py`` keeps the collection, ``tracking/tracker.py`` feeds it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final, Literal

import msgspec

from ..enums import OrderStatus, OrderType, Side, TimeInForce
from ..models.stream import ExecutionReport
from ..models.trading import Order
from ..orders import OrderRequest

__all__ = [
    "NOT_FOUND_REASON",
    "Observation",
    "Origin",
    "TrackedOrder",
    "advance",
    "from_intent",
    "in_doubt",
    "not_found",
    "observe_report",
    "observe_rest",
    "rank",
    "refused",
]

_ZERO: Final = Decimal(0)

#: ``TrackedOrder.reason`` of an order the exchange answered "no such order" for, long enough
#: after it was sent that the request can no longer arrive (its recvWindow has passed).
NOT_FOUND_REASON: Final = "not found on the exchange"

#: Who said the current status: the exchange (answer, event, lookup) or the client itself.
Origin = Literal["client", "exchange"]

_RANK: Final[dict[OrderStatus, int]] = {
    OrderStatus.PENDING_NEW: 1,
    OrderStatus.NEW: 2,
    OrderStatus.PARTIALLY_FILLED: 3,
    OrderStatus.FILLED: 4,
    OrderStatus.CANCELED: 4,
    OrderStatus.PARTIALLY_CANCELED: 4,
    OrderStatus.REJECTED: 4,
}


def rank(status: OrderStatus | None) -> int:
    """How far an order has come: 0 unanswered, 1 pending, 2 new (or unknown status), 3, 4 final."""
    if status is None:
        return 0
    return _RANK.get(status, 2)


class TrackedOrder(msgspec.Struct, frozen=True, kw_only=True):
    """One order as the tracker knows it: the exchange's latest state, or what is still unsure.

    ``status`` is None while the create call has not been answered (``in_flight``) or its
    outcome is unknown (``in_doubt``: the tracker is reconciling it). ``origin`` says whether
    the status came from the exchange or was concluded by the client (``reason`` says why:
    the refusal, or ``NOT_FOUND_REASON``). ``sent_at``, ``updated_at`` are ms since the epoch;
    ``revision`` counts the changes the tracker applied.
    """

    client_order_id: str
    symbol: str
    side: Side | None = None
    type: OrderType | None = None
    status: OrderStatus | None = None
    order_id: int | None = None
    price: Decimal | None = None
    quantity: Decimal | None = None
    amount: Decimal | None = None
    time_in_force: TimeInForce | None = None
    executed_qty: Decimal = _ZERO
    cumulative_quote_qty: Decimal | None = None
    avg_price: Decimal | None = None
    in_doubt: bool = False
    origin: Origin = "exchange"
    reason: str = ""
    sent_at: int | None = None
    updated_at: int = 0
    revision: int = 0

    @property
    def is_final(self) -> bool:
        """The order can no longer change on the exchange (filled, cancelled, rejected, absent)."""
        return self.status is not None and self.status.is_final

    @property
    def is_open(self) -> bool:
        """The exchange holds it and it may still trade."""
        return self.status is not None and not self.status.is_final

    @property
    def in_flight(self) -> bool:
        """Sent, and the create call has not been answered yet."""
        return self.status is None and not self.in_doubt

    @property
    def placed(self) -> bool:
        """The exchange has (or had) this order."""
        return self.status is not None and self.origin == "exchange"


class Observation(msgspec.Struct, frozen=True, kw_only=True):
    """One observation from the exchange, in the tracker's terms (None: not carried)."""

    client_order_id: str
    symbol: str
    status: OrderStatus | None
    order_id: int | None
    side: Side | None
    type: OrderType | None
    price: Decimal | None
    quantity: Decimal | None
    amount: Decimal | None
    time_in_force: TimeInForce | None
    executed_qty: Decimal | None
    cumulative_quote_qty: Decimal | None
    avg_price: Decimal | None
    reason: str
    updated_at: int


def _positive(value: Decimal | None) -> Decimal | None:
    """The exchange sends 0 for "not set" (price of a market order): keep only real values."""
    return value if value else None


def observe_report(event: ExecutionReport) -> Observation:
    """What an ``executionReport`` says about its order."""
    return Observation(
        client_order_id=event.client_order_id or str(event.order_id),
        symbol=event.symbol,
        status=event.status,
        order_id=event.order_id,
        side=event.side,
        type=event.order_type,
        price=_positive(event.price),
        quantity=_positive(event.quantity),
        amount=_positive(event.requested_amount),
        time_in_force=event.time_in_force,
        executed_qty=event.executed_quantity,
        cumulative_quote_qty=event.cumulative_quote_quantity,
        avg_price=_positive(event.average_price),
        reason=event.reject_reason or "",
        updated_at=event.event_time or 0,
    )


def observe_rest(order: Order) -> Observation:
    """What a REST answer (create, cancel, query, list row) says about its order."""
    return Observation(
        client_order_id=order.client_order_id or str(order.order_id),
        symbol=order.symbol,
        status=order.status,
        order_id=order.order_id,
        side=order.side,
        type=order.type,
        price=_positive(order.price),
        quantity=_positive(order.orig_qty),
        amount=_positive(order.req_amount),
        time_in_force=order.time_in_force,
        executed_qty=order.executed_qty,
        cumulative_quote_qty=order.cumulative_quote_qty,
        avg_price=_positive(order.avg_price),
        reason=order.ord_cxl_reason or "",
        updated_at=max(order.update_time or 0, order.transact_time or 0, order.time or 0),
    )


def from_intent(request: OrderRequest, now_ms: int) -> TrackedOrder:
    """The state of an order about to be sent (no answer yet)."""
    return TrackedOrder(
        client_order_id=request.client_order_id,
        symbol=request.symbol,
        side=request.side,
        type=request.type,
        price=request.price,
        quantity=request.quantity,
        amount=request.amount,
        time_in_force=request.time_in_force,
        origin="client",
        sent_at=now_ms,
        updated_at=now_ms,
    )


def _fill_in(current: TrackedOrder, seen: Observation) -> dict[str, object]:
    """Static fields the current state lacks and the observation carries."""
    changes: dict[str, object] = {}
    for name in ("order_id", "side", "type", "price", "quantity", "amount", "time_in_force"):
        value = getattr(seen, name)
        if getattr(current, name) is None and value is not None:
            changes[name] = value
    return changes


def _moves_forward(current: TrackedOrder, seen: Observation) -> bool:
    """Whether ``seen`` is news: a higher rank, more executed, or a newer status of equal rank."""
    if seen.status is None:
        return False  # a blanked status says nothing about progress
    if current.is_final and current.origin == "client":
        return True  # the exchange overrules the client's own conclusion
    old, new = rank(current.status), rank(seen.status)
    if new != old:
        return new > old and not current.is_final
    executed = seen.executed_qty
    if executed is not None and executed != current.executed_qty:
        return executed > current.executed_qty and not current.is_final
    return (
        seen.status != current.status
        and seen.updated_at > current.updated_at
        and not current.is_final
    )


def advance(current: TrackedOrder | None, seen: Observation) -> TrackedOrder | None:
    """Fold an exchange observation into ``current``; the new state, or None if nothing changed.

    An observation without a status (the exchange blanked it) only fills in missing fields; of
    an order not tracked yet it is ignored (the shell looks that order up instead).
    """
    if current is None:
        if seen.status is None:
            return None
        return TrackedOrder(
            client_order_id=seen.client_order_id,
            symbol=seen.symbol,
            side=seen.side,
            type=seen.type,
            status=seen.status,
            order_id=seen.order_id,
            price=seen.price,
            quantity=seen.quantity,
            amount=seen.amount,
            time_in_force=seen.time_in_force,
            executed_qty=seen.executed_qty or _ZERO,
            cumulative_quote_qty=seen.cumulative_quote_qty,
            avg_price=seen.avg_price,
            reason=seen.reason,
            updated_at=seen.updated_at,
            revision=1,
        )
    changes = _fill_in(current, seen)
    if _moves_forward(current, seen):
        executed = seen.executed_qty
        changes.update(
            status=seen.status,
            in_doubt=False,
            origin="exchange",
            reason=seen.reason,
            updated_at=max(seen.updated_at, current.updated_at),
        )
        if executed is not None and (
            executed >= current.executed_qty or current.origin == "client"
        ):
            changes["executed_qty"] = executed
            if seen.cumulative_quote_qty is not None:
                changes["cumulative_quote_qty"] = seen.cumulative_quote_qty
            if seen.avg_price is not None:
                changes["avg_price"] = seen.avg_price
    if not changes:
        return None
    return msgspec.structs.replace(current, revision=current.revision + 1, **changes)


def in_doubt(current: TrackedOrder) -> TrackedOrder | None:
    """The create call ended without telling whether the order exists (only while unanswered)."""
    if current.status is not None or current.in_doubt:
        return None
    return msgspec.structs.replace(current, in_doubt=True, revision=current.revision + 1)


def _client_final(current: TrackedOrder, reason: str, now_ms: int) -> TrackedOrder | None:
    if current.status is not None:
        return None
    return msgspec.structs.replace(
        current,
        status=OrderStatus.REJECTED,
        in_doubt=False,
        origin="client",
        reason=reason,
        updated_at=max(now_ms, current.updated_at),
        revision=current.revision + 1,
    )


def refused(current: TrackedOrder, reason: str, now_ms: int) -> TrackedOrder | None:
    """The exchange refused the create call (the order was not placed); only while unanswered."""
    return _client_final(current, reason, now_ms)


def not_found(current: TrackedOrder, now_ms: int) -> TrackedOrder | None:
    """A lookup said "no such order" after the request could no longer arrive: never placed."""
    return _client_final(current, NOT_FOUND_REASON, now_ms)
