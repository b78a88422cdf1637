"""``client.subaccount``: exact request shapes, typed answers, the reference's payloads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from signed_shapes import Case, mocked_client, run_case

from hashkey_async import InvalidParameterError, OrderStatus, OrderType, StpMode

OPEN = [
    {
        "accountId": "1695624199270418688",
        "exchangeId": "301",
        "symbol": "BTCUSDT",
        "symbolName": "BTCUSDT",
        "clientOrderId": "1766585803470297",
        "orderId": "2112669276414486016",
        "price": "112930",
        "origQty": "0.1",
        "executedQty": "0",
        "cummulativeQuoteQty": "0",
        "cumulativeQuoteQty": "0",
        "avgPrice": "0",
        "status": "NEW",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "SELL",
        "stopPrice": "0.0",
        "icebergQty": "0.0",
        "time": "1766585803498",
        "updateTime": "1766585803570",
        "isWorking": True,
        "reqAmount": "0",
        "ordCxlReason": "",
        "stpMode": "EXPIRE_TAKER",
    }
]

TRADE_ORDERS = [
    {
        **OPEN[0],
        "clientOrderId": "1766585741726331",
        "orderId": "2112668758317278720",
        "price": "0",
        "executedQty": "0.1",
        "cummulativeQuoteQty": "11292.24",
        "cumulativeQuoteQty": "11292.24",
        "avgPrice": "112922.4",
        "status": "FILLED",
        "timeInForce": "IOC",
        "type": "MARKET",
        "time": "1766585741737",
        "updateTime": "1766585741758",
    }
]

TRADES = [
    {
        "id": "2112668759961445888",
        "clientOrderId": "1766585741726331",
        "ticketId": "4636458456207560707",
        "symbol": "BTCUSDT",
        "symbolName": "BTCUSDT",
        "orderId": "2112668758317278720",
        "matchOrderId": "0",
        "price": "112922.4",
        "qty": "0.02157",
        "commission": "3.653604252",
        "commissionAsset": "USDT",
        "time": "1766585741758",
        "isBuyer": False,
        "isMaker": False,
        "fee": {
            "feeCoinId": "USDT",
            "feeCoinName": "USDT",
            "fee": "3.653604252",
            "originCoinId": "USDT",
            "originCoinName": "USDT",
            "originFee": "3.653604252",
        },
        "feeCoinId": "USDT",
        "feeAmount": "3.653604252",
        "makerRebate": "0",
        "hskDeduct": False,
        "hskDeductPrice": "",
    },
    {
        "id": "2112668759617512960",
        "clientOrderId": "1766585741726331",
        "ticketId": "4636458456207560706",
        "symbol": "BTCUSDT",
        "symbolName": "BTCUSDT",
        "orderId": "2112668758317278720",
        "matchOrderId": "0",
        "price": "112922.4",
        "qty": "0.035",
        "commission": "5.928426",
        "commissionAsset": "USDT",
        "time": "1766585741758",
        "isBuyer": False,
        "isMaker": False,
        "fee": {
            "feeCoinId": "USDT",
            "feeCoinName": "USDT",
            "fee": "5.928426",
            "originCoinId": "USDT",
            "originCoinName": "USDT",
            "originFee": "5.928426",
        },
        "feeCoinId": "USDT",
        "feeAmount": "5.928426",
        "makerRebate": "0",
        "hskDeduct": False,
        "hskDeductPrice": "",
    },
]

SUB = "1650801631044854016"

CASES: dict[str, Case] = {
    "open_orders": (
        lambda c: c.subaccount.open_orders(
            SUB, symbol="BTCUSDT", side="SELL", from_order_id=1470930457684189696, limit=500
        ),
        "GET",
        "/api/v1/spot/subAccount/openOrders",
        [
            ("subAccountId", SUB),
            ("fromOrderId", "1470930457684189696"),
            ("side", "SELL"),
            ("symbol", "BTCUSDT"),
            ("limit", "500"),
        ],
        OPEN,
        lambda r: (
            r[0].order_id == 2112669276414486016
            and r[0].status is OrderStatus.NEW
            and r[0].stp_mode is StpMode.EXPIRE_TAKER
            and r[0].price == Decimal(112930)
        ),
    ),
    "trade_orders": (
        lambda c: c.subaccount.trade_orders(
            int(SUB), symbol="BTCUSDT", side="SELL", start_time=1, end_time=2, limit=10
        ),
        "GET",
        "/api/v1/spot/subAccount/tradeOrders",
        [
            ("subAccountId", SUB),
            ("side", "SELL"),
            ("symbol", "BTCUSDT"),
            ("startTime", "1"),
            ("endTime", "2"),
            ("limit", "10"),
        ],
        TRADE_ORDERS,
        lambda r: (
            r[0].type is OrderType.MARKET
            and r[0].avg_price == Decimal("112922.4")
            and r[0].cumulative_quote_qty == Decimal("11292.24")
        ),
    ),
    "trades": (
        lambda c: c.subaccount.trades(
            SUB,
            symbol="BTCUSDT",
            start_time=1,
            end_time=2,
            client_order_id="x",
            from_id=3,
            to_id=4,
            limit=5,
        ),
        "GET",
        "/api/v1/subAccount/trades",
        [
            ("symbol", "BTCUSDT"),
            ("subAccountId", SUB),
            ("startTime", "1"),
            ("endTime", "2"),
            ("clientOrderId", "x"),
            ("fromId", "3"),
            ("toId", "4"),
            ("limit", "5"),
        ],
        TRADES,
        lambda r: (
            [t.quantity for t in r] == [Decimal("0.02157"), Decimal("0.035")]
            and r[0].commission == Decimal("3.653604252")
            and r[1].id == 2112668759617512960
        ),
    ),
    "trades without a sub account": (
        lambda c: c.subaccount.trades(),
        "GET",
        "/api/v1/subAccount/trades",
        [],
        [],
        lambda r: r == [],
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
async def test_request_shape_and_typed_answer(case: Case) -> None:
    await run_case(case)


BAD: dict[str, tuple[Any, str]] = {
    "open orders without sub account": (lambda c: c.subaccount.open_orders(""), "sub_account_id"),
    "trade orders without sub account": (
        lambda c: c.subaccount.trade_orders(None),
        "sub_account_id",
    ),
    "bad side": (lambda c: c.subaccount.open_orders(SUB, side="up"), "side"),
}


@pytest.mark.parametrize("call,field", BAD.values(), ids=list(BAD))
async def test_bad_input_sends_nothing(call: Any, field: str) -> None:
    async with mocked_client() as (client, rec):
        with pytest.raises(InvalidParameterError) as info:
            await call(client)
    assert info.value.field == field
    assert rec.calls == []
