"""Endpoints of the two environments and every tunable of a client, each default written once.

``ClientConfig`` validates on construction: a value outside its range raises
``InvalidParameterError`` naming the field and the range, so a typo such as
``request_timeout=-1`` fails where it is written instead of at the first request.
``HashKeyClient(**options)`` builds one from keyword arguments (``ClientOptions``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, Final, Literal, TypedDict

from .errors import InvalidParameterError
from .ratelimit import DEFAULT_BAN_SECONDS, DEFAULT_MARGIN, DEFAULT_MAX_PAUSE

__all__ = [
    "ENVIRONMENTS",
    "MAX_RECV_WINDOW",
    "ClientConfig",
    "ClientOptions",
    "Environment",
    "EnvironmentURLs",
    "ReconcilePolicy",
]

Environment = Literal["production", "sandbox"]

#: Largest recvWindow we send, in ms. The reference gives no ceiling (it recommends 5000 or
#: less); this is the cap of the Binance-style APIs it follows, and past it a replayed
#: request would stay valid for minutes.
MAX_RECV_WINDOW: Final = 60_000

#: The exchange forgets a listenKey 60 minutes after its last keepalive (reference,
#: "Create a Listen Key"), and closes a WebSocket without heartbeat after 60 minutes.
_HOUR: Final = 3600.0


@dataclass(frozen=True, slots=True)
class EnvironmentURLs:
    """REST and WebSocket roots of one environment (reference: "Sandbox/Production Environment")."""

    rest: str
    stream: str


ENVIRONMENTS: Final[dict[str, EnvironmentURLs]] = {
    "production": EnvironmentURLs("https://api-pro.hashkey.com", "wss://stream-pro.hashkey.com"),
    "sandbox": EnvironmentURLs(
        "https://api-pro.sim.hashkeydev.com", "wss://stream-pro.sim.hashkeydev.com"
    ),
}


@dataclass(frozen=True, slots=True)
class _Range:
    """The values a numeric field accepts, and how to say so in an error."""

    low: float
    high: float = math.inf
    integer: bool = False
    low_open: bool = False
    high_open: bool = False
    optional: bool = False

    def accepts(self, value: object) -> bool:
        if value is None:
            return self.optional
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.integer and not isinstance(value, int):
            return False
        if not math.isfinite(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def describe(self) -> str:
        kind = "an int" if self.integer else "a number"
        low = f"{'>' if self.low_open else '>='} {self.low:g}"
        text = (
            f"{kind} {low}"
            if self.high == math.inf
            else f"{kind} {low} and {'<' if self.high_open else '<='} {self.high:g}"
        )
        return f"None or {text}" if self.optional else text


def _check(name: str, value: object, allowed: _Range) -> None:
    if not allowed.accepts(value):
        raise InvalidParameterError(name, f"must be {allowed.describe()}, got {value!r}")


_POSITIVE: Final = _Range(0.0, low_open=True)
_COUNT: Final = _Range(1, integer=True)


@dataclass(frozen=True, slots=True)
class ReconcilePolicy:
    """How hard to try to learn an uncertain order's fate (see ``rest/reconcile.py``).

    ``lookups`` queries per round, the first at once, then after ``base_delay * 2**i``
    seconds (capped at ``max_delay``); ``resubmit`` allows one resend under the same
    clientOrderId once a lookup said the order does not exist (never for a batch).
    """

    lookups: int = 3
    base_delay: float = 0.2
    max_delay: float = 2.0
    resubmit: bool = True

    def __post_init__(self) -> None:
        _check("lookups", self.lookups, _Range(0, integer=True))
        _check("base_delay", self.base_delay, _POSITIVE)
        _check("max_delay", self.max_delay, _POSITIVE)
        if not isinstance(self.resubmit, bool):
            raise InvalidParameterError("resubmit", f"must be a bool, got {self.resubmit!r}")


def _url(name: str, value: object, schemes: tuple[str, ...]) -> None:
    if not isinstance(value, str) or not value.startswith(schemes) or value[-3:] == "://":
        wanted = " or ".join(f"{scheme}..." for scheme in schemes)
        raise InvalidParameterError(name, f"must be a URL {wanted}, got {value!r}")


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Everything tunable about a client, validated; ``HashKeyClient(**options)`` fills it.

    ``rest_url`` / ``stream_url`` left empty mean the ``environment``'s; a trailing ``/``
    is dropped.
    """

    rest_url: str = ""
    stream_url: str = ""
    environment: Environment = "production"
    #: Milliseconds a signed request stays valid after its timestamp (1 .. MAX_RECV_WINDOW).
    recv_window: int = 5000
    #: Seconds one HTTP request may take, connect to last byte.
    request_timeout: float = 10.0
    #: Order endpoints: requests per second per key (reference: "Order Rate Limiting").
    order_rate: int = 10
    #: Query endpoints: requests per second per key.
    query_rate: int = 2
    #: Per-IP weight budget per minute; the reference publishes weights but no budget.
    weight_budget: int | None = None
    #: Seconds added to each rolling rate window so network jitter cannot overfill the server's.
    rate_limit_margin: float = DEFAULT_MARGIN
    #: Longest pause a 400 rate-limit code (0003, -1015, -3145) may impose on a bucket, seconds.
    rate_limit_max_pause: float = DEFAULT_MAX_PAUSE
    #: How long every call fails fast after a 418 that carried no Retry-After.
    ip_ban_seconds: float = DEFAULT_BAN_SECONDS
    #: Automatic retries of idempotent (GET) calls on 5xx / transport errors.
    max_retries: int = 2
    #: Full-jitter backoff between those retries: uniform(0, min(max, base * 2**attempt)).
    retry_base_delay: float = 0.1
    retry_max_delay: float = 2.0
    #: Seconds between server-time syncs before signed calls (None: only on -1021).
    time_sync_interval: float | None = 300.0
    #: Seconds between the client's pings on every stream.
    ws_ping_interval: float = 10.0
    #: Seconds between listenKey keepalives; under the exchange's 60-minute expiry.
    listen_key_keepalive_interval: float = 1800.0
    reconnect_max_delay: float = 30.0
    #: Ceiling of the second reconnect in a row (the first is immediate, jittered up to 0.1 s);
    #: full jitter doubles it per further attempt up to the max.
    reconnect_base_delay: float = 0.5
    #: Items a stream subscriber may hold before its policy applies (per-call ``queue_size``).
    stream_queue_size: int = 1024
    #: Public streams one connection carries at most; more subscriptions open more connections
    #: (shards), so a reconnect replays only one shard's share (docs/streams.md).
    stream_max_per_connection: int = 50
    #: Seconds the cached exchangeInfo is trusted before an order refreshes it.
    rules_ttl: float = 300.0
    #: Most client order ids ``client.spot.in_doubt`` remembers before dropping the oldest.
    in_doubt_size: int = 1000
    #: What ``create_order`` does when the outcome is unknown.
    reconcile: ReconcilePolicy = field(default_factory=ReconcilePolicy)

    def __post_init__(self) -> None:
        if self.environment not in ENVIRONMENTS:
            raise InvalidParameterError(
                "environment", f"must be one of {sorted(ENVIRONMENTS)}, got {self.environment!r}"
            )
        urls = ENVIRONMENTS[self.environment]
        rest = self.rest_url or urls.rest
        stream = self.stream_url or urls.stream
        _url("rest_url", rest, ("http://", "https://"))
        _url("stream_url", stream, ("ws://", "wss://"))
        object.__setattr__(self, "rest_url", rest.rstrip("/"))
        object.__setattr__(self, "stream_url", stream.rstrip("/"))
        for name, allowed in _RANGES.items():
            _check(name, getattr(self, name), allowed)
        if not isinstance(self.reconcile, ReconcilePolicy):
            raise InvalidParameterError(
                "reconcile", f"must be a ReconcilePolicy, got {self.reconcile!r}"
            )


