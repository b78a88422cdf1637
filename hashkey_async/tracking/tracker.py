"""``client.orders``: the state of every order, kept right across stream gaps and restarts.

The I/O shell around ``OrderLedger``. It learns from three sources: ``client.spot`` (each order
it sends, and each answer, through ``rest.hooks.OrderHooks``), the private stream
(``executionReport``), and REST reconciliation: one paged open-orders query on start and after
every ``StreamGap``, then per-order lookups (by client order id) for orders that left the open
list meanwhile, for in-doubt creates and for orders recovered from the journal. Every REST call
goes through the client's rate limiter one at a time and waits out a suspension instead of
retrying into it, so a large gap costs a paced queue of queries, never a burst of 429s.

How it starts: ``await client.orders.start()`` subscribes to the private stream, waits for it to
open, reconciles, and returns when the tracker is *ready*: every order recovered from the
journal is settled (found, or proved absent). ``updates()`` starts it on first use. With a
journal, ``async with HashKeyClient(...)`` starts it on entry, and the first order sent starts
it too (the journal is opened and recovered before that order's intent is written). Without
``start()`` the tracker does nothing. ``close()`` (called by ``client.close()``) cancels its
tasks, leaves the stream and closes the journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Final

from ..errors import HashKeyError, OrderNotFoundError, RateLimitError
from ..models.stream import ExecutionReport, PrivateEvent, StreamGap
from ..models.trading import Order
from ..orders import OrderRequest
from ..streams.connection import ConnectionState
from .ledger import DEFAULT_KEEP_FINAL, OrderLedger
from .state import TrackedOrder

if TYPE_CHECKING:
    from ..rest.spot import SpotResource
    from ..streams.manager import StreamManager
    from ..streams.subscription import Subscription
    from .journal import OrderJournal

__all__ = ["OrderTracker"]

log = logging.getLogger("hashkey_async.tracking")

#: The exchange's cap on one open-orders answer (reference, "Get Current Open Orders").
_PAGE: Final = 1000
#: With more orders than this to look up, one traded-orders query per symbol goes first.
_LIST_FIRST: Final = 3
#: Seconds between retries of a failed reconcile call (doubling up to the cap).
_RETRY_BASE: Final = 0.5
_RETRY_CAP: Final = 30.0
#: An absent order is declared never placed this long after its request's recvWindow ended.
_ARRIVAL_MARGIN_MS: Final = 1000


class _Updates:
    """One ``updates()`` consumer: the latest state of each changed order, oldest change first.

    Conflated per order, so a slow consumer holds at most one entry per order (bounded like the
    ledger) and may skip an order's intermediate states, never its latest.
    """

    __slots__ = ("_closed", "_pending", "_ready")

    def __init__(self) -> None:
        self._pending: OrderedDict[str, TrackedOrder] = OrderedDict()
        self._ready = asyncio.Event()
        self._closed = False

    def put(self, order: TrackedOrder) -> None:
        self._pending.pop(order.client_order_id, None)
        self._pending[order.client_order_id] = order
        self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    async def get(self) -> TrackedOrder | None:
        while not self._pending:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._pending.popitem(last=False)[1]


class OrderTracker:
    """``client.orders``: every order this client placed or the account has open, kept current.

    ``get(client_order_id)`` and ``open()`` read the current states; ``async for order in
    updates()`` yields an order's full state (``TrackedOrder``) after each change. Final orders
    are kept up to ``keep_final`` (oldest forgotten first).
    """

    def __init__(
        self,
        spot: SpotResource,
        stream: StreamManager,
        *,
        recv_window_ms: int,
        journal: OrderJournal | None = None,
        keep_final: int = DEFAULT_KEEP_FINAL,
        wall_ms: Callable[[], int] | None = None,
    ) -> None:
        self._ledger = OrderLedger(keep_final)
        self._spot = spot
        self._stream = stream
        self._journal = journal
        self._recv_window_ms = recv_window_ms
        self._wall_ms = wall_ms or (lambda: int(time.time() * 1000))
        self._consumers: list[_Updates] = []
        #: Client order ids to look up -> earliest monotonic time; recovered ids block readiness.
        self._lookups: dict[str, float] = {}
        self._attempts: dict[str, int] = {}
        #: Open orders an open-orders list no longer showed: looked up even though placed.
        self._verify: set[str] = set()
        self._recovering: set[str] = set()
        self._full_pending = False
        self._wake: asyncio.Event | None = None
        self._ready: asyncio.Event | None = None
        self._journal_opened: asyncio.Task[None] | None = None
        self._starting: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._subscription: Subscription[PrivateEvent] | None = None
        self._closed = False
        #: How many reconcile passes (open-orders lists) and lookups ran (observability, soak).
        self.stats: dict[str, int] = {"full_reconciles": 0, "lookups": 0, "rate_limited": 0}
        if journal is not None:
            spot.hooks = self

    # --- reading --------------------------------------------------------------------

    def get(self, client_order_id: str) -> TrackedOrder | None:
        """The order's latest state (None if never seen, or aged out after it ended)."""
        return self._ledger.get(client_order_id)

    def open(self) -> list[TrackedOrder]:
        """Orders the exchange holds that may still trade."""
        return self._ledger.open()

    def in_doubt(self) -> list[TrackedOrder]:
        """Orders whose create has no known outcome yet (being reconciled)."""
        return self._ledger.in_doubt()

    def __iter__(self) -> Iterator[TrackedOrder]:
        return iter(self._ledger)

    def __len__(self) -> int:
        return len(self._ledger)

    @property
    def keep_final(self) -> int:
        """How many final orders ``get`` keeps (oldest forgotten first); settable."""
        return self._ledger.keep_final

    @keep_final.setter
    def keep_final(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"keep_final must be a positive int, got {value!r}")
        self._ledger.keep_final = value

    @property
    def journaled(self) -> bool:
        """Whether orders are written to a journal (and recovered from it on start)."""
        return self._journal is not None

    @property
    def ready(self) -> bool:
        """Started, reconciled, and every order recovered from the journal settled."""
        return self._ready is not None and self._ready.is_set()

    async def updates(self) -> AsyncIterator[TrackedOrder]:
        """Each order's full state after each change (starts the tracker on first use).

        Ends when the client closes. A slow consumer gets the latest state of each order.
        """
        consumer = _Updates()
        self._consumers.append(consumer)
        try:
            await self.start()
            while (order := await consumer.get()) is not None:
                yield order
        finally:
            with contextlib.suppress(ValueError):
                self._consumers.remove(consumer)

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        """Follow the private stream and reconcile; return once ready (idempotent)."""
        if self._closed:
            raise HashKeyError("the order tracker is closed")
        if self._starting is None:
            self._starting = asyncio.get_running_loop().create_task(
                self._start(), name="hashkey-orders-start"
            )
        await asyncio.shield(self._starting)

    async def _start(self) -> None:
        loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._ready = asyncio.Event()
        self._spot.hooks = self
        await self._open_journal()
        subscription = self._stream.user()
        self._subscription = subscription
        await subscription.__aenter__()
        feed = loop.create_task(self._feed(subscription), name="hashkey-orders-feed")
        self._tasks.append(feed)
        opened = loop.create_task(self._stream.wait_state("private", ConnectionState.OPEN))
        try:
            await asyncio.wait({feed, opened}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            opened.cancel()
        if feed.done():
            feed.result()  # the stream failed for good (bad credentials): raise it
            raise HashKeyError("the private stream ended before it opened")
        self._full_pending = True
        self._tasks.append(loop.create_task(self._reconcile(), name="hashkey-orders-reconcile"))
        await self._ready.wait()

    async def _open_journal(self) -> None:
        if self._journal is None:
            return
        if self._journal_opened is None:
            self._journal_opened = asyncio.get_running_loop().create_task(self._recover())
        await asyncio.shield(self._journal_opened)

    async def _recover(self) -> None:
        assert self._journal is not None
        for order in await self._journal.open():
            self._ledger.restore(order)
            if order.status is None:
                # Sent by an earlier run that never learned the outcome: look it up.
                settled = self._ledger.on_in_doubt(order.client_order_id)
                if settled is not None:
                    self._journal.record(settled)
                self._recovering.add(order.client_order_id)
                self._lookups[order.client_order_id] = 0.0
        if self._recovering:
            log.warning(
                "orders: %d unsettled order(s) recovered from the journal", len(self._recovering)
            )

    async def close(self) -> None:
        """Cancel the tasks, leave the stream, end every ``updates()`` and close the journal."""
        if self._closed:
            return
        self._closed = True
        tasks = [*self._tasks, *(t for t in (self._starting, self._journal_opened) if t)]
        self._tasks = []
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        for task in tasks:
            if not task.cancelled() and task.exception() is not None:
                log.debug("orders: task %s ended with %r", task.get_name(), task.exception())
        if self._subscription is not None:
            await self._subscription.aclose()
        for consumer in self._consumers:
            consumer.close()
        if self._spot.hooks is self:
            self._spot.hooks = None
        if self._journal is not None:
            await self._journal.close()

    # --- OrderHooks (called by client.spot) -----------------------------------------

    async def sending(self, orders: Sequence[OrderRequest]) -> None:
        """Record the intents (durably first, with a journal) before the request leaves."""
        if self._closed:
            return
        if self._journal is not None and self._starting is None:
            await self._open_journal()
            self._starting = asyncio.get_running_loop().create_task(
                self._start(), name="hashkey-orders-start"
            )
        now = self._wall_ms()
        changed = [c for o in orders if (c := self._ledger.on_intent(o, now)) is not None]
        if self._journal is not None and changed:
            await self._journal.write(changed)
        for order in changed:
            self._publish(order, journal=False)

    def answered(self, order: Order) -> None:
        """The exchange answered with the order's state (one without a status: look it up)."""
        self._publish(self._ledger.on_rest(order))
        cid = order.client_order_id
        if order.status is None and cid and cid in self._ledger and self._wake is not None:
            self._verify.add(cid)
            self._schedule(cid, 0.0)

    def refused(self, client_order_id: str, error: HashKeyError) -> None:
        """The exchange refused the create: the order was not placed."""
        reason = f"{type(error).__name__}: {error}"
        self._publish(self._ledger.on_refused(client_order_id, reason, self._wall_ms()))

    def unknown(self, client_order_ids: Sequence[str]) -> None:
        """Creates without an outcome: reconcile them by client order id."""
        for cid in client_order_ids:
            self._publish(self._ledger.on_in_doubt(cid))
            if cid in self._ledger:
                self._schedule(cid, 0.0)

    # --- the shell ------------------------------------------------------------------

    def _publish(self, order: TrackedOrder | None, *, journal: bool = True) -> None:
        if order is None:
            return
        if order.status is not None:  # settled: no longer in doubt for client.spot either
            self._spot.in_doubt.discard(order.client_order_id)
        if journal and self._journal is not None:
            self._journal.record(order)
        for consumer in self._consumers:
            consumer.put(order)

    def _schedule(self, cid: str, delay: float) -> None:
        due = time.monotonic() + delay
        self._lookups[cid] = min(self._lookups.get(cid, due), due) if delay == 0 else due
        if self._wake is not None:
            self._wake.set()

    async def _feed(self, subscription: Subscription[PrivateEvent]) -> None:
        async for event in subscription:
            if type(event) is ExecutionReport:
                self._publish(self._ledger.on_report(event))
                cid = event.client_order_id
                if event.status is None and cid is not None and cid in self._ledger:
                    self._verify.add(cid)  # a blanked status: ask by id
                    self._schedule(cid, 0.0)
            elif isinstance(event, StreamGap):
                log.info(
                    "orders: stream gap (%s, %d ms); reconciling", event.reason, event.duration_ms
                )
                self._full_pending = True
                if self._wake is not None:
                    self._wake.set()

    async def _reconcile(self) -> None:
        """One worker: full passes when asked, lookups when due, one REST call at a time."""
        assert self._wake is not None and self._ready is not None
        failures = 0
        while True:
            self._wake.clear()
            try:
                if self._full_pending:
                    self._full_pending = False
                    try:
                        await self._reconcile_open()
                    except BaseException:
                        self._full_pending = True
                        raise
                await self._lookup_due()
                failures = 0
            except RateLimitError as exc:
                self.stats["rate_limited"] += 1
                await asyncio.sleep(exc.retry_after or _RETRY_BASE)
                continue
            except HashKeyError as exc:
                failures += 1
                delay = min(_RETRY_CAP, _RETRY_BASE * 2 ** (failures - 1))
                log.info(
                    "orders: reconcile failed (%s); again in %.1f s", type(exc).__name__, delay
                )
                await asyncio.sleep(delay)
                continue
            if not self._recovering and not self._full_pending:
                self._ready.set()
            if self._full_pending:
                continue
            wait = min(self._lookups.values(), default=None)
            timeout = None if wait is None else max(0.0, wait - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _reconcile_open(self) -> None:
        """Every open order of the account; tracked open orders missing from it ended meanwhile."""
        self.stats["full_reconciles"] += 1
        listed: set[str] = set()
        from_id: int | None = None
        while True:
            rows = await self._spot.open_orders(limit=_PAGE, from_order_id=from_id)
            for row in rows:
                listed.add(row.client_order_id or str(row.order_id))
                self._publish(self._ledger.on_rest(row))
                if row.status is None and (cid := row.client_order_id):
                    self._verify.add(cid)
                    self._schedule(cid, 0.0)
            if len(rows) < _PAGE:
                break
            from_id = min(row.order_id for row in rows)
        missing = self._ledger.missing_from(listed)
        if len(missing) > _LIST_FIRST:
            for symbol in sorted({o.symbol for o in missing}):
                for row in await self._spot.trade_orders(symbol, limit=_PAGE):
                    self._publish(self._ledger.on_rest(row))
        for order in missing:
            current = self._ledger.get(order.client_order_id)
            if current is not None and current.is_open:
                self._verify.add(order.client_order_id)
                self._schedule(order.client_order_id, 0.0)

    async def _lookup_due(self) -> None:
        while True:
            now = time.monotonic()
            due = [cid for cid, at in self._lookups.items() if at <= now]
            if not due:
                return
            for cid in due:
                await self._lookup(cid)

    async def _lookup(self, cid: str) -> None:
        current = self._ledger.get(cid)
        if current is None or (current.placed and (current.is_final or cid not in self._verify)):
            self._settled(cid)  # the stream told us meanwhile
            return
        self.stats["lookups"] += 1
        try:
            order = await self._spot.get_order(client_order_id=cid)
        except OrderNotFoundError:
            self._not_found(cid, current)
            return
        except RateLimitError:
            raise
        except HashKeyError as exc:
            self._retry(cid, type(exc).__name__)
            return
        self._publish(self._ledger.on_rest(order))
        if order.status is None:  # the answer blanked the status: ask again later
            self._retry(cid, "no status")
            return
        self._settled(cid)

    def _retry(self, cid: str, why: str) -> None:
        attempt = self._attempts.get(cid, 0) + 1
        self._attempts[cid] = attempt
        delay = min(_RETRY_CAP, _RETRY_BASE * 2 ** (attempt - 1))
        log.info("orders: lookup of %s failed (%s); again in %.1f s", cid, why, delay)
        self._lookups[cid] = time.monotonic() + delay

    def _not_found(self, cid: str, current: TrackedOrder) -> None:
        if current.placed:
            # The exchange no longer lists an order it had: nothing more to learn by id.
            log.warning("orders: %s (status %s) is no longer found by id", cid, current.status)
            self._settled(cid)
            return
        arrival_end = (current.sent_at or 0) + self._recv_window_ms + _ARRIVAL_MARGIN_MS
        wait_ms = arrival_end - self._wall_ms()
        if wait_ms > 0:
            self._lookups[cid] = time.monotonic() + wait_ms / 1000
            return
        self._publish(self._ledger.on_not_found(cid, self._wall_ms()))
        self._settled(cid)

    def _settled(self, cid: str) -> None:
        current = self._ledger.get(cid)
        if current is not None and current.status is not None:
            self._spot.in_doubt.discard(cid)
        self._lookups.pop(cid, None)
        self._attempts.pop(cid, None)
        self._verify.discard(cid)
        self._recovering.discard(cid)
