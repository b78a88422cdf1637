"""create_order never duplicates and never loses an order when the outcome is uncertain.

Runs against real local servers: the offline exchange (5xx after / before effect), and a
small aiohttp app in this module for what the offline exchange does not fake (timeouts,
dropped connections, -1006, a late order that makes the resend answer -1141).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from hashkey_async import (
    BatchStatusUnknown,
    ExecutionStatusUnknown,
    HashKeyClient,
    InsufficientBalanceError,
    OrderStatus,
)
from hashkey_async.rest.reconcile import (
    InDoubtOrders,
    ReconcilePolicy,
    lookup_delays,
)
from hashkey_async.testing import OfflineExchange

FAST = ReconcilePolicy(lookups=3, base_delay=0.01, max_delay=0.05)
ORDER = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "100"}


def test_lookup_delays_back_off_and_cap() -> None:
    policy = ReconcilePolicy(lookups=6, base_delay=0.25, max_delay=1.0)
    assert lookup_delays(policy) == [0.0, 0.25, 0.5, 1.0, 1.0, 1.0]
    assert lookup_delays(ReconcilePolicy(lookups=0)) == []


# --- against the offline exchange -----------------------------------------------------------


@pytest.fixture
async def exchange() -> AsyncIterator[OfflineExchange]:
    async with OfflineExchange(query_rate=100, order_rate=100) as ex:
        yield ex


async def _orders_with(client: HashKeyClient, cid: str) -> list[Any]:
    return [o for o in await client.spot.open_orders("BTCUSDT") if o.client_order_id == cid]


async def test_5xx_after_effect_returns_the_order_that_exists(exchange: OfflineExchange) -> None:
    async with exchange.client(query_rate=100, order_rate=100) as client:
        client.spot.reconcile = FAST
        exchange.fail_next_orders(1, after_effect=True, status=500)
        order = await client.spot.create_order(**ORDER, client_order_id="after-effect")
        assert order.client_order_id == "after-effect"
        assert order.status is OrderStatus.NEW
        assert [o.order_id for o in await _orders_with(client, "after-effect")] == [order.order_id]


async def test_5xx_before_effect_resends_once_under_the_same_id(exchange: OfflineExchange) -> None:
    async with exchange.client(query_rate=100, order_rate=100) as client:
        client.spot.reconcile = FAST
        exchange.fail_next_orders(1, after_effect=False, status=502)
        order = await client.spot.create_order(**ORDER, client_order_id="before-effect")
        assert order.client_order_id == "before-effect"
        assert len(await _orders_with(client, "before-effect")) == 1


async def test_without_resend_an_absent_order_is_execution_status_unknown(
    exchange: OfflineExchange,
) -> None:
    async with exchange.client(query_rate=100, order_rate=100) as client:
        client.spot.reconcile = ReconcilePolicy(lookups=2, base_delay=0.01, resubmit=False)
        exchange.fail_next_orders(1, after_effect=False, status=500)
        with pytest.raises(ExecutionStatusUnknown) as info:
            await client.spot.create_order(**ORDER)
        cid = info.value.client_order_id
        assert cid is not None and cid.startswith("hka-")
        assert info.value.status == 500
        assert await _orders_with(client, cid) == []


async def test_persistent_5xx_ends_in_execution_status_unknown_with_no_order(
    exchange: OfflineExchange,
) -> None:
    async with exchange.client(query_rate=100, order_rate=100) as client:
        client.spot.reconcile = FAST
        exchange.fail_next_orders(5, after_effect=False, status=500)
        with pytest.raises(ExecutionStatusUnknown) as info:
            await client.spot.create_order(**ORDER, client_order_id="never")
        assert info.value.client_order_id == "never"
        assert await _orders_with(client, "never") == []


# --- a scripted local server -------------------------------------------------------------------


@dataclass
class Script:
    """What the scripted server does with each create call, in order."""

    creates: list[str]
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    create_calls: int = 0
    lookups: int = 0
    ids: Any = field(default_factory=lambda: itertools.count(1000))
    release: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    #: Code the order query answers for an unknown client order id.
    missing: str = "0211"
    #: Batch: client order ids that take effect before the 500 (FILLED ones: in ``filled``).
    batch_effect: list[str] = field(default_factory=list)
    filled: set[str] = field(default_factory=set)
    #: Batch orders that neither list shows (say an IOC order cancelled unfilled).
    unlisted: set[str] = field(default_factory=set)
    batch_calls: int = 0
    list_queries: list[str] = field(default_factory=list)


def _order_json(cid: str, order_id: int, status: str = "NEW") -> dict[str, Any]:
    return {
        "accountId": "1",
        "symbol": "BTCUSDT",
        "clientOrderId": cid,
        "orderId": str(order_id),
        "transactTime": "1",
        "price": "100",
        "origQty": "0.01",
        "executedQty": "0.01" if status == "FILLED" else "0",
        "status": status,
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
    }


def _app(script: Script) -> web.Application:
    async def create(request: web.Request) -> web.StreamResponse:
        cid = request.query["newClientOrderId"]
        script.arrived.set()
        action = script.creates[script.create_calls]
        script.create_calls += 1
        if action in ("ok", "late-duplicate") and script.pending:
            # The first, uncertain attempt lands now, just before the resend.
            script.orders[cid] = _order_json(cid, next(script.ids))
            script.pending.clear()
            return web.json_response({"code": "-1141", "msg": "Duplicate order"}, status=400)
        if cid in script.orders:
            return web.json_response({"code": "-1141", "msg": "Duplicate order"}, status=400)
        if action == "ok":
            script.orders[cid] = _order_json(cid, next(script.ids))
            return web.json_response(script.orders[cid])
        if action == "pending-500":  # not yet in the book, will land later
            script.pending.append(cid)
            return web.json_response({"code": "-1001", "msg": "Internal"}, status=500)
        if action == "500":
            return web.Response(status=500, text="<html>oops</html>")
        if action == "effect-1006":
            script.orders[cid] = _order_json(cid, next(script.ids))
            return web.json_response(
                {"code": "-1006", "msg": "Execution status unknown"}, status=400
            )
        if action == "effect-then-stall":
            script.orders[cid] = _order_json(cid, next(script.ids))
            await script.release.wait()  # past the client's timeout; freed at teardown
            return web.json_response(script.orders[cid])
        if action == "effect-then-drop":
            script.orders[cid] = _order_json(cid, next(script.ids))
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if action == "no-balance":
            return web.json_response({"code": "-4003", "msg": "Insufficient balance"}, status=400)
        if action == "rate-limited":
            return web.json_response({"code": "-1015", "msg": "Too many new orders"}, status=400)
        raise AssertionError(action)

    async def query(request: web.Request) -> web.Response:
        script.lookups += 1
        order = script.orders.get(request.query.get("origClientOrderId", ""))
        if order is None:
            return web.json_response({"code": script.missing, "msg": "Order not found"}, status=400)
        return web.json_response(order)

    async def batch(request: web.Request) -> web.StreamResponse:
        script.batch_calls += 1
        script.arrived.set()
        for item in await request.json():
            cid = item["newClientOrderId"]
            if cid in script.batch_effect:
                status = "FILLED" if cid in script.filled else "NEW"
                script.orders[cid] = _order_json(cid, next(script.ids), status)
        if script.creates and script.creates[0] == "stall":
            await script.release.wait()
        return web.Response(status=500, text="<html>oops</html>")

    def lister(open_only: bool) -> Any:
        async def handler(request: web.Request) -> web.Response:
            script.list_queries.append(request.path)
            assert request.query["symbol"] == "BTCUSDT"
            rows = [
                o
                for cid, o in script.orders.items()
                if (o["status"] == "NEW") is open_only and cid not in script.unlisted
            ]
            return web.json_response(rows[::-1])  # newest first

        return handler

    app = web.Application()
    app.router.add_post("/api/v1.1/spot/order", create)
    app.router.add_get("/api/v1/spot/order", query)
    app.router.add_post("/api/v1.1/spot/batchOrders", batch)
    app.router.add_get("/api/v1/spot/openOrders", lister(True))
    app.router.add_get("/api/v1/spot/tradeOrders", lister(False))
    return app


@pytest.fixture
async def scripted() -> AsyncIterator[tuple[Script, str]]:
    script = Script(creates=[])
    runner = web.AppRunner(_app(script), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield script, f"http://127.0.0.1:{port}"
    finally:
        script.release.set()
        await runner.cleanup()


def _client(url: str, secret: str = "secret", **kwargs: Any) -> HashKeyClient:
    kwargs.setdefault("request_timeout", 0.3)
    client = HashKeyClient(
        "key", secret, base_url=url, time_sync_interval=None, query_rate=100, **kwargs
    )
    client.spot.reconcile = FAST
    return client


@pytest.mark.parametrize("first", ["effect-1006", "effect-then-stall", "effect-then-drop"])
async def test_uncertain_answers_after_effect_resolve_to_the_order(
    scripted: tuple[Script, str], first: str
) -> None:
    script, url = scripted
    script.creates = [first]
    async with _client(url) as client:
        order = await client.spot.create_order(**ORDER, client_order_id="x1")
    assert order.client_order_id == "x1" and order.order_id == 1000
    assert script.create_calls == 1  # found by lookup: never sent again
    assert script.lookups == 1


async def test_resend_answered_duplicate_resolves_to_the_late_order(
    scripted: tuple[Script, str],
) -> None:
    script, url = scripted
    script.creates = ["pending-500", "late-duplicate"]
    async with _client(url) as client:
        order = await client.spot.create_order(**ORDER, client_order_id="late")
    assert order.client_order_id == "late"
    assert script.create_calls == 2
    assert list(script.orders) == ["late"]


async def test_resend_after_absent_creates_exactly_one(scripted: tuple[Script, str]) -> None:
    script, url = scripted
    script.creates = ["500", "ok"]
    async with _client(url) as client:
        order = await client.spot.create_order(**ORDER, client_order_id="once")
    assert order.order_id == 1000
    assert script.create_calls == 2
    assert script.lookups == FAST.lookups  # all said "not found" before the resend


async def test_definite_rejection_of_the_resend_is_raised(scripted: tuple[Script, str]) -> None:
    script, url = scripted
    script.creates = ["500", "no-balance"]
    async with _client(url) as client:
        with pytest.raises(InsufficientBalanceError):
            await client.spot.create_order(**ORDER)
    assert script.orders == {}


async def test_resend_that_fails_too_stays_unknown(
    scripted: tuple[Script, str],
) -> None:
    script, url = scripted
    script.creates = ["500", "500"]
    async with _client(url) as client:
        with pytest.raises(ExecutionStatusUnknown) as info:
            await client.spot.create_order(**ORDER, client_order_id="lost")
    assert info.value.client_order_id == "lost"
    assert script.create_calls == 2  # one resend at most, never a blind loop


# --- the resend path (never a second resend) ----------------------------------------------


async def test_resend_with_unknown_outcome_goes_back_to_lookups(
    scripted: tuple[Script, str],
) -> None:
    script, url = scripted
    script.creates = ["500", "effect-1006"]
    async with _client(url) as client:
        order = await client.spot.create_order(**ORDER, client_order_id="r1")
    assert order.client_order_id == "r1" and order.order_id == 1000
    assert script.create_calls == 2
    assert script.lookups == FAST.lookups + 1  # all "not found", then found after the resend


async def test_resend_refused_by_a_rate_limit_stays_unknown_not_a_rejection(
    scripted: tuple[Script, str],
) -> None:
    # The refused resend says nothing about the first attempt, which may still land.
    script, url = scripted
    script.creates = ["500", "rate-limited"]
    async with _client(url) as client:
        with pytest.raises(ExecutionStatusUnknown) as info:
            await client.spot.create_order(**ORDER, client_order_id="r2")
        assert list(client.spot.in_doubt) == ["r2"]
    assert info.value.client_order_id == "r2" and info.value.code == "-1015"
    assert script.create_calls == 2
    assert script.lookups == 2 * FAST.lookups


async def test_completed_or_missing_0212_never_triggers_a_resend(
    scripted: tuple[Script, str],
) -> None:
    # 0212 also means "filled or cancelled": resending would lean on dedup we cannot see.
    script, url = scripted
    script.creates = ["500"]
    script.missing = "0212"
    async with _client(url) as client:
        with pytest.raises(ExecutionStatusUnknown) as info:
            await client.spot.create_order(**ORDER, client_order_id="r3")
    assert info.value.client_order_id == "r3"
    assert script.create_calls == 1
    assert script.lookups == FAST.lookups


# --- cancellation while the request is in flight ---------------------------------------------


async def test_cancelled_create_order_propagates_and_leaves_the_id_recoverable(
    scripted: tuple[Script, str], caplog: pytest.LogCaptureFixture
) -> None:
    script, url = scripted
    script.creates = ["effect-then-stall"]
    secret = "s3cr3t-never-logged"
    async with _client(url, secret=secret, request_timeout=10.0) as client:
        task = asyncio.create_task(client.spot.create_order(**ORDER, client_order_id="c1"))
        async with asyncio.timeout(5):
            await script.arrived.wait()
        with caplog.at_level(logging.WARNING, logger="hashkey_async.rest"):
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert list(client.spot.in_doubt) == ["c1"]
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("c1" in m and "cancelled" in m for m in warnings)
        assert all(secret not in r.getMessage() for r in caplog.records)
        # The bot reconciles: the order did land, and is found by its client order id.
        for cid in list(client.spot.in_doubt):
            found = await client.spot.get_order(client_order_id=cid)
            assert found.order_id == 1000
            client.spot.in_doubt.discard(cid)
        assert len(client.spot.in_doubt) == 0
    assert script.create_calls == 1


async def test_caller_timeout_around_create_order_leaves_the_id_in_doubt(
    scripted: tuple[Script, str],
) -> None:
    script, url = scripted
    script.creates = ["effect-then-stall"]
    async with _client(url, request_timeout=10.0) as client:
        deadline: list[asyncio.Timeout] = []

        async def bot() -> None:
            async with asyncio.timeout(None) as cm:
                deadline.append(cm)
                await client.spot.create_order(**ORDER, client_order_id="t1")

        task = asyncio.create_task(bot())
        async with asyncio.timeout(5):
            await script.arrived.wait()
        deadline[0].reschedule(asyncio.get_running_loop().time())  # the bot's deadline hits
        with pytest.raises(TimeoutError):
            await task
        assert list(client.spot.in_doubt) == ["t1"]
    assert script.create_calls == 1 and script.lookups == 0


async def test_cancelled_batch_leaves_every_id_in_doubt(scripted: tuple[Script, str]) -> None:
    script, url = scripted
    script.creates = ["stall"]
    script.batch_effect = ["b1", "b2"]
    async with _client(url, request_timeout=10.0) as client:
        batch = [{**ORDER, "client_order_id": cid} for cid in ("b1", "b2")]
        task = asyncio.create_task(client.spot.create_orders(batch))
        async with asyncio.timeout(5):
            await script.arrived.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert list(client.spot.in_doubt) == ["b1", "b2"]
    assert script.batch_calls == 1 and script.list_queries == []


def test_in_doubt_record_is_bounded_and_keeps_the_newest() -> None:
    record = InDoubtOrders(maxlen=3)
    for cid in ("a", "b", "c", "a", "d"):
        record.add(cid)
    assert list(record) == ["c", "a", "d"]  # "b" (oldest) dropped; "a" refreshed
    record.discard("a")
    record.discard("zzz")
    assert list(record) == ["c", "d"] and "c" in record and "a" not in record
    with pytest.raises(ValueError):
        InDoubtOrders(maxlen=0)


# --- uncertain batches: looked up by symbol, never resent -----------------------------------


BATCH_IDS = ("bo-1", "bo-2", "bo-3")


async def test_batch_5xx_after_effect_resolves_every_item(exchange: OfflineExchange) -> None:
    async with exchange.client(query_rate=100, order_rate=100) as client:
        client.spot.reconcile = FAST
        exchange.fail_next_orders(1, after_effect=True, status=500)
        result = await client.spot.create_orders(
            [{**ORDER, "client_order_id": cid} for cid in BATCH_IDS]
        )
        assert [item.ok for item in result.result] == [True] * 3
        assert [o.client_order_id for o in result.orders] == list(BATCH_IDS)
        listed = {o.client_order_id: o.order_id for o in await client.spot.open_orders("BTCUSDT")}
        assert listed == {o.client_order_id: o.order_id for o in result.orders}
        assert len(client.spot.in_doubt) == 0


async def test_batch_5xx_before_effect_is_never_resent(exchange: OfflineExchange) -> None:
    async with exchange.client(query_rate=100, order_rate=100) as client:
        client.spot.reconcile = FAST
        exchange.fail_next_orders(1, after_effect=False, status=503)
        with pytest.raises(BatchStatusUnknown) as info:
            await client.spot.create_orders(
                [{**ORDER, "client_order_id": cid} for cid in BATCH_IDS]
            )
        assert info.value.unknown == list(BATCH_IDS) and info.value.known == {}
        assert info.value.status == 503
        assert list(client.spot.in_doubt) == list(BATCH_IDS)
        assert await client.spot.open_orders("BTCUSDT") == []


async def test_batch_partly_found_reports_known_and_unknown_with_few_queries(
    scripted: tuple[Script, str],
) -> None:
    script, url = scripted
    script.batch_effect = ["bo-1", "bo-2"]
    script.filled = {"bo-2"}  # filled at once: only the traded-orders list shows it
    async with _client(url) as client:
        with pytest.raises(BatchStatusUnknown) as info:
            await client.spot.create_orders(
                [{**ORDER, "client_order_id": cid} for cid in BATCH_IDS]
            )
        assert list(client.spot.in_doubt) == ["bo-3"]
    err = info.value
    assert err.client_order_ids == list(BATCH_IDS)
    assert err.unknown == ["bo-3"]
    assert {cid: o.status for cid, o in err.known.items()} == {
        "bo-1": OrderStatus.NEW,
        "bo-2": OrderStatus.FILLED,
    }
    assert script.batch_calls == 1  # never resent
    assert script.lookups == 1  # two list queries per round, then one for the straggler
    assert script.list_queries == ["/api/v1/spot/openOrders", "/api/v1/spot/tradeOrders"] * (
        FAST.lookups
    )


async def test_batch_found_in_the_open_list_needs_one_query(
    scripted: tuple[Script, str],
) -> None:
    script, url = scripted
    script.batch_effect = list(BATCH_IDS)
    async with _client(url) as client:
        result = await client.spot.create_orders(
            [{**ORDER, "client_order_id": cid} for cid in BATCH_IDS]
        )
    assert [o.client_order_id for o in result.orders] == list(BATCH_IDS)
    assert script.list_queries == ["/api/v1/spot/openOrders"]
    assert script.batch_calls == 1


async def test_batch_straggler_missing_from_both_lists_is_looked_up_once(
    scripted: tuple[Script, str],
) -> None:
    script, url = scripted
    script.batch_effect = list(BATCH_IDS)
    script.filled = {"bo-3"}
    script.unlisted = {"bo-3"}
    async with _client(url) as client:
        result = await client.spot.create_orders(
            [{**ORDER, "client_order_id": cid} for cid in BATCH_IDS]
        )
    assert [o.client_order_id for o in result.orders] == list(BATCH_IDS)
    assert (
        script.list_queries
        == [
            "/api/v1/spot/openOrders",
            "/api/v1/spot/tradeOrders",
        ]
        * FAST.lookups
    )
    assert script.lookups == 1
    assert script.batch_calls == 1
