"""Pure stream protocol: sub/unsub messages (V1, V2), frame decoding and routing, heartbeat rules.

No sockets or tasks here; the supervisor in ``connection.py`` feeds frames in and sends what
comes out. Section names in comments are the reference's ("WEBSOCKET API").
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Final, Literal, NamedTuple

import msgspec

from ..decoding import Decoder, Refused, decode_stats, exact_json, excerpt
from ..models.stream import (
    AccountUpdate,
    Control,
    CustodyAccountUpdate,
    ExecutionReport,
    FiatAccountUpdate,
    PrivateEvent,
    TicketInfo,
    UnknownEvent,
    V1Frame,
    V2Frame,
)

__all__ = [
    "PUBLIC_TOPICS",
    "Liveness",
    "MarketData",
    "PrivateDecoder",
    "PublicDecoder",
    "StreamKey",
    "Version",
    "endpoint_path",
    "ping_message",
    "pong_message",
    "subscribe_message",
    "unsubscribe_message",
]

log = logging.getLogger("hashkey_async.streams")

Version = Literal[1, 2]

#: Topics of the public streams, as the exchange names them (V1 has no ``bbo``).
PUBLIC_TOPICS: Final = {
    1: ("depth", "trade", "kline", "realtimes"),
    2: ("depth", "trade", "kline", "realtimes", "bbo"),
}


class StreamKey(NamedTuple):
    """What one public subscription is about; frames route to subscribers by this key."""

    topic: str
    symbol: str
    interval: str = ""


def endpoint_path(version: Version) -> str:
    """Path of a public endpoint (reference, "Access URL")."""
    return f"/quote/ws/v{version}"


def _message(version: Version, key: StreamKey, event: str) -> bytes:
    if version == 1:
        # V1: symbol at the top level, klines as topic ``kline_$interval``, params.binary.
        topic = f"kline_{key.interval}" if key.topic == "kline" else key.topic
        return msgspec.json.encode(
            {"symbol": key.symbol, "topic": topic, "event": event, "params": {"binary": False}}
        )
    params: dict[str, Any] = {"symbol": key.symbol}
    if key.topic == "kline":
        params["klineType"] = key.interval
    return msgspec.json.encode({"topic": key.topic, "event": event, "params": params})


def subscribe_message(version: Version, key: StreamKey) -> bytes:
    """The ``event: sub`` request for ``key`` in the format of ``version``."""
    return _message(version, key, "sub")


def unsubscribe_message(version: Version, key: StreamKey) -> bytes:
    """The ``event: cancel`` request for ``key`` in the format of ``version``."""
    return _message(version, key, "cancel")


def ping_message(now_ms: int) -> bytes:
    """Client heartbeat ``{"ping": <ms>}`` (reference, "PublicStream Heartbeat")."""
    return b'{"ping":%d}' % now_ms


def pong_message(ts: int) -> bytes:
    """Answer ``{"pong": ts}`` to a server ping (reference, "PrivateStream Heartbeat")."""
    return b'{"pong":%d}' % ts


#: A decoded market frame: ``(key, items)``; the key is a plain tuple equal to its ``StreamKey``
#: (building a named tuple per frame costs more than the dict lookup it feeds). V1 carries a list.
MarketData = tuple[tuple[str, str, str], list[Any]]


_control_decoder: Final = msgspec.json.Decoder(Control, strict=False)


class PublicDecoder:
    """Decodes public frames of one version straight from bytes into typed structs.

    The strict typed decode runs first; only a known topic it cannot read goes through the
    tolerant policy (``hashkey_async.decoding``), which refuses a frame only for a broken
    routing field (topic, symbol, kline interval, item symbol).
    """

    __slots__ = ("_decode_typed", "_tolerant", "version")

    def __init__(self, version: Version) -> None:
        self.version = version
        self._tolerant: Decoder[Any] = Decoder(V1Frame if version == 1 else V2Frame)
        typed: msgspec.json.Decoder[Any] = msgspec.json.Decoder(
            V1Frame if version == 1 else V2Frame, strict=False
        )
        #: The decoder's bound ``decode``, looked up once rather than on every frame.
        self._decode_typed = typed.decode

    def decode(self, frame: str | bytes) -> MarketData | Control:
        """A market frame routed by its key, or a ``Control`` frame (pong, ack, unknown topic).

        Raises ``msgspec.DecodeError`` for bytes that are not JSON, and ``msgspec.ValidationError``
        (``decoding.Refused``, counted and logged) for a known topic whose routing fields are
        broken (the caller skips it).
        """
        try:
            msg = self._decode_typed(frame)
        except msgspec.ValidationError:
            control = _control_decoder.decode(frame)
            if control.pong is not None:
                return control
            if control.topic not in PUBLIC_TOPICS[self.version]:
                if control.data:  # market data under a blank or unknown topic
                    decode_stats().refusal(f"V{self.version}Frame", "topic", excerpt(frame))
                return control
            msg = self._tolerant.convert(exact_json.decode(frame), frame)
        params = msg.params
        if self.version == 2:
            return (msg.TOPIC, params.symbol, params.interval), [msg.data]
        return (msg.TOPIC, msg.symbol, params.interval), msg.data


_PrivateUnion = (
    ExecutionReport | AccountUpdate | CustodyAccountUpdate | FiatAccountUpdate | TicketInfo
)
_private_list: Final = msgspec.json.Decoder(list[_PrivateUnion], strict=False)
_private_one: Final[Decoder[PrivateEvent]] = Decoder(_PrivateUnion)
_private_kinds: Final = frozenset(
    cls.__struct_config__.tag
    for cls in (ExecutionReport, AccountUpdate, CustodyAccountUpdate, FiatAccountUpdate, TicketInfo)
)


def _untyped(item: Any) -> UnknownEvent:
    """An event kept as ``UnknownEvent``, carrying its payload (numbers exact)."""
    data = item if isinstance(item, dict) else {"value": item}
    return UnknownEvent(str(data.get("e", "")), data)


class PrivateDecoder:
    """Decodes private frames: an array of events, or a ``{"ping": ts, ...}`` control object.

    Each event stands alone: a known kind with intact identity is delivered typed (tolerantly
    if need be), one with broken identity or of an unknown kind as ``UnknownEvent`` carrying
    its payload; a bad element never drops its siblings.
    """

    __slots__ = ()

    #: The type a private frame decodes into (for tools that generate or vary such frames).
    MODEL: ClassVar[Any] = list[_PrivateUnion]

    def decode(self, frame: str | bytes) -> list[PrivateEvent] | Control:
        """Typed events (unknown or unidentifiable ones as ``UnknownEvent``), or a ``Control``."""
        head = frame.lstrip()[:1]
        if head not in ("[", b"["):
            return _control_decoder.decode(frame)
        try:
            return list(_private_list.decode(frame))
        except msgspec.ValidationError:
            pass
        items = exact_json.decode(frame)
        events: list[PrivateEvent] = []
        for item in items:
            if not isinstance(item, dict) or item.get("e") not in _private_kinds:
                # counted and logged (WARNING, payload truncated) like a refusal
                decode_stats().refusal("PrivateEvent", "e", excerpt(repr(item)))
                events.append(_untyped(item))
                continue
            try:
                events.append(_private_one.convert(item))
            except Refused:  # already counted and logged with its payload
                events.append(_untyped(item))
        return events


class Liveness:
    """Watchdog bookkeeping: a link with no frame (and so no pong) for 2 x interval is dead.

    ``interval`` is our ping interval. On the private stream the server pings on its own
    schedule (reference: every 30 s); until the server has answered one of our pings, the
    window also stretches to twice the observed gap between its pings, so a server that only
    pings is not declared dead between two of them.
    """

    __slots__ = ("_last_server_ping", "interval", "last_received", "pong_seen", "server_ping_gap")

    def __init__(self, interval: float, now: float) -> None:
        self.interval = interval
        self.last_received = now
        self.server_ping_gap = 0.0
        self.pong_seen = False
        self._last_server_ping: float | None = None

    def received(self, now: float) -> None:
        """Any frame arrived."""
        self.last_received = now

    def server_pinged(self, now: float) -> None:
        """The server sent a ping: learn its cadence."""
        if self._last_server_ping is not None:
            self.server_ping_gap = now - self._last_server_ping
        self._last_server_ping = now

    @property
    def window(self) -> float:
        """Seconds of silence after which the link counts as dead."""
        if self.pong_seen:
            return 2 * self.interval
        return 2 * max(self.interval, self.server_ping_gap)

    def deadline(self) -> float:
        """Monotonic time at which the link is dead unless a frame arrives first."""
        return self.last_received + self.window

    def is_dead(self, now: float) -> bool:
        """True once the silence lasted a whole window."""
        return now >= self.deadline()
