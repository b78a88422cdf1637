"""What a client counts as it runs, and the typed snapshot ``client.stats()`` returns.

Pure and bounded: requests are counted per (endpoint, outcome) and their latencies kept in
fixed log-scale histograms (``LATENCY_BUCKETS`` counters per endpoint, whatever the traffic),
so percentiles cost no memory growth. Recording is a few integer updates on the request path;
streams and decoding already keep their own counters, which the snapshot reads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "EXPORT_STRIDE",
    "LATENCY_BUCKETS",
    "LATENCY_GROWTH",
    "LATENCY_MIN",
    "ClientStats",
    "ConnectionSnapshot",
    "EndpointStats",
    "LatencyHistogram",
    "LatencyStats",
    "RequestRecorder",
    "SubscriptionStats",
]

#: Upper bound of the first latency bucket (seconds): anything faster counts there.
LATENCY_MIN: Final = 1e-4
#: Each bucket's bound is this factor above the previous one (2 ** (1/8): percentiles within 9 %).
LATENCY_GROWTH: Final = 2**0.125
#: Buckets per histogram: 100 us * 2 ** 20 reaches about 105 s; slower calls count in the last.
LATENCY_BUCKETS: Final = 161
_PER_STEP: Final = 1 / math.log(LATENCY_GROWTH)
_LAST: Final = LATENCY_BUCKETS - 1


def bucket_bound(index: int) -> float:
    """Upper bound (seconds) of latency bucket ``index``."""
    return LATENCY_MIN * LATENCY_GROWTH**index


#: Every this many buckets, ``LatencyStats.buckets`` reports a cumulative count (a factor of 2).
EXPORT_STRIDE: Final = 8


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """Latency of a set of requests (seconds); percentiles are bucket bounds, at most 9 % high.

    ``buckets`` holds ``(bound, requests at or under it)`` at 100 us, 200 us, ... ~105 s:
    cumulative, for a Prometheus histogram.
    """

    count: int = 0
    sum: float = 0.0
    mean: float = 0.0
    p50: float = 0.0
    p90: float = 0.0
    p99: float = 0.0
    max: float = 0.0
    buckets: tuple[tuple[float, int], ...] = ()


class LatencyHistogram:
    """Counts of latencies in fixed log-scale buckets, plus their count, sum and maximum."""

    __slots__ = ("count", "counts", "max", "total")

    def __init__(self) -> None:
        self.counts = [0] * LATENCY_BUCKETS
        self.count = 0
        self.total = 0.0
        self.max = 0.0

    def record(self, seconds: float) -> None:
        """Add one latency."""
        if seconds <= LATENCY_MIN:
            index = 0
        else:
            index = math.ceil(math.log(seconds / LATENCY_MIN) * _PER_STEP)
            if index > _LAST:
                index = _LAST
        self.counts[index] += 1
        self.count += 1
        self.total += seconds
        if seconds > self.max:
            self.max = seconds

    def merge(self, other: LatencyHistogram) -> None:
        """Add ``other``'s latencies to this one."""
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        self.count += other.count
        self.total += other.total
        self.max = max(self.max, other.max)

    def quantile(self, q: float) -> float:
        """The latency ``q`` (0..1) of the requests stayed within: its bucket's bound, capped at the max."""
        if not self.count:
            return 0.0
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for index, n in enumerate(self.counts):
            seen += n
            if seen >= rank:
                return min(bucket_bound(index), self.max)
        return self.max

    def summary(self) -> LatencyStats:
        """Count, mean, p50, p90, p99 and max."""
        if not self.count:
            return LatencyStats()
        cumulative, running = [], 0
        for index, n in enumerate(self.counts):
            running += n
            if index % EXPORT_STRIDE == 0:
                cumulative.append((bucket_bound(index), running))
        return LatencyStats(
            count=self.count,
            sum=self.total,
            mean=self.total / self.count,
            p50=self.quantile(0.5),
            p90=self.quantile(0.9),
            p99=self.quantile(0.99),
            max=self.max,
            buckets=tuple(cumulative),
        )


class _Endpoint:
    """One endpoint's counters: attempts by outcome and their latency histogram."""

    __slots__ = ("histogram", "outcomes")

    def __init__(self) -> None:
        self.outcomes: dict[str, int] = {}
        self.histogram = LatencyHistogram()


