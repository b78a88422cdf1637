"""Fault switches of the offline exchange: plain state that the REST and WS sides read."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Faults"]


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
    #: Answer the next N signed requests with 429 whatever the buckets say (these 429s
    #: do not count towards the 418 ban).
    rate_limit_storm: int = 0
    #: Milliseconds added to the exchange clock (server clock skew).
    clock_skew_ms: int = 0