#: The allowed range of every numeric field of ``ClientConfig``.
_RANGES: Final[dict[str, _Range]] = {
    "recv_window": _Range(1, MAX_RECV_WINDOW, integer=True),
    "request_timeout": _POSITIVE,
    "order_rate": _COUNT,
    "query_rate": _COUNT,
    "weight_budget": _Range(1, integer=True, optional=True),
    "rate_limit_margin": _Range(0.0, 1.0),
    "rate_limit_max_pause": _Range(0.0),
    "ip_ban_seconds": _POSITIVE,
    "max_retries": _Range(0, integer=True),
    "retry_base_delay": _POSITIVE,
    "retry_max_delay": _POSITIVE,
    "time_sync_interval": _Range(0.0, low_open=True, optional=True),
    "ws_ping_interval": _Range(0.0, _HOUR, low_open=True, high_open=True),
    "listen_key_keepalive_interval": _Range(0.0, _HOUR, low_open=True, high_open=True),
    "reconnect_max_delay": _POSITIVE,
    "reconnect_base_delay": _POSITIVE,
    "stream_queue_size": _COUNT,
    "stream_max_per_connection": _COUNT,
    "rules_ttl": _Range(0.0),
    "in_doubt_size": _COUNT,
}


class ClientOptions(TypedDict, total=False):
    """``HashKeyClient`` keyword arguments: every ``ClientConfig`` field, by the same name.

    ``base_url`` is the client's name for ``rest_url``; a URL given as None means the
    environment's. Defaults live in ``ClientConfig``.
    """

    base_url: str | None
    stream_url: str | None
    environment: Environment
    recv_window: int
    request_timeout: float
    order_rate: int
    query_rate: int
    weight_budget: int | None
    rate_limit_margin: float
    rate_limit_max_pause: float
    ip_ban_seconds: float
    max_retries: int
    retry_base_delay: float
    retry_max_delay: float
    time_sync_interval: float | None
    ws_ping_interval: float
    listen_key_keepalive_interval: float
    reconnect_max_delay: float
    reconnect_base_delay: float
    stream_queue_size: int
    stream_max_per_connection: int
    rules_ttl: float
    in_doubt_size: int
    reconcile: ReconcilePolicy


#: ``ClientOptions`` keys whose ``ClientConfig`` field is named differently.
_ALIASES: Final = {"base_url": "rest_url"}
#: Options where None means "the environment's".
_URL_OPTIONS: Final = frozenset({"base_url", "stream_url"})
#: Every ``ClientConfig`` field a keyword can set (checked against ``ClientOptions`` by a test).
CONFIG_FIELDS: Final = frozenset(f.name for f in fields(ClientConfig))


def config_with(base: ClientConfig | None, options: ClientOptions) -> ClientConfig:
    """``base`` (or the defaults) with ``options`` applied, validated as a whole."""
    values: dict[str, Any] = {
        _ALIASES.get(key, key): value
        for key, value in options.items()
        if value is not None or key not in _URL_OPTIONS
    }
    unknown = values.keys() - CONFIG_FIELDS
    if unknown:
        raise InvalidParameterError(sorted(unknown)[0], "is not a client setting")
    merged: dict[str, Any] = {}
    if base is not None:
        merged = {f.name: getattr(base, f.name) for f in fields(base)}
        if "environment" in values:  # follow the new environment unless URLs are given too
            del merged["rest_url"], merged["stream_url"]
    merged.update(values)
    return ClientConfig(**merged)
