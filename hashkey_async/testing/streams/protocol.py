"""The offline exchange's stream protocol as plain functions over plain values (no I/O).

``parse_request`` turns a client frame into a request; ``*_data`` and
``v1_frame``/``v2_frame`` turn REST-shaped feed data into the reference's frames.
``hub.StreamHub`` is the I/O shell around them.

Frames follow the reference's "WEBSOCKET API" section. Where the reference is silent the
choices are: a successful subscription is answered by its first data frame (V1 ``"f": true``);
a bad request is answered by an error frame echoing it with ``code``/``msg`` (codes below);
an unknown or expired listenKey is refused at the upgrade with HTTP 404.
"""

from __future__ import annotations

import gzip
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal, cast

import msgspec

from ...enums import KLINE_INTERVALS
from ..feeds import PublicTrade
from ..formatting import fmt
from ..payloads import EXCHANGE_ID

__all__ = [
    "ERR_BAD_REQUEST",
    "ERR_BAD_SYMBOL",
    "ERR_BAD_TOPIC",
    "V1_CADENCE",
    "Invalid",
    "Kind",
    "Ping",
    "Pong",
    "Request",
    "SubKey",
    "Subscribe",
    "TopicSubscription",
    "Unsubscribe",
    "Which",
    "bbo_data",
    "channel_id",
    "depth_data",
    "encode_frame",
    "kline_data",
    "parse_request",
    "realtimes_data",
    "trade_data",
    "v1_frame",
    "v2_frame",
]

Kind = Literal["v1", "v2", "private"]
Which = Literal["all", "public", "private", "v1", "v2"]
SubKey = tuple[str, str, str]  # (topic, symbol, kline interval or "")

#: V1 push period per topic in base ticks; ``ExchangeConfig.market_interval`` is one tick and
#: stands for the reference's 100 ms (V1: depth/trade/kline 300 ms, realtimes 500 ms; V2 depth
#: every tick, other V2 topics on change, "real-time push").
V1_CADENCE: Final[Mapping[str, int]] = {"depth": 3, "trade": 3, "kline": 3, "realtimes": 5}
V1_TOPICS: Final = frozenset(V1_CADENCE)
V2_TOPICS: Final = frozenset({"depth", "trade", "kline", "realtimes", "bbo"})
#: Reference, V1 "Trade": a new subscriber first gets the most recent 60 trades.
V1_TRADE_SNAPSHOT: Final = 60
#: Depth levels: default and maximum (reference, "Get Order Book": default 100, max 200).
DEPTH_DEFAULT: Final = 100
DEPTH_MAX: Final = 200

#: Error frame codes; the reference documents none for streams, these are the offline exchange's.
ERR_BAD_REQUEST: Final = "-100001"
ERR_BAD_SYMBOL: Final = "-100010"
ERR_BAD_TOPIC: Final = "-100011"

#: Decimals (only in varied frames, see ``payload_faults``) are written as the numbers they hold.
_encoder = msgspec.json.Encoder(decimal_format="number")
_decoder = msgspec.json.Decoder()


# --- requests ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicSubscription:
    """One topic a public connection subscribed to."""

    version: Literal["v1", "v2"]
    topic: str
    symbol: str
    interval: str = ""
    limit: int = DEPTH_DEFAULT
    binary: bool = False

    @property
    def key(self) -> SubKey:
        """Identity of the topic on its connection (what ``cancel`` names)."""
        return (self.topic, self.symbol, self.interval)


@dataclass(frozen=True)
class Ping:
    """``{"ping": ts}`` from the client."""

    ts: object


@dataclass(frozen=True)
class Pong:
    """``{"pong": ts}`` from the client (the answer to a private-stream server ping)."""

    ts: object


@dataclass(frozen=True)
class Subscribe:
    """``"event": "sub"``."""

    sub: TopicSubscription


@dataclass(frozen=True)
class Unsubscribe:
    """``"event": "cancel"`` of one topic, or ``"cancel_all"`` (``key`` None)."""

    key: SubKey | None


