"""What the relay and its consumers agree on (pure): topic specs, Redis key names, entry codec.

A topic spec is ``depth:BTCUSDT``, ``trade:BTCUSDT``, ``kline:BTCUSDT:1m``, ``bbo:BTCUSDT`` or
``ticker:BTCUSDT``. Each topic has one Redis Stream; an entry holds either a message
(field ``d``: the typed stream message, msgpack-encoded by msgspec, decimals as exact
strings) or an outage marker (field ``g``: a ``StreamGap``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import msgspec

from ..enums import KLINE_INTERVALS
from ..errors import InvalidParameterError
from ..models.stream import Bbo, DepthUpdate, KlineUpdate, StreamGap, Ticker, TradeUpdate

__all__ = [
    "DEFAULT_MAXLEN",
    "DEFAULT_PREFIX",
    "GAP_FIELD",
    "MESSAGE_FIELD",
    "MESSAGE_TYPES",
    "Topic",
    "decode_entry",
    "encode_gap",
    "encode_message",
    "entry_ms",
    "parse_topic",
]

#: First part of every key the relay writes.
DEFAULT_PREFIX: Final = "hashkey_async:relay"
#: Entries kept per topic stream (XADD MAXLEN ~).
DEFAULT_MAXLEN: Final = 10_000
MESSAGE_FIELD: Final = b"d"
GAP_FIELD: Final = b"g"

#: Message type of each relayed topic, as ``client.stream`` yields it.
MESSAGE_TYPES: Final[dict[str, type[Any]]] = {
    "depth": DepthUpdate,
    "trade": TradeUpdate,
    "kline": KlineUpdate,
    "bbo": Bbo,
    "ticker": Ticker,
}

_encoder: Final = msgspec.msgpack.Encoder(decimal_format="string")
_gap_decoder: Final = msgspec.msgpack.Decoder(StreamGap)
_decoders: Final = {kind: msgspec.msgpack.Decoder(cls) for kind, cls in MESSAGE_TYPES.items()}


@dataclass(frozen=True, slots=True)
class Topic:
    """One relayed topic: ``kind`` (depth, trade, kline, bbo, ticker), symbol, kline interval."""

    kind: str
    symbol: str
    interval: str = ""

    @property
    def spec(self) -> str:
        """``kind:SYMBOL[:interval]``, as given on the command line."""
        return f"{self.kind}:{self.symbol}" + (f":{self.interval}" if self.interval else "")

    def key(self, prefix: str = DEFAULT_PREFIX) -> str:
        """The topic's Redis Stream key."""
        return f"{prefix}:{self.spec}"


def parse_topic(spec: str) -> Topic:
    """``depth:BTCUSDT`` -> ``Topic``; ``InvalidParameterError`` naming ``topic`` if malformed."""
    parts = spec.split(":")
    kind = parts[0]
    if kind not in MESSAGE_TYPES:
        raise InvalidParameterError(
            "topic", f"{spec!r}: kind must be one of {sorted(MESSAGE_TYPES)}"
        )
    wanted = 3 if kind == "kline" else 2
    if len(parts) != wanted or not all(parts):
        shape = "kline:SYMBOL:INTERVAL" if kind == "kline" else f"{kind}:SYMBOL"
        raise InvalidParameterError("topic", f"{spec!r}: expected {shape}")
    if kind == "kline" and parts[2] not in KLINE_INTERVALS:
        raise InvalidParameterError(
            "topic", f"{spec!r}: interval must be one of {sorted(KLINE_INTERVALS)}"
        )
    return Topic(kind, parts[1], parts[2] if kind == "kline" else "")


def encode_message(item: object) -> bytes:
    """A stream message as the relay stores it."""
    return _encoder.encode(item)


def encode_gap(gap: StreamGap) -> bytes:
    """An outage marker as the relay stores it."""
    return _encoder.encode(gap)


def decode_entry(kind: str, fields: dict[bytes, bytes]) -> Any:
    """A stored entry back as the typed message, or a ``StreamGap`` for an outage marker."""
    data = fields.get(MESSAGE_FIELD)
    if data is not None:
        return _decoders[kind].decode(data)
    return _gap_decoder.decode(fields[GAP_FIELD])


def entry_ms(entry_id: bytes | str) -> int:
    """Milliseconds (Redis server time) of a stream entry id such as ``1700000000000-3``."""
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(text.split("-", 1)[0])
