"""Order creation that never duplicates and never loses an order.

Reference, "General API Information": after a 5xx "the execution status is uncertain";
-1006/-1007/-1146 say the same. When creating an order ends that way (or with a timeout
or dropped connection), we do not resubmit blindly. We look the order up by its
clientOrderId a bounded number of times with backoff, and return it if it exists. If a
lookup answered "no such order" (0211; not 0212, which also means "completed"), we
optionally resubmit it once under the *same* clientOrderId: the exchange refuses a
second order with an existing id (-1141), and that answer resolves to the existing
order. A resend that proves nothing (no answer, 5xx, refused by a rate limit) goes back
to lookups, never to a second resend. If nothing settles it, ``ExecutionStatusUnknown``
carries the clientOrderId so the caller can look it up later.

A batch is never resent: its uncertain orders are looked up together with one
open-orders query (and, for those still missing, one traded-orders query) per round,
which costs 1-2 queries instead of one per order; a few stragglers (say an IOC order
cancelled unfilled, which neither list may show) get one lookup each at the end.

Whatever stays unsettled (an unknown outcome, or the caller's task cancelled while the
request may have left) is logged at WARNING with its clientOrderId and kept in
``InDoubtOrders`` (``client.spot.in_doubt``) for the bot to reconcile.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass

from ..backoff import backoff_ceiling
from ..config import ReconcilePolicy
from ..errors import (
    BatchStatusUnknown,
    DuplicateOrderError,
    ExecutionStatusUnknown,
    HashKeyError,
    OrderNotFoundError,
    RateLimitError,
    TimestampError,
    TransportError,
)
from ..models.trading import BatchOrderItem, BatchOrderResponse, Order
from ..orders import OrderRequest
from . import endpoints as E
from .transport import Transport

__all__ = [
    "InDoubtOrders",
    "lookup_delays",
    "place_batch",
    "place_order",
]

log = logging.getLogger("hashkey_async.rest")

Sleep = Callable[[float], Awaitable[None]]

#: The most orders the list endpoints return in one answer (reference, "Get Current Open Orders").
_LIST_LIMIT = 1000
#: Batch orders still missing from the lists after every round get one lookup each, up to this many.
_STRAGGLER_LOOKUPS = 3


class InDoubtOrders:
    """Client order ids whose creation the SDK could not settle, oldest first, bounded.

    Filled when a creation ends in ``ExecutionStatusUnknown`` or the caller's task is
    cancelled while the request may have left (conservatively also while it still waited
    for the rate limiter: a lookup then answers "not found"). A bot looks each up
    (``client.spot.get_order(client_order_id=...)``) and ``discard``s it once settled;
    beyond ``maxlen`` the oldest is dropped (and logged).
    """

    __slots__ = ("_ids", "maxlen")

    def __init__(self, maxlen: int) -> None:
        if maxlen < 1:
            raise ValueError(f"maxlen must be >= 1, got {maxlen}")
        self.maxlen = maxlen
        self._ids: OrderedDict[str, None] = OrderedDict()

    def add(self, client_order_id: str) -> None:
        """Record ``client_order_id`` as in doubt (again: it moves to the newest end)."""
        self._ids[client_order_id] = None
        self._ids.move_to_end(client_order_id)
        while len(self._ids) > self.maxlen:
            dropped, _ = self._ids.popitem(last=False)
            log.warning("in-doubt record full: forgetting client order id %s", dropped)

    def discard(self, client_order_id: str) -> None:
        """Forget ``client_order_id`` (settled by the caller); unknown ids are ignored."""
        self._ids.pop(client_order_id, None)

    def clear(self) -> None:
        """Forget every id."""
        self._ids.clear()

    def __contains__(self, client_order_id: object) -> bool:
        return client_order_id in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._ids))

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        return f"InDoubtOrders({list(self._ids)!r})"


def lookup_delays(policy: ReconcilePolicy) -> list[float]:
    """Seconds to wait before each lookup: ``[0, base, 2*base, ...]`` capped at ``max_delay``."""
    return [
        0.0 if i == 0 else backoff_ceiling(i - 1, policy.base_delay, policy.max_delay)
        for i in range(policy.lookups)
    ]


@dataclass(slots=True)
class _Lookup:
    """What the lookups learned: the order, or whether the exchange said it has none."""

    order: Order | None = None
    absent: bool = False


async def _lookup(
    transport: Transport, client_order_id: str, policy: ReconcilePolicy, sleep: Sleep
) -> _Lookup:
    """Query the order by ``client_order_id`` until found or the policy's lookups run out.

    Only 0211 "Order not found" counts as absent: 0212 also means "completed (filled,
    cancelled)", and resending a completed order's id would rely on dedup we cannot see.
    """
    seen = _Lookup()
    for delay in lookup_delays(policy):
        if delay:
            await sleep(delay)
        try:
            seen.order = await transport.request(
                E.GET_ORDER, {"origClientOrderId": client_order_id}
            )
            return seen
        except OrderNotFoundError:
            seen.absent = True
        except HashKeyError as exc:
            log.info("reconcile %s: lookup failed: %s", client_order_id, type(exc).__name__)
    return seen


def _unsettled(in_doubt: InDoubtOrders | None, client_order_ids: Sequence[str], why: str) -> None:
    """Log (WARNING) and record client order ids whose order may or may not exist."""
    for cid in client_order_ids:
        log.warning("create_order %s: %s; the order may exist", cid, why)
        if in_doubt is not None:
            in_doubt.add(cid)


async def place_order(
    transport: Transport,
    order: OrderRequest,
    policy: ReconcilePolicy,
    *,
    in_doubt: InDoubtOrders | None = None,
    sleep: Sleep = asyncio.sleep,
) -> Order:
    """Create ``order``; on an uncertain outcome, reconcile instead of guessing.

    A cancelled caller or an unsettled outcome leaves the clientOrderId in ``in_doubt``.
    """
    try:
        return await _place_order(transport, order, policy, sleep)
    except ExecutionStatusUnknown:
        _unsettled(in_doubt, [order.client_order_id], "outcome unknown after reconciling")
        raise
    except asyncio.CancelledError:
        _unsettled(in_doubt, [order.client_order_id], "cancelled while in flight")
        raise


async def _place_order(
    transport: Transport, order: OrderRequest, policy: ReconcilePolicy, sleep: Sleep
) -> Order:
    """The single resend happens only after a lookup answered "no such order" (0211).

    The resend's answer: an order, or a definite rejection, ends it; -1141 means the first
    attempt landed after all (look it up); anything that proves nothing (no answer, 5xx,
    a rate limit or timestamp refusal) goes back to lookups, never to a second resend.
    """
    cid = order.client_order_id
    params = order.params()
    try:
        return await transport.request(E.CREATE_ORDER, params)
    except ExecutionStatusUnknown as exc:
        uncertain: HashKeyError = exc
    log.warning("create_order %s: outcome unknown (%s); reconciling", cid, uncertain)
    seen = await _lookup(transport, cid, policy, sleep)
    if seen.order is not None:
        return seen.order
    if policy.resubmit and seen.absent:
        log.info("create_order %s: not found; resending under the same clientOrderId", cid)
        try:
            return await transport.request(E.CREATE_ORDER, params)
        except (
            DuplicateOrderError,
            ExecutionStatusUnknown,
            TransportError,
            RateLimitError,
            TimestampError,
        ) as exc:
            if not isinstance(exc, DuplicateOrderError):
                uncertain = exc
            seen = await _lookup(transport, cid, policy, sleep)
            if seen.order is not None:
                return seen.order
    raise ExecutionStatusUnknown(
        f"create_order {cid}: outcome still unknown after reconciling ({uncertain})",
        status=uncertain.status,
        code=uncertain.code,
        client_order_id=cid,
        method=E.CREATE_ORDER.method,
        path=E.CREATE_ORDER.path,
    ) from uncertain


async def _find_listed(
    transport: Transport,
    symbol: str,
    wanted: set[str],
    policy: ReconcilePolicy,
    sleep: Sleep,
) -> dict[str, Order]:
    """Find ``wanted`` client order ids of ``symbol`` in the open, then traded, order lists."""
    found: dict[str, Order] = {}
    for delay in lookup_delays(policy):
        if delay:
            await sleep(delay)
        for endpoint in (E.OPEN_ORDERS, E.TRADE_ORDERS):
            missing = wanted - found.keys()
            if not missing:
                return found
            try:
                listed = await transport.request(endpoint, {"symbol": symbol, "limit": _LIST_LIMIT})
            except HashKeyError as exc:
                log.info("reconcile batch: %s failed: %s", endpoint.name, type(exc).__name__)
                continue
            for row in listed:
                if row.client_order_id in missing:
                    found[row.client_order_id] = row
    stragglers = wanted - found.keys()
    if len(stragglers) <= _STRAGGLER_LOOKUPS:
        for cid in sorted(stragglers):
            try:
                found[cid] = await transport.request(E.GET_ORDER, {"origClientOrderId": cid})
            except HashKeyError as exc:
                log.info("reconcile batch %s: lookup failed: %s", cid, type(exc).__name__)
    return found


async def place_batch(
    transport: Transport,
    orders: Sequence[OrderRequest],
    policy: ReconcilePolicy,
    *,
    in_doubt: InDoubtOrders | None = None,
    sleep: Sleep = asyncio.sleep,
) -> BatchOrderResponse:
    """Create a one-symbol batch; on an uncertain outcome, look its orders up, never resend.

    Returns one item per order (in request order) when every order was found; otherwise
    raises ``BatchStatusUnknown`` saying which are known and which unknown.
    """
    cids = [order.client_order_id for order in orders]
    body = [order.to_json() for order in orders]
    try:
        try:
            return await transport.request(E.CREATE_ORDERS, None, json_body=body)
        except ExecutionStatusUnknown as exc:
            uncertain = exc
        log.warning("create_orders %s: outcome unknown (%s); reconciling", cids, uncertain)
        found = await _find_listed(transport, orders[0].symbol, set(cids), policy, sleep)
    except asyncio.CancelledError:
        _unsettled(in_doubt, cids, "batch cancelled while in flight")
        raise
    if len(found) == len(set(cids)):
        return BatchOrderResponse(
            code=0, result=[BatchOrderItem(code="0000", order=found[cid]) for cid in cids]
        )
    error = BatchStatusUnknown(uncertain, cids, found)
    _unsettled(in_doubt, error.unknown, "batch outcome unknown after reconciling")
    raise error from uncertain
