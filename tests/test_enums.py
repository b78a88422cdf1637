"""Enums: answers with values the reference does not list still decode; user input stays strict."""

from __future__ import annotations

import json
import logging
from typing import Any

import msgspec
import pytest
from fixtures import reference_answer
from order_matrix import GOOD_LIMIT
from signed_shapes import mocked_client

from hashkey_async import (
    InvalidParameterError,
    Order,
    OrderStatus,
    OrderType,
    Side,
    StpMode,
    TimeInForce,
    build_order,
    enums,
)
from hashkey_async.enums import KLINE_INTERVALS, interval_param, parse, parse_optional
from hashkey_async.rest import endpoints as E

ORDER: dict[str, Any] = {
    **reference_answer("POST /api/v1.1/spot/order"),
    "stpMode": "EXPIRE_TAKER",
}

UNKNOWN: dict[str, Any] = {
    **ORDER,
    "status": "EXPIRED_IN_MATCH",
    "type": "STOP_LIMIT",
    "timeInForce": "GTD",
    "stpMode": "EXPIRE_BOTH",
    "side": "SHORT",
}


def _decode(payload: dict[str, Any]) -> Order:
    return E.CREATE_ORDER.decoder.decode(json.dumps(payload).encode())


def test_an_order_with_unknown_values_decodes_into_pseudo_members() -> None:
    order = _decode(UNKNOWN)
    assert order.order_id == 1563277167764290304
    assert order.status == "EXPIRED_IN_MATCH" and isinstance(order.status, OrderStatus)
    assert order.type == "STOP_LIMIT" and isinstance(order.type, OrderType)
    assert order.time_in_force == "GTD" and isinstance(order.time_in_force, TimeInForce)
    assert order.stp_mode == "EXPIRE_BOTH" and isinstance(order.stp_mode, StpMode)
    assert order.side == "SHORT" and isinstance(order.side, Side)
    assert order.status.value == order.status.name == "EXPIRED_IN_MATCH"
    assert not order.status.is_final
    # Encoding gives the server's strings back.
    encoded = json.loads(msgspec.json.encode(order))
    assert (encoded["status"], encoded["stpMode"]) == ("EXPIRED_IN_MATCH", "EXPIRE_BOTH")


def test_known_values_still_decode_into_the_listed_members() -> None:
    order = _decode(ORDER)
    assert order.status is OrderStatus.NEW and order.side is Side.BUY
    assert order.type is OrderType.LIMIT and order.time_in_force is TimeInForce.GTC
    assert order.stp_mode is StpMode.EXPIRE_TAKER
    assert _decode({**ORDER, "status": "filled"}).status is OrderStatus.FILLED


def test_unknown_values_do_not_join_the_members_and_are_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="hashkey_async"):
        first = _decode({**ORDER, "status": "NEW_STATUS_FOR_LOG_TEST"}).status
        second = _decode({**ORDER, "status": "NEW_STATUS_FOR_LOG_TEST"}).status
    assert first is second
    assert [r.getMessage() for r in caplog.records].count(
        "OrderStatus 'NEW_STATUS_FOR_LOG_TEST' is not in the API reference; kept as an unknown value"
    ) == 1
    assert [s.value for s in OrderStatus] == [
        "PENDING_NEW",
        "NEW",
        "PARTIALLY_FILLED",
        "PARTIALLY_CANCELED",
        "FILLED",
        "CANCELED",
        "REJECTED",
    ]
    assert "NEW_STATUS_FOR_LOG_TEST" not in OrderStatus.__members__


def test_is_final_for_every_listed_status() -> None:
    final = {s for s in OrderStatus if s.is_final}
    assert final == {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.PARTIALLY_CANCELED,
        OrderStatus.REJECTED,
    }


@pytest.mark.parametrize(
    "kind,field,value",
    [
        (Side, "side", "SHORT"),
        (OrderType, "type", "STOP_LIMIT"),
        (TimeInForce, "time_in_force", "GTD"),
        (StpMode, "stp_mode", "EXPIRE_BOTH"),
    ],
)
def test_parse_refuses_unlisted_values_even_after_they_were_decoded(
    kind: Any, field: str, value: str
) -> None:
    pseudo = _decode(UNKNOWN)
    decoded: dict[str, object] = {
        "side": pseudo.side,
        "type": pseudo.type,
        "time_in_force": pseudo.time_in_force,
        "stp_mode": pseudo.stp_mode,
    }
    for given in (value, value.lower(), decoded[field]):
        with pytest.raises(InvalidParameterError) as info:
            parse(kind, field, given)
        assert info.value.field == field
    with pytest.raises(InvalidParameterError) as built:
        build_order(**{**GOOD_LIMIT, field: decoded[field]})
    assert built.value.field == field


def test_parse_still_accepts_members_and_their_strings() -> None:
    assert parse(Side, "side", Side.SELL) is Side.SELL
    assert parse(Side, "side", " sell ") is Side.SELL
    assert parse(StpMode, "stp_mode", "expire_maker") is StpMode.EXPIRE_MAKER


async def test_create_order_answered_with_an_unknown_status_returns_the_order() -> None:
    async with mocked_client() as (client, rec):
        rec.on("POST", "/api/v1.1/spot/order", payload={**ORDER, "status": "ACCEPTED_V2"})
        order = await client.spot.create_order(**GOOD_LIMIT)
    assert rec.paths() == ["POST /api/v1.1/spot/order"]
    assert isinstance(order, Order)
    assert order.order_id == 1563277167764290304
    assert order.status == "ACCEPTED_V2" and not order.status.is_final


def test_parse_optional_keeps_none_and_is_as_strict_as_parse() -> None:
    assert parse_optional(Side, "side", None) is None
    assert parse_optional(Side, "side", "sell") is Side.SELL
    with pytest.raises(InvalidParameterError) as info:
        parse_optional(Side, "side", "HOLD")
    assert info.value.field == "side"


def test_a_blank_value_is_not_a_member_nor_news(caplog: pytest.LogCaptureFixture) -> None:
    """Blank means "not given": the enum refuses it and decoding maps the field to None."""
    with caplog.at_level(logging.WARNING, logger="hashkey_async"):
        for blank in ("", "  "):
            with pytest.raises(ValueError):
                TimeInForce(blank)
    assert not [r for r in caplog.records if "TimeInForce" in r.getMessage()]
    assert "" not in enums._unknown.get(TimeInForce, {})


def test_interval_param_accepts_the_reference_intervals_only() -> None:
    assert {interval_param(i) for i in KLINE_INTERVALS} == KLINE_INTERVALS
    assert {"1m", "1h", "1d", "1w", "1M"} <= KLINE_INTERVALS
    for bad in ("1s", "1H", "", None, 60):
        with pytest.raises(InvalidParameterError) as info:
            interval_param(bad)
        assert info.value.field == "interval" and repr(bad) in str(info.value)
