"""Generated: every reference example and captured payload, each field varied each way, decoded
through the public entry points (endpoint rows, stream decoders).

Outcome classes: typed, with the varied field ``None``, its default, or equal in value to what was
sent; or, for an identifying field only, a refusal that is counted in ``decode_stats()`` and logged.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterator
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple

import msgspec
import pytest
from fixtures import captured_payloads, live_shapes, reference_examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hashkey_async import UnknownEvent, decode_stats
from hashkey_async.decoding import Decoder, Refused, exact_json
from hashkey_async.models.market import SymbolInfo
from hashkey_async.models.stream import Control, V1Frame, V2Frame
from hashkey_async.rest.endpoints import ENDPOINTS, Endpoint
from hashkey_async.streams.protocol import PrivateDecoder, PublicDecoder
from hashkey_async.testing.variations import KINDS, Variation, encode, retyped, sites, variations

#: Elements varied per array: later ones repeat the same fields (a 200-row example would
#: otherwise cost 200x the time for no new field).
ITEMS = 3

ROWS: dict[str, Endpoint[Any]] = {}
for row in ENDPOINTS.values():
    for path in (row.path, *row.aliases):
        ROWS[f"{row.method} {path}"] = row


class Case(NamedTuple):
    """One payload and how to decode it the way the SDK does."""

    label: str
    payload: Any
    model: Any
    decode: Callable[[bytes], Any]


def _public(version: int) -> Callable[[bytes], Any]:
    decoder = PublicDecoder(1 if version == 1 else 2)
    frames = Decoder[Any](V1Frame if version == 1 else V2Frame)

    def decode(raw: bytes) -> Any:
        routed = decoder.decode(raw)
        if isinstance(routed, Control):
            raise Refused(f"V{version}Frame", "topic", "not a market frame")
        return frames.decode(raw)  # the typed frame, for field-by-field comparison

    return decode


def _private(raw: bytes) -> Any:
    events = PrivateDecoder().decode(raw)
    assert isinstance(events, list)
    return events


def _rest(row: Endpoint[Any], data: Any) -> tuple[Any, Callable[[bytes], Any]]:
    """The type ``data`` is read as, and its decoding: exchangeInfo may be one bare symbol."""
    if row.reshape is not None and isinstance(data, dict) and "symbols" not in data:

        def bare(raw: bytes) -> Any:
            symbols = row.tolerant.decode(raw).symbols
            return symbols[0] if symbols else None  # None: the symbol was refused

        return SymbolInfo, bare
    return row.model, row.tolerant.decode


def cases() -> Iterator[Case]:
    """Every payload the repository holds, with its model and entry point."""
    for example in reference_examples():
        data = exact_json.decode(example.raw)
        if example.where == "ws/private":
            yield Case("reference ws/private", data, PrivateDecoder.MODEL, _private)
        elif example.where.startswith("ws/"):
            version = int(example.where[-1])
            yield Case(
                f"reference {example.where}",
                data,
                V1Frame if version == 1 else V2Frame,
                _public(version),
            )
        elif example.where in ROWS:
            row = ROWS[example.where]
            yield Case(f"reference {example.where}", data, *_rest(row, data))
    for source, payloads in (("captured", captured_payloads()), ("live", live_shapes())):
        for where, items in payloads.items():
            row = ROWS[where]
            for item in items:
                data = exact_json.decode(encode(item))
                yield Case(f"{source} {where}", data, *_rest(row, data))


CASES = list(cases())


def _at(value: Any, attrs: tuple[str | int, ...]) -> Any:
    for key in attrs:
        value = value[key] if isinstance(key, int) else getattr(value, key)
    return value


def _equal(sent: Any, decoded: Any) -> bool:
    """Same value: numbers by value, strings by text, enums by their value."""
    if isinstance(decoded, Enum):
        decoded = decoded.value
    if isinstance(decoded, bool) or isinstance(sent, bool):
        return bool(sent == decoded)
    if isinstance(decoded, (int, Decimal)) and not isinstance(sent, (dict, list)):
        try:
            return Decimal(str(sent)) == decoded
        except ArithmeticError:
            return False
    if isinstance(decoded, str) and isinstance(sent, (str, int, Decimal)):
        return str(sent) == decoded
    return bool(sent == decoded)


def _default(attrs: tuple[str | int, ...], decoded: Any) -> Any:
    """The model's default for the field at ``attrs`` (the parent struct is already decoded)."""
    parent = _at(decoded, attrs[:-1])
    name = attrs[-1]
    for field in msgspec.structs.fields(type(parent)):
        if field.name == name:
            if field.default_factory is not msgspec.NODEFAULT:
                return field.default_factory()
            return field.default
    return msgspec.NODEFAULT


