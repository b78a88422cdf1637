"""create_order never duplicates and never loses an order when the outcome is uncertain.

Runs against real local servers: the offline exchange (5xx after / before effect), and a
small aiohttp app in this module for what the offline exchange does not fake (timeouts,
dropped connections, -1006, a late order that makes the resend answer -1141).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from hashkey_async import (
    ExecutionStatusUnknown,
    HashKeyClient,
    InsufficientBalanceError,
    OrderStatus,
)
from hashkey_async.rest.reconcile import ReconcilePolicy, lookup_delays
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


def _order_json(cid: str, order_id: int) -> dict[str, Any]:
    return {
        "accountId": "1",
        "symbol": "BTCUSDT",
        "clientOrderId": cid,
        "orderId": str(order_id),
        "transactTime": "1",
        "price": "100",
        "origQty": "0.01",
        "executedQty": "0",
        "status": "NEW",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
    }


def _app(script: Script) -> web.Application:
    async def create(request: web.Request) -> web.StreamResponse:
        cid = request.query["newClientOrderId"]
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
        raise AssertionError(action)

    async def query(request: web.Request) -> web.Response:
        script.lookups += 1
        order = script.orders.get(request.query.get("origClientOrderId", ""))
        if order is None:
            return web.json_response({"code": "0211", "msg": "Order not found"}, status=400)
        return web.json_response(order)

    app = web.Application()
    app.router.add_post("/api/v1.1/spot/order", create)
    app.router.add_get("/api/v1/spot/order", query)
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


def _client(url: str, **kwargs: Any) -> HashKeyClient:
    kwargs.setdefault("request_timeout", 0.3)
    client = HashKeyClient(
        "key", "secret", base_url=url, time_sync_interval=None, query_rate=100, **kwargs
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
