"""Prometheus export of ``client.stats()`` (the ``[metrics]`` extra: ``prometheus_client``).

``PrometheusCollector(client)`` reads a fresh snapshot at every scrape; register it with
``prometheus_client.REGISTRY.register(...)`` or serve it with ``serve_metrics``.
``prometheus_client`` is imported only when metrics are collected or served, so importing
this module (or the SDK) never needs it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from .stats import ClientStats, EndpointStats, RequestRecorder

if TYPE_CHECKING:
    from .client import HashKeyClient

__all__ = [
    "PREFIX",
    "PrometheusCollector",
    "RequestsCollector",
    "request_families",
    "serve_metrics",
]

#: Every metric's name starts with this.
PREFIX: Final = "hashkey"


def _prometheus() -> Any:
    try:
        from prometheus_client import core
    except ImportError as exc:  # pragma: no cover - only without the [metrics] extra
        raise ImportError(
            "hashkey_async.metrics needs prometheus_client: pip install 'hashkey_async[metrics]'"
        ) from exc
    return core


def request_families(core: Any, name: str, endpoints: Mapping[str, EndpointStats]) -> list[Any]:
    """``{name}requests_total{endpoint,outcome}`` and the ``{name}request_duration_seconds`` histogram."""
    requests = core.CounterMetricFamily(
        name + "requests", "requests by endpoint and outcome", labels=("endpoint", "outcome")
    )
    duration = core.HistogramMetricFamily(
        name + "request_duration_seconds", "request latency", labels=("endpoint",)
    )
    for endpoint, entry in endpoints.items():
        for outcome, n in entry.requests.items():
            requests.add_metric((endpoint, outcome), n)
        latency = entry.latency
        buckets = [(f"{bound:.6g}", n) for bound, n in latency.buckets]
        buckets.append(("+Inf", latency.count))
        duration.add_metric((endpoint,), buckets, latency.sum)
    return [requests, duration]


class RequestsCollector:
    """A ``prometheus_client`` collector of one ``RequestRecorder`` (``serve --metrics-port``
    counts the offline exchange's requests by route and HTTP status with one)."""

    def __init__(self, recorder: RequestRecorder, *, prefix: str) -> None:
        self._recorder = recorder
        self._prefix = prefix

    def describe(self) -> list[Any]:
        """Nothing up front: routes are only known at a scrape."""
        return []

    def collect(self) -> Iterator[Any]:
        """The recorder's requests and latency histogram."""
        yield from request_families(_prometheus(), self._prefix + "_", self._recorder.endpoints())


class PrometheusCollector:
    """A ``prometheus_client`` collector of one client's counters (or any ``ClientStats`` source).

    Metrics (all prefixed ``hashkey_``): ``requests_total{endpoint,outcome}``,
    ``request_duration_seconds{endpoint}`` (histogram), ``rate_limited_total`` (429s),
    ``ip_banned_total`` (418s), ``retries_total``, ``in_doubt_orders``,
    ``limiter_wait_seconds_total``, ``stream_connected{connection}``,
    ``stream_reconnects_total{connection}``, ``stream_messages_total{connection}``,
    ``subscription_messages_total{topic,outcome}`` (received, delivered, conflated, dropped),
    ``subscription_queued{topic}``, ``decode_fallbacks_total{type,field}`` and
    ``decode_refusals_total{type,field}``.
    """

    def __init__(
        self, client: HashKeyClient | Callable[[], ClientStats], *, prefix: str = PREFIX
    ) -> None:
        self._snapshot: Callable[[], ClientStats] = client if callable(client) else client.stats
        self._prefix = prefix

    def describe(self) -> list[Any]:
        """Nothing up front: the label values (endpoints, topics) are only known at a scrape."""
        return []

    def collect(self) -> Iterator[Any]:
        """Metric families from a fresh ``client.stats()`` snapshot."""
        core = _prometheus()
        stats = self._snapshot()
        name = self._prefix + "_"

        def counter(metric: str, doc: str, labels: tuple[str, ...] = ()) -> Any:
            return core.CounterMetricFamily(name + metric, doc, labels=labels)

        def gauge(metric: str, doc: str, labels: tuple[str, ...] = ()) -> Any:
            return core.GaugeMetricFamily(name + metric, doc, labels=labels)

        yield from request_families(core, name, stats.endpoints)

        for metric, doc, value in (
            ("rate_limited", "HTTP 429 answers", stats.rate_limited),
            ("ip_banned", "HTTP 418 answers (IP banned)", stats.banned),
            ("retries", "automatic resends (GET retries, -1021 resync)", stats.retries),
            (
                "limiter_wait_seconds",
                "time requests waited for the rate limiter",
                stats.limiter_wait_seconds,
            ),
        ):
            family = counter(metric, doc)
            family.add_metric((), value)
            yield family
        in_doubt = gauge("in_doubt_orders", "orders whose creation is unsettled")
        in_doubt.add_metric((), stats.in_doubt_orders)
        yield in_doubt

        connected = gauge("stream_connected", "1 if the stream endpoint is open", ("connection",))
        reconnects = counter("stream_reconnects", "stream reconnects", ("connection",))
        messages = counter("stream_messages", "stream frames received", ("connection",))
        for connection, snapshot in stats.connections.items():
            connected.add_metric((connection,), 1.0 if snapshot.state == "open" else 0.0)
            reconnects.add_metric((connection,), snapshot.reconnects)
            messages.add_metric((connection,), snapshot.messages)
        yield from (connected, reconnects, messages)

        by_topic: dict[tuple[str, str], int] = {}
        queued_by_topic: dict[str, int] = {}
        for sub in stats.subscriptions:
            for outcome in ("received", "delivered", "conflated", "dropped"):
                key = (sub.topic, outcome)
                by_topic[key] = by_topic.get(key, 0) + getattr(sub, outcome)
            queued_by_topic[sub.topic] = queued_by_topic.get(sub.topic, 0) + sub.queued
        routed = counter(
            "subscription_messages", "messages per subscriber topic", ("topic", "outcome")
        )
        for labels, n in by_topic.items():
            routed.add_metric(labels, n)
        queued = gauge("subscription_queued", "messages waiting in subscriber queues", ("topic",))
        for topic, n in queued_by_topic.items():
            queued.add_metric((topic,), n)
        yield from (routed, queued)

        fallbacks = counter(
            "decode_fallbacks", "fields decoded tolerantly (process-wide)", ("type", "field")
        )
        for (type_name, field), n in stats.decode_fallbacks.items():
            fallbacks.add_metric((type_name, field), n)
        refusals = counter(
            "decode_refusals", "messages refused for a broken identifying field", ("type", "field")
        )
        for (type_name, field), n in stats.decode_refusals.items():
            refusals.add_metric((type_name, field), n)
        yield from (fallbacks, refusals)


@asynccontextmanager
async def serve_metrics(
    collectors: list[Any], *, host: str = "127.0.0.1", port: int = 9464
) -> AsyncIterator[str]:
    """Serve ``GET /metrics`` (Prometheus text format) for ``collectors`` on ``host:port``.

    Yields the URL (``port=0`` picks a free port); the server stops when the block ends.
    """
    import prometheus_client

    registry = prometheus_client.CollectorRegistry(auto_describe=True)
    for collector in collectors:
        registry.register(collector)

    async def metrics(request: web.Request) -> web.Response:
        body = prometheus_client.generate_latest(registry)
        return web.Response(
            body=body, headers={"Content-Type": prometheus_client.CONTENT_TYPE_LATEST}
        )

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound = runner.addresses[0][1]
        yield f"http://{host}:{bound}/metrics"
    finally:
        await runner.cleanup()
