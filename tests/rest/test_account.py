"""``client.account``: exact request shapes, typed answers, every reference/captured payload."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest
from signed_shapes import Case, mocked_client, run_case

from hashkey_async import InvalidParameterError
from hashkey_async.rest import endpoints as E

VIP = {
    "code": 0,
    "vipLevel": "0",
    "tradeVol30Day": "0",
    "totalAssetBal": "0",
    "data": [
        {
            "symbol": "USDTUSD",
            "productType": "Token-Fiat",
            "buyMakerFeeCurrency": "USD",
            "buyTakerFeeCurrency": "USD",
            "sellMakerFeeCurrency": "USD",
            "sellTakerFeeCurrency": "USD",
            "actualMakerRate": "0.0015",
            "actualTakerRate": "0.0015",
        },
        {
            "symbol": "QATS3USDT-PERPETUAL",
            "productType": "Token-Token",
            "buyMakerFeeCurrency": "USDT",
            "buyTakerFeeCurrency": "USDT",
            "sellMakerFeeCurrency": "USDT",
            "sellTakerFeeCurrency": "USDT",
            "actualMakerRate": "0",
            "actualTakerRate": "0",
        },
    ],
    "updateTimestamp": "1740383504179",
}

BALANCES = {
    "balances": [
        {
            "asset": "BTC",
            "assetId": "BTC",
            "assetName": "BTC",
            "total": "61.206456639",
            "free": "61.051866639",
            "locked": "0.15459",
        },
        {
            "asset": "USDT",
            "assetId": "USDT",
            "assetName": "USDT",
            "total": "206381.2785765348009",
            "free": "206381.2785765348009",
            "locked": "0",
        },
    ],
    "userId": "1649292498445571840",
}
CAPTURED_BALANCES = {
    "balances": [
        {
            "asset": "USDT",
            "assetId": "USDT",
            "assetName": "USDT",
            "total": "40",
            "free": "40",
            "locked": "0",
        }
    ],
    "userId": "1732885739572845312",
}

TRADES = [
    {
        "id": "2133553701515831040",
        "clientOrderId": "1769075420193253",
        "ticketId": "4636458470505791492",
        "symbol": "BTCUSDT",
        "symbolName": "BTCUSDT",
        "orderId": "2133553695652194048",
        "matchOrderId": "0",
        "price": "112935.08",
        "qty": "0.01098",
        "commission": "0.000013176",
        "commissionAsset": "BTC",
        "time": "1769075420311",
        "isBuyer": True,
        "isMaker": False,
        "fee": {
            "feeCoinId": "BTC",
            "feeCoinName": "BTC",
            "fee": "0.000013176",
            "originCoinId": "BTC",
            "originCoinName": "BTC",
            "originFee": "0.000013176",
        },
        "feeCoinId": "BTC",
        "feeAmount": "0.000013176",
        "makerRebate": "0",
        "hskDeduct": False,
        "hskDeductPrice": "",
    }
]
CAPTURED_TRADES = [
    {
        "id": "1747655563725047040",
        "clientOrderId": "1723072777879337",
        "ticketId": "1747655563665489920",
        "symbol": "ETHUSDT",
        "symbolName": "ETHUSDT",
        "orderId": "1747655561736955648",
        "matchOrderId": "0",
        "price": "2362.71",
        "qty": "0.001",
        "commission": "0.002835252",
        "commissionAsset": "USDT",
        "time": "1723072778124",
        "isBuyer": False,
        "isMaker": False,
        "fee": {"feeCoinId": "USDT", "feeCoinName": "USDT", "fee": "0.002835252"},
        "feeCoinId": "USDT",
        "feeAmount": "0.002835252",
        "makerRebate": "0",
    }
]

TYPES = [
    {
        "accountId": "1933473576343719680",
        "accountLabel": "Main Trading Account",
        "accountType": 1,
        "accountIndex": 0,
        "userId": "1933473576368885504",
    },
    {
        "accountId": "1933473576343719683",
        "accountLabel": "Custody Account",
        "accountType": 5,
        "accountIndex": 0,
        "userId": "1933473576368885504",
    },
    {
        "accountId": "1933473576343719684",
        "accountLabel": "Fiat Account",
        "accountType": 6,
        "accountIndex": 0,
        "userId": "1933473576368885504",
    },
]

TRANSFER = {
    "success": True,
    "timestamp": 1766583205575,
    "clientOrderId": "",
    "orderId": "2112647482861233664",
}

FIAT = [
    {
        "orderId": "NFW773922940306722816",
        "type": "withdraw",
        "remark": "/D773922971355262976",
        "asset": "USD",
        "grossAmount": "100",
        "netAmount": "105",
        "fee": "5",
        "status": "successful",
        "createdTime": "1762325607762",
        "updatedTime": "1762841797000",
        "channel": "auto",
        "clientOrderId": "1234567891104aab",
    },
    {
        "orderId": "NFW773570664979443712",
        "type": "withdraw",
        "remark": "/D773570692198510592",
        "asset": "USD",
        "grossAmount": "1000",
        "netAmount": "1005",
        "fee": "5",
        "status": "processing",
        "createdTime": "1762241618778",
        "updatedTime": "1762241625000",
        "channel": "auto",
        "clientOrderId": "1234567891104",
    },
]

FLOW = [
    {
        "id": "1676228025233055232",
        "accountId": "1649292498437183232",
        "coin": "USDT",
        "coinId": "USDT",
        "coinName": "USDT",
        "flowTypeValue": 51,
        "flowType": "USER_ACCOUNT_TRANSFER",
        "flowName": "",
        "change": "-10",
        "total": "398026.95",
        "created": "1714557952009",
    },
    {
        "id": "1980570992225894912",
        "accountId": "1730577321730074368",
        "coin": "USDT",
        "coinId": "USDT",
        "coinName": "USDT",
        "flowTypeValue": 32,
        "flowType": "FUNDING_SETTLEMENT",
        "flowName": "",
        "change": "-1343.43497925",
        "total": "31586975.651145907429875085",
        "created": "1750838460878",
        "symbol": "FATS1USDT",
    },
]

CHAINS = [{"coinId": "USDT", "coinName": "USDT", "chainTypeList": ["ETH", "Tron"]}]

COIN_INFO = {
    "timezone": "UTC",
    "serverTime": 1727068513801,
    "coins": [
        {
            "orgId": "9001",
            "coinId": "ETH",
            "coinName": "ETH",
            "coinFullName": "ETH",
            "allowWithdraw": True,
            "allowDeposit": True,
            "chainTypes": [
                {
                    "chainType": "ETH",
                    "withdrawFee": "0.0000001",
                    "minWithdrawQuantity": "0.0000002",
                    "maxWithdrawQuantity": "0",
                    "minDepositQuantity": "0.002",
                    "allowDeposit": True,
                    "allowWithdraw": True,
                }
            ],
        },
    ],
}

D = Decimal

CASES: dict[str, Case] = {
    "vip_info": (
        lambda c: c.account.vip_info(["USDTUSD", "ATOMUSDC"]),
        "GET",
        "/api/v1/account/vipInfo",
        [("symbols", "USDTUSD,ATOMUSDC")],
        VIP,
        lambda r: (
            r.vip_level == 0
            and r.data[0].actual_maker_rate == D("0.0015")
            and r.update_timestamp == 1740383504179
            and len(r.data) == 2
        ),
    ),
    "balances": (
        lambda c: c.account.balances(account_id=1471090223379184384),
        "GET",
        "/api/v1/account",
        [("accountId", "1471090223379184384")],
        BALANCES,
        lambda r: (
            r.user_id == 1649292498445571840
            and r.balance("USDT").total == D("206381.2785765348009")
            and r.balance("BTC").locked == D("0.15459")
            and r.balance("XRP") is None
        ),
    ),
    "trades": (
        lambda c: c.account.trades(
            "BTCUSDT",
            start_time=1,
            end_time=2,
            client_order_id="c",
            from_id=3,
            to_id=4,
            limit=5,
            account_id=6,
        ),
        "GET",
        "/api/v1/account/trades",
        [
            ("symbol", "BTCUSDT"),
            ("startTime", "1"),
            ("endTime", "2"),
            ("clientOrderId", "c"),
            ("fromId", "3"),
            ("toId", "4"),
            ("limit", "5"),
            ("accountId", "6"),
        ],
        TRADES,
        lambda r: (
            r[0].quantity == D("0.01098")
            and r[0].ticket_id == 4636458470505791492
            and r[0].fee.origin_fee == D("0.000013176")
            and r[0].hsk_deduct_rate is None
            and r[0].is_buyer
            and r[0].match_order_id == 0
        ),
    ),
    "types": (
        lambda c: c.account.types(),
        "GET",
        "/api/v1/account/type",
        [],
        TYPES,
        lambda r: (
            [(a.account_type, a.account_id) for a in r]
            == [(1, 1933473576343719680), (5, 1933473576343719683), (6, 1933473576343719684)]
        ),
    ),
    "transfer": (
        lambda c: c.account.transfer(
            1467296062716909568,
            "1473231491689395200",
            "USDT",
            "20",
            remark="TestingRemark",
            client_order_id="12345678",
        ),
        "POST",
        "/api/v1/account/assetTransfer",
        [
            ("fromAccountId", "1467296062716909568"),
            ("toAccountId", "1473231491689395200"),
            ("coin", "USDT"),
            ("quantity", "20"),
            ("remark", "TestingRemark"),
            ("clientOrderId", "12345678"),
        ],
        TRANSFER,
        lambda r: r.success and r.order_id == 2112647482861233664 and r.client_order_id == "",
    ),
    "api_key_type": (
        lambda c: c.account.api_key_type(),
        "GET",
        "/api/v1/account/checkApiKey",
        [],
        {"accountType": "Master Account"},
        lambda r: r.account_type == "Master Account",
    ),
    "fiat_history": (
        lambda c: c.account.fiat_history(
            "withdraw",
            1700000000000,
            1762841797000,
            status="successful",
            channel="auto",
            remark="r",
            limit=10,
        ),
        "GET",
        "/api/v1/account/fiat/history",
        [
            ("type", "withdraw"),
            ("status", "successful"),
            ("startTime", "1700000000000"),
            ("endTime", "1762841797000"),
            ("channel", "auto"),
            ("remark", "r"),
            ("limit", "10"),
        ],
        FIAT,
        lambda r: (
            r[0].order_id == "NFW773922940306722816"
            and r[0].net_amount == D(105)
            and r[1].status == "processing"
            and r[0].created_time == 1762325607762
        ),
    ),
    "balance_flow": (
        lambda c: c.account.balance_flow(1, 2, limit=500, flow_type=51, account_type=1),
        "GET",
        "/api/v1/account/balanceFlow",
        [
            ("startTime", "1"),
            ("endTime", "2"),
            ("limit", "500"),
            ("flowType", "51"),
            ("accountType", "1"),
        ],
        FLOW,
        lambda r: (
            r[0].change == D(-10)
            and r[1].total == D("31586975.651145907429875085")
            and r[1].symbol == "FATS1USDT"
            and r[0].symbol == ""
            and r[0].flow_type_value == 51
        ),
    ),
    "chain_types": (
        lambda c: c.account.chain_types("USDT"),
        "GET",
        "/api/v1/account/chainType",
        [("coinId", "USDT")],
        CHAINS,
        lambda r: r[0].chain_type_list == ["ETH", "Tron"],
    ),
    "coin_info": (
        lambda c: c.account.coin_info("ETH"),
        "GET",
        "/api/v1/coinInfo",
        [("coinId", "ETH")],
        COIN_INFO,
        lambda r: (
            r.coins[0].org_id == 9001
            and r.coins[0].chain_types[0].min_withdraw_quantity == D("0.0000002")
        ),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
async def test_request_shape_and_typed_answer(case: Case) -> None:
    await run_case(case)


def test_captured_payloads_decode_with_older_fields_missing() -> None:
    balances = E.BALANCES.decoder.decode(json.dumps(CAPTURED_BALANCES).encode())
    assert balances.balances[0].free == D(40) and balances.user_id == 1732885739572845312
    (trade,) = E.ACCOUNT_TRADES.decoder.decode(json.dumps(CAPTURED_TRADES).encode())
    assert trade.hsk_deduct is False and trade.hsk_deduct_price == ""
    assert trade.fee is not None and trade.fee.origin_fee is None
    assert trade.commission == D("0.002835252") and trade.time == 1723072778124


def test_hsk_deduct_price_when_sent() -> None:
    payload = [{**TRADES[0], "hskDeduct": True, "hskDeductPrice": "0.001"}]
    (trade,) = E.ACCOUNT_TRADES.decoder.decode(json.dumps(payload).encode())
    assert trade.hsk_deduct and trade.hsk_deduct_rate == D("0.001")


BAD: dict[str, tuple[Any, str]] = {
    "transfer zero": (lambda c: c.account.transfer(1, 2, "USDT", "0"), "quantity"),
    "transfer inexact float": (lambda c: c.account.transfer(1, 2, "USDT", 0.1 + 0.2), "quantity"),
    "transfer NaN": (lambda c: c.account.transfer(1, 2, "USDT", "nan"), "quantity"),
    "transfer no coin": (lambda c: c.account.transfer(1, 2, "", "1"), "coin"),
    "transfer long client id": (
        lambda c: c.account.transfer(1, 2, "USDT", "1", client_order_id="x" * 65),
        "client_order_id",
    ),
    "fiat bad type": (lambda c: c.account.fiat_history("refund", 1, 2), "type"),
    "chain types no coin": (lambda c: c.account.chain_types(""), "coin_id"),
    "coin info no coin": (lambda c: c.account.coin_info(""), "coin_id"),
}


@pytest.mark.parametrize("call,field", BAD.values(), ids=list(BAD))
async def test_bad_input_sends_nothing(call: Any, field: str) -> None:
    async with mocked_client() as (client, rec):
        with pytest.raises(InvalidParameterError) as info:
            await call(client)
    assert info.value.field == field
    assert rec.calls == []


async def test_transfers_keep_the_reference_interval() -> None:
    async with mocked_client() as (client, rec):
        rec.on("POST", "/api/v1/account/assetTransfer", payload=TRANSFER, repeat=True)
        client.account.transfer_interval = 0.2
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.gather(*(client.account.transfer(1, 2, "USDT", "1") for _ in range(3)))
        elapsed = loop.time() - started
    assert len(rec.calls) == 3
    assert elapsed >= 0.4
