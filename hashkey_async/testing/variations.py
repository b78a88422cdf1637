"""Single-field variations of exchange payloads, the shapes real servers send besides the documented one.

Pure and reusable: the suite's generated tests and the offline exchange's payload faults both draw
from here. Given a JSON payload (numbers exact: ``hashkey_async.decoding.exact_json``) and the model
it decodes into, ``variations`` yields one ``Variation`` per (field, kind):

* ``"empty"``: the value becomes ``""``;
* ``"null"``: the value becomes ``null``;
* ``"retype"``: a numeric string becomes the JSON number with the same digits, a number becomes
  the string of its digits;
* ``"missing"``: the key is left out (in an array-shaped item, only the last position).

Whether a field identifies its message comes from the decoding policy (``decoding.IDENTIFYING``):
a variation of an identifying field may get the message refused, any other must decode typed.
"""

from __future__ import annotations

import copy
import random
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

import msgspec

from ..decoding import struct_spec, tagged_classes

__all__ = [
    "KINDS",
    "Kind",
    "Site",
    "Variation",
    "apply",
    "encode",
    "retyped",
    "sites",
    "variations",
    "vary",
]

Kind = Literal["empty", "null", "retype", "missing"]
#: Every kind of variation, in the order ``variations`` yields them per field.
KINDS: Final[tuple[Kind, ...]] = ("empty", "null", "retype", "missing")

_encoder: Final = msgspec.json.Encoder(decimal_format="number")


def encode(payload: Any) -> bytes:
    """JSON bytes of a payload, Decimals written as the numbers they hold (digits unchanged)."""
    return _encoder.encode(payload)


@dataclass(frozen=True, slots=True)
class Site:
    """One field of a payload: where it is, what it holds, and what it means to the model.

    ``path`` indexes the JSON; ``attrs`` indexes the decoded model the same way (attribute
    names and list positions), or is None when the model does not know the key.
    """

    path: tuple[str | int, ...]
    attrs: tuple[str | int, ...] | None
    value: Any
    type_name: str
    field: str
    identifying: bool
    removable: bool


@dataclass(frozen=True, slots=True)
class Variation:
    """A payload with one field changed in one way."""

    site: Site
    kind: Kind
    payload: Any

    @property
    def new_value(self) -> Any:
        """What the field holds after the variation (``None`` also for ``"missing"``)."""
        if self.kind == "missing":
            return None
        node = self.payload
        for key in self.site.path:
            node = node[key]
        return node


