"""The tracker's pure core: the monotonic state rule and the bounded ledger."""

from __future__ import annotations

import itertools
from decimal import Decimal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hashkey_async import ExecutionReport, Order, OrderStatus, build_order
from hashkey_async.streams.protocol import PrivateDecoder
from hashkey_async.tracking import state
from hashkey_async.tracking.ledger import OrderLedger

CID = "bot-1"


def report(status: str, executed: str = "0", *, t: int = 1000, cid: str = CID) -> ExecutionReport:
    """An executionReport as the exchange sends it, decoded through the stream model."""
    raw = {
        "e": "executionReport",
        "E": str(t),
        "s": "BTCUSDT",
        "c": cid,
        "S": "BUY",
        "o": "LIMIT",
        "f": "GTC",
        "q": "1",
        "p": "100",
        "X": status,
        "i": "42",
        "z": executed,
        "Z": str(Decimal(executed) * 100),
        "V": "100" if Decimal(executed) else "0",
    }
    (event,) = PrivateDecoder().decode(msgspec.json.encode([raw]))
    assert isinstance(event, ExecutionReport)
    return event


def rest(status: str, executed: str = "0", *, t: int = 1000, cid: str = CID) -> Order:
    """A REST order row (query / open orders) decoded through the REST model."""
    raw = {
        "orderId": "42",
        "clientOrderId": cid,
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "status": status,
        "price": "100",
        "origQty": "1",
        "executedQty": executed,
        "updateTime": str(t),
        "timeInForce": "GTC",
    }
    return msgspec.json.decode(msgspec.json.encode(raw), type=Order, strict=False)


def intent(cid: str = CID) -> state.TrackedOrder:
    request = build_order("BTCUSDT", "BUY", "LIMIT", quantity="1", price="100", client_order_id=cid)
    return state.from_intent(request, 500)


def test_intent_is_in_flight_until_answered() -> None:
    order = intent()
    assert order.in_flight and not order.is_final and not order.placed
    assert order.status is None and order.sent_at == 500 and order.origin == "client"
    answered = state.advance(order, state.observe_rest(rest("NEW")))
    assert answered is not None
    assert answered.status is OrderStatus.NEW and answered.order_id == 42
    assert answered.is_open and answered.placed and not answered.in_flight
    assert answered.revision == order.revision + 1


def test_late_event_never_moves_an_order_backwards() -> None:
    filled = state.advance(intent(), state.observe_report(report("FILLED", "1", t=3000)))
    assert filled is not None and filled.is_final
    for late in (report("NEW", t=1000), report("PARTIALLY_FILLED", "0.5", t=2000)):
        assert state.advance(filled, state.observe_report(late)) is None
    assert state.advance(filled, state.observe_rest(rest("NEW", t=9000))) is None


def test_more_executed_quantity_moves_forward_less_does_not() -> None:
    half = state.advance(intent(), state.observe_report(report("PARTIALLY_FILLED", "0.5")))
    assert half is not None
    more = state.advance(half, state.observe_report(report("PARTIALLY_FILLED", "0.7", t=900)))
    assert more is not None and more.executed_qty == Decimal("0.7")
    assert more.cumulative_quote_qty == Decimal("70.0")
    assert state.advance(more, state.observe_report(report("PARTIALLY_FILLED", "0.5"))) is None


def test_the_same_state_twice_is_no_change() -> None:
    new = state.advance(intent(), state.observe_report(report("NEW")))
    assert new is not None
    assert state.advance(new, state.observe_report(report("NEW"))) is None
    assert state.advance(new, state.observe_rest(rest("NEW"))) is None


def test_a_first_final_wins_over_another_final() -> None:
    cancelled = state.advance(intent(), state.observe_report(report("CANCELED", t=2000)))
    assert cancelled is not None
    assert state.advance(cancelled, state.observe_report(report("FILLED", "1", t=3000))) is None


def test_in_doubt_only_while_unanswered() -> None:
    doubt = state.in_doubt(intent())
    assert doubt is not None and doubt.in_doubt and not doubt.in_flight and doubt.status is None
    assert state.in_doubt(doubt) is None
    known = state.advance(doubt, state.observe_rest(rest("NEW")))
    assert known is not None and not known.in_doubt
    assert state.in_doubt(known) is None


def test_client_conclusions_yield_to_the_exchange() -> None:
    gone = state.not_found(intent(), 9000)
    assert gone is not None and gone.is_final and not gone.placed
    assert gone.status is OrderStatus.REJECTED and gone.reason == state.NOT_FOUND_REASON
    back = state.advance(gone, state.observe_report(report("NEW", t=100)))
    assert back is not None and back.placed and back.status is OrderStatus.NEW and back.reason == ""
    assert state.refused(back, "too late", 9999) is None  # only an unanswered order is refused


def test_unknown_status_ranks_like_new_and_moves_by_time() -> None:
    new = state.advance(intent(), state.observe_report(report("NEW", t=1000)))
    assert new is not None
    odd = state.advance(new, state.observe_report(report("HALTED", t=2000)))
    assert odd is not None and odd.status == "HALTED" and not odd.is_final
    assert state.advance(odd, state.observe_report(report("NEW", t=1500))) is None
    assert state.advance(odd, state.observe_report(report("FILLED", "1", t=1500))) is not None


