"""What every rate limiter shares: the buckets, the reference's limits and the ``Limiter`` interface.

Reference, "Access Restrictions" / "Order Rate Limiting": per API key, order endpoints
allow 10 requests/s and query endpoints 2 requests/s; a 429 means "stop and wait a
minute", and an IP that keeps sending after a 429 is banned (418). Rate-limit codes
that come back as HTTP 400 ("0003", "-1015", "-3145": the per-second limits) pause the
bucket briefly instead. The transport talks to a limiter only through ``Limiter``, so the
in-process ``RateLimiter`` and the shared ``RedisRateLimiter`` are interchangeable.
"""

from __future__ import annotations

import enum
from typing import Final, Protocol, runtime_checkable

__all__ = [
    "DEFAULT_BAN_SECONDS",
    "DEFAULT_MARGIN",
    "DEFAULT_MAX_PAUSE",
    "DEFAULT_SUSPEND_SECONDS",
    "DEFAULT_THROTTLE_SECONDS",
    "THROTTLE_CODES",
    "WEIGHT_PERIOD",
    "Bucket",
    "Limiter",
]

#: Extra seconds added to every rolling window so jitter on the way cannot squeeze
#: limit + 1 requests into the server's window; 0.05 s still uses >= 95 % of the rate.
DEFAULT_MARGIN: Final = 0.05
#: Reference, "Order Rate Limiting": "Please wait 1 minute for the suspended period to expire".
DEFAULT_SUSPEND_SECONDS: Final = 60.0
#: The reference gives no 418 ban length; wait this long unless Retry-After says otherwise.
DEFAULT_BAN_SECONDS: Final = 120.0
#: The per-IP weight budget's window (weights are published per minute).
WEIGHT_PERIOD: Final = 60.0
#: Exchange codes of a per-second rate limit answered with HTTP 400, not 429 (reference,
#: "Error Codes": "0003 Rate limit exceeded", "-1015 Too many new orders", "-3145 Please
#: DO NOT submit request too frequently"); -1193 counts orders, not rate, so it is absent.
THROTTLE_CODES: Final = frozenset({"0003", "-1015", "-3145"})
#: First pause after such an answer without Retry-After: one rolling window.
DEFAULT_THROTTLE_SECONDS: Final = 1.0
#: Pauses up to this long are waited out in ``acquire``; longer ones fail fast like a 429.
DEFAULT_MAX_PAUSE: Final = 2.0


class Bucket(enum.Enum):
    """Per-key rate bucket (reference, "Order Rate Limiting"); PUBLIC is not charged per key."""

    ORDER = "order"
    QUERY = "query"
    PUBLIC = "public"
    #: ListenKey create / keepalive / delete: a budget of their own at the query rate, so a
    #: burst of queries or a query suspension after a 429 never keeps the private stream down.
    USER_STREAM = "user_stream"


@runtime_checkable
class Limiter(Protocol):
    """What ``HashKeyClient(rate_limiter=...)`` and the transport need from a rate limiter.

    ``acquire`` waits for permission (or raises ``RateLimitError`` / ``IPBannedError`` while a
    suspension or ban is in force); ``suspend``, ``throttle`` and ``ban`` record what the
    exchange answered. ``bind_key`` tells the limiter which API key a client uses it for.
    """

    def bind_key(self, api_key: str | None) -> None:
        """Called by each client handed this limiter, with its API key (None without one)."""

    async def acquire(self, bucket: Bucket, weight: int = 1) -> None:
        """Wait until a request of ``weight`` may go out on ``bucket``, or raise if refused."""

    def check(self, bucket: Bucket) -> None:
        """Raise at once if a ban or a suspension of ``bucket`` is in force."""

    def suspend(self, bucket: Bucket, seconds: float | None = None) -> None:
        """After a 429: refuse ``bucket`` for ``seconds`` (default one minute)."""

    def throttle(self, bucket: Bucket, seconds: float | None = None) -> float:
        """After a 400 rate-limit code: hold ``bucket`` back; returns the pause in seconds."""

    def ban(self, seconds: float | None = None) -> None:
        """After a 418: refuse every call for ``seconds``."""
