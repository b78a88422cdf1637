"""Order creation that never duplicates and never loses an order.

Reference, "General API Information": after a 5xx "the execution status is uncertain";
-1006/-1007/-1146 say the same. When creating an order ends that way (or with a timeout
or dropped connection), we do not resubmit blindly. We look the order up by its
clientOrderId a bounded number of times with backoff, and return it if it exists. If it
still does not show, we optionally resubmit it once under the *same* clientOrderId:
the exchange refuses a second order with an existing id (-1141), and that answer
resolves to the existing order. If nothing settles it, ``ExecutionStatusUnknown``
carries the clientOrderId so the caller can look it up later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..errors import (
    DuplicateOrderError,
    ExecutionStatusUnknown,
    HashKeyError,
    OrderCompletedError,
    OrderNotFoundError,
    TransportError,
)
from ..models.trading import Order
from ..orders import OrderRequest
from . import endpoints as E
from .transport import Transport

__all__ = ["BatchStatusUnknown", "ReconcilePolicy", "lookup_delays", "place_order"]

log = logging.getLogger("hashkey_async.rest")


class BatchStatusUnknown(ExecutionStatusUnknown):
    """A batch of orders may or may not have been placed; ``client_order_ids`` lists them all.

    Each id can be looked up with ``client.spot.get_order(client_order_id=...)``.
    """

    def __init__(self, cause: ExecutionStatusUnknown, client_order_ids: list[str]) -> None:
        super().__init__(
            f"create_orders: outcome unknown for {len(client_order_ids)} order(s) ({cause})",
            status=cause.status,
            code=cause.code,
        )
        self.client_order_ids = client_order_ids


@dataclass(frozen=True, slots=True)
class ReconcilePolicy:
    """How hard to try to learn an uncertain order's fate.

    ``lookups`` queries per round, the first at once, then after ``base_delay * 2**i``
    seconds (capped at ``max_delay``); ``resubmit`` allows one resend under the same
    clientOrderId once the lookups found nothing.
    """

    lookups: int = 3
    base_delay: float = 0.2
    max_delay: float = 2.0
    resubmit: bool = True


def lookup_delays(policy: ReconcilePolicy) -> list[float]:
    """Seconds to wait before each lookup: ``[0, base, 2*base, ...]`` capped at ``max_delay``."""
    return [
        0.0 if i == 0 else min(policy.max_delay, policy.base_delay * 2.0 ** (i - 1))
        for i in range(policy.lookups)
    ]


@dataclass(slots=True)
class _Lookup:
    """What the lookups learned: the order, or whether the exchange said it has none."""

    order: Order | None = None
    absent: bool = False


async def _lookup(
    transport: Transport,
    client_order_id: str,
    policy: ReconcilePolicy,
    sleep: Callable[[float], Awaitable[None]],
) -> _Lookup:
    """Query the order by ``client_order_id`` until found or the policy's lookups run out."""
    seen = _Lookup()
    for delay in lookup_delays(policy):
        if delay:
            await sleep(delay)
        try:
            seen.order = await transport.request(
                E.GET_ORDER, {"origClientOrderId": client_order_id}
            )
            return seen
        except (OrderNotFoundError, OrderCompletedError):
            seen.absent = True
        except HashKeyError as exc:
            log.info("reconcile %s: lookup failed: %s", client_order_id, type(exc).__name__)
    return seen


async def place_order(
    transport: Transport,
    order: OrderRequest,
    policy: ReconcilePolicy,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Order:
    """Create ``order``; on an uncertain outcome, reconcile instead of guessing.

    The single resend happens only after a lookup answered "no such order"; a failure of
    that resend that proves nothing (no answer at all) keeps the outcome unknown.
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
        except (DuplicateOrderError, ExecutionStatusUnknown, TransportError) as exc:
            if not isinstance(exc, DuplicateOrderError):
                uncertain = exc
            seen = await _lookup(transport, cid, policy, sleep)
            if seen.order is not None:
                return seen.order
    raise ExecutionStatusUnknown(
        f"create_order {cid}: outcome still unknown after reconciling ({uncertain})",
        status=getattr(uncertain, "status", None),
        code=getattr(uncertain, "code", None),
        client_order_id=cid,
    ) from uncertain
