"""One admitted REST request as handlers see it, and the pure parsing around it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from ..accounts import User
from ..errors import EngineError

__all__ = [
    "DEFAULT_RECV_WINDOW",
    "MAX_AHEAD_MS",
    "Call",
    "Handler",
    "check_timestamp",
    "form_text",
    "parse_int",
    "strip_signature",
]

#: Reference, "Time-base security requirement": default recvWindow and allowed lead.
DEFAULT_RECV_WINDOW: Final = 5000
MAX_AHEAD_MS: Final = 1000

#: A REST handler: the admitted call in, JSON-ready data out (or ``EngineError``).
Handler = Callable[["Call"], Any]


def strip_signature(raw: str) -> tuple[str, str | None]:
    """Split ``a=1&signature=ab&b=2`` into the signed text ``a=1&b=2`` and the signature."""
    kept: list[str] = []
    signature: str | None = None
    for part in raw.split("&") if raw else []:
        if part.startswith("signature="):
            signature = part[len("signature=") :]
        else:
            kept.append(part)
    return "&".join(kept), signature


@dataclass
class Call:
    """One admitted request: merged parameters, the caller, the exchange time and the body."""

    params: dict[str, str]
    user: User | None
    now: int
    body: bytes

    def caller(self) -> User:
        """The authenticated user (every signed route has one)."""
        if self.user is None:
            raise EngineError("-1002", "Unauthorized operation")
        return self.user

    def text(self, name: str, *, required: bool = False) -> str | None:
        """A string parameter; 0001 when required and missing or empty."""
        value = self.params.get(name)
        if value in (None, ""):
            if required:
                raise EngineError("0001", f"Required field {name} missing or invalid")
            return None
        return value

    def need(self, name: str) -> str:
        """A required string parameter."""
        value = self.text(name, required=True)
        assert value is not None
        return value

    def integer(
        self,
        name: str,
        default: int | None = None,
        *,
        low: int | None = None,
        high: int | None = None,
    ) -> int | None:
        """An integer parameter clamped to ``high``; -1130 when it is not an integer or < low."""
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise EngineError("-1130", f"Illegal parameter '{name}'") from None
        if low is not None and value < low:
            raise EngineError("-1130", f"Illegal parameter '{name}'")
        return min(value, high) if high is not None else value

    def limit(self, default: int, high: int) -> int:
        """The ``limit`` parameter: ``default`` when absent, at least 1, clamped to ``high``."""
        value = self.integer("limit", low=1, high=high)
        return default if value is None else value

    def decimal(self, name: str, code: str, *, required: bool = False) -> Decimal | None:
        """A positive exact decimal; ``code`` when it is not one."""
        raw = self.text(name, required=required)
        if raw is None:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise EngineError(code, f"Invalid {name}") from None
        if not value.is_finite() or value <= 0:
            raise EngineError(code, f"Invalid {name}")
        return value

    def choice(
        self, name: str, choices: Iterable[str], code: str, *, required: bool = False
    ) -> str | None:
        """An enum parameter; ``code`` when it is not one of ``choices``."""
        raw = self.text(name, required=required)
        if raw is not None and raw not in choices:
            raise EngineError(code, f"Illegal parameter '{name}': {raw}")
        return raw


def check_timestamp(params: dict[str, str], now: int) -> None:
    """Reference, "Time-base security requirement": -1021 outside the window."""
    try:
        timestamp = int(params["timestamp"])
    except (KeyError, ValueError):
        raise EngineError("0001", "Required field timestamp missing or invalid") from None
    try:
        window = int(params.get("recvWindow") or DEFAULT_RECV_WINDOW)
    except ValueError:
        raise EngineError("-1130", "Illegal parameter 'recvWindow'") from None
    if not (timestamp < now + MAX_AHEAD_MS and now - timestamp <= window):
        raise EngineError("-1021", "Timestamp for this request is outside of the recvWindow")


def parse_int(raw: str, code: str, msg: str) -> int:
    """``raw`` as an integer; ``code`` with ``msg`` when it is not one."""
    try:
        return int(raw)
    except ValueError:
        raise EngineError(code, msg) from None


def form_text(value: object) -> str:
    """A JSON batch field as the text a form field would carry."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