def test_missing_static_fields_are_filled_in_without_moving_status() -> None:
    seen = state.observe_report(report("FILLED", "1"))
    bare = state.TrackedOrder(
        client_order_id=CID, symbol="BTCUSDT", status=OrderStatus.FILLED, executed_qty=Decimal(1)
    )
    filled_in = state.advance(bare, seen)
    assert filled_in is not None and filled_in.order_id == 42 and filled_in.price == Decimal(100)
    assert filled_in.status is OrderStatus.FILLED


# The exchange's history of one order, in the order it happened.
HISTORY = [
    ("rest", "NEW", "0", 1000),
    ("event", "NEW", "0", 1000),
    ("event", "PARTIALLY_FILLED", "0.25", 2000),
    ("rest", "PARTIALLY_FILLED", "0.25", 2000),
    ("event", "PARTIALLY_FILLED", "0.5", 3000),
    ("event", "FILLED", "1", 4000),
    ("rest", "FILLED", "1", 4000),
]


def _seen(kind: str, status: str, executed: str, t: int) -> state.Observation:
    if kind == "rest":
        return state.observe_rest(rest(status, executed, t=t))
    return state.observe_report(report(status, executed, t=t))


@settings(max_examples=200, deadline=None)
@given(st.permutations(HISTORY), st.data())
def test_any_arrival_order_ends_in_the_final_state(
    history: list[tuple[str, str, str, int]], data: st.DataObject
) -> None:
    """Out of order, repeated, or partly lost: the order never goes back and ends FILLED."""
    extra = data.draw(st.lists(st.sampled_from(HISTORY), max_size=4))
    current: state.TrackedOrder | None = intent()
    best = (0, Decimal(0))
    for item in [*history, *extra]:
        assert current is not None
        new = state.advance(current, _seen(*item))
        if new is not None:
            current = new
        progress = (state.rank(current.status), current.executed_qty)
        assert progress >= best
        best = progress
    assert current is not None
    assert current.status is OrderStatus.FILLED and current.executed_qty == Decimal(1)


def test_ledger_applies_and_reports_only_changes() -> None:
    ledger = OrderLedger()
    request = build_order("BTCUSDT", "BUY", "LIMIT", quantity="1", price="100", client_order_id=CID)
    assert ledger.on_intent(request, 1) is not None
    assert ledger.on_intent(request, 2) is None  # a resend under the same id
    assert [o.client_order_id for o in ledger.unsettled()] == [CID]
    assert ledger.on_in_doubt(CID) is not None
    assert [o.client_order_id for o in ledger.in_doubt()] == [CID]
    assert ledger.on_rest(rest("NEW")) is not None
    assert ledger.on_report(report("NEW")) is None
    assert [o.client_order_id for o in ledger.open()] == [CID]
    assert ledger.missing_from([CID]) == []
    assert [o.client_order_id for o in ledger.missing_from([])] == [CID]
    assert ledger.on_in_doubt("never-seen") is None
    assert ledger.on_refused("never-seen", "x", 1) is None


def test_ledger_tracks_orders_it_did_not_place() -> None:
    ledger = OrderLedger()
    new = ledger.on_report(report("NEW", cid="web-ui-7"))
    assert new is not None and ledger.get("web-ui-7") == new and new.placed


def test_ledger_forgets_the_oldest_final_orders_and_ignores_their_late_events() -> None:
    ledger = OrderLedger(keep_final=3)
    for i in range(10):
        ledger.on_report(report("NEW", cid=f"o{i}"))
        ledger.on_report(report("FILLED", "1", cid=f"o{i}"))
    assert len(ledger) == 3
    assert [o.client_order_id for o in ledger] == ["o7", "o8", "o9"]
    assert ledger.on_report(report("NEW", cid="o6")) is None  # forgotten, not resurrected
    assert "o6" not in ledger
    ledger.on_report(report("NEW", cid="live"))
    assert "live" in ledger and len(ledger) == 4  # open orders never age out


def test_ledger_bounds_the_forgotten_ids_too() -> None:
    ledger = OrderLedger(keep_final=2)
    for i in itertools.count():
        if i == 50:
            break
        ledger.on_report(report("CANCELED", cid=f"o{i}"))
    assert len(ledger._forgotten) <= 2


def test_ledger_restore_keeps_the_newer_revision() -> None:
    ledger = OrderLedger()
    ledger.on_report(report("NEW"))
    ledger.on_report(report("FILLED", "1"))
    older = state.advance(intent(), state.observe_report(report("NEW")))
    assert older is not None
    ledger.restore(older)
    current = ledger.get(CID)
    assert current is not None and current.status is OrderStatus.FILLED


def test_keep_final_must_be_positive() -> None:
    with pytest.raises(ValueError, match="keep_final"):
        OrderLedger(keep_final=0)
