"""The tracker's pure collection of orders: apply observations, bound memory, plan reconciles.

``OrderLedger`` maps client order ids to ``TrackedOrder``s. Every ``on_*`` method applies one
observation through the monotonic rule of ``tracking/state.py`` and returns the new state when
something changed (None otherwise), so the I/O shell publishes and journals exactly the
changes. Memory is bounded: final orders are kept up to ``keep_final`` (oldest forgotten
first), and the ids of forgotten ones are remembered (same bound) so a late event cannot bring
an order back as if it were new. No clock and no I/O: callers pass ``now_ms``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator

from ..models.stream import ExecutionReport
from ..models.trading import Order
from ..orders import OrderRequest
from . import state
from .state import TrackedOrder

__all__ = ["DEFAULT_KEEP_FINAL", "OrderLedger"]

#: Final orders kept (for ``get``) before the oldest are forgotten.
DEFAULT_KEEP_FINAL = 10_000


class OrderLedger:
    """Every tracked order by client order id; final ones age out beyond ``keep_final``."""

    __slots__ = ("_final", "_forgotten", "_orders", "keep_final")

    def __init__(self, keep_final: int = DEFAULT_KEEP_FINAL) -> None:
        if isinstance(keep_final, bool) or not isinstance(keep_final, int) or keep_final < 1:
            raise ValueError(f"keep_final must be a positive int, got {keep_final!r}")
        self.keep_final = keep_final
        self._orders: dict[str, TrackedOrder] = {}
        self._final: OrderedDict[str, None] = OrderedDict()
        self._forgotten: OrderedDict[str, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._orders)

    def __contains__(self, client_order_id: object) -> bool:
        return client_order_id in self._orders

    def __iter__(self) -> Iterator[TrackedOrder]:
        return iter(list(self._orders.values()))

    def get(self, client_order_id: str) -> TrackedOrder | None:
        """The order's state, or None if it is not tracked (never seen, or aged out)."""
        return self._orders.get(client_order_id)

    def open(self) -> list[TrackedOrder]:
        """Orders the exchange holds that may still trade."""
        return [o for o in self._orders.values() if o.is_open]

    def unsettled(self) -> list[TrackedOrder]:
        """Orders whose create is unanswered or in doubt."""
        return [o for o in self._orders.values() if o.status is None]

    def in_doubt(self) -> list[TrackedOrder]:
        """Orders whose create ended without an outcome: reconcile them by client order id."""
        return [o for o in self._orders.values() if o.in_doubt]

    def missing_from(self, listed: Iterable[str]) -> list[TrackedOrder]:
        """Open orders absent from a complete open-orders list: they ended meanwhile."""
        present = set(listed)
        return [o for o in self._orders.values() if o.is_open and o.client_order_id not in present]

    # --- observations ---------------------------------------------------------------

    def on_intent(self, request: OrderRequest, now_ms: int) -> TrackedOrder | None:
        """An order is about to be sent (a resend of a known id changes nothing)."""
        cid = request.client_order_id
        if cid in self._orders or cid in self._forgotten:
            return None
        return self._store(state.from_intent(request, now_ms))

    def on_report(self, event: ExecutionReport) -> TrackedOrder | None:
        """A stream ``executionReport``."""
        return self._observe(state.observe_report(event))

    def on_rest(self, order: Order) -> TrackedOrder | None:
        """A REST answer or row about one order."""
        return self._observe(state.observe_rest(order))

    def on_in_doubt(self, client_order_id: str) -> TrackedOrder | None:
        """The create ended with an unknown outcome."""
        current = self._orders.get(client_order_id)
        return self._store(state.in_doubt(current)) if current is not None else None

    def on_refused(self, client_order_id: str, reason: str, now_ms: int) -> TrackedOrder | None:
        """The exchange refused the create: never placed."""
        current = self._orders.get(client_order_id)
        return self._store(state.refused(current, reason, now_ms)) if current else None

    def on_not_found(self, client_order_id: str, now_ms: int) -> TrackedOrder | None:
        """A lookup proved the order absent (its request can no longer arrive)."""
        current = self._orders.get(client_order_id)
        return self._store(state.not_found(current, now_ms)) if current else None

    def restore(self, order: TrackedOrder) -> None:
        """Load a state saved earlier (a journal) as-is, unless a newer one is already held."""
        current = self._orders.get(order.client_order_id)
        if current is None or current.revision < order.revision:
            self._store(order)

    # --- plumbing -------------------------------------------------------------------

    def _observe(self, seen: state.Observation) -> TrackedOrder | None:
        cid = seen.client_order_id
        if cid in self._forgotten:
            return None
        return self._store(state.advance(self._orders.get(cid), seen))

    def _store(self, new: TrackedOrder | None) -> TrackedOrder | None:
        if new is None:
            return None
        cid = new.client_order_id
        self._orders[cid] = new
        if new.is_final:
            self._final[cid] = None
            self._final.move_to_end(cid)
            while len(self._final) > self.keep_final:
                old, _ = self._final.popitem(last=False)
                del self._orders[old]
                self._forgotten[old] = None
                if len(self._forgotten) > self.keep_final:
                    self._forgotten.popitem(last=False)
        else:
            self._final.pop(cid, None)
        return new
