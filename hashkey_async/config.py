"""Endpoints of the two environments and the client's tunables, with explicit defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["ENVIRONMENTS", "ClientConfig", "Environment", "EnvironmentURLs"]

Environment = Literal["production", "sandbox"]


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
class ClientConfig:
    """Everything tunable about a client; ``HashKeyClient`` keyword arguments fill it."""

    rest_url: str
    stream_url: str
    recv_window: int = 5000
    request_timeout: float = 10.0
    #: Order endpoints: requests per second per key (reference: "Order Rate Limiting").
    order_rate: int = 10
    #: Query endpoints: requests per second per key.
    query_rate: int = 2
    #: Per-IP weight budget per minute; the reference publishes weights but no budget.
    weight_budget: int | None = None
    #: Seconds added to each rolling rate window so network jitter cannot overfill the server's.
    rate_limit_margin: float = 0.05
    #: How long every call fails fast after a 418 that carried no Retry-After.
    ip_ban_seconds: float = 120.0
    #: Automatic retries of idempotent (GET) calls on 5xx / transport errors.
    max_retries: int = 2
    #: Full-jitter backoff between those retries: uniform(0, min(max, base * 2**attempt)).
    retry_base_delay: float = 0.1
    retry_max_delay: float = 2.0
    #: Seconds between server-time syncs before signed calls (None: only on -1021).
    time_sync_interval: float | None = 300.0
    ws_ping_interval: float = 10.0
    listen_key_keepalive_interval: float = 1800.0
    reconnect_max_delay: float = 30.0
    #: Ceiling of the second reconnect in a row (the first is immediate, jittered up to 0.1 s);
    #: full jitter doubles it per further attempt up to the max.
    reconnect_base_delay: float = 0.5
    #: Items a stream subscriber may hold before its policy applies (per-call ``queue_size``).
    stream_queue_size: int = 1024
