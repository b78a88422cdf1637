"""Exact parameter encoding: Python values in, the exchange's query-string text out.

No I/O here. Numbers are rendered without exponent or float noise, booleans in
lower case, lists comma-joined, ``None`` dropped, snake_case names turned into the
exchange's camelCase.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Final, cast
from urllib.parse import quote

from .errors import InvalidParameterError

__all__ = [
    "Number",
    "camel",
    "encode_query",
    "encode_value",
    "symbol_param",
    "to_decimal",
]

Number = Decimal | str | int | float


def symbol_param(symbol: object) -> str:
    """``symbol`` if it is a non-blank string, else ``InvalidParameterError`` naming ``symbol``.

    The one check every symbol argument gets (REST, orders and streams alike).
    """
    if not isinstance(symbol, str) or not symbol.strip():
        raise InvalidParameterError("symbol", f"must be a symbol like 'BTCUSDT', got {symbol!r}")
    return symbol


#: Characters left unescaped in query values: what the exchange's examples send bare.
_SAFE: Final = "-_.~,"
#: Values made only of those and ASCII alphanumerics need no quoting (the common case).
_PLAIN: Final = re.compile(r"[A-Za-z0-9\-_.~,]*").fullmatch


@lru_cache(maxsize=256)
def camel(name: str) -> str:
    """``client_order_id`` -> ``clientOrderId`` (names already camelCase pass through)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _plain_decimal(value: Decimal) -> str:
    """Render a finite Decimal without exponent: ``Decimal('1E-7')`` -> ``'0.0000001'``."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def to_decimal(field: str, value: Number) -> Decimal:
    """Convert a user number to an exact, finite Decimal, or raise naming ``field``.

    A float is accepted only when its shortest repr is the decimal it stands for, so
    ``0.1`` becomes ``Decimal('0.1')`` while a value that was already rounded on the
    way (``0.1 + 0.2``) is refused rather than sent as ``0.30000000000000004``.
    """
    if isinstance(value, bool):
        raise InvalidParameterError(field, "expected a number, got a bool")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidParameterError(field, f"must be finite, got {value!r}")
        text = repr(value)
        if "e" in text or "E" in text or len(text.replace("-", "").replace(".", "")) > 15:
            raise InvalidParameterError(
                field, f"float {value!r} may not be exact; pass a Decimal or str instead"
            )
        result = Decimal(text)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidParameterError(field, f"not a number: {value!r}") from None
    else:
        raise InvalidParameterError(
            field, f"expected Decimal, str or int, got {type(value).__name__}"
        )
    if not result.is_finite():
        raise InvalidParameterError(field, f"must be finite, got {value!r}")
    return result


def encode_value(value: object) -> str:
    """Render one parameter value as the exchange expects it (text, not yet URL-quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidParameterError("value", f"must be finite, got {value}")
        return _plain_decimal(value)
    if isinstance(value, float):
        return _plain_decimal(to_decimal("value", value))
    if isinstance(value, (str, int)):
        return str(value)
    if isinstance(value, Iterable):
        return ",".join(encode_value(item) for item in value)
    raise InvalidParameterError("value", f"cannot encode {type(value).__name__}")


def encode_query(params: Mapping[str, object] | Iterable[tuple[str, object]]) -> str:
    """Build the query string once, exactly as it will be signed and sent.

    Keys are camelCased, ``None`` values dropped, order preserved.
    """
    items = params.items() if isinstance(params, Mapping) else params
    parts = []
    for key, value in items:
        if value is None:
            continue
        kind = type(value)
        # Exact str / int (not bool, not enums) are the common case: skip the general path.
        if kind is str:
            text = cast(str, value)
        elif kind is int:
            text = str(value)
        else:
            text = encode_value(value)
        parts.append(f"{camel(key)}={text if _PLAIN(text) else quote(text, safe=_SAFE)}")
    return "&".join(parts)
