"""Pure protocol: messages, decoding from the reference's examples, routing keys, liveness."""

from __future__ import annotations

import json
from decimal import Decimal

import msgspec
import pytest
from stream_frames import execution_report, v1_kline, v1_trades, v2_depth

from hashkey_async import (
    AccountUpdate,
    Bbo,
    CustodyAccountUpdate,
    ExecutionReport,
    FiatAccountUpdate,
    OrderStatus,
    OrderType,
    Side,
    Ticker,
    TicketInfo,
    TimeInForce,
    UnknownEvent,
)
from hashkey_async.models.stream import Control, DepthUpdate, KlineUpdate
from hashkey_async.streams.protocol import (
    Liveness,
    PrivateDecoder,
    PublicDecoder,
    StreamKey,
    ping_message,
    pong_message,
    subscribe_message,
    unsubscribe_message,
)


def _enc(obj: object) -> bytes:
    return json.dumps(obj).encode()


@pytest.mark.parametrize(
    ("key", "sub", "cancel"),
    [
        (
            StreamKey("kline", "BTCUSDT", "1m"),
            {"topic": "kline", "event": "sub", "params": {"symbol": "BTCUSDT", "klineType": "1m"}},
            {
                "topic": "kline",
                "event": "cancel",
                "params": {"symbol": "BTCUSDT", "klineType": "1m"},
            },
        ),
        (
            StreamKey("bbo", "ETHUSDT"),
            {"topic": "bbo", "event": "sub", "params": {"symbol": "ETHUSDT"}},
            {"topic": "bbo", "event": "cancel", "params": {"symbol": "ETHUSDT"}},
        ),
    ],
)
def test_v2_messages(key: StreamKey, sub: object, cancel: object) -> None:
    assert json.loads(subscribe_message(2, key)) == sub
    assert json.loads(unsubscribe_message(2, key)) == cancel


def test_v1_messages_use_top_level_symbol_and_kline_interval_topic() -> None:
    assert json.loads(subscribe_message(1, StreamKey("kline", "BTCUSDT", "1h"))) == {
        "symbol": "BTCUSDT",
        "topic": "kline_1h",
        "event": "sub",
        "params": {"binary": False},
    }
    assert json.loads(unsubscribe_message(1, StreamKey("realtimes", "BTCUSDT")))["event"] == (
        "cancel"
    )


def test_heartbeat_messages() -> None:
    assert json.loads(ping_message(1748503859938)) == {"ping": 1748503859938}
    assert json.loads(pong_message(1748504490208)) == {"pong": 1748504490208}


def test_v2_frames_decode_typed_and_route_by_key() -> None:
    decoder = PublicDecoder(2)
    key, items = decoder.decode(_enc(v2_depth("BTCUSDT", 1764659869550)))  # type: ignore[misc]
    assert key == StreamKey("depth", "BTCUSDT")
    (book,) = items
    assert isinstance(book, DepthUpdate) and book.bids[0].raw_price == "86962.98"
    assert book.bids[0].quantity == Decimal("0.00001") and book.version == "1764659869550_2"
    bbo_frame = {
        "topic": "bbo",
        "params": {"symbol": "ETHUSDT"},
        "data": {
            "s": "ETHUSDT",
            "b": "2974.52",
            "bz": "0.0202",
            "a": "2974.85",
            "az": "0.2838",
            "t": 1766729017183,
        },
    }
    key, (bbo,) = decoder.decode(_enc(bbo_frame))  # type: ignore[misc]
    assert key == StreamKey("bbo", "ETHUSDT")
    assert bbo == Bbo(
        "ETHUSDT",
        1766729017183,
        Decimal("2974.52"),
        Decimal("0.0202"),
        Decimal("2974.85"),
        Decimal("0.2838"),
    )
    kline_frame = {
        "topic": "kline",
        "params": {"symbol": "BTCUSDT", "klineType": "1m"},
        "data": {
            "t": 1766728080000,
            "s": "BTCUSDT",
            "sn": "BTCUSDT",
            "c": "88947.71",
            "h": "88947.72",
            "l": "88947.70",
            "o": "88947.71",
            "v": "0",
        },
    }
    key, (kline,) = decoder.decode(_enc(kline_frame))  # type: ignore[misc]
    assert key == StreamKey("kline", "BTCUSDT", "1m")
    assert isinstance(kline, KlineUpdate) and kline.high == Decimal("88947.72")
    ticker_frame = {
        "topic": "realtimes",
        "params": {"symbol": "BTCUSDT"},
        "data": {
            "t": 1766728440004,
            "s": "BTCUSDT",
            "o": "87740.12",
            "h": "89270.33",
            "l": "86971.82",
            "c": "88910.23",
            "v": "0.20041",
            "qv": "17621.0846565",
            "m": "0.0133",
        },
    }
    key, (ticker,) = decoder.decode(_enc(ticker_frame))  # type: ignore[misc]
    assert key == StreamKey("realtimes", "BTCUSDT")
    assert isinstance(ticker, Ticker) and ticker.change == Decimal("0.0133")


