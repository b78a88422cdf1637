"""Typed frames of the public (V1, V2) and private WebSocket streams (reference, "WEBSOCKET API").

Market data decodes in one pass: the ``topic`` key tags the envelope (a msgspec tagged union), and
terse keys are renamed so users read ``close``, not ``c``. Book levels stay exact strings
(``Level``); other prices and sizes are exact ``Decimal``. Private events are tagged by ``e``;
their side, order type, status and time in force are the tolerant enums of ``hashkey_async.enums``
(an unlisted value decodes into a pseudo-member, so it never breaks the stream).

The stream shapes are ``DepthUpdate``, ``TradeUpdate`` and ``KlineUpdate``, named apart from the
REST answers of ``client.market`` (``Depth``, ``Trade``, ``Kline`` in ``models.market``), so every
stream model is exported by ``hashkey_async``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import msgspec

from ..enums import OrderStatus, OrderType, Side, TimeInForce
from .common import Level

__all__ = [
    "AccountBalance",
    "AccountUpdate",
    "Bbo",
    "Control",
    "CustodyAccountUpdate",
    "DepthUpdate",
    "ExecutionReport",
    "FiatAccountUpdate",
    "KlineUpdate",
    "PrivateEvent",
    "StreamDown",
    "StreamGap",
    "StreamParams",
    "Ticker",
    "TicketInfo",
    "TradeUpdate",
    "UnknownEvent",
    "V1Frame",
    "V2Frame",
]


# --- market data items (the ``data`` of a frame) --------------------------------------------


class DepthUpdate(
    msgspec.Struct,
    rename={
        "symbol": "s",
        "time": "t",
        "bids": "b",
        "asks": "a",
        "version": "v",
        "exchange_id": "e",
    },
    gc=False,
):
    """Order book snapshot (reference, "Depth"): best bid first, best ask first."""

    symbol: str
    time: int | None = None
    bids: list[Level] = msgspec.field(default_factory=list)
    asks: list[Level] = msgspec.field(default_factory=list)
    version: str | None = ""
    exchange_id: int | None = 0


class TradeUpdate(
    msgspec.Struct,
    rename={"id": "v", "time": "t", "price": "p", "quantity": "q", "is_maker": "m"},
    gc=False,
):
    """One public trade (reference, "Trade"); ``is_maker`` is the exchange's ``m`` flag."""

    id: int
    time: int | None = None
    price: Decimal | None = None
    quantity: Decimal | None = None
    is_maker: bool | None = False


class KlineUpdate(
    msgspec.Struct,
    rename={
        "time": "t",
        "symbol": "s",
        "symbol_name": "sn",
        "open": "o",
        "high": "h",
        "low": "l",
        "close": "c",
        "volume": "v",
        "close_time": "et",
        "quote_volume": "qv",
        "trade_count": "td",
        "taker_buy_volume": "tb",
        "taker_buy_quote_volume": "tq",
    },
    gc=False,
):
    """One candle (reference, "Kline"); V1 adds close time, quote volume and taker volumes."""

    time: int
    symbol: str
    open: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None
    close: Decimal | None = None
    volume: Decimal | None = None
    symbol_name: str | None = ""
    close_time: int | None = 0
    quote_volume: Decimal | None = None
    trade_count: int | None = 0
    taker_buy_volume: Decimal | None = None
    taker_buy_quote_volume: Decimal | None = None


class Ticker(
    msgspec.Struct,
    rename={
        "time": "t",
        "symbol": "s",
        "symbol_name": "sn",
        "open": "o",
        "high": "h",
        "low": "l",
        "close": "c",
        "volume": "v",
        "quote_volume": "qv",
        "change": "m",
        "exchange_id": "e",
    },
    gc=False,
):
    """24-hour rolling ticker (reference, "Realtimes"); ``change`` is the 24h range ``m``."""

    symbol: str
    time: int | None = None
    open: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None
    close: Decimal | None = None
    volume: Decimal | None = None
    quote_volume: Decimal | None = None
    change: Decimal | None = None
    symbol_name: str | None = ""
    exchange_id: int | None = 0


class Bbo(
    msgspec.Struct,
    rename={
        "symbol": "s",
        "time": "t",
        "bid_price": "b",
        "bid_quantity": "bz",
        "ask_price": "a",
        "ask_quantity": "az",
    },
    gc=False,
):
    """Best bid and offer (reference, V2 "BBO")."""

    symbol: str
    time: int | None = None
    bid_price: Decimal | None = None
    bid_quantity: Decimal | None = None
    ask_price: Decimal | None = None
    ask_quantity: Decimal | None = None


