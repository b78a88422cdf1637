"""``client.wallet``: exact request shapes, typed answers, the reference's payloads, memo rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from signed_shapes import Case, mocked_client, run_case

from hashkey_async import ExecutionStatusUnknown, InvalidParameterError

ADDRESS = {
    "canDeposit": True,
    "address": "0xD6bF65d473BFd760E20c7e120E9A4108a912D7c3",
    "addressExt": "",
    "minQuantity": "0.001",
    "needAddressTag": False,
    "requiredConfirmTimes": 10,
    "canWithdrawConfirmTimes": 10,
    "coinType": "ERC20_TOKEN",
}

DEPOSITS = [
    {
        "time": "1753238871066",
        "coin": "BTC",
        "coinName": "BTC",
        "address": "btctestsuc",
        "quantity": "5.00000000000000000000",
        "status": 1,
        "statusCode": "1",
        "txId": "ad504e3af44ec5e3d4af6a4c158c50cf5fdffe9006e4f8d7f00773378a5dea28",
    },
    {
        "time": "1727574827745",
        "coin": "ETH",
        "coinName": "ETH",
        "address": "0xD655029B870b4689606a1C43CADb2300C0a016B1",
        "quantity": "0.02227914313347269000",
        "status": 10,
        "statusCode": "10",
        "txId": "0x8a895bc0b5cb55b91052f38d0b0afa7697612c94056670ae004a4ce34a0d2d04",
    },
]

AUTH = {"success": True, "msg": "", "timestamp": "1766633944895"}

WITHDRAW = {
    "success": True,
    "id": "0",
    "orderId": "W792076358865207296",
    "accountId": "1649292498437183235",
}

WITHDRAWALS = [
    {
        "time": "1766653720032",
        "id": "W792076358865207296",
        "coin": "USDT",
        "coinId": "USDT",
        "coinName": "USDT",
        "address": "0x05aad35f83e62b6323f55ea41efcfdd2f97bd505",
        "quantity": "10.00000000",
        "arriveQuantity": "",
        "status": "withdrawing",
        "txId": "",
        "addressUrl": "0x05aad35f83e62b6323f55ea41efcfdd2f97bd505",
        "feeCoinId": "USDT",
        "feeCoinName": "USDT",
        "fee": "0.00000000",
        "remark": "",
        "platform": "",
        "memo": "",
    }
]

TX = "0xbd40b38543767a7d441c87c676ddfaf6cf750e4c7d8d66abd0f1665eb031932a"
ADDR = "0x132346ef629483974879a2e68A3557cA1c494D2E"

CASES: dict[str, Case] = {
    "deposit_address": (
        lambda c: c.wallet.deposit_address("USDT", "ETH"),
        "GET",
        "/api/v1/account/deposit/address",
        [("coin", "USDT"), ("chainType", "ETH")],
        ADDRESS,
        lambda r: (
            r.address == ADDRESS["address"]
            and r.min_quantity == Decimal("0.001")
            and r.required_confirm_times == 10
            and r.can_deposit
        ),
    ),
    "deposits": (
        lambda c: c.wallet.deposits("ETH_USDT", start_time=1, end_time=2, limit=1000),
        "GET",
        "/api/v1/account/depositOrders",
        [("coin", "ETH_USDT"), ("startTime", "1"), ("endTime", "2"), ("limit", "1000")],
        DEPOSITS,
        lambda r: (
            r[0].quantity == Decimal("5.00000000000000000000")
            and str(r[1].quantity) == "0.02227914313347269000"
            and r[1].status == 10
            and r[0].time == 1753238871066
        ),
    ),
    "authenticate_address, person": (
        lambda c: c.wallet.authenticate_address(
            TX, "Binance", sender_first_name="SHEN", sender_last_name="ZHANG"
        ),
        "POST",
        "/api/v1/account/authAddress",
        [
            ("txid", TX),
            ("senderLastName", "ZHANG"),
            ("senderFirstName", "SHEN"),
            ("exchangeName", "Binance"),
            ("isAddressOwner", "true"),
        ],
        AUTH,
        lambda r: r.success and r.timestamp == 1766633944895,
    ),
    "authenticate_address, institution": (
        lambda c: c.wallet.authenticate_address(TX, "OKX", institutional_name="ACME Ltd"),
        "POST",
        "/api/v1/account/authAddress",
        [
            ("txid", TX),
            ("institutionalName", "ACME Ltd"),
            ("exchangeName", "OKX"),
            ("isAddressOwner", "true"),
        ],
        AUTH,
        lambda r: r.success,
    ),
    "withdraw": (
        lambda c: c.wallet.withdraw(
            "USDT",
            ADDR,
            "0.2",
            "ETH",
            client_order_id="w12912",
            platform="BINANCE",
            memo="123456",
        ),
        "POST",
        "/api/v1/account/withdraw",
        [
            ("coin", "USDT"),
            ("clientOrderId", "w12912"),
            ("address", ADDR),
            ("platform", "BINANCE"),
            ("quantity", "0.2"),
            ("chainType", "ETH"),
            ("memo", "123456"),
        ],
        WITHDRAW,
        lambda r: (
            r.order_id == "W792076358865207296"
            and r.id == 0
            and r.account_id == 1649292498437183235
        ),
    ),
    "withdrawals": (
        lambda c: c.wallet.withdrawals(
            "USDT", start_time=1691142675492, end_time=1691142679567, remark="x", limit=10
        ),
        "GET",
        "/api/v1/account/withdrawOrders",
        [
            ("coin", "USDT"),
            ("startTime", "1691142675492"),
            ("endTime", "1691142679567"),
            ("remark", "x"),
            ("limit", "10"),
        ],
        WITHDRAWALS,
        lambda r: (
            r[0].id == "W792076358865207296"
            and r[0].quantity == Decimal("10")
            and r[0].arrived is None
            and r[0].status == "withdrawing"
        ),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
async def test_request_shape_and_typed_answer(case: Case) -> None:
    await run_case(case)


async def test_withdraw_generates_a_client_order_id_and_reports_it_when_uncertain() -> None:
    async with mocked_client() as (client, rec):
        rec.on("POST", "/api/v1/account/withdraw", status=502, body="bad gateway")
        with pytest.raises(ExecutionStatusUnknown) as info:
            await client.wallet.withdraw("USDT", ADDR, Decimal("1.5"), "ETH")
    sent = rec.calls[0].params["clientOrderId"]
    assert sent.startswith("hka-")
    assert info.value.client_order_id == sent
    assert len(rec.calls) == 1  # a withdrawal is never resent automatically


def test_arrived_quantity_when_known() -> None:
    from hashkey_async.rest import endpoints as E

    payload = b'[{"time": 1, "id": "W1", "coin": "ETH", "quantity": "0.05", "status": "successful", "arriveQuantity": "0.04400000"}]'
    (item,) = E.WITHDRAWALS.decoder.decode(payload)
    assert item.arrived == Decimal("0.044")


BAD: dict[str, tuple[Any, str]] = {
    "memo with a dash": (
        lambda c: c.wallet.withdraw("USDT", ADDR, "1", "ETH", memo="12-34"),
        "memo",
    ),
    "memo of 21 chars": (
        lambda c: c.wallet.withdraw("USDT", ADDR, "1", "ETH", memo="a" * 21),
        "memo",
    ),
    "memo empty": (lambda c: c.wallet.withdraw("USDT", ADDR, "1", "ETH", memo=""), "memo"),
    "withdraw zero": (lambda c: c.wallet.withdraw("USDT", ADDR, 0, "ETH"), "quantity"),
    "withdraw negative": (lambda c: c.wallet.withdraw("USDT", ADDR, "-1", "ETH"), "quantity"),
    "withdraw infinite": (
        lambda c: c.wallet.withdraw("USDT", ADDR, float("inf"), "ETH"),
        "quantity",
    ),
    "withdraw inexact float": (
        lambda c: c.wallet.withdraw("USDT", ADDR, 0.1 + 0.7, "ETH"),
        "quantity",
    ),
    "withdraw no address": (lambda c: c.wallet.withdraw("USDT", "", "1", "ETH"), "address"),
    "withdraw no chain": (lambda c: c.wallet.withdraw("USDT", ADDR, "1", " "), "chain_type"),
    "withdraw empty client id": (
        lambda c: c.wallet.withdraw("USDT", ADDR, "1", "ETH", client_order_id=""),
        "client_order_id",
    ),
    "deposit address no chain": (lambda c: c.wallet.deposit_address("USDT", ""), "chain_type"),
    "auth without names": (
        lambda c: c.wallet.authenticate_address(TX, "OKX"),
        "sender_first_name/sender_last_name",
    ),
    "auth with only a first name": (
        lambda c: c.wallet.authenticate_address(TX, "OKX", sender_first_name="A"),
        "sender_first_name/sender_last_name",
    ),
    "auth with institution and names": (
        lambda c: c.wallet.authenticate_address(
            TX, "OKX", institutional_name="I", sender_first_name="A", sender_last_name="B"
        ),
        "institutional_name",
    ),
    "auth not the owner": (
        lambda c: c.wallet.authenticate_address(
            TX, "OKX", institutional_name="I", is_address_owner=False
        ),
        "is_address_owner",
    ),
}


@pytest.mark.parametrize("call,field", BAD.values(), ids=list(BAD))
async def test_bad_input_sends_nothing(call: Any, field: str) -> None:
    async with mocked_client() as (client, rec):
        with pytest.raises(InvalidParameterError) as info:
            await call(client)
    assert info.value.field == field
    assert rec.calls == []