def test_v1_frames_carry_arrays_and_kline_interval_in_params() -> None:
    decoder = PublicDecoder(1)
    key, (kline,) = decoder.decode(_enc(v1_kline("BTCUSDT", "5m", "1.5")))  # type: ignore[misc]
    assert key == StreamKey("kline", "BTCUSDT", "5m")
    assert kline.close == Decimal("1.5") and kline.quote_volume == Decimal("0")
    key, trades = decoder.decode(_enc(v1_trades("BTCUSDT", [4620696243481038848, 2])))  # type: ignore[misc]
    assert key == StreamKey("trade", "BTCUSDT")
    assert [t.id for t in trades] == [4620696243481038848, 2]


def test_control_frames_and_unknown_topics() -> None:
    decoder = PublicDecoder(2)
    assert decoder.decode(b'{"pong": 1748503865406}') == Control(pong=1748503865406)
    unknown = decoder.decode(b'{"topic": "future", "params": {}, "data": {}}')
    assert isinstance(unknown, Control) and unknown.topic == "future"
    with pytest.raises(msgspec.DecodeError):
        decoder.decode(b'{"topic": "depth", "par')
    with pytest.raises(msgspec.ValidationError):  # a known topic in a shape we cannot type
        decoder.decode(b'{"topic": "depth", "params": {"symbol": "X"}, "data": {"b": 1}}')


def test_private_events_from_the_reference() -> None:
    decoder = PrivateDecoder()
    account = {
        "e": "outboundAccountInfo",
        "E": "1764932840383",
        "T": True,
        "W": True,
        "D": True,
        "B": [{"a": "BTC", "f": "6086.715847759989968887", "l": "0", "r": ""}],
    }
    ticket = {
        "e": "ticketInfo",
        "E": "1766730154173",
        "s": "USDTAED",
        "q": "1.00",
        "t": "1766730154162",
        "p": "91446.40",
        "T": "2113880177556930560",
        "o": "2113880177188611584",
        "c": "99999999980006",
        "a": "1695624199740137984",
        "m": False,
        "S": "BUY",
    }
    events = decoder.decode(_enc([account, execution_report(2113879002607330816), ticket]))
    assert isinstance(events, list)
    update, report, fill = events
    assert isinstance(update, AccountUpdate) and update.account_kind == "spot"
    assert update.balances[0].free == Decimal("6086.715847759989968887")
    assert isinstance(report, ExecutionReport) and report.order_id == 2113879002607330816
    assert report.event_time == 1766730014188 and report.side is Side.BUY
    assert report.order_type is OrderType.LIMIT and report.status is OrderStatus.NEW
    assert report.time_in_force is TimeInForce.GTC and not report.status.is_final
    assert isinstance(fill, TicketInfo) and fill.ticket_id == 2113880177556930560
    assert fill.account_id == 1695624199740137984 and fill.price == Decimal("91446.40")
    assert fill.side is Side.BUY