@dataclass(frozen=True)
class Invalid:
    """A request the server answers with an error frame."""

    reply: dict[str, Any]


Request = Ping | Pong | Subscribe | Unsubscribe | Invalid


def _error(request: Mapping[str, Any], code: str, msg: str) -> Invalid:
    echo = {k: request[k] for k in ("symbol", "topic", "event", "params", "id") if k in request}
    return Invalid({**echo, "code": code, "msg": msg})


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _depth_limit(value: object) -> int:
    try:
        limit = int(cast(Any, value))
    except (TypeError, ValueError):
        return DEPTH_DEFAULT
    return max(1, min(limit, DEPTH_MAX))


def parse_request(kind: Kind, text: str | bytes, symbols: Collection[str]) -> Request | None:
    """Turn one client frame into a request; None means the server ignores it.

    The private stream only knows pings and pongs. V1 puts ``symbol`` at the top level and the
    interval in the topic (``kline_1m``); V2 puts both in ``params`` (``klineType``).
    """
    try:
        obj = _decoder.decode(text)
    except msgspec.DecodeError:
        return Invalid({"code": ERR_BAD_REQUEST, "msg": "Invalid JSON"})
    if not isinstance(obj, dict):
        return Invalid({"code": ERR_BAD_REQUEST, "msg": "Request must be a JSON object"})
    if "ping" in obj:
        return Ping(obj["ping"])
    if "pong" in obj:
        return Pong(obj["pong"])
    if kind == "private":
        return None
    event = obj.get("event")
    if kind == "v1" and event == "cancel_all":
        return Unsubscribe(None)
    if event not in ("sub", "cancel"):
        return _error(obj, ERR_BAD_REQUEST, f"Unknown event {event!r}")
    params = obj.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return _error(obj, ERR_BAD_REQUEST, "params must be an object")
    topic = obj.get("topic")
    if not isinstance(topic, str):
        return _error(obj, ERR_BAD_REQUEST, "Missing topic")
    if kind == "v1":
        symbol = obj.get("symbol")
        topic, _, interval = topic.partition("_") if topic.startswith("kline_") else (topic, "", "")
        topics: frozenset[str] = V1_TOPICS
    else:
        symbol = params.get("symbol")
        interval = params.get("klineType", "") if topic == "kline" else ""
        topics = V2_TOPICS
    if topic not in topics:
        return _error(obj, ERR_BAD_TOPIC, f"Unknown topic {obj['topic']!r}")
    if topic == "kline" and interval not in KLINE_INTERVALS:
        return _error(obj, ERR_BAD_TOPIC, f"Unknown kline interval {interval!r}")
    if symbol not in symbols:
        return _error(obj, ERR_BAD_SYMBOL, f"Invalid symbol {symbol!r}")
    sub = TopicSubscription(
        version=kind,
        topic=topic,
        symbol=cast(str, symbol),
        interval=interval,
        limit=_depth_limit(params.get("limit", DEPTH_DEFAULT)),
        binary=kind == "v1" and _truthy(params.get("binary")),
    )
    return Subscribe(sub) if event == "sub" else Unsubscribe(sub.key)


# --- frames -----------------------------------------------------------------------------


def trade_data(trade: PublicTrade) -> dict[str, Any]:
    """A stream trade: ``v`` id, ``t``, ``p``, ``q``, ``m`` (the buyer is the maker)."""
    return {
        "v": str(trade.trade_id),
        "t": trade.time,
        "p": fmt(trade.price),
        "q": fmt(trade.qty),
        "m": trade.buyer_maker,
    }


def depth_data(
    version: Literal["v1", "v2"], symbol: str, book: Mapping[str, Any], limit: int, seq: int
) -> dict[str, Any]:
    """A depth entry from a REST book (``t``, ``b``, ``a``), cut to ``limit`` levels a side."""
    data: dict[str, Any] = {
        "s": symbol,
        "t": int(book["t"]),
        "v": f"{seq}_18",
        "b": list(book["b"][:limit]),
        "a": list(book["a"][:limit]),
    }
    if version == "v1":
        data = {"e": EXCHANGE_ID, **data, "o": 0}
    return data


