"""Exact parameter encoding."""

import enum
from decimal import Decimal
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hashkey_async.errors import InvalidParameterError
from hashkey_async.params import camel, encode_query, encode_value, symbol_param, to_decimal


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1E-7"), "0.0000001"),
        (Decimal("85000.00"), "85000"),
        (Decimal("1E+3"), "1000"),
        (Decimal("-0"), "0"),
        ("0.010", "0.010"),
        (12, "12"),
        (True, "true"),
        (False, "false"),
        (0.1, "0.1"),
        (["1", "2", 3], "1,2,3"),
    ],
)
def test_encode_value_is_exact(value: object, text: str) -> None:
    assert encode_value(value) == text


def test_camel_case() -> None:
    assert camel("client_order_id") == "clientOrderId"
    assert camel("symbol") == "symbol"
    assert camel("recvWindow") == "recvWindow"


def test_encode_query_drops_none_keeps_order_and_commas() -> None:
    query = encode_query({"symbol": "BTCUSDT", "limit": None, "order_ids": ["1", "2"], "x_y": 1})
    assert query == "symbol=BTCUSDT&orderIds=1,2&xY=1"


def test_encode_query_escapes_reserved_characters() -> None:
    assert encode_query({"memo": "a b&c=d"}) == "memo=a%20b%26c%3Dd"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 0.1 + 0.2, 1e-7, "abc", "NaN", True])
def test_to_decimal_refuses_inexact_or_non_finite(bad: object) -> None:
    with pytest.raises(InvalidParameterError) as info:
        to_decimal("price", bad)  # type: ignore[arg-type]
    assert info.value.field == "price"
    assert isinstance(info.value, ValueError)


def test_to_decimal_accepts_exact_inputs() -> None:
    assert to_decimal("q", "0.01") == Decimal("0.01")
    assert to_decimal("q", 0.25) == Decimal("0.25")
    assert to_decimal("q", 3) == Decimal(3)


class Side(enum.Enum):
    BUY = "BUY"


class Level(enum.IntEnum):
    ONE = 1


def test_enums_bools_and_decimals_take_the_general_path() -> None:
    query = encode_query(
        [
            ("side", Side.BUY),
            ("scale", Level.ONE),
            ("flag", True),
            ("price", Decimal("1E-7")),
            ("qty", 0.5),
        ]
    )
    assert query == "side=BUY&scale=1&flag=true&price=0.0000001&qty=0.5"


def test_encode_query_quotes_non_ascii_and_plus_and_slash() -> None:
    assert encode_query({"memo": "café+1/2"}) == "memo=caf%C3%A9%2B1%2F2"
    assert encode_query({"empty": ""}) == "empty="


def test_unencodable_value_is_refused() -> None:
    with pytest.raises(InvalidParameterError):
        encode_query({"x": object()})


@given(st.text(max_size=30))
def test_fast_path_matches_full_quoting(text: str) -> None:
    assert encode_query({"v": text}) == "v=" + quote(text, safe="-_.~,")


@given(st.integers())
def test_ints_render_plainly(number: int) -> None:
    assert encode_query({"n": number}) == f"n={number}"


@pytest.mark.parametrize("bad", ["", "   ", None, 42, b"BTCUSDT"])
def test_symbol_param_refuses_what_is_not_a_symbol(bad: object) -> None:
    with pytest.raises(InvalidParameterError) as info:
        symbol_param(bad)
    assert info.value.field == "symbol" and repr(bad) in str(info.value)


def test_symbol_param_passes_a_symbol_through() -> None:
    assert symbol_param("BTCUSDT") == "BTCUSDT"
