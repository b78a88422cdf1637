"""Prometheus export: the collector over ``client.stats()``, ``/metrics`` served, and
``serve --metrics-port`` counting the offline exchange's requests. prometheus_client is only
imported when metrics are collected."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hashkey_async import OrderNotFoundError
from hashkey_async.metrics import PrometheusCollector, serve_metrics
from hashkey_async.testing import OfflineExchange

STARTUP = 15.0


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape by (name, labels)."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return samples(await response.text())


async def test_collector_exports_the_clients_counters() -> None:
    async with OfflineExchange() as ex, ex.client() as client:
        await client.market.depth("BTCUSDT")
        with pytest.raises(OrderNotFoundError):
            await client.spot.cancel_order(order_id=1)
        async with (
            client.stream.depth("BTCUSDT") as books,
            serve_metrics([PrometheusCollector(client)], port=0) as url,
        ):
            await books.get()
            scraped = await scrape(url)
    ok = frozenset({("endpoint", "depth"), ("outcome", "ok")})
    assert scraped[("hashkey_requests_total", ok)] == 1
    refused = frozenset({("endpoint", "cancel_order"), ("outcome", "OrderNotFoundError")})
    assert scraped[("hashkey_requests_total", refused)] == 1
    depth = frozenset({("endpoint", "depth")})
    assert scraped[("hashkey_request_duration_seconds_count", depth)] == 1
    assert scraped[("hashkey_request_duration_seconds_sum", depth)] > 0
    inf = frozenset({("endpoint", "depth"), ("le", "+Inf")})
    assert scraped[("hashkey_request_duration_seconds_bucket", inf)] == 1
    connection = frozenset({("connection", "public-v2")})
    assert scraped[("hashkey_stream_connected", connection)] == 1
    assert scraped[("hashkey_stream_reconnects_total", connection)] == 0
    received = frozenset({("topic", "depth:BTCUSDT"), ("outcome", "received")})
    assert scraped[("hashkey_subscription_messages_total", received)] >= 1
    assert scraped[("hashkey_in_doubt_orders", frozenset())] == 0


def test_prometheus_client_is_imported_only_when_collecting() -> None:
    code = (
        "import sys, hashkey_async, hashkey_async.metrics, hashkey_async.cli;"
        "assert 'prometheus_client' not in sys.modules, 'imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


async def test_serve_metrics_port_counts_the_exchanges_requests() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hashkey_async", "serve", "--port", "0", "--metrics-port", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(STARTUP):
            lines: list[str] = []
            while not lines or not lines[-1].startswith("Ctrl-C"):
                lines.append((await proc.stdout.readline()).decode().strip())
        found = {
            line.split()[0]: line.split()[1]
            for line in lines
            if line.startswith(("REST", "metrics"))
        }
        async with aiohttp.ClientSession() as http:
            for _ in range(2):
                async with http.get(found["REST"] + "/api/v1/ping") as response:
                    assert response.status == 200
        scraped = await scrape(found["metrics"])
        proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(STARTUP):
            await proc.communicate()
        assert proc.returncode == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    ping = frozenset({("endpoint", "GET /api/v1/ping"), ("outcome", "200")})
    assert scraped[("hashkey_offline_exchange_requests_total", ping)] == 2