# --- public envelopes -------------------------------------------------------------------------


class StreamParams(msgspec.Struct, rename={"interval": "klineType"}, gc=False):
    """The ``params`` echoed in a frame: V2 carries the symbol, klines carry the interval."""

    symbol: str = ""
    interval: str = ""


class _V2(msgspec.Struct, tag_field="topic", gc=False):
    """V2 envelope: ``{"topic": ..., "params": {"symbol": ...}, "data": {...}}``."""

    TOPIC: ClassVar[str]
    params: StreamParams


class V2DepthFrame(_V2, tag="depth"):
    """V2 depth frame."""

    TOPIC: ClassVar[str] = "depth"
    data: DepthUpdate


class V2TradeFrame(_V2, tag="trade"):
    """V2 trade frame."""

    TOPIC: ClassVar[str] = "trade"
    data: TradeUpdate


class V2KlineFrame(_V2, tag="kline"):
    """V2 kline frame."""

    TOPIC: ClassVar[str] = "kline"
    data: KlineUpdate


class V2TickerFrame(_V2, tag="realtimes"):
    """V2 realtimes (ticker) frame."""

    TOPIC: ClassVar[str] = "realtimes"
    data: Ticker


class V2BboFrame(_V2, tag="bbo"):
    """V2 best bid/offer frame."""

    TOPIC: ClassVar[str] = "bbo"
    data: Bbo


V2Frame = V2DepthFrame | V2TradeFrame | V2KlineFrame | V2TickerFrame | V2BboFrame


class _V1(msgspec.Struct, tag_field="topic", kw_only=True, gc=False):
    """V1 envelope: ``{"symbol": ..., "topic": ..., "params": {...}, "data": [...]}``."""

    TOPIC: ClassVar[str]
    symbol: str
    params: StreamParams = msgspec.field(default_factory=StreamParams)


class V1DepthFrame(_V1, tag="depth"):
    """V1 depth frame."""

    TOPIC: ClassVar[str] = "depth"
    data: list[DepthUpdate]


class V1TradeFrame(_V1, tag="trade"):
    """V1 trade frame (the first one carries the latest 60 trades)."""

    TOPIC: ClassVar[str] = "trade"
    data: list[TradeUpdate]


class V1KlineFrame(_V1, tag="kline"):
    """V1 kline frame (subscribed as ``kline_$interval``, pushed as ``kline``)."""

    TOPIC: ClassVar[str] = "kline"
    data: list[KlineUpdate]


class V1TickerFrame(_V1, tag="realtimes"):
    """V1 realtimes (ticker) frame."""

    TOPIC: ClassVar[str] = "realtimes"
    data: list[Ticker]


V1Frame = V1DepthFrame | V1TradeFrame | V1KlineFrame | V1TickerFrame


class Control(msgspec.Struct, gc=False):
    """Any other frame: heartbeats (``ping``/``pong``), acknowledgements, errors, unknown topics."""

    ping: int | None = None
    pong: int | None = None
    topic: str | None = None
    event: str | None = None
    code: Any = None
    msg: str | None = None
    #: The undecoded ``data`` of a frame whose topic is not a market topic (empty if absent).
    data: msgspec.Raw = msgspec.Raw()


# --- private events -----------------------------------------------------------------------------


class _Private(msgspec.Struct, tag_field="e", gc=False):
    """Base of private-stream events, tagged by the exchange's ``e`` key."""


class AccountBalance(
    msgspec.Struct, rename={"asset": "a", "free": "f", "locked": "l", "remark": "r"}, gc=False
):
    """One asset's balance inside an ``AccountUpdate``."""

    asset: str
    free: Decimal | None = None
    locked: Decimal | None = None
    remark: str | None = ""


class AccountUpdate(
    _Private,
    tag="outboundAccountInfo",
    rename={
        "event_time": "E",
        "can_trade": "T",
        "can_withdraw": "W",
        "can_deposit": "D",
        "balances": "B",
    },
):
    """Balance change of the spot account (reference, "Account Update")."""

    event_time: int | None = None
    balances: list[AccountBalance] = msgspec.field(default_factory=list)
    can_trade: bool | None = True
    can_withdraw: bool | None = True
    can_deposit: bool | None = True

    @property
    def account_kind(self) -> str:
        """``"spot"``, ``"custody"`` or ``"fiat"``: which account the balances belong to."""
        return "spot"


class CustodyAccountUpdate(AccountUpdate, tag="outboundCustodyAccountInfo"):
    """Balance change of the custody account (``outboundCustodyAccountInfo``)."""

    @property
    def account_kind(self) -> str:
        """Always ``"custody"``."""
        return "custody"