def _refusals() -> int:
    return sum(decode_stats().snapshot()["refusals"].values())


def check(case: Case, variation: Variation) -> str:
    """Decode one variation; return ``"typed"`` or ``"refused"``, failing on any other outcome."""
    site, where = variation.site, f"{case.label} {variation.site.path} {variation.kind}"
    before = _refusals()
    try:
        decoded = case.decode(encode(variation.payload))
    except Refused:
        assert site.identifying, f"{where}: refused"
        return "refused"
    if _refusals() > before:
        # a refused element was dropped from its array, or an event kept as UnknownEvent
        assert site.identifying, f"{where}: refused"
        if isinstance(decoded, list) and decoded and isinstance(decoded[0], UnknownEvent):
            assert decoded[0].data == variation.payload[0]  # its payload, exactly
        return "refused"
    if site.attrs is None:
        return "typed"  # a key the model does not read: decoding it typed is the outcome
    value = _at(decoded, site.attrs)
    allowed = (
        value is None
        or _equal(site.value, value)
        or value == _default(site.attrs, decoded)
        # a string field keeps a blank string as sent; a number retyped keeps its digits
        or (variation.kind in ("empty", "retype") and _equal(variation.new_value, value))
    )
    assert allowed, f"{where}: sent {site.value!r}, decoded {value!r}"
    return "typed"


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c.label}" for i, c in enumerate(CASES)])
def test_every_single_field_variation_decodes_typed_or_is_a_counted_refusal(
    case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    case.decode(encode(case.payload))  # the payload as sent decodes
    outcomes = {"typed": 0, "refused": 0}
    with caplog.at_level(logging.WARNING, logger="hashkey_async"):
        for variation in variations(case.payload, case.model, max_items=ITEMS):
            outcomes[check(case, variation)] += 1
    assert outcomes["typed"] > 0 or case.payload in ({}, [])
    if outcomes["refused"]:
        assert [r for r in caplog.records if "refused" in r.getMessage()]


def test_share_of_variations_that_decode_typed() -> None:
    """Over every payload: every variation of a non-identifying field decodes typed, and only
    identifying fields (a small share of all fields) may get a message refused."""
    counts = {
        (identifying, outcome): 0
        for identifying in (False, True)
        for outcome in ("typed", "refused")
    }
    for case in CASES:
        for variation in variations(case.payload, case.model, max_items=ITEMS):
            counts[variation.site.identifying, check(case, variation)] += 1
    total = sum(counts.values())
    typed = counts[False, "typed"] + counts[True, "typed"]
    print(
        f"variations: {total}, typed: {typed} ({typed / total:.1%}), by (identifying, outcome): {counts}"
    )
    assert counts[False, "refused"] == 0
    assert total > 2000 and counts[False, "typed"] > 0.8 * total


def _set(payload: Any, path: tuple[str | int, ...], kind: str, new: Any) -> None:
    parent = payload
    for key in path[:-1]:
        parent = parent[key]
    if kind == "missing":
        del parent[path[-1]]
    else:
        parent[path[-1]] = new


TOLERANT_SITES = [
    (case, [s for s in sites(case.payload, case.model, max_items=ITEMS) if not s.identifying])
    for case in CASES
]
TOLERANT_SITES = [(case, found) for case, found in TOLERANT_SITES if len(found) >= 2]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_several_non_identifying_fields_varied_at_once_still_decode_typed(
    data: st.DataObject,
) -> None:
    case, candidates = data.draw(st.sampled_from(TOLERANT_SITES), label="payload")
    chosen = data.draw(
        st.lists(st.sampled_from(candidates), min_size=2, max_size=5, unique_by=lambda s: s.path),
        label="fields",
    )
    payload = copy.deepcopy(case.payload)
    for site in sorted(chosen, key=lambda s: len(s.path), reverse=True):  # innermost first
        if any(other.path[: len(site.path)] == site.path and other is not site for other in chosen):
            continue  # a field inside this one is varied already
        kind = data.draw(st.sampled_from(KINDS), label=f"kind of {site.path}")
        new = {"empty": "", "null": None, "missing": None}.get(kind, retyped(site.value))
        if (kind == "retype" and new is None) or (kind == "missing" and not site.removable):
            continue
        _set(payload, site.path, kind, new)
    before = _refusals()
    decoded = case.decode(encode(payload))  # never Refused: no identifying field was touched
    assert _refusals() == before
    if isinstance(decoded, list):
        assert not any(isinstance(item, UnknownEvent) for item in decoded)
