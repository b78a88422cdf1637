"""SymbolRules: built from the reference's exchangeInfo symbol, rounding (property-based), checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hashkey_async import FilterViolation, InvalidParameterError, Side, SymbolRules, build_order
from hashkey_async.models.market import ExchangeInfo, SymbolInfo
from hashkey_async.rules import RulesBook

#: The reference's "Get Exchange Information" example symbol, verbatim.
USDTAED = b"""{
"symbol": "USDTAED", "symbolName": "USDTAED", "status": "TRADING",
"baseAsset": "USDT", "baseAssetName": "USDT", "baseAssetPrecision": "0.01", "baseUcid": "825",
"quoteAsset": "AED", "quoteAssetName": "AED", "quotePrecision": "0.00001", "quoteUcid": "",
"retailAllowed": true, "piAllowed": true, "corporateAllowed": true, "omnibusAllowed": true,
"icebergAllowed": false, "isAggregate": false, "allowMargin": false,
"filters": [
{"minPrice": "0.001", "maxPrice": "100000.00000000", "tickSize": "0.001", "filterType": "PRICE_FILTER"},
{"minQty": "0.3", "maxQty": "200000", "stepSize": "0.01", "marketOrderMinQty": "0.3",
 "marketOrderMaxQty": "100000", "filterType": "LOT_SIZE"},
{"minNotional": "1", "filterType": "MIN_NOTIONAL"},
{"minAmount": "1", "maxAmount": "733320", "minBuyPrice": "0", "marketOrderMinAmount": "1",
 "marketOrderMaxAmount": "366660", "filterType": "TRADE_AMOUNT"},
{"maxSellPrice": "0", "buyPriceUpRate": "0.1", "sellPriceDownRate": "0.1", "maxEntrustNum": 300,
 "filterType": "LIMIT_TRADING"},
{"buyPriceUpRate": "0.1", "sellPriceDownRate": "0.1", "filterType": "MARKET_TRADING"},
{"noAllowMarketStartTime": "0", "noAllowMarketEndTime": "0", "limitOrderStartTime": "0",
 "limitOrderEndTime": "0", "limitMinPrice": "0", "limitMaxPrice": "0", "filterType": "OPEN_QUOTE"}
],
"site": "UAE"
}"""

INFO = msgspec.json.decode(USDTAED, type=SymbolInfo, strict=False)
RULES = SymbolRules.from_symbol(INFO)
D = Decimal


def test_from_symbol_reads_every_filter() -> None:
    expected = SymbolRules(
        symbol="USDTAED",
        tick_size=D("0.001"),
        min_price=D("0.001"),
        max_price=D("100000"),
        step_size=D("0.01"),
        min_qty=D("0.3"),
        max_qty=D("200000"),
        market_min_qty=D("0.3"),
        market_max_qty=D("100000"),
        min_notional=D("1"),
        min_amount=D("1"),
        max_amount=D("733320"),
        market_min_amount=D("1"),
        market_max_amount=D("366660"),
        limit_buy_up_rate=D("0.1"),
        limit_sell_down_rate=D("0.1"),
        market_buy_up_rate=D("0.1"),
        market_sell_down_rate=D("0.1"),
    )
    assert SymbolRules.from_symbol(INFO) == expected


def test_symbol_without_filters_has_no_limits() -> None:
    bare = SymbolRules.from_symbol(
        SymbolInfo(symbol="X", status="TRADING", base_asset="A", quote_asset="B")
    )
    assert bare.round_price("1.23456789") == D("1.23456789")
    assert bare.round_quantity("0.000001") == D("0.000001")
    bare.check(build_order("X", "BUY", "LIMIT", quantity="0.000001", price="0.0001"))


# --- rounding: property-based ------------------------------------------------------

ticks = st.sampled_from([D("0.001"), D("0.01"), D("0.5"), D("1"), D("25"), D("0.00000001")])
values = st.decimals(min_value=D("0.00000001"), max_value=D("1000000"), places=10)


@given(value=values, tick=ticks)
def test_round_quantity_is_on_step_toward_zero_within_one_step(
    value: Decimal, tick: Decimal
) -> None:
    rules = SymbolRules(symbol="X", step_size=tick)
    rounded = rules.round_quantity(value)
    assert rounded % tick == 0
    assert 0 <= value - rounded < tick
    assert rules.round_quantity(rounded) == rounded
    assert rounded.as_tuple().exponent >= tick.as_tuple().exponent  # type: ignore[operator]


@given(value=values, tick=ticks)
def test_round_price_by_side_never_worsens_the_price(value: Decimal, tick: Decimal) -> None:
    rules = SymbolRules(symbol="X", tick_size=tick)
    buy = rules.round_price(value, Side.BUY)
    sell = rules.round_price(value, Side.SELL)
    nearest = rules.round_price(value)
    for rounded in (buy, sell, nearest):
        assert rounded % tick == 0
        assert abs(rounded - value) < tick
        assert rules.round_price(rounded) == rounded
    assert buy <= value <= sell
    assert abs(nearest - value) <= tick / 2


@given(value=st.decimals(min_value=D("0.01"), max_value=D("99999"), places=2))
def test_round_accepts_str_and_exact_floats(value: Decimal) -> None:
    expected = RULES.round_quantity(value)
    assert RULES.round_quantity(str(value)) == expected
    assert RULES.round_quantity(float(str(value))) == expected


def test_round_examples() -> None:
    assert RULES.round_price("3.67251", Side.BUY) == D("3.672")
    assert RULES.round_price("3.67251", Side.SELL) == D("3.673")
    assert RULES.round_price("3.6725") == D("3.672")
    assert RULES.round_quantity("10.019") == D("10.01")
    assert str(RULES.round_quantity("10")) == "10.00"


def test_round_order_then_check_passes() -> None:
    order = build_order(
        "USDTAED", "SELL", "LIMIT", quantity="10.019", price="3.67251", client_order_id="k"
    )
    rounded = RULES.round_order(order)
    assert (rounded.price, rounded.quantity, rounded.client_order_id) == (
        D("3.673"),
        D("10.01"),
        "k",
    )
    RULES.check(rounded, reference_price="3.6725")


def test_round_order_to_zero_quantity_is_refused() -> None:
    order = build_order("USDTAED", "BUY", "LIMIT", quantity="0.001", price="3.6")
    with pytest.raises(InvalidParameterError) as info:
        RULES.round_order(order)
    assert info.value.field == "quantity"


# --- checks ------------------------------------------------------------------------------

CHECKS: dict[str, tuple[dict[str, Any], str | None, str, str]] = {
    # id: (order kwargs, reference price, field, filter)
    "price off tick": ({"price": "3.6721"}, None, "price", "PRICE_FILTER"),
    "price below min": ({"price": "0.0001"}, None, "price", "PRICE_FILTER"),
    "price above max": ({"price": "100000.001", "quantity": "0.3"}, None, "price", "PRICE_FILTER"),
    "quantity off step": ({"quantity": "1.001"}, None, "quantity", "LOT_SIZE"),
    "quantity below min": ({"quantity": "0.29"}, None, "quantity", "LOT_SIZE"),
    "quantity above max": ({"quantity": "200000.01"}, None, "quantity", "LOT_SIZE"),
    "notional below min": ({"quantity": "0.3", "price": "3"}, None, "quantity", "MIN_NOTIONAL"),
    "turnover above max": (
        {"quantity": "199999", "price": "4"},
        None,
        "quantity",
        "TRADE_AMOUNT",
    ),
    "buy above band": ({"price": "4.05"}, "3.67", "price", "LIMIT_TRADING"),
    "sell below band": ({"side": "SELL", "price": "3.3"}, "3.67", "price", "LIMIT_TRADING"),
    "market quantity above market max": (
        {"type": "MARKET", "price": None, "quantity": "100000.01"},
        None,
        "quantity",
        "LOT_SIZE",
    ),
    "market amount below min": (
        {"type": "MARKET", "price": None, "quantity": None, "amount": "0.5"},
        None,
        "amount",
        "TRADE_AMOUNT",
    ),
    "market amount above max": (
        {"type": "MARKET", "price": None, "quantity": None, "amount": "366660.01"},
        None,
        "amount",
        "TRADE_AMOUNT",
    ),
    "market quantity notional at reference": (
        {"type": "MARKET", "price": None, "quantity": "0.3"},
        "3",
        "quantity",
        "MIN_NOTIONAL",
    ),
}


def _order(**changes: Any) -> Any:
    kwargs = {
        "symbol": "USDTAED",
        "side": "BUY",
        "type": "LIMIT",
        "quantity": "10",
        "price": "3.672",
        **changes,
    }
    return build_order(**{k: v for k, v in kwargs.items() if v is not None})


@pytest.mark.parametrize("changes,ref,field,name", CHECKS.values(), ids=list(CHECKS))
def test_check_names_field_and_filter(
    changes: dict[str, Any], ref: str | None, field: str, name: str
) -> None:
    with pytest.raises(FilterViolation) as info:
        RULES.check(_order(**changes), reference_price=ref)
    assert isinstance(info.value, ValueError)
    assert (info.value.field, info.value.filter) == (field, name)


@pytest.mark.parametrize(
    "changes,ref",
    [
        ({}, None),
        ({}, "3.67"),
        ({"price": "4.037"}, "3.67"),  # exactly at the 10 % band: 3.67 * 1.1 = 4.037
        ({"side": "SELL", "price": "3.303"}, "3.67"),
        ({"quantity": "0.3", "price": "3.334"}, None),
        ({"type": "MARKET", "price": None, "quantity": "100000"}, None),
        ({"type": "MARKET", "price": None, "quantity": None, "amount": "366660"}, None),
        ({"type": "MARKET", "price": None, "quantity": "0.3"}, None),
    ],
)
def test_check_accepts_orders_within_rules(changes: dict[str, Any], ref: str | None) -> None:
    RULES.check(_order(**changes), reference_price=ref)


def test_price_band() -> None:
    from hashkey_async import OrderType

    assert RULES.price_band(OrderType.LIMIT, Side.BUY, D("100")) == (None, D("110.0"))
    assert RULES.price_band(OrderType.MARKET, Side.SELL, D("100")) == (D("90.0"), None)


def test_rules_book_caches_and_goes_stale() -> None:
    now = [0.0]
    book = RulesBook(ttl=10.0, clock=lambda: now[0])
    assert book.stale and book.get("USDTAED") is None
    book.load(ExchangeInfo(symbols=[INFO]))
    assert not book.stale
    assert book.require("USDTAED") == RULES
    now[0] = 10.0
    assert book.stale
    with pytest.raises(InvalidParameterError) as info:
        book.require("NOPE")
    assert info.value.field == "symbol"