class RequestRecorder:
    """A transport's counters: requests per (endpoint, outcome), latencies, limits and retries.

    An outcome is ``"ok"`` or the name of the error the attempt ended with
    (``"RateLimitError"``, ``"TransportError"``, ...). Each attempt counts, so a GET retried
    twice is three requests and two ``retries``.
    """

    __slots__ = (
        "_endpoints",
        "banned",
        "limiter_wait",
        "limiter_waits",
        "rate_limited",
        "retries",
    )

    def __init__(self) -> None:
        self._endpoints: dict[str, _Endpoint] = {}
        self.rate_limited = 0
        self.banned = 0
        self.retries = 0
        self.limiter_wait = 0.0
        self.limiter_waits = 0

    def request(self, endpoint: str, outcome: str, seconds: float) -> None:
        """Count one attempt at ``endpoint`` that took ``seconds`` and ended with ``outcome``."""
        entry = self._endpoints.get(endpoint)
        if entry is None:
            entry = self._endpoints[endpoint] = _Endpoint()
        outcomes = entry.outcomes
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        entry.histogram.record(seconds)

    def waited(self, seconds: float) -> None:
        """Count time a request spent waiting for the rate limiter."""
        self.limiter_wait += seconds
        self.limiter_waits += 1

    def histogram(self, endpoint: str) -> LatencyHistogram | None:
        """``endpoint``'s latency histogram (None before its first attempt)."""
        entry = self._endpoints.get(endpoint)
        return entry.histogram if entry is not None else None

    def endpoints(self) -> dict[str, EndpointStats]:
        """Per-endpoint attempts by outcome and latency, by endpoint name."""
        return {
            name: EndpointStats(requests=dict(entry.outcomes), latency=entry.histogram.summary())
            for name, entry in sorted(self._endpoints.items())
        }

    def overall_latency(self) -> LatencyStats:
        """Latency over every endpoint."""
        total = LatencyHistogram()
        for entry in self._endpoints.values():
            total.merge(entry.histogram)
        return total.summary()


@dataclass(frozen=True, slots=True)
class EndpointStats:
    """One endpoint: attempts by outcome (``"ok"`` or an error name) and their latency."""

    requests: Mapping[str, int]
    latency: LatencyStats

    @property
    def total(self) -> int:
        """Every attempt, whatever its outcome."""
        return sum(self.requests.values())


@dataclass(frozen=True, slots=True)
class ConnectionSnapshot:
    """One stream endpoint (``"public-v2"``, ``"private"``, ...): its state and counters."""

    state: str
    connects: int
    reconnects: int
    drops: int
    messages: int
    decode_errors: int


@dataclass(frozen=True, slots=True)
class SubscriptionStats:
    """One subscriber: what reached its queue and what its policy did with it.

    ``received`` = ``delivered`` + ``queued`` + ``conflated`` + ``dropped``; conflated ones
    were replaced by a newer snapshot, dropped ones reported (``StreamOverflowError`` or a
    ``StreamGap``), never silently lost.
    """

    topic: str
    policy: str
    received: int
    delivered: int
    queued: int
    conflated: int
    dropped: int


@dataclass(frozen=True, slots=True)
class ClientStats:
    """A snapshot of everything a client counted (``client.stats()``); plain, immutable data."""

    #: Attempts per endpoint name (``"ORDER"``, ``"DEPTH"``, ...), by outcome, with latency.
    endpoints: Mapping[str, EndpointStats] = field(default_factory=dict)
    #: Latency over every endpoint.
    latency: LatencyStats = field(default_factory=LatencyStats)
    #: HTTP 429 answers, and 418 (IP banned) answers.
    rate_limited: int = 0
    banned: int = 0
    #: Automatic resends: retried GETs and the one resend after a -1021 resync.
    retries: int = 0
    #: Client order ids whose creation is still unsettled (``client.spot.in_doubt``).
    in_doubt_orders: int = 0
    #: Seconds requests spent waiting for the rate limiter, and how many requests did.
    limiter_wait_seconds: float = 0.0
    limiter_waits: int = 0
    #: Stream endpoints by name.
    connections: Mapping[str, ConnectionSnapshot] = field(default_factory=dict)
    #: Live subscribers.
    subscriptions: tuple[SubscriptionStats, ...] = ()
    #: Tolerant-decoding fallbacks per (message type, field), process-wide.
    decode_fallbacks: Mapping[tuple[str, str], int] = field(default_factory=dict)
    #: Messages refused (or kept untyped) for a broken identifying field, per (type, field).
    decode_refusals: Mapping[tuple[str, str], int] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        """Every attempt at every endpoint."""
        return sum(e.total for e in self.endpoints.values())

    @property
    def reconnects(self) -> int:
        """Reconnects over every stream endpoint."""
        return sum(c.reconnects for c in self.connections.values())