def test_private_enums_are_tolerant_and_empty_means_absent() -> None:
    decoder = PrivateDecoder()
    # The reference's market-by-amount example: an order type the reference does not list.
    by_amount = {**execution_report(1, "PARTIALLY_FILLED"), "o": "MARKET_OF_QUOTE", "f": "IOC"}
    unlisted = {**execution_report(2, "EXPIRED_IN_MATCH"), "S": "SHORT", "f": "GTD"}
    empty_tif = {**execution_report(3, "filled"), "f": ""}
    missing_tif = {k: v for k, v in execution_report(4).items() if k != "f"}
    ticket = {"e": "ticketInfo", "E": "1", "s": "X", "q": "1", "p": "2", "T": "3", "o": "4"}
    events = decoder.decode(
        _enc([by_amount, unlisted, empty_tif, missing_tif, {**ticket, "S": ""}, ticket])
    )
    assert isinstance(events, list) and len(events) == 6
    assert all(isinstance(e, ExecutionReport) for e in events[:4])
    amount, odd, empty, missing, empty_side, no_side = events
    assert isinstance(amount, ExecutionReport) and isinstance(amount.order_type, OrderType)
    assert amount.order_type == "MARKET_OF_QUOTE" and amount.order_type.value == "MARKET_OF_QUOTE"
    assert amount.time_in_force is TimeInForce.IOC
    assert amount.status is OrderStatus.PARTIALLY_FILLED
    assert isinstance(odd, ExecutionReport)
    assert isinstance(odd.status, OrderStatus) and odd.status == "EXPIRED_IN_MATCH"
    assert not odd.status.is_final  # unknown: keep watching the order
    assert isinstance(odd.side, Side) and odd.side == "SHORT"
    assert isinstance(odd.time_in_force, TimeInForce) and odd.time_in_force == "GTD"
    assert isinstance(empty, ExecutionReport) and empty.time_in_force is None
    assert empty.status is OrderStatus.FILLED and empty.status.is_final
    assert isinstance(missing, ExecutionReport) and missing.time_in_force is None
    assert isinstance(empty_side, TicketInfo) and empty_side.side is None
    assert isinstance(no_side, TicketInfo) and no_side.side is None


def test_private_custody_fiat_and_unknown_events_never_raise() -> None:
    decoder = PrivateDecoder()
    base = {"E": "1", "B": [{"a": "USD", "f": "1", "l": "0"}]}
    events = decoder.decode(
        _enc(
            [
                {"e": "outboundCustodyAccountInfo", **base},
                {"e": "outboundFiatAccountInfo", **base},
                {"e": "marginCall", "E": "2"},
                {"e": "executionReport", "E": "oops"},
            ]
        )
    )
    assert isinstance(events, list)
    custody, fiat, unknown, broken = events
    assert isinstance(custody, CustodyAccountUpdate) and custody.account_kind == "custody"
    assert isinstance(fiat, FiatAccountUpdate) and isinstance(fiat, AccountUpdate)
    assert unknown == UnknownEvent("marginCall", {"e": "marginCall", "E": "2"})
    assert isinstance(broken, UnknownEvent) and broken.event_type == "executionReport"


def test_private_server_ping_is_a_control_frame() -> None:
    ping = PrivateDecoder().decode(b'{"ping": 1748504490208, "channelId": "02ac86"}')
    assert ping == Control(ping=1748504490208)


def test_liveness_window_and_server_ping_cadence() -> None:
    live = Liveness(interval=10.0, now=100.0)
    assert not live.is_dead(119.9) and live.is_dead(120.0)
    live.received(115.0)
    assert live.deadline() == 135.0
    live.server_pinged(115.0)
    live.server_pinged(145.0)  # the server pings every 30 s: the window stretches to 60 s
    live.received(145.0)
    assert live.window == 60.0 and not live.is_dead(204.0) and live.is_dead(205.0)
    live.pong_seen = True  # the server answers our pings: back to 2 x our interval
    assert live.window == 20.0 and live.is_dead(165.0)
