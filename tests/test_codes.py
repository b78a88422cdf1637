"""Exchange code normalisation: one definition, used alike by the transport and the batch models."""

from __future__ import annotations

import json
from typing import TypeVar

import msgspec
import pytest

from hashkey_async.errors import (
    SUCCESS_CODES,
    DuplicateOrderError,
    OrderNotFoundError,
    normalize_code,
)
from hashkey_async.models import trading
from hashkey_async.models.trading import BatchOrderResponse, CancelByIdsResponse
from hashkey_async.rest import transport

T = TypeVar("T")

ORDER = {
    "symbol": "BTCUSD",
    "orderId": "1563289422480390912",
    "status": "NEW",
    "type": "LIMIT",
    "side": "SELL",
}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (0, "0"),
        (200, "200"),
        (1, "0001"),
        (211, "0211"),
        (401, "0401"),
        (9999, "9999"),
        (10000, "10000"),
        (-1021, "-1021"),
        ("0211", "0211"),
        ("-1141", "-1141"),
        (None, None),
    ],
)
def test_normalize_code_spells_codes_as_the_error_table(
    code: str | int | None, expected: str | None
) -> None:
    assert normalize_code(code) == expected


def test_success_codes_are_what_normalize_code_gives_for_success() -> None:
    assert {normalize_code(0), normalize_code(200), normalize_code("0000")} == SUCCESS_CODES


def test_transport_and_models_use_the_one_definition() -> None:
    for module in (transport, trading):
        assert vars(module)["normalize_code"] is normalize_code
        assert vars(module)["SUCCESS_CODES"] is SUCCESS_CODES


def test_batch_items_with_numeric_codes() -> None:
    body = {
        "code": 0,
        "result": [
            {"code": 200, "order": ORDER},
            {"code": 0, "order": {**ORDER, "orderId": "2"}},
            {"code": -1141, "msg": "Duplicate order"},
        ],
    }
    answer = _decode(BatchOrderResponse, body)
    assert [item.ok for item in answer.result] == [True, True, False]
    assert [order.order_id for order in answer.orders] == [1563289422480390912, 2]
    assert isinstance(answer.failed[0].error, DuplicateOrderError)


def test_cancel_by_ids_numeric_211_is_order_not_found() -> None:
    body = {"code": "0000", "result": [{"orderId": "7", "code": 211}, {"orderId": "8", "code": 0}]}
    answer = _decode(CancelByIdsResponse, body)
    assert list(answer.failed) == [7]
    error = answer.failed[7]
    assert isinstance(error, OrderNotFoundError) and error.code == "0211"


def _decode(model: type[T], body: object) -> T:
    return msgspec.json.decode(json.dumps(body).encode(), type=model, strict=False)
