"""The decoding policy (``hashkey_async.decoding``) and the variation generator, unit by unit."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from fixtures import live_shapes

from hashkey_async import DecodeStats, SymbolRules, decode_stats
from hashkey_async.decoding import IDENTIFYING, Decoder, Refused, exact_json, struct_spec
from hashkey_async.models.market import Kline, LotSizeFilter, PriceFilter
from hashkey_async.models.trading import Order
from hashkey_async.rest import endpoints as E
from hashkey_async.testing.variations import encode, retyped, sites, variations, vary

LIVE = live_shapes()
ORDER = {"orderId": "7", "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "status": "NEW"}


@pytest.fixture(autouse=True)
def fresh_stats() -> Iterator[DecodeStats]:
    decode_stats().reset()
    yield decode_stats()
    decode_stats().reset()


def test_well_formed_payloads_take_the_strict_path_and_count_nothing() -> None:
    order = E.GET_ORDER.tolerant.decode(encode({**ORDER, "price": "1.50", "avgPrice": 2}))
    assert order.price == Decimal("1.50") and order.avg_price == Decimal(2)
    assert decode_stats().snapshot() == {"fallbacks": {}, "refusals": {}}


def test_blank_null_and_retyped_fields_decode_exactly_and_are_counted_once_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent = {**ORDER, "avgPrice": "", "feeCoin": 123, "clientOrderId": 1722865171625507}
    sent |= {"price": None, "origQty": Decimal("0.00010"), "timeInForce": ""}
    with caplog.at_level(logging.WARNING, logger="hashkey_async.decode"):
        for _ in range(3):
            order = E.GET_ORDER.tolerant.decode(encode(exact_json.decode(encode(sent))))
    assert order.avg_price is None and order.price is None and order.time_in_force is None
    assert order.fee_coin == "123" and order.client_order_id == "1722865171625507"
    assert str(order.orig_qty) == "0.00010"  # a JSON number, read from its digits, never a float
    fallbacks = decode_stats().snapshot()["fallbacks"]
    assert fallbacks == {
        ("Order", "avg_price"): 3,
        ("Order", "fee_coin"): 3,
        ("Order", "client_order_id"): 3,
        ("Order", "time_in_force"): 3,
    }
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 4 and all(m.startswith("Order.") for m in warned)
    assert not any("1722865171625507" in m for m in warned)  # field names, never values


def test_a_broken_identifying_field_is_refused_counted_and_logged_with_the_payload(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="hashkey_async.decode"),
        pytest.raises(Refused, match="orderId"),
    ):
        E.GET_ORDER.tolerant.decode(encode({**ORDER, "orderId": "", "note": "x" * 2000}))
    assert decode_stats().snapshot()["refusals"] == {("Order", "order_id"): 1}
    [line] = [r.getMessage() for r in caplog.records]
    assert '"symbol":"BTCUSDT"' in line and len(line) < 800  # the payload, truncated


def test_a_listen_key_answer_is_never_quoted(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="hashkey_async.decode"),
        pytest.raises(Refused),
    ):
        E.CREATE_LISTEN_KEY.tolerant.decode(b'{"listenKey": ["SECRETKEY"]}')
    assert caplog.records and not any("SECRETKEY" in r.getMessage() for r in caplog.records)


def test_one_refused_row_of_a_read_is_dropped_its_siblings_kept() -> None:
    rows = [ORDER, {**ORDER, "orderId": None}, {**ORDER, "orderId": "9"}]
    assert [o.order_id for o in E.OPEN_ORDERS.tolerant.decode(encode(rows))] == [7, 9]
    assert decode_stats().snapshot()["refusals"] == {("Order", "order_id"): 1}


@pytest.mark.parametrize(
    "item",
    [
        {"code": "0000", "order": {**ORDER, "orderId": ""}},  # one order's identity
        {"code": "", "order": ORDER},  # what says accepted or rejected, blank
        {"code": None, "order": ORDER},
        {"code": "0000", "order": ""},  # an accepted order blanked would read as rejected
    ],
)
def test_a_write_answer_that_could_misreport_is_refused_whole(item: dict[str, Any]) -> None:
    batch = {"code": 0, "result": [{"code": "0000", "order": {**ORDER, "orderId": "8"}}, item]}
    with pytest.raises(Refused):
        E.CREATE_ORDERS.tolerant.decode(encode(batch))
    assert sum(decode_stats().snapshot()["refusals"].values()) == 1


def test_a_batch_item_retyped_still_reads_as_accepted() -> None:
    batch = {"code": 0, "result": [{"code": 0, "order": {**ORDER, "orderId": 8}}]}
    [item] = E.CREATE_ORDERS.tolerant.decode(encode(batch)).result
    assert item.ok and item.order is not None and item.order.order_id == 8


def test_book_levels_as_numbers_keep_their_digits() -> None:
    book = E.DEPTH.tolerant.decode(b'{"t": 1, "b": [[2974.50, 0.0202]], "a": [["1", 3E-8]]}')
    assert (book.bids[0].raw_price, book.bids[0].raw_quantity) == ("2974.50", "0.0202")
    assert book.asks[0].quantity == Decimal("3E-8")


def test_withdrawal_and_deposit_rows_without_status_decode() -> None:
    [withdrawals] = LIVE["GET /api/v1/account/withdrawOrders"]
    [deposits] = LIVE["GET /api/v1/account/depositOrders"]
    [row] = E.WITHDRAWALS.tolerant.decode(encode(withdrawals))
    assert row.id == "W792076358865207296" and row.status is None
    assert row.quantity == Decimal("10.00000000") and row.arrived is None
    assert all(d.status is None for d in E.DEPOSITS.tolerant.decode(encode(deposits)))


@pytest.mark.parametrize("shape", ["wrapper", "bare", "list"])
def test_exchange_info_in_every_shape_gives_the_symbols_rules(shape: str) -> None:
    [bare] = LIVE["GET /api/v1/exchangeInfo"]
    body = {"wrapper": {"symbols": [bare]}, "bare": bare, "list": [bare]}[shape]
    info = E.EXCHANGE_INFO.decoder.decode(encode(body))
    symbol = info.symbol("USDTAED")
    assert symbol is not None
    rules = SymbolRules.from_symbol(symbol)
    assert rules.tick_size == Decimal("0.001") and rules.step_size == Decimal("0.01")
    assert rules.min_notional == Decimal(1) and rules.unapplied_filters == ()


def test_unknown_and_empty_filter_types_are_kept_raw_reported_and_the_known_ones_apply() -> None:
    [bare] = LIVE["GET /api/v1/exchangeInfo"]
    extra = [{"filterType": "NEW_ONE", "limit": 5}, {"filterType": "", "x": 0.5}]
    info = E.EXCHANGE_INFO.decoder.decode(encode({**bare, "filters": [*bare["filters"], *extra]}))
    [symbol] = info.symbols
    assert symbol.unknown_filters == [extra[0], {"filterType": "", "x": Decimal("0.5")}]
    assert isinstance(symbol.filter(PriceFilter), PriceFilter)
    assert isinstance(symbol.filter(LotSizeFilter), LotSizeFilter)
    rules = SymbolRules.from_symbol(symbol)
    assert rules.unapplied_filters == ("NEW_ONE", "") and rules.tick_size == Decimal("0.001")
    assert decode_stats().snapshot()["fallbacks"] == {("SymbolInfo", "filters"): 2}


def test_not_json_is_a_decode_error_not_a_refusal() -> None:
    with pytest.raises(msgspec.DecodeError):
        Decoder[Order](Order).decode(b"<html>")


def test_every_non_identifying_field_of_a_decoded_model_can_be_none_or_has_a_default() -> None:
    """Types tell the truth: a field the exchange may blank admits None (or keeps a default)."""
    for cls in IDENTIFYING:
        for field in struct_spec(cls).fields:
            if not field.identifying:
                assert field.nullable or not field.required, (cls.__name__, field.name)


# --- the variation generator ----------------------------------------------------------------


def test_retyped_keeps_the_digits_both_ways() -> None:
    assert retyped("0.00010") == Decimal("0.00010") and retyped("1745914034203524352") == (
        1745914034203524352
    )
    assert retyped(Decimal("2.50")) == "2.50" and retyped(7) == "7"
    assert retyped("0007") is None and retyped("BTC") is None and retyped(True) is None
    assert encode([retyped("0.00010")]) == b"[0.00010]"


def test_variations_cover_each_field_each_way_and_leave_the_payload_alone() -> None:
    payload: dict[str, Any] = {**ORDER, "price": "1.5", "extra": "x"}
    before = encode(payload)
    found = {(v.site.field, v.kind) for v in variations(payload, Order)}
    assert ("order_id", "retype") in found and ("price", "missing") in found
    assert ("extra", "empty") in found and ("side", "retype") not in found
    assert encode(payload) == before
    identifying = {s.field for s in sites(payload, Order) if s.identifying}
    assert identifying == {"order_id", "symbol"}


def test_array_shaped_items_lose_only_their_last_position() -> None:
    row = [1, "1", "2", "0.5", "1.5", "10"]
    missing = [v.site.path for v in variations([row], list[Kline]) if v.kind == "missing"]
    assert missing == [(0, 5)]


def test_vary_draws_reproducibly() -> None:
    one = vary(ORDER, Order, random.Random(3))
    two = vary(ORDER, Order, random.Random(3))
    assert one is not None and two is not None and one.payload == two.payload