class FiatAccountUpdate(AccountUpdate, tag="outboundFiatAccountInfo"):
    """Balance change of the fiat account (``outboundFiatAccountInfo``)."""

    @property
    def account_kind(self) -> str:
        """Always ``"fiat"``."""
        return "fiat"


class ExecutionReport(
    _Private,
    tag="executionReport",
    rename={
        "event_time": "E",
        "symbol": "s",
        "client_order_id": "c",
        "side": "S",
        "order_type": "o",
        "time_in_force": "f",
        "quantity": "q",
        "price": "p",
        "status": "X",
        "order_id": "i",
        "last_executed_quantity": "l",
        "executed_quantity": "z",
        "last_executed_price": "L",
        "commission": "n",
        "commission_asset": "N",
        "is_normal": "u",
        "is_working": "w",
        "is_maker": "m",
        "create_time": "O",
        "cumulative_quote_quantity": "Z",
        "is_close": "C",
        "leverage": "v",
        "requested_amount": "reqAmt",
        "execution_id": "d",
        "unfilled_quantity": "r",
        "average_price": "V",
        "index_price": "P",
        "is_liquidation": "lo",
        "liquidation_type": "lt",
        "reject_reason": "x",
    },
):
    """Order update (reference, "Order Update"); any field but the routing ones may be ``None``."""

    symbol: str
    order_id: int
    event_time: int | None = None
    client_order_id: str | None = ""
    side: Side | None = None
    order_type: OrderType | None = None
    status: OrderStatus | None = None
    quantity: Decimal | None = Decimal(0)
    price: Decimal | None = Decimal(0)
    time_in_force: TimeInForce | None = None
    last_executed_quantity: Decimal | None = Decimal(0)
    executed_quantity: Decimal | None = Decimal(0)
    last_executed_price: Decimal | None = Decimal(0)
    commission: Decimal | None = Decimal(0)
    commission_asset: str | None = ""
    is_normal: bool | None = True
    is_working: bool | None = True
    is_maker: bool | None = False
    create_time: int | None = 0
    cumulative_quote_quantity: Decimal | None = Decimal(0)
    is_close: bool | None = False
    leverage: str | None = ""
    requested_amount: Decimal | None = Decimal(0)
    execution_id: int | None = 0
    unfilled_quantity: Decimal | None = Decimal(0)
    average_price: Decimal | None = Decimal(0)
    index_price: Decimal | None = Decimal(0)
    is_liquidation: bool | None = False
    liquidation_type: str | None = ""
    reject_reason: str | None = ""


class TicketInfo(
    _Private,
    tag="ticketInfo",
    rename={
        "event_time": "E",
        "symbol": "s",
        "quantity": "q",
        "match_time": "t",
        "price": "p",
        "ticket_id": "T",
        "order_id": "o",
        "client_order_id": "c",
        "account_id": "a",
        "is_maker": "m",
        "side": "S",
    },
):
    """A fill ticket (reference, "Ticket Push"); any field but the routing ones may be ``None``."""

    symbol: str
    ticket_id: int
    order_id: int
    event_time: int | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    match_time: int | None = 0
    client_order_id: str | None = ""
    account_id: int | None = 0
    is_maker: bool | None = False
    side: Side | None = None


class UnknownEvent(msgspec.Struct, frozen=True):
    """A private event whose type this version does not know, or whose shape did not fit."""

    event_type: str
    data: dict[str, Any]


class StreamGap(msgspec.Struct, frozen=True):
    """Private events may have been missed between ``started_at`` and ``ended_at`` (ms since epoch).

    Emitted after every reconnect of the private stream, and when a consumer fell behind its
    queue bound (``dropped`` counts the lost events); reconcile orders and balances over REST.
    """

    started_at: int
    ended_at: int
    reason: str
    dropped: int = 0

    @property
    def duration_ms(self) -> int:
        """Length of the gap in milliseconds."""
        return self.ended_at - self.started_at


class StreamDown(msgspec.Struct, frozen=True):
    """The private stream went down at ``started_at`` (ms since epoch) because of ``reason``.

    Sent the moment the link drops, before any reconnect: events may be missed from here on,
    until the ``StreamGap`` that follows on recovery closes the outage.
    """

    started_at: int
    reason: str


PrivateEvent = (
    ExecutionReport
    | AccountUpdate
    | CustodyAccountUpdate
    | FiatAccountUpdate
    | TicketInfo
    | UnknownEvent
    | StreamDown
    | StreamGap
)
