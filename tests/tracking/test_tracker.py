"""``client.orders`` end to end against the offline exchange and its fault switches."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from hashkey_async import (
    ExecutionStatusUnknown,
    HashKeyClient,
    InsufficientBalanceError,
    OrderStatus,
    ReconcilePolicy,
)
from hashkey_async.testing import OfflineExchange
from hashkey_async.tracking import TrackedOrder
from hashkey_async.tracking.state import NOT_FOUND_REASON

FAST: dict[str, Any] = {"market_interval": 0.02, "private_ping_interval": 0.2}
#: A buy far below the market: it rests on the book until cancelled.
RESTING: dict[str, Any] = {"quantity": "0.001", "price": "1000"}


@pytest.fixture
async def ex() -> AsyncIterator[OfflineExchange]:
    async with OfflineExchange(**FAST) as exchange:
        yield exchange


def make_client(ex: OfflineExchange, **kwargs: Any) -> HashKeyClient:
    kwargs.setdefault("ws_ping_interval", 0.5)
    kwargs.setdefault("reconnect_max_delay", 0.05)
    return ex.client(**kwargs)


@pytest.fixture
async def client(ex: OfflineExchange) -> AsyncIterator[HashKeyClient]:
    c = make_client(ex)
    yield c
    await c.close()


class Watch:
    """Collects ``client.orders.updates()`` in the background; waits for a condition on them."""

    def __init__(self, client: HashKeyClient) -> None:
        self.seen: list[TrackedOrder] = []
        self._changed = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._run(client))

    async def _run(self, client: HashKeyClient) -> None:
        async for update in client.orders.updates():
            self.seen.append(update)
            self._changed.set()

    async def until(self, check: Callable[[], bool], seconds: float = 10.0) -> None:
        async with asyncio.timeout(seconds):
            while not check():
                self._changed.clear()
                await self._changed.wait()

    def states(self, cid: str) -> list[OrderStatus | None]:
        return [u.status for u in self.seen if u.client_order_id == cid]


def exchange_orders(ex: OfflineExchange, cid: str) -> list[Any]:
    return [o for o in ex.engine.orders.values() if o.client_order_id == cid]


async def test_updates_follow_an_order_from_intent_to_cancel(client: HashKeyClient) -> None:
    watch = Watch(client)
    await client.orders.start()
    assert client.orders.ready
    order = await client.spot.create_order("BTCUSDT", "BUY", "LIMIT", **RESTING)
    cid = order.client_order_id
    await watch.until(lambda: OrderStatus.NEW in watch.states(cid))
    assert watch.states(cid)[0] is None  # the intent comes first
    tracked = client.orders.get(cid)
    assert tracked is not None and tracked.order_id == order.order_id and tracked.is_open
    assert [o.client_order_id for o in client.orders.open()] == [cid]
    await client.spot.cancel_order(client_order_id=cid)
    await watch.until(lambda: OrderStatus.CANCELED in watch.states(cid))
    final = client.orders.get(cid)
    assert final is not None and final.is_final and final.placed and client.orders.open() == []
    statuses = [s for s in watch.states(cid) if s is not None]
    assert statuses == sorted(statuses, key=lambda s: ("NEW", "CANCELED").index(s))


async def test_start_picks_up_orders_that_are_already_open(
    ex: OfflineExchange, client: HashKeyClient
) -> None:
    async with ex.client() as other:
        placed = await other.spot.create_order(
            "BTCUSDT", "SELL", "LIMIT", quantity="0.001", price="999999"
        )
    await client.orders.start()
    tracked = client.orders.get(placed.client_order_id)
    assert (
        tracked is not None
        and tracked.status is OrderStatus.NEW
        and tracked.order_id == placed.order_id
    )


async def test_events_lost_in_an_outage_are_recovered_by_the_gap_reconcile(
    ex: OfflineExchange, client: HashKeyClient
) -> None:
    watch = Watch(client)
    await client.orders.start()
    cids = [
        (await client.spot.create_order("BTCUSDT", "BUY", "LIMIT", **RESTING)).client_order_id
        for _ in range(5)
    ]
    await watch.until(lambda: all(OrderStatus.NEW in watch.states(c) for c in cids))
    before = client.orders.stats["full_reconciles"]
    ex.stall()  # every private frame is swallowed from here: the cancel events are lost
    user = ex.engine.users[ex.api_key]
    for cid in cids:
        ex.engine.cancel(user, ex.engine.find_order(user, client_order_id=cid), ex.now_ms())
    ex.stall(False)
    assert all(client.orders.get(c).status is OrderStatus.NEW for c in cids)  # type: ignore[union-attr]
    await ex.drop_connections("private")  # the reconnect ends with a StreamGap
    await watch.until(lambda: all(OrderStatus.CANCELED in watch.states(c) for c in cids))
    assert client.orders.stats["full_reconciles"] > before
    assert client.orders.open() == []


async def test_an_in_doubt_create_is_looked_up_and_found(
    ex: OfflineExchange, client: HashKeyClient
) -> None:
    await client.orders.start()
    client.spot.reconcile = ReconcilePolicy(lookups=0)  # the create call itself gives up at once
    ex.fail_next_orders(1, after_effect=True)
    watch = Watch(client)
    with pytest.raises(ExecutionStatusUnknown) as caught:
        await client.spot.create_order("BTCUSDT", "BUY", "LIMIT", **RESTING)
    cid = caught.value.client_order_id
    assert cid is not None
    await watch.until(lambda: OrderStatus.NEW in watch.states(cid))
    tracked = client.orders.get(cid)
    assert tracked is not None and not tracked.in_doubt and tracked.placed
    assert len(exchange_orders(ex, cid)) == 1
    assert cid not in client.spot.in_doubt  # settled by the tracker


async def test_an_in_doubt_create_that_never_landed_is_declared_absent(ex: OfflineExchange) -> None:
    async with make_client(ex, recv_window=200) as client:
        await client.orders.start()
        client.spot.reconcile = ReconcilePolicy(lookups=0)
        ex.fail_next_orders(1, after_effect=False)
        watch = Watch(client)
        with pytest.raises(ExecutionStatusUnknown) as caught:
            await client.spot.create_order("BTCUSDT", "BUY", "LIMIT", **RESTING)
        cid = caught.value.client_order_id
        assert cid is not None
        await watch.until(lambda: OrderStatus.REJECTED in watch.states(cid))
        tracked = client.orders.get(cid)
        assert tracked is not None and not tracked.placed and tracked.reason == NOT_FOUND_REASON
        assert exchange_orders(ex, cid) == []


async def test_a_refused_create_ends_rejected_by_the_client(client: HashKeyClient) -> None:
    await client.orders.start()
    with pytest.raises(InsufficientBalanceError):
        await client.spot.create_order("BTCUSDT", "BUY", "LIMIT", quantity="5", price="300000")
    (tracked,) = list(client.orders)
    assert tracked.status is OrderStatus.REJECTED and tracked.origin == "client"
    assert "InsufficientBalanceError" in tracked.reason


@pytest.mark.timeout(60)  # 6 lookups at 2 queries/s while the stalled private link churns
async def test_many_in_doubt_orders_are_reconciled_within_the_rate_limit(
    ex: OfflineExchange, client: HashKeyClient
) -> None:
    await client.orders.start()
    client.spot.reconcile = ReconcilePolicy(lookups=0)
    ex.fail_next_orders(6, after_effect=True)
    watch = Watch(client)
    cids = []
    ex.stall()  # no executionReport arrives: only the lookups can tell
    for _ in range(6):
        with pytest.raises(ExecutionStatusUnknown) as caught:
            await client.spot.create_order("BTCUSDT", "BUY", "LIMIT", **RESTING)
        cids.append(caught.value.client_order_id)
    # About 4 s on an idle machine; the bound leaves room for a loaded 2-core runner.
    await watch.until(lambda: all(OrderStatus.NEW in watch.states(c) for c in cids), seconds=40)
    doubted = {u.client_order_id for u in watch.seen if u.in_doubt}
    assert doubted == set(cids)
    ex.stall(False)
    assert client.orders.stats["lookups"] >= 1
    assert client.orders.stats["rate_limited"] == 0  # the exchange enforces 2 queries/s: no 429


async def test_close_ends_updates_and_leaves_no_task(ex: OfflineExchange) -> None:
    client = make_client(ex)
    watch = Watch(client)
    await client.orders.start()
    assert client_tasks() != []  # the feed and the reconciler run
    await client.close()
    async with asyncio.timeout(5):
        await watch.task
    assert client_tasks() == []


def client_tasks() -> list[asyncio.Task[Any]]:
    """Live tasks running SDK client code (the exchange's own tasks excluded)."""
    here = asyncio.current_task()
    found = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        path = code.co_filename if code is not None else ""
        package = path.rpartition("hashkey_async")[2]  # a checkout may live in any folder
        if task is not here and "hashkey_async" in path and "testing" not in package:
            found.append(task)
    return found


async def test_a_closed_tracker_does_not_start(client: HashKeyClient) -> None:
    await client.close()
    with pytest.raises(Exception, match="closed"):
        await client.orders.start()


def test_money_stays_exact() -> None:
    assert isinstance(TrackedOrder(client_order_id="x", symbol="S").executed_qty, Decimal)


async def test_a_large_gap_is_reconciled_with_list_queries_not_a_burst_of_lookups() -> None:
    # Orders are placed fast (the exchange allows 100/s); queries stay at the reference's 2/s.
    async with OfflineExchange(**FAST, order_rate=100) as ex, make_client(ex) as client:
        await _large_gap(ex, client)


async def _large_gap(ex: OfflineExchange, client: HashKeyClient) -> None:
    watch = Watch(client)
    await client.orders.start()
    cids = [
        (await client.spot.create_order("BTCUSDT", "BUY", "LIMIT", **RESTING)).client_order_id
        for _ in range(20)
    ]
    await watch.until(lambda: all(OrderStatus.NEW in watch.states(c) for c in cids))
    ex.stall()
    ex.engine.cancel_many(ex.engine.users[ex.api_key], ex.now_ms(), "BTCUSDT")
    ex.stall(False)
    await ex.drop_connections("private")
    await watch.until(lambda: all(OrderStatus.CANCELED in watch.states(c) for c in cids))
    assert client.orders.stats["lookups"] == 0  # one open-orders + one traded-orders query
    assert client.orders.stats["rate_limited"] == 0


async def test_an_answer_without_a_status_is_checked_by_a_lookup(
    ex: OfflineExchange, client: HashKeyClient
) -> None:
    watch = Watch(client)
    await client.orders.start()
    placed = await client.spot.create_order("BTCUSDT", "BUY", "LIMIT", **RESTING)
    cid = placed.client_order_id
    assert cid is not None
    await watch.until(lambda: OrderStatus.NEW in watch.states(cid))
    ex.stall()  # the cancel's event is lost; its answer (below) comes with the status blanked
    user = ex.engine.users[ex.api_key]
    ex.engine.cancel(user, ex.engine.find_order(user, client_order_id=cid), ex.now_ms())
    ex.stall(False)
    client.orders.answered(msgspec.structs.replace(placed, status=None))
    await watch.until(lambda: OrderStatus.CANCELED in watch.states(cid))
    assert client.orders.stats["lookups"] >= 1