def kline_data(version: Literal["v1", "v2"], symbol: str, row: Sequence[Any]) -> dict[str, Any]:
    """A kline entry from a REST kline row ``[t, o, h, l, c, v, et, qv, td, tb, tq]``."""
    data: dict[str, Any] = {
        "t": int(row[0]),
        "s": symbol,
        "sn": symbol,
        "c": row[4],
        "h": row[2],
        "l": row[3],
        "o": row[1],
        "v": row[5],
    }
    if version == "v1":
        data.update(et=0, qv=row[7], td=int(row[8]), tb=row[9], tq=row[10])
    return data


def _change(open_: str, close: str) -> str:
    try:
        o, c = Decimal(open_), Decimal(close)
    except InvalidOperation:
        return "0"
    return "0" if not o else str(((c - o) / o).quantize(Decimal("0.0001")))


def realtimes_data(
    version: Literal["v1", "v2"], symbol: str, ticker: Mapping[str, Any]
) -> dict[str, Any]:
    """A realtimes entry from a REST 24hr ticker (``m`` is the 24h change ratio)."""
    data: dict[str, Any] = {"t": int(ticker["t"]), "s": symbol}
    if version == "v1":
        data["sn"] = symbol
    data.update(
        o=ticker["o"],
        h=ticker["h"],
        l=ticker["l"],
        c=ticker["c"],
        v=ticker["v"],
        qv=ticker["qv"],
        m=_change(ticker["o"], ticker["c"]),
    )
    if version == "v1":
        data["e"] = EXCHANGE_ID
    return data


def bbo_data(symbol: str, book_ticker: Mapping[str, Any], now_ms: int) -> dict[str, Any]:
    """A V2 bbo entry from a REST book ticker (``b``, ``bq``, ``a``, ``aq``)."""
    return {
        "s": symbol,
        "b": book_ticker["b"],
        "bz": book_ticker["bq"],
        "a": book_ticker["a"],
        "az": book_ticker["aq"],
        "t": int(book_ticker.get("t", now_ms)),
    }


def v1_frame(
    sub: TopicSubscription,
    data: list[dict[str, Any]],
    *,
    first: bool,
    now_ms: int,
    channel_id: str,
) -> dict[str, Any]:
    """The V1 envelope: symbol, topic, echoed params, ``data`` array, ``f``, ``sendTime``."""
    params: dict[str, Any] = {"realtimeInterval": "24h"}
    if sub.topic == "kline":
        params["klineType"] = sub.interval
    params["binary"] = "true" if sub.binary else "false"
    frame: dict[str, Any] = {
        "symbol": sub.symbol,
        "symbolName": sub.symbol,
        "topic": sub.topic,
        "params": params,
        "data": data,
        "f": first,
        "sendTime": now_ms,
    }
    if sub.topic == "depth":
        frame["channelId"] = channel_id
    frame["shared"] = False
    return frame


def v2_frame(sub: TopicSubscription, data: dict[str, Any]) -> dict[str, Any]:
    """The V2 envelope: topic, params (``symbol`` and ``klineType``), one ``data`` object."""
    params = {"symbol": sub.symbol}
    if sub.topic == "kline":
        params["klineType"] = sub.interval
    return {"topic": sub.topic, "params": params, "data": data}


def encode_frame(frame: object, *, binary: bool = False) -> str | bytes:
    """JSON text, or gzip-compressed JSON bytes for V1 ``"binary": true`` subscribers."""
    raw = _encoder.encode(frame)
    return gzip.compress(raw) if binary else raw.decode()


def channel_id() -> str:
    """A channel id in the reference's shape (five dash-separated hex groups)."""
    return "-".join(secrets.token_hex(n) for n in (8, 4, 4, 8, 4))
