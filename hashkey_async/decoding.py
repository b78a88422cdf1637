"""The one decoding policy for every REST answer and stream frame: strict first, tolerant after.

Each message type names its identifying fields (``IDENTIFYING``): only a missing or malformed
one may get a message refused (``Refused``). Every other field tolerates ``""`` and ``null``
(-> ``None``), a JSON number where a string is documented (-> its literal digits) and a numeric
string where a number is documented, a missing field (-> its default) and anything else it cannot
read (-> ``None``). JSON numbers are read as exact ``Decimal`` from their digits, never via float.

The strict msgspec decoder always runs first (``Decoder.decode``); this module's slower walk runs
only when it fails. Every fallback counts per (message type, field) in ``decode_stats()`` and logs
one WARNING per pair; every refusal logs a WARNING with the raw payload, truncated.
"""

from __future__ import annotations

import logging
import threading
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache
from typing import Any, Final, Generic, TypeVar

import msgspec

from .errors import Refused
from .models import account, market, stream, trading, user_stream, wallet
from .models.common import Level

__all__ = [
    "IDENTIFYING",
    "DecodeStats",
    "Decoder",
    "FieldSpec",
    "Refused",
    "StructSpec",
    "decode_stats",
    "exact_json",
    "excerpt",
    "struct_spec",
    "tagged_classes",
]

log = logging.getLogger("hashkey_async.decode")

T = TypeVar("T")

#: Characters of a raw payload quoted in a refusal's log line.
EXCERPT_CHARS: Final = 500

#: Attribute names that identify each message type (the tag of a tagged union, ``e`` or
#: ``topic``, identifies too). A type not listed has no identifying field: nothing refuses it.
IDENTIFYING: Final[dict[type, frozenset[str]]] = {
    cls: frozenset(names)
    for cls, names in (
        # private stream: event type (the tag) plus what routes the event to an order or asset
        (stream.ExecutionReport, ("symbol", "order_id")),
        (stream.TicketInfo, ("symbol", "order_id", "ticket_id")),
        (stream.AccountBalance, ("asset",)),
        # public stream: the envelope routes (topic tag, symbol, kline interval); items say which book
        (stream.StreamParams, ("symbol", "interval")),
        *((cls, ("params", "data")) for cls in typing.get_args(stream.V2Frame)),
        (stream.V1DepthFrame, ("symbol", "data")),
        (stream.V1TradeFrame, ("symbol", "data")),
        (stream.V1KlineFrame, ("symbol", "params", "data")),
        (stream.V1TickerFrame, ("symbol", "data")),
        (stream.DepthUpdate, ("symbol",)),
        (stream.TradeUpdate, ("id",)),
        (stream.KlineUpdate, ("symbol", "time")),
        (stream.Ticker, ("symbol",)),
        (stream.Bbo, ("symbol",)),
        (Level, ("raw_price", "raw_quantity")),
        # REST
        (trading.Order, ("order_id", "symbol")),
        # write answers: what says "accepted" or "failed" identifies the outcome
        (trading.BatchOrderItem, ("code", "order")),
        (trading.CancelByIdsItem, ("order_id", "code")),
        (trading.SuccessResponse, ("success",)),
        (trading.CancelAllResponse, ("code",)),
        (market.ServerTime, ("server_time",)),
        (market.SymbolInfo, ("symbol",)),
        (market.Coin, ("coin_id",)),
        (market.ChainInfo, ("chain_type",)),
        (market.Trade, ("time",)),
        (market.Kline, ("open_time",)),
        (market.Ticker24hr, ("symbol",)),
        (market.TickerPrice, ("symbol",)),
        (market.BookTicker, ("symbol",)),
        (account.VipFee, ("symbol",)),
        (account.Balance, ("asset",)),
        (account.AccountTrade, ("id", "order_id", "symbol")),
        (account.AccountType, ("account_id",)),
        (account.ApiKeyType, ("account_type",)),
        (account.FiatRecord, ("order_id",)),
        (account.BalanceFlow, ("id",)),
        (account.ChainType, ("coin_id",)),
        (wallet.DepositAddress, ("address",)),
        (wallet.Deposit, ("coin",)),
        (wallet.Withdrawal, ("id",)),
        (user_stream.ListenKey, ("listen_key",)),
    )
}


