"""Fault switches of the offline exchange: plain state that the REST and WS sides read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .payload_faults import PayloadVariator

__all__ = ["CORRUPT_BODY", "Faults"]

#: Default body of a corrupted order answer: a 200 whose body is not JSON.
CORRUPT_BODY: Final = b"<html><body>upstream answered, proxy mangled it</body></html>"


@dataclass
class Faults:
    """What the exchange should get wrong next. Set through ``OfflineExchange`` methods."""

    #: Stop sending frames and stop answering pings on every stream (half-open link); requests
    #: (subscriptions) still take effect, so data flows again the moment the stall ends.
    stalled: bool = False
    #: Answer the next N order calls (create, batch create, and every cancel) with a 5xx.
    fail_orders: int = 0
    #: With ``fail_orders``: True = the order takes effect before the 5xx, False = it does not.
    fail_after_effect: bool = True
    #: HTTP status used for ``fail_orders`` answers.
    fail_status: int = 500
    #: Answer the next N order calls that the engine accepts with HTTP 200 and
    #: ``corrupt_body``: the call took effect, its answer cannot be decoded.
    corrupt_orders: int = 0
    #: Body of ``corrupt_orders`` answers (default: not JSON at all).
    corrupt_body: bytes = CORRUPT_BODY
    #: Answer the next N signed requests with 429 whatever the buckets say (these 429s
    #: do not count towards the 418 ban).
    rate_limit_storm: int = 0
    #: Refuse the next N WebSocket upgrades (any stream) with HTTP ``reject_status``.
    reject_upgrades: int = 0
    reject_status: int = 503
    #: Milliseconds added to the exchange clock (server clock skew).
    clock_skew_ms: int = 0
    #: Rewrites a share of REST answers and stream data frames (``vary_payloads``); None = off.
    variator: PayloadVariator | None = None

    def vary_payloads(self, rate: float, seed: int = 0) -> PayloadVariator | None:
        """Vary one non-identifying field of a ``rate`` share of successful REST answers and
        stream data frames, seeded by ``seed``; ``rate=0`` switches it off. Returns the
        variator (its ``counts`` and ``recent`` say what was varied)."""
        self.variator = PayloadVariator(rate, seed) if rate else None
        return self.variator
