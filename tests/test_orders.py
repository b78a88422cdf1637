"""Pure order building and validation: every rule raises a ValueError naming its field."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from order_matrix import BAD_ORDERS, GOOD_LIMIT

from hashkey_async import InvalidParameterError, OrderType, Side, StpMode, TimeInForce
from hashkey_async.orders import (
    MAX_CLIENT_ORDER_ID_LENGTH,
    build_order,
    exactly_one,
    new_client_order_id,
    order_ids_param,
    validate_batch,
    validate_memo,
)


@pytest.mark.parametrize("kwargs,field", BAD_ORDERS.values(), ids=list(BAD_ORDERS))
def test_bad_order_names_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        build_order(**kwargs)
    assert isinstance(info.value, ValueError)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")


def test_market_quantity_and_amount_cites_1129() -> None:
    with pytest.raises(InvalidParameterError, match="-1129"):
        build_order("BTCUSDT", "BUY", "MARKET", quantity="1", amount="10")


def test_enums_and_exchange_strings_build_the_same_order() -> None:
    a = build_order(
        "BTCUSDT",
        Side.SELL,
        OrderType.LIMIT,
        quantity="0.5",
        price=Decimal("30000.10"),
        client_order_id="c1",
        time_in_force=TimeInForce.FOK,
        stp_mode=StpMode.EXPIRE_MAKER,
    )
    b = build_order(
        "BTCUSDT",
        "sell",
        "LIMIT",
        quantity=Decimal("0.5"),
        price="30000.10",
        client_order_id="c1",
        time_in_force="FOK",
        stp_mode="EXPIRE_MAKER",
    )
    assert a == b
    assert a.side is Side.SELL and a.type is OrderType.LIMIT


def test_exact_float_is_accepted_and_kept_exact() -> None:
    order = build_order("BTCUSDT", "BUY", "LIMIT", quantity=0.1, price=28000.5)
    assert order.quantity == Decimal("0.1")
    assert order.price == Decimal("28000.5")


def test_params_are_in_reference_order_and_json_is_exact_strings() -> None:
    order = build_order(
        "BTCUSDT",
        "BUY",
        "LIMIT",
        quantity="1E-7",
        price="28000.00",
        client_order_id="abc",
        time_in_force="GTC",
    )
    params = order.params()
    assert list(params) == [
        "symbol",
        "side",
        "type",
        "quantity",
        "amount",
        "price",
        "newClientOrderId",
        "timeInForce",
        "stpMode",
    ]
    assert order.to_json() == {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "quantity": "0.0000001",
        "price": "28000",
        "newClientOrderId": "abc",
        "timeInForce": "GTC",
    }
    json.dumps(order.to_json())


def test_market_by_amount() -> None:
    order = build_order("BTCUSDT", "BUY", "MARKET", amount="1000", time_in_force="IOC")
    assert order.amount == Decimal(1000) and order.quantity is None and order.price is None


def test_generated_client_order_ids_are_unique_readable_and_short() -> None:
    ids = {build_order(**GOOD_LIMIT).client_order_id for _ in range(2000)}
    ids |= {new_client_order_id() for _ in range(2000)}
    assert len(ids) == 4000
    for cid in ids:
        assert cid.startswith("hka-")
        assert len(cid) <= MAX_CLIENT_ORDER_ID_LENGTH and len(cid) <= 40


def test_client_order_id_of_255_chars_is_accepted() -> None:
    assert build_order(**GOOD_LIMIT, client_order_id="y" * 255).client_order_id == "y" * 255


def test_replace_validates_again() -> None:
    order = build_order(**GOOD_LIMIT, client_order_id="keep")
    assert order.replace(price="1").price == Decimal(1)
    assert order.replace(price="1").client_order_id == "keep"
    with pytest.raises(InvalidParameterError) as info:
        order.replace(quantity="0")
    assert info.value.field == "quantity"
    with pytest.raises(InvalidParameterError) as info:
        order.replace(colour="red")
    assert info.value.field == "colour"


def _batch(n: int, symbol: str = "BTCUSDT") -> list[Any]:
    return [build_order(**{**GOOD_LIMIT, "symbol": symbol}) for _ in range(n)]


@pytest.mark.parametrize(
    "orders,match",
    [
        ([], "at least one"),
        (_batch(21), "-2022"),
        (_batch(1) + _batch(1, "ETHUSDT"), "-2030"),
        ([build_order(**GOOD_LIMIT, client_order_id="same")] * 2, "repeat"),
    ],
    ids=["empty", "21 orders", "mixed symbols", "repeated client ids"],
)
def test_bad_batches(orders: list[Any], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match) as info:
        validate_batch(orders)
    assert info.value.field == "orders"


def test_batch_of_20_is_fine() -> None:
    validate_batch(_batch(20))


@pytest.mark.parametrize(
    "ids", [[], list(range(1, 102)), ["12a"], [1.5], "123,456", [True]], ids=str
)
def test_bad_cancel_ids(ids: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        order_ids_param(ids)
    assert info.value.field == "order_ids"


def test_cancel_ids_accept_ints_and_digit_strings() -> None:
    assert order_ids_param([1, "1507155386372816640"]) == ["1", "1507155386372816640"]
    assert len(order_ids_param(range(1, 101))) == 100


@pytest.mark.parametrize("given", [{}, {"order_id": 1, "client_order_id": "c"}])
def test_exactly_one(given: dict[str, Any]) -> None:
    values = {"order_id": None, "client_order_id": None, **given}
    with pytest.raises(InvalidParameterError) as info:
        exactly_one(**values)
    assert info.value.field == "order_id/client_order_id"


@pytest.mark.parametrize("memo", ["", "abc-1", "a b", "é1", "a" * 21])
def test_bad_memo(memo: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        validate_memo(memo)
    assert info.value.field == "memo"


def test_good_memo() -> None:
    assert validate_memo("Abc123" + "9" * 14) == "Abc123" + "9" * 14
    assert validate_memo(None) is None


@given(
    quantity=st.decimals(min_value=Decimal("1E-18"), max_value=Decimal("1E+12"), places=18),
    price=st.decimals(min_value=Decimal("1E-8"), max_value=Decimal("1E+9"), places=8),
)
def test_numbers_reach_the_wire_exactly(quantity: Decimal, price: Decimal) -> None:
    order = build_order("BTCUSDT", "BUY", "LIMIT", quantity=str(quantity), price=price)
    sent = order.to_json()
    assert Decimal(sent["quantity"]) == quantity and Decimal(sent["price"]) == price
    assert "E" not in sent["quantity"] + sent["price"]
    assert "e" not in sent["quantity"] + sent["price"]