class DecodeStats:
    """Fallbacks and refusals per (message type, field), process-wide; read with ``snapshot()``.

    A fallback is a field the strict decoder could not read and the tolerant path mapped
    (blank -> None, number <-> string, unreadable -> None). A refusal is a message (or one
    element of an array) dropped or kept untyped because an identifying field was broken.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.fallbacks: dict[tuple[str, str], int] = {}
        self.refusals: dict[tuple[str, str], int] = {}

    def fallback(self, type_name: str, field: str) -> None:
        """Count one fallback; the first of each pair logs a WARNING (field name only)."""
        key = (type_name, field)
        with self._lock:
            count = self.fallbacks.get(key, 0)
            self.fallbacks[key] = count + 1
        if not count:
            log.warning(
                "%s.%s: not in the documented shape; decoded tolerantly (further ones counted"
                " in hashkey_async.decode_stats())",
                type_name,
                field,
            )

    def refusal(self, type_name: str, field: str, raw: str | None) -> None:
        """Count one refusal and log it with the raw payload (truncated), unless it is secret."""
        key = (type_name, field)
        with self._lock:
            self.refusals[key] = self.refusals.get(key, 0) + 1
        log.warning(
            "%s refused: %s is missing, malformed or not known (message dropped or kept"
            " untyped); payload %s",
            type_name,
            field,
            "withheld (it carries a credential)" if raw is None else repr(raw),
        )

    def snapshot(self) -> dict[str, dict[tuple[str, str], int]]:
        """Copies of both counters: ``{"fallbacks": {...}, "refusals": {...}}``."""
        with self._lock:
            return {"fallbacks": dict(self.fallbacks), "refusals": dict(self.refusals)}

    def reset(self) -> None:
        """Zero every counter (the next fallback of each pair logs again)."""
        with self._lock:
            self.fallbacks.clear()
            self.refusals.clear()

    def __repr__(self) -> str:
        return f"DecodeStats(fallbacks={self.fallbacks!r}, refusals={self.refusals!r})"


_STATS: Final = DecodeStats()


def decode_stats() -> DecodeStats:
    """The process-wide counters of tolerant decoding (every client shares the decoders)."""
    return _STATS


def excerpt(raw: bytes | str) -> str:
    """The first ``EXCERPT_CHARS`` characters of a payload, for log lines."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "..."


#: Generic JSON with every number exact: integers as int, the rest as Decimal from their digits.
exact_json: Final = msgspec.json.Decoder(float_hook=Decimal)


# --- how a struct is laid out -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One struct field: attribute name, JSON key (or array position), type, identity."""

    name: str
    wire: str | int
    type: Any
    required: bool
    identifying: bool
    nullable: bool


@dataclass(frozen=True, slots=True)
class StructSpec:
    """A struct's fields in wire order, and where an array-like struct keeps them."""

    cls: type[msgspec.Struct]
    fields: tuple[FieldSpec, ...]
    array_like: bool
    tag_field: str | None
    tag: str | None

    @property
    def type_name(self) -> str:
        """The name counters and logs use."""
        return self.cls.__name__


def _nullable(tp: Any) -> bool:
    return tp is Any or (_is_union(tp) and type(None) in typing.get_args(tp))


def _is_union(tp: Any) -> bool:
    return isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


@cache
def struct_spec(cls: type[msgspec.Struct]) -> StructSpec:
    """The layout of ``cls`` as the tolerant decoder and the variation generator read it."""
    config = cls.__struct_config__
    identifying = IDENTIFYING.get(cls, frozenset())
    fields = tuple(
        FieldSpec(
            name=info.name,
            wire=position if config.array_like else info.encode_name,
            type=info.type,
            required=info.required,
            identifying=info.name in identifying,
            nullable=_nullable(info.type),
        )
        for position, info in enumerate(msgspec.structs.fields(cls))
    )
    tag = config.tag if isinstance(config.tag, str) else None
    return StructSpec(cls, fields, config.array_like, config.tag_field, tag)


