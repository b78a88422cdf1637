"""``client.spot``: exact request shapes of every Spot Trading endpoint, reference payloads,
per-item batch/cancel errors, cancel error mapping, and "bad input sends nothing"."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from fixtures import reference_answer
from order_matrix import BAD_ORDERS, GOOD_LIMIT
from signed_shapes import Case, assert_signed, mocked_client, run_case

from hashkey_async import (
    DuplicateOrderError,
    ExecutionStatusUnknown,
    FilterViolation,
    InvalidParameterError,
    Order,
    OrderAlreadyCancelledError,
    OrderAlreadyFilledError,
    OrderCompletedError,
    OrderNotFoundError,
    OrderStatus,
    OrderType,
    Side,
    StpMode,
    TimeInForce,
    build_order,
)
from hashkey_async.errors import BatchStatusUnknown, FilterError, InsufficientBalanceError
from hashkey_async.models.trading import BatchOrderResponse, CancelByIdsResponse
from hashkey_async.rest import endpoints as E
from hashkey_async.rest.reconcile import ReconcilePolicy

# --- reference example payloads ("Spot Trading"), verbatim -----------------------------

CREATE = reference_answer("POST /api/v1.1/spot/order")

BATCH = json.loads("""{"code": 0, "result": [
 {"code": "0000", "order": {"accountId": "1464567707961719552", "symbol": "BTCUSD",
  "symbolName": "BTCUSD", "clientOrderId": "122455", "orderId": "1563289422480390912",
  "transactTime": "1701094621417", "price": "35000", "origQty": "0.01", "executedQty": "0",
  "status": "NEW", "timeInForce": "GTC", "type": "LIMIT", "side": "SELL", "reqAmount": "0"}},
 {"code": "0000", "order": {"accountId": "1464567707961719552", "symbol": "BTCUSD",
  "symbolName": "BTCUSD", "clientOrderId": "122433", "orderId": "1563289422622997248",
  "transactTime": "1701094621434", "price": "35000", "origQty": "0.01", "executedQty": "0",
  "status": "NEW", "timeInForce": "GTC", "type": "LIMIT", "side": "SELL", "reqAmount": "0"}}
], "concentration": ""}""")

CANCEL = {
    "accountId": "1464567707961719552",
    "symbol": "ETHUSD",
    "clientOrderId": "99999888912",
    "orderId": "1563291927536863744",
    "transactTime": "1701094920045",
    "price": "1900",
    "origQty": "1",
    "executedQty": "0",
    "status": "NEW",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "BUY",
}

CANCEL_ALL = {
    "code": "0000",
    "message": "success",
    "timestamp": 1714406315538,
    "lastOrderId": 1470930457684189700,
}

CANCEL_IDS_OK = {"code": "0000", "result": []}
NOT_FOUND = {"code": "0211", "msg": "Order not found"}
CANCEL_IDS_FAILED = {
    "code": "0000",
    "result": [
        {"orderId": "1507155386372816640", "code": "0211"},
        {"orderId": "1507155487740667904", "code": "0211"},
    ],
}

QUERY = {
    "accountId": "1649292498437183232",
    "exchangeId": "301",
    "symbol": "BTCUSDT",
    "symbolName": "BTCUSDT",
    "clientOrderId": "1766133332140288",
    "orderId": "2108873672953505280",
    "price": "0",
    "origQty": "0.1",
    "executedQty": "0.1",
    "cummulativeQuoteQty": "11292.24",
    "cumulativeQuoteQty": "11292.24",
    "avgPrice": "112922.4",
    "status": "FILLED",
    "timeInForce": "IOC",
    "type": "MARKET",
    "side": "SELL",
    "stopPrice": "0.0",
    "icebergQty": "0.0",
    "time": "1766133332319",
    "updateTime": "1766133332383",
    "isWorking": True,
    "reqAmount": "0",
    "feeCoin": "",
    "feeAmount": "0",
    "sumFeeAmount": "0",
    "ordCxlReason": "",
    "stpMode": "EXPIRE_TAKER",
}

OPEN = [
    {
        "accountId": "1464567707961719552",
        "exchangeId": "301",
        "symbol": "ETHUSD",
        "symbolName": "ETHUSD",
        "clientOrderId": "99999888913",
        "orderId": "1563293653459405312",
        "price": "1900",
        "origQty": "1",
        "executedQty": "0",
        "cummulativeQuoteQty": "0",
        "cumulativeQuoteQty": "0",
        "avgPrice": "0",
        "status": "NEW",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
        "stopPrice": "0.0",
        "icebergQty": "0.0",
        "time": "1701095125789",
        "updateTime": "1701095125798",
        "isWorking": True,
        "reqAmount": "0",
    }
]

TRADED = [
    {
        **OPEN[0],
        "status": "CANCELED",
        "orderId": "1563291927536863744",
        "updateTime": "1701094949567",
    },
    {
        **OPEN[0],
        "clientOrderId": "99999888911",
        "orderId": "1563291785660336640",
        "price": "0",
        "origQty": "0",
        "status": "CANCELED",
        "timeInForce": "IOC",
        "type": "MARKET",
        "reqAmount": "10",
    },
]

# --- captured from the live exchange (captured-payloads.json) ---------------------------

CAPTURED_CREATE = [
    {
        "accountId": "1732885739589466112",
        "symbol": "ETHUSDT",
        "symbolName": "ETHUSDT",
        "clientOrderId": "1722865171625507",
        "orderId": "1745914034203524352",
        "transactTime": "1722865171634",
        "price": "2500",
        "origQty": "0.001",
        "executedQty": "0",
        "status": "NEW",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "SELL",
        "reqAmount": "0",
        "concentration": "",
    },
    {
        "accountId": "1732885739589466112",
        "symbol": "ETHUSDT",
        "symbolName": "ETHUSDT",
        "clientOrderId": "1722864923733471",
        "orderId": "1745911954734647808",
        "transactTime": "1722864923742",
        "price": "0",
        "origQty": "0.001",
        "executedQty": "0.0009",
        "status": "FILLED",
        "timeInForce": "IOC",
        "type": "MARKET",
        "side": "BUY",
        "reqAmount": "0",
        "concentration": "",
    },
]
CAPTURED_QUERY = {
    "accountId": "1732885739589466112",
    "exchangeId": "301",
    "symbol": "ETHUSDT",
    "symbolName": "ETHUSDT",
    "clientOrderId": "1722866993070662",
    "orderId": "1745929313600004864",
    "price": "2500",
    "origQty": "0.001",
    "executedQty": "0.001",
    "cummulativeQuoteQty": "2.5",
    "cumulativeQuoteQty": "2.5",
    "avgPrice": "2500",
    "status": "FILLED",
    "timeInForce": "GTC",
    "type": "LIMIT_MAKER",
    "side": "SELL",
    "stopPrice": "0.0",
    "icebergQty": "0.0",
    "time": "1722866993080",
    "updateTime": "1722875112094",
    "isWorking": True,
    "reqAmount": "0",
    "feeCoin": "",
    "feeAmount": "0",
    "sumFeeAmount": "0",
}


def _order_is(order: Any, order_id: int, status: OrderStatus) -> bool:
    return isinstance(order, Order) and order.order_id == order_id and order.status is status


CASES: dict[str, Case] = {
    "test_order": (
        lambda c: c.spot.test_order(
            "BTCUSDT",
            Side.BUY,
            "LIMIT",
            quantity="0.01",
            price="28000",
            client_order_id="t1",
            time_in_force="GTC",
            stp_mode=StpMode.EXPIRE_MAKER,
        ),
        "POST",
        "/api/v1/spot/orderTest",
        [
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("quantity", "0.01"),
            ("price", "28000"),
            ("newClientOrderId", "t1"),
            ("timeInForce", "GTC"),
            ("stpMode", "EXPIRE_MAKER"),
        ],
        {},
        lambda r: r is None,
    ),
    "create_order limit": (
        lambda c: c.spot.create_order(
            "ETHUSD",
            "BUY",
            OrderType.LIMIT,
            quantity=Decimal("0.03"),
            price=1900,
            client_order_id="99999888905",
            time_in_force=TimeInForce.GTC,
            stp_mode="EXPIRE_TAKER",
        ),
        "POST",
        "/api/v1.1/spot/order",
        [
            ("symbol", "ETHUSD"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("quantity", "0.03"),
            ("price", "1900"),
            ("newClientOrderId", "99999888905"),
            ("timeInForce", "GTC"),
            ("stpMode", "EXPIRE_TAKER"),
        ],
        CREATE,
        lambda r: (
            _order_is(r, 1563277167764290304, OrderStatus.NEW)
            and r.price == Decimal(1900)
            and r.orig_qty == Decimal("0.03")
            and r.stp_mode is None
        ),
    ),
    "create_order market by amount": (
        lambda c: c.spot.create_order(
            "ETHUSDT", "BUY", "MARKET", amount="10.5", client_order_id="m1"
        ),
        "POST",
        "/api/v1.1/spot/order",
        [
            ("symbol", "ETHUSDT"),
            ("side", "BUY"),
            ("type", "MARKET"),
            ("amount", "10.5"),
            ("newClientOrderId", "m1"),
        ],
        CAPTURED_CREATE[1],
        lambda r: (
            _order_is(r, 1745911954734647808, OrderStatus.FILLED)
            and r.executed_qty == Decimal("0.0009")
        ),
    ),
    "cancel_order by id": (
        lambda c: c.spot.cancel_order(order_id=1563291927536863744),
        "DELETE",
        "/api/v1/spot/order",
        [("orderId", "1563291927536863744")],
        CANCEL,
        lambda r: _order_is(r, 1563291927536863744, OrderStatus.NEW),
    ),
    "cancel_order by client id": (
        lambda c: c.spot.cancel_order(client_order_id="99999888912"),
        "DELETE",
        "/api/v1/spot/order",
        [("clientOrderId", "99999888912")],
        CANCEL,
        lambda r: r.client_order_id == "99999888912",
    ),
    "cancel_open_orders": (
        lambda c: c.spot.cancel_open_orders("BTCUSDT", side="SELL"),
        "DELETE",
        "/api/v1/spot/openOrders",
        [("symbol", "BTCUSDT"), ("side", "SELL")],
        {"success": True},
        lambda r: r.success is True,
    ),
    "cancel_all_open_orders": (
        lambda c: c.spot.cancel_all_open_orders(
            "BTCUSDT", side=Side.BUY, from_order_id="1470930457684189696", limit=200
        ),
        "DELETE",
        "/api/v1/spot/cancelAllOpenOrders",
        [
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("fromOrderId", "1470930457684189696"),
            ("limit", "200"),
        ],
        CANCEL_ALL,
        lambda r: r.last_order_id == 1470930457684189700 and r.message == "success",
    ),
    "cancel_all_open_orders, no filter": (
        lambda c: c.spot.cancel_all_open_orders(),
        "DELETE",
        "/api/v1/spot/cancelAllOpenOrders",
        [],
        CANCEL_ALL,
        lambda r: r.timestamp == 1714406315538,
    ),
    "cancel_orders_by_ids": (
        lambda c: c.spot.cancel_orders_by_ids([202212231234567895, "202212231234567896"]),
        "DELETE",
        "/api/v1/spot/cancelOrderByIds",
        [("ids", "202212231234567895,202212231234567896")],
        CANCEL_IDS_OK,
        lambda r: r.ok and r.failed == {},
    ),
    "get_order by id": (
        lambda c: c.spot.get_order(order_id="2108873672953505280", account_id=1649292498437183232),
        "GET",
        "/api/v1/spot/order",
        [("orderId", "2108873672953505280"), ("accountId", "1649292498437183232")],
        QUERY,
        lambda r: (
            _order_is(r, 2108873672953505280, OrderStatus.FILLED)
            and r.avg_price == Decimal("112922.4")
            and r.stp_mode is StpMode.EXPIRE_TAKER
            and r.exchange_id == 301
            and r.update_time == 1766133332383
        ),
    ),
    "get_order by client id": (
        lambda c: c.spot.get_order(client_order_id="1722866993070662"),
        "GET",
        "/api/v1/spot/order",
        [("origClientOrderId", "1722866993070662")],
        CAPTURED_QUERY,
        lambda r: (
            r.type is OrderType.LIMIT_MAKER
            and r.cumulative_quote_qty == Decimal("2.5")
            and r.stp_mode is None
            and r.ord_cxl_reason == ""
        ),
    ),
    "open_orders": (
        lambda c: c.spot.open_orders("ETHUSD", side="BUY", from_order_id=1, limit=20),
        "GET",
        "/api/v1/spot/openOrders",
        [("fromOrderId", "1"), ("symbol", "ETHUSD"), ("side", "BUY"), ("limit", "20")],
        OPEN,
        lambda r: len(r) == 1 and _order_is(r[0], 1563293653459405312, OrderStatus.NEW),
    ),
    "trade_orders": (
        lambda c: c.spot.trade_orders(
            "ETHUSD", side="BUY", from_order_id=9, start_time=1, end_time=2, limit=2
        ),
        "GET",
        "/api/v1/spot/tradeOrders",
        [
            ("fromOrderId", "9"),
            ("symbol", "ETHUSD"),
            ("startTime", "1"),
            ("endTime", "2"),
            ("side", "BUY"),
            ("limit", "2"),
        ],
        TRADED,
        lambda r: (
            [o.status for o in r] == [OrderStatus.CANCELED] * 2
            and r[1].req_amount == Decimal(10)
            and r[1].time_in_force is TimeInForce.IOC
        ),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
async def test_request_shape_and_typed_answer(case: Case) -> None:
    await run_case(case)


async def test_create_order_generates_a_client_order_id() -> None:
    async with mocked_client() as (client, rec):
        rec.on("POST", "/api/v1.1/spot/order", payload=CREATE)
        await client.spot.create_order(**GOOD_LIMIT)
    cid = rec.calls[0].params["newClientOrderId"]
    assert cid.startswith("hka-") and len(cid) <= 255


async def test_create_orders_sends_a_signed_json_array() -> None:
    orders = [
        build_order(
            "BTCUSD", "SELL", "LIMIT", price="52000", quantity="0.01", client_order_id="123456789"
        ),
        {
            "symbol": "BTCUSD",
            "side": Side.BUY,
            "type": "LIMIT",
            "price": 43000,
            "quantity": "0.01",
            "client_order_id": "123456790",
            "time_in_force": "IOC",
        },
    ]
    async with mocked_client() as (client, rec):
        rec.on("POST", "/api/v1.1/spot/batchOrders", payload=BATCH)
        result = await client.spot.create_orders(orders)
    (call,) = rec.calls
    assert call.path == "/api/v1.1/spot/batchOrders"
    assert call.headers["Content-Type"] == "application/json"
    expected = [
        {
            "symbol": "BTCUSD",
            "side": "SELL",
            "type": "LIMIT",
            "quantity": "0.01",
            "price": "52000",
            "newClientOrderId": "123456789",
        },
        {
            "symbol": "BTCUSD",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.01",
            "price": "43000",
            "newClientOrderId": "123456790",
            "timeInForce": "IOC",
        },
    ]
    # the exact bytes, keys in the order the reference lists them, no spaces
    assert call.body == json.dumps(expected, separators=(",", ":")).encode()
    assert call.json() == expected
    assert_signed(call, [], call.body)  # query: recvWindow, timestamp; signed over query + body
    assert isinstance(result, BatchOrderResponse)
    assert [o.order_id for o in result.orders] == [1563289422480390912, 1563289422622997248]
    assert result.failed == []
    assert all(item.error is None for item in result.result)


async def test_create_orders_generates_client_ids_for_every_order() -> None:
    async with mocked_client() as (client, rec):
        rec.on("POST", "/api/v1.1/spot/batchOrders", payload=BATCH)
        await client.spot.create_orders([GOOD_LIMIT, GOOD_LIMIT])
    ids = [item["newClientOrderId"] for item in json.loads(rec.calls[0].body)]
    assert len(set(ids)) == 2 and all(cid.startswith("hka-") for cid in ids)


async def test_batch_partial_failure_maps_each_item_to_the_error_tree() -> None:
    answer = {
        "code": 0,
        "result": [
            BATCH["result"][0],
            {"code": "-1141", "msg": "Duplicate order"},
            {"code": -4003, "msg": "Insufficient balance"},
            {"code": "-1136", "msg": "Order quantity lower than the minimum"},
        ],
    }
    async with mocked_client() as (client, rec):
        rec.on("POST", "/api/v1.1/spot/batchOrders", payload=answer)
        result = await client.spot.create_orders(
            [GOOD_LIMIT] * 1 + [{**GOOD_LIMIT, "client_order_id": f"c{i}"} for i in range(3)]
        )
    assert [item.ok for item in result.result] == [True, False, False, False]
    assert len(result.orders) == 1
    errors = [item.error for item in result.failed]
    assert isinstance(errors[0], DuplicateOrderError) and errors[0].code == "-1141"
    assert isinstance(errors[1], InsufficientBalanceError) and errors[1].code == "-4003"
    assert isinstance(errors[2], FilterError)
    assert errors[2].message == "Order quantity lower than the minimum"


async def test_cancel_by_ids_failures_map_to_order_not_found() -> None:
    async with mocked_client() as (client, rec):
        rec.on("DELETE", "/api/v1/spot/cancelOrderByIds", payload=CANCEL_IDS_FAILED)
        result = await client.spot.cancel_orders_by_ids(
            [1507155386372816640, 1507155487740667904, 3]
        )
    assert isinstance(result, CancelByIdsResponse)
    assert not result.ok
    assert set(result.failed) == {1507155386372816640, 1507155487740667904}
    assert all(isinstance(err, OrderNotFoundError) for err in result.failed.values())


@pytest.mark.parametrize(
    "code,error",
    [
        ("-1142", OrderAlreadyCancelledError),
        ("-1139", OrderAlreadyFilledError),
        ("0211", OrderNotFoundError),
        ("0212", OrderCompletedError),
        ("-1143", OrderNotFoundError),
    ],
)
async def test_cancelling_a_finished_order_raises_the_specific_error(
    code: str, error: type[Exception]
) -> None:
    async with mocked_client() as (client, rec):
        rec.on("DELETE", "/api/v1/spot/order", status=400, payload={"code": code, "msg": "x"})
        with pytest.raises(error) as info:
            await client.spot.cancel_order(order_id=1)
    assert getattr(info.value, "code", None) == code
    assert len(rec.calls) == 1


async def test_cancel_order_5xx_is_execution_status_unknown_and_not_retried() -> None:
    async with mocked_client() as (client, rec):
        rec.on("DELETE", "/api/v1/spot/order", status=503, body="busy", repeat=True)
        with pytest.raises(ExecutionStatusUnknown):
            await client.spot.cancel_order(order_id=1)
    assert len(rec.calls) == 1


def test_reference_and_captured_order_payloads_decode() -> None:
    raw = json.dumps
    for payload in [CREATE, *CAPTURED_CREATE]:
        order = E.CREATE_ORDER.decoder.decode(raw(payload).encode())
        assert str(order.order_id) == payload["orderId"]
        assert str(order.price) == payload["price"] and str(order.orig_qty) == payload["origQty"]
        assert order.transact_time == int(payload["transactTime"])
    for payload in [QUERY, CAPTURED_QUERY, CANCEL]:
        order = E.GET_ORDER.decoder.decode(raw(payload).encode())
        assert order.client_order_id == payload["clientOrderId"]
        assert order.side.value == payload["side"] and order.status.value == payload["status"]
    assert len(E.OPEN_ORDERS.decoder.decode(raw(OPEN).encode())) == 1
    assert len(E.TRADE_ORDERS.decoder.decode(raw(TRADED).encode())) == 2
    assert E.CANCEL_ALL_OPEN_ORDERS.decoder.decode(raw(CANCEL_ALL).encode()).code == "0000"
    assert E.CREATE_ORDERS.decoder.decode(raw(BATCH).encode()).code == 0


def test_ids_sent_as_numbers_decode_exactly() -> None:
    numeric = {
        **CREATE,
        "orderId": 1563277167764290304,
        "accountId": 1464567707961719552,
        "transactTime": 1701093160541,
        "price": 1900.5,
        "origQty": "0.03",
    }
    order = E.CREATE_ORDER.decoder.decode(json.dumps(numeric).encode())
    assert order.order_id == 1563277167764290304
    assert order.account_id == 1464567707961719552
    assert order.price == Decimal("1900.5")


# --- bad input: a clear ValueError naming the field, and nothing sent ---------------------


@pytest.mark.parametrize("kwargs,field", BAD_ORDERS.values(), ids=list(BAD_ORDERS))
async def test_bad_order_sends_nothing(kwargs: dict[str, Any], field: str) -> None:
    async with mocked_client() as (client, rec):
        rec.on("POST", "/api/v1.1/spot/order", payload=CREATE, repeat=True)
        rec.on("POST", "/api/v1.1/spot/batchOrders", payload=BATCH, repeat=True)
        rec.on("POST", "/api/v1/spot/orderTest", payload={}, repeat=True)
        with pytest.raises(InvalidParameterError) as info:
            await client.spot.create_order(**kwargs)
        assert info.value.field == field
        with pytest.raises(InvalidParameterError):
            await client.spot.create_orders([GOOD_LIMIT, kwargs])
        if "amount" not in kwargs:
            with pytest.raises(InvalidParameterError):
                await client.spot.test_order(**kwargs)
    assert rec.calls == []


BAD_CALLS: dict[str, tuple[Any, str]] = {
    "batch of 21": (lambda c: c.spot.create_orders([GOOD_LIMIT] * 21), "orders"),
    "batch of mixed symbols": (
        lambda c: c.spot.create_orders([GOOD_LIMIT, {**GOOD_LIMIT, "symbol": "ETHUSDT"}]),
        "orders",
    ),
    "empty batch": (lambda c: c.spot.create_orders([]), "orders"),
    "cancel both ids": (
        lambda c: c.spot.cancel_order(order_id=1, client_order_id="a"),
        "order_id/client_order_id",
    ),
    "cancel neither id": (lambda c: c.spot.cancel_order(), "order_id/client_order_id"),
    "get both ids": (
        lambda c: c.spot.get_order(order_id=1, client_order_id="a"),
        "order_id/client_order_id",
    ),
    "get neither id": (lambda c: c.spot.get_order(), "order_id/client_order_id"),
    "cancel 101 ids": (lambda c: c.spot.cancel_orders_by_ids(range(1, 102)), "order_ids"),
    "cancel no ids": (lambda c: c.spot.cancel_orders_by_ids([]), "order_ids"),
    "cancel open orders of no symbol": (lambda c: c.spot.cancel_open_orders(""), "symbol"),
    "bad side filter": (lambda c: c.spot.open_orders(side="LONG"), "side"),
    "bad rules mode": (
        lambda c: c.spot.create_order(**GOOD_LIMIT, rules="fix"),
        "rules",
    ),
}


@pytest.mark.parametrize("call,field", BAD_CALLS.values(), ids=list(BAD_CALLS))
async def test_bad_calls_send_nothing(call: Any, field: str) -> None:
    async with mocked_client() as (client, rec):
        with pytest.raises(InvalidParameterError) as info:
            await call(client)
    assert info.value.field == field
    assert rec.calls == []


# --- rules="round" | "check" -------------------------------------------------------------

EXCHANGE_INFO = {
    "timezone": "UTC",
    "serverTime": 1,
    "symbols": [
        {
            "symbol": "BTCUSDT",
            "status": "TRADING",
            "baseAsset": "BTC",
            "quoteAsset": "USDT",
            "filters": [
                {
                    "minPrice": "0.01",
                    "maxPrice": "1000000",
                    "tickSize": "0.01",
                    "filterType": "PRICE_FILTER",
                },
                {
                    "minQty": "0.0001",
                    "maxQty": "100",
                    "stepSize": "0.0001",
                    "filterType": "LOT_SIZE",
                },
                {"minNotional": "10", "filterType": "MIN_NOTIONAL"},
            ],
        }
    ],
    "coins": [],
}


async def test_rules_round_rounds_before_sending_and_caches_exchange_info() -> None:
    async with mocked_client() as (client, rec):
        rec.on("GET", "/api/v1/exchangeInfo", payload=EXCHANGE_INFO)
        rec.on("POST", "/api/v1.1/spot/order", payload=CREATE, repeat=True)
        await client.spot.create_order(
            "BTCUSDT", "BUY", "LIMIT", quantity="0.123456", price="28000.019", rules="round"
        )
        await client.spot.create_order(
            "BTCUSDT", "SELL", "LIMIT", quantity="0.1", price="28000.011", rules="round"
        )
    assert rec.paths() == [
        "GET /api/v1/exchangeInfo",
        "POST /api/v1.1/spot/order",
        "POST /api/v1.1/spot/order",
    ]
    assert (rec.calls[1].params["quantity"], rec.calls[1].params["price"]) == ("0.1234", "28000.01")
    assert rec.calls[2].params["price"] == "28000.02"


async def test_rules_check_refuses_without_sending_the_order() -> None:
    async with mocked_client() as (client, rec):
        rec.on("GET", "/api/v1/exchangeInfo", payload=EXCHANGE_INFO)
        with pytest.raises(FilterViolation) as info:
            await client.spot.create_order(
                "BTCUSDT", "BUY", "LIMIT", quantity="0.0001", price="28000", rules="check"
            )
    assert (info.value.field, info.value.filter) == ("quantity", "MIN_NOTIONAL")
    assert rec.paths() == ["GET /api/v1/exchangeInfo"]


async def test_rules_for_unknown_symbol_refreshes_then_refuses() -> None:
    async with mocked_client() as (client, rec):
        rec.on("GET", "/api/v1/exchangeInfo", payload=EXCHANGE_INFO, repeat=True)
        assert (await client.spot.rules_for("BTCUSDT")).tick_size == Decimal("0.01")
        with pytest.raises(InvalidParameterError) as info:
            await client.spot.create_order(**{**GOOD_LIMIT, "symbol": "NOPE"}, rules="check")
    assert info.value.field == "symbol"
    assert rec.paths() == ["GET /api/v1/exchangeInfo"] * 2


@pytest.mark.parametrize(
    "status,payload", [(500, None), (400, {"code": "-1007", "msg": "Timeout"})]
)
async def test_uncertain_batch_is_never_resent_and_lists_every_client_id(
    status: int, payload: Any
) -> None:
    async with mocked_client() as (client, rec):
        client.spot.reconcile = ReconcilePolicy(lookups=0)  # lookups: see test_reconcile.py
        rec.on("POST", "/api/v1.1/spot/batchOrders", status=status, payload=payload, repeat=True)
        rec.on("GET", "/api/v1/spot/order", status=400, payload=NOT_FOUND, repeat=True)
        with pytest.raises(BatchStatusUnknown) as info:
            await client.spot.create_orders([GOOD_LIMIT, {**GOOD_LIMIT, "client_order_id": "b2"}])
    assert isinstance(info.value, ExecutionStatusUnknown)
    # sent once, never again; each order then looked up by its client id
    assert rec.paths() == ["POST /api/v1.1/spot/batchOrders"] + ["GET /api/v1/spot/order"] * 2
    sent = [item["newClientOrderId"] for item in rec.calls[0].json()]
    assert [call.params["origClientOrderId"] for call in rec.calls[1:]] == sorted(sent)
    assert info.value.client_order_ids == sent and sent[1] == "b2"
    assert info.value.unknown == sent and info.value.known == {}
    assert list(client.spot.in_doubt) == sent


async def test_order_lifecycle_against_the_offline_exchange() -> None:
    from hashkey_async.testing import OfflineExchange

    async with (
        OfflineExchange(query_rate=100, order_rate=100) as ex,
        ex.client(query_rate=100, order_rate=100) as client,
    ):
        placed = await client.spot.create_order(**GOOD_LIMIT, client_order_id="life-1")
        assert placed.status is OrderStatus.NEW and placed.client_order_id == "life-1"
        assert (await client.spot.get_order(client_order_id="life-1")).order_id == placed.order_id
        batch = await client.spot.create_orders(
            [
                {**GOOD_LIMIT, "client_order_id": "life-2"},
                {**GOOD_LIMIT, "client_order_id": "life-1"},
            ]
        )
        assert [item.ok for item in batch.result] == [True, False]
        assert isinstance(batch.failed[0].error, DuplicateOrderError)
        open_ids = {o.client_order_id for o in await client.spot.open_orders("BTCUSDT")}
        assert open_ids == {"life-1", "life-2"}
        cancelled = await client.spot.cancel_order(client_order_id="life-1")
        assert cancelled.order_id == placed.order_id
        with pytest.raises(OrderAlreadyCancelledError):
            await client.spot.cancel_order(client_order_id="life-1")
        result = await client.spot.cancel_orders_by_ids([batch.orders[0].order_id, 42])
        assert set(result.failed) == {42}
        assert isinstance(result.failed[42], OrderNotFoundError)
        assert await client.spot.open_orders("BTCUSDT") == []
