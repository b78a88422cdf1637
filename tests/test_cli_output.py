"""The CLI's pure parts: JSON-ready values, plain tables, in-place redraw, error advice."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest

from hashkey_async import OrderStatus, StreamGap
from hashkey_async.cli.failures import explain
from hashkey_async.cli.market import book_rows
from hashkey_async.cli.output import Output, StreamTable, plain, render_table
from hashkey_async.cli.session import stream_url_for
from hashkey_async.cli.watch import redraw
from hashkey_async.errors import (
    ExecutionStatusUnknown,
    FilterError,
    HashKeyError,
    InsufficientBalanceError,
    IPBannedError,
)
from hashkey_async.models.common import Level
from hashkey_async.rules import SymbolRules


def test_plain_keeps_money_exact_and_uses_attribute_names() -> None:
    rules = SymbolRules("BTCUSDT", tick_size=Decimal("1E-8"), min_notional=Decimal("10.50"))
    record = plain(rules)
    assert record["tick_size"] == "0.00000001"  # never an exponent, never a float
    assert record["min_notional"] == "10.50"
    assert record["max_qty"] is None
    assert plain(Level("60000.10", "0.0500")) == ["60000.10", "0.0500"]
    assert plain(OrderStatus.FILLED) == "FILLED"
    gap = plain(StreamGap(started_at=1, ended_at=5, reason="reconnect"))
    assert gap == {"started_at": 1, "ended_at": 5, "reason": "reconnect", "dropped": 0}


def test_json_output_is_one_parseable_line_per_row() -> None:
    stream = io.StringIO()
    Output(json=True, stream=stream).rows(("asset",), [{"asset": "BTC", "free": Decimal("0.1")}])
    assert [json.loads(line) for line in stream.getvalue().splitlines()] == [
        {"asset": "BTC", "free": "0.1"}
    ]


def test_plain_table_aligns_numbers_right_and_text_left() -> None:
    lines = render_table(
        ("asset", "free"), [{"asset": "BTC", "free": "10"}, {"asset": "USDT", "free": "0.125"}]
    )
    assert lines == ["asset   free", "BTC       10", "USDT   0.125"]


def test_stream_table_prints_the_header_once_and_widens() -> None:
    stream = io.StringIO()
    table = StreamTable(Output(json=False, stream=stream), ("price", "qty"))
    table.add({"price": "1", "qty": "2"})
    table.add({"price": "60000.5", "qty": "3"})
    assert stream.getvalue().splitlines() == ["price  qty", "1      2", "60000.5  3"]


def test_book_rows_pair_sides_and_leave_a_short_side_blank() -> None:
    rows = book_rows([Level("10", "1"), Level("9", "2")], [Level("11", "3")], levels=5)
    assert rows == [
        {"bid_qty": "1", "bid": "10", "ask": "11", "ask_qty": "3"},
        {"bid_qty": "2", "bid": "9", "ask": "", "ask_qty": ""},
    ]


def test_redraw_moves_up_over_the_previous_block() -> None:
    assert redraw(0, ["a"]) == "a\x1b[K\n\x1b[J"
    assert redraw(3, ["a", "b"]).startswith("\x1b[3F")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (FilterError(400, "-1132", "Order price too high"), "hashkey-async rules SYMBOL"),
        (InsufficientBalanceError(400, "-4003", "Balance insufficient"), "hashkey-async balances"),
        (IPBannedError(418, None, "banned", retry_after=90), "retry after 90 s"),
        (
            ExecutionStatusUnknown("timed out", client_order_id="hka-1"),
            "its client order id is hka-1",
        ),
    ],
)
def test_every_failure_says_its_code_and_what_to_do(error: HashKeyError, expected: str) -> None:
    text = explain(error)
    head, advice = text.splitlines()
    assert head.startswith(f"error: {type(error).__name__}")
    code = getattr(error, "code", None)
    if code:
        assert f"exchange code {code}" in head
    assert advice.startswith("what to do:") and expected in advice


def test_stream_url_follows_the_base_url() -> None:
    assert stream_url_for("http://127.0.0.1:8080") == "ws://127.0.0.1:8080"
    assert stream_url_for("https://api.example") == "wss://api.example"