def tagged_classes(tp: Any) -> tuple[str, dict[str, type[msgspec.Struct]]] | None:
    """For a union of tagged structs: ``(tag field, {tag value: class})``, else None."""
    members = [arg for arg in typing.get_args(tp) if arg is not type(None)] if _is_union(tp) else []
    if len(members) < 2 or not all(_is_struct(arg) for arg in members):
        return None
    by_tag = {struct_spec(arg).tag: arg for arg in members}
    field = struct_spec(members[0]).tag_field
    if field is None or None in by_tag:
        return None
    return field, {str(tag): cls for tag, cls in by_tag.items()}


# --- the tolerant walk --------------------------------------------------------------------------


class _Unreadable(Exception):
    """Internal: a value that no tolerance rule turns into the field's type."""


class _Walk:
    """One tolerant conversion.

    ``raw`` (None when secret) is what refusal logs quote. ``atomic``: a refused element of an
    array refuses the whole message (write answers, where a dropped item would misreport);
    otherwise the element is dropped, counted and logged, and its siblings are kept.
    """

    __slots__ = ("atomic", "raw", "tolerated")

    def __init__(self, raw: str | None, *, atomic: bool) -> None:
        self.raw = raw
        self.atomic = atomic
        #: Set when a scalar needed a tolerance rule; the enclosing struct counts it.
        self.tolerated = False

    def struct(self, data: Any, cls: type[msgspec.Struct]) -> Any:
        spec = struct_spec(cls)
        if spec.array_like:
            if not isinstance(data, list):
                raise _Unreadable
            present: dict[Any, Any] = dict(enumerate(data))
        elif isinstance(data, dict):
            present = data
        else:
            raise _Unreadable
        values: dict[str, Any] = {}
        names = {field.name for field in spec.fields}
        for field in spec.fields:
            if f"unknown_{field.name}" in names and isinstance(present.get(field.wire), list):
                # a list of tagged items beside an ``unknown_<name>`` list: unrecognised items
                # (empty or new tag) are kept there raw, the recognised ones still decode
                values[field.name], values[f"unknown_{field.name}"] = self.sorted_items(
                    present[field.wire], field.type, spec, field
                )
                continue
            if field.name in values:
                continue
            if field.wire not in present:
                if field.required:
                    if field.identifying or not field.nullable:
                        raise Refused(spec.type_name, field.name, "missing", field.wire)
                    values[field.name] = None
                    _STATS.fallback(spec.type_name, field.name)
                continue
            self.tolerated = False
            try:
                values[field.name] = self.value(present[field.wire], field.type)
            except _Unreadable:
                if field.identifying or (field.required and not field.nullable):
                    raise Refused(spec.type_name, field.name, "malformed", field.wire) from None
                if field.nullable:
                    values[field.name] = None
                # else: a list or struct the model defaults keeps its default
                self.tolerated = True
            if self.tolerated:
                if field.identifying and values[field.name] is None:
                    # an identifying field gets no blank -> None fallback, only exact retyping
                    raise Refused(spec.type_name, field.name, "blank", field.wire)
                _STATS.fallback(spec.type_name, field.name)
                self.tolerated = False
        return cls(**values)

    def value(self, data: Any, tp: Any) -> Any:
        if tp is Any:
            return data
        if _is_struct(tp):
            return self.struct(data, tp)
        if typing.get_origin(tp) is list:
            if not isinstance(data, list):
                raise _Unreadable
            return self.items(data, typing.get_args(tp)[0])
        if _is_union(tp):
            return self.union(data, tp)
        return self.scalar(data, tp)

    def items(self, data: list[Any], tp: Any) -> list[Any]:
        """Each element on its own: a refused one is dropped and counted (unless atomic)."""
        out = []
        for item in data:
            try:
                out.append(self.value(item, tp))
            except Refused as refused:
                if self.atomic:
                    raise
                _STATS.refusal(refused.type_name, refused.field, self.raw)
        return out

    def sorted_items(
        self, data: list[Any], tp: Any, spec: StructSpec, field: FieldSpec
    ) -> tuple[list[Any], list[Any]]:
        """Items that decode, and the raw items whose tag is not known (counted as fallbacks)."""
        known, unknown = [], []
        (item_type,) = typing.get_args(tp)
        for item in data:
            try:
                known.append(self.value(item, item_type))
            except _Unreadable:
                unknown.append(item)
                _STATS.fallback(spec.type_name, field.name)
            except Refused as refused:
                if self.atomic:
                    raise
                _STATS.refusal(refused.type_name, refused.field, self.raw)
        return known, unknown

    def union(self, data: Any, tp: Any) -> Any:
        members = typing.get_args(tp)
        if not any(_is_struct(member) for member in members):
            try:  # what the strict path accepts (a blank ``str``, a number for ``str | int``)
                return msgspec.convert(data, tp, strict=False)
            except msgspec.ValidationError:
                pass
        if data is None or data == "":
            if type(None) in members:
                if data == "":
                    self.tolerated = True
                return None
            raise _Unreadable
        tagged = tagged_classes(tp)
        if tagged is not None:
            field, classes = tagged
            cls = classes.get(str(data.get(field))) if isinstance(data, dict) else None
            if cls is None:
                raise _Unreadable
            return self.struct(data, cls)
        for member in members:
            if member is not type(None):
                try:
                    return self.value(data, member)
                except _Unreadable:
                    continue
        raise _Unreadable

    def scalar(self, data: Any, tp: Any) -> Any:
        """A scalar of type ``tp`` from ``data``, exactly, or ``_Unreadable``."""
        if tp is str and isinstance(data, str):
            return data  # a blank string is a string, as on the strict path
        if data is None or data == "":
            raise _Unreadable
        if isinstance(tp, type) and issubclass(tp, Enum):
            try:
                return tp(data)
            except ValueError:
                raise _Unreadable from None
        try:
            return msgspec.convert(data, tp, strict=False)
        except msgspec.ValidationError:
            pass
        self.tolerated = True
        if tp is str and isinstance(data, (int, Decimal)) and not isinstance(data, bool):
            return str(data)
        if tp is int and isinstance(data, Decimal):
            try:
                if data == data.to_integral_value():
                    return int(data)
            except InvalidOperation:
                pass
        raise _Unreadable