def retyped(value: Any) -> Any | None:
    """The number<->string twin of ``value`` with the same digits, or None if it has none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, str) and value.strip() == value and value:
        try:
            number = Decimal(value)
        except InvalidOperation:
            return None
        if not number.is_finite():
            return None
        if value.lstrip("-").isdigit():
            return int(value) if str(int(value)) == value else None
        return number
    return None


def sites(payload: Any, model: Any, *, max_items: int | None = None) -> Iterator[Site]:
    """Every field of ``payload`` (depth first), typed by ``model`` where the model knows it;
    of each array, the first ``max_items`` elements (all if None)."""
    yield from _walk(payload, model, (), (), max_items)


def _walk(
    data: Any,
    tp: Any,
    path: tuple[str | int, ...],
    attrs: tuple[str | int, ...] | None,
    max_items: int | None,
) -> Iterator[Site]:
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        yield from _struct(data, tp, path, attrs, max_items)
        return
    origin = typing.get_origin(tp)
    if origin is list and isinstance(data, list):
        (item,) = typing.get_args(tp)
        for index, element in enumerate(data[:max_items]):
            here = None if attrs is None else (*attrs, index)
            yield from _walk(element, item, (*path, index), here, max_items)
        return
    members = typing.get_args(tp)
    if members and origin is not list and origin is not dict:
        tagged = tagged_classes(tp)
        if tagged is not None:
            field, classes = tagged
            cls = classes.get(str(data.get(field))) if isinstance(data, dict) else None
            if cls is not None:
                yield from _struct(data, cls, path, attrs, max_items)
            return
        for member in members:
            if isinstance(member, type) and issubclass(member, msgspec.Struct):
                yield from _struct(data, member, path, attrs, max_items)
                return
            if typing.get_origin(member) is list:
                yield from _walk(data, member, path, attrs, max_items)
                return


def _struct(
    data: Any,
    cls: type[msgspec.Struct],
    path: tuple[str | int, ...],
    attrs: tuple[str | int, ...] | None,
    max_items: int | None,
) -> Iterator[Site]:
    spec = struct_spec(cls)
    if spec.array_like:
        if not isinstance(data, list):
            return
        by_wire: dict[Any, Any] = {field.wire: field for field in spec.fields}
        keys: list[Any] = list(range(len(data)))
    elif isinstance(data, dict):
        by_wire = {field.wire: field for field in spec.fields}
        keys = list(data)
    else:
        return
    for key in keys:
        value = data[key]
        field = by_wire.get(key)
        removable = not spec.array_like or key == len(data) - 1
        if field is None:
            identifying = key == spec.tag_field
            yield Site((*path, key), None, value, spec.type_name, str(key), identifying, removable)
            continue
        here = None if attrs is None else (*attrs, field.name)
        yield Site(
            (*path, key), here, value, spec.type_name, field.name, field.identifying, removable
        )
        if isinstance(value, (dict, list)):
            yield from _walk(value, field.type, (*path, key), here, max_items)


def variations(
    payload: Any, model: Any, kinds: tuple[Kind, ...] = KINDS, *, max_items: int | None = None
) -> Iterator[Variation]:
    """Every single-field variation of ``payload`` of the given kinds (the payload is not changed).

    ``max_items`` bounds how many elements of each array are varied (the rest repeat the same
    fields): None varies them all.
    """
    for site in sites(payload, model, max_items=max_items):
        for kind in kinds:
            new = _new_value(site, kind)
            if new is not _SKIP:
                yield Variation(site, kind, _apply(payload, site, kind, new))


def vary(
    payload: Any, model: Any, rng: random.Random, kinds: tuple[Kind, ...] = KINDS
) -> Variation | None:
    """One variation of ``payload`` drawn uniformly with ``rng``, or None if it has none.

    Copies the payload once, whatever its size.
    """
    choices = [
        (site, kind, new)
        for site in sites(payload, model)
        for kind in kinds
        if (new := _new_value(site, kind)) is not _SKIP
    ]
    if not choices:
        return None
    site, kind, new = rng.choice(choices)
    return Variation(site, kind, _apply(payload, site, kind, new))


_SKIP: Final = object()


def _new_value(site: Site, kind: Kind) -> Any:
    """What ``kind`` puts at ``site`` (None for "missing"), or ``_SKIP`` if it changes nothing."""
    value = site.value
    if kind == "empty":
        return _SKIP if isinstance(value, str) and value == "" else ""
    if kind == "null":
        return _SKIP if value is None else None
    if kind == "retype":
        new = retyped(value)
        return _SKIP if new is None else new
    return None if site.removable else _SKIP


def _apply(payload: Any, site: Site, kind: Kind, new: Any) -> Any:
    """A deep copy of ``payload`` with ``site`` set to ``new`` (or removed, for "missing")."""
    out = copy.deepcopy(payload)
    parent = out
    for key in site.path[:-1]:
        parent = parent[key]
    if kind == "missing":
        del parent[site.path[-1]]
    else:
        parent[site.path[-1]] = new
    return out


def apply(payload: Any, site: Site, kind: Kind) -> Variation | None:
    """``payload`` (copied) with the one field ``site`` varied by ``kind``; None if that is a no-op.

    For callers that pick the site themselves (the offline exchange's ``vary_payloads`` fault
    never varies identifying fields or the objects holding them).
    """
    new = _new_value(site, kind)
    return None if new is _SKIP else Variation(site, kind, _apply(payload, site, kind, new))