# --- the entry point ----------------------------------------------------------------------------


class Decoder(Generic[T]):
    """Strict msgspec decode first; the tolerant walk only where it fails.

    ``reshape`` (optional) rewrites the generic JSON before conversion, for answers that come in
    more than one shape (exchangeInfo); such a decoder always takes the generic path.
    ``secret`` keeps payloads out of refusal logs (answers that carry a listenKey); ``atomic``
    refuses the whole message when one array element is refused (write answers).
    """

    __slots__ = ("_atomic", "_fast", "_reshape", "_secret", "model")

    def __init__(
        self,
        model: Any,
        *,
        reshape: Callable[[Any], Any] | None = None,
        secret: bool = False,
        atomic: bool = False,
    ) -> None:
        self.model = model
        self._atomic = atomic
        self._fast: Callable[[bytes | str], T] = msgspec.json.Decoder(model, strict=False).decode
        self._reshape = reshape
        self._secret = secret

    def decode(self, raw: bytes | str) -> T:
        """The typed model of ``raw``; raises ``msgspec.DecodeError`` for bytes that are not
        JSON and ``Refused`` when an identifying field is broken (counted and logged)."""
        if self._reshape is None:
            try:
                return self._fast(raw)
            except msgspec.ValidationError:
                pass
        return self.convert(exact_json.decode(raw), raw)

    def convert(self, data: Any, raw: bytes | str | None = None) -> T:
        """The typed model of already-parsed JSON ``data`` (numbers exact), tolerantly."""
        if self._reshape is not None:
            data = self._reshape(data)
        try:
            result: T = msgspec.convert(data, self.model, strict=False)
            return result
        except msgspec.ValidationError:
            pass
        quoted = None if self._secret else excerpt(raw if raw is not None else repr(data))
        walk = _Walk(quoted, atomic=self._atomic)
        try:
            converted: T = walk.value(data, self.model)
        except Refused as refused:
            _STATS.refusal(refused.type_name, refused.field, quoted)
            raise
        except _Unreadable:
            name = getattr(self.model, "__name__", str(self.model))
            _STATS.refusal(name, "<shape>", quoted)
            raise Refused(name, "<shape>", "not the documented shape") from None
        return converted
