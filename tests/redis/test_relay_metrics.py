"""``relay --metrics-port``: the relay's client counters as Prometheus ``/metrics``."""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis_server import RedisServer

from hashkey_async.relay import RedisStreams
from hashkey_async.testing import OfflineExchange

pytestmark = pytest.mark.timeout(30)


async def test_relay_serves_its_clients_metrics(redis_server: RedisServer) -> None:
    async with OfflineExchange(market_interval=0.02) as ex:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hashkey_async", "relay", "--redis", redis_server.url,
            "--stream-url", ex.stream_url, "--metrics-port", "0", "trade:BTCUSDT",
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            first = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
            assert first.startswith("metrics at http://127.0.0.1:")
            url = first.split()[-1]
            async with RedisStreams(redis_server.url) as streams, streams.trades("BTCUSDT") as sub:
                await asyncio.wait_for(sub.get(), 15)  # the relay is relaying
            async with aiohttp.ClientSession() as http, http.get(url) as response:
                text = await response.text()
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 10) == 0
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("hashkey_stream_connected", frozenset({("connection", "public-v2")}))] == 1
    received = frozenset({("topic", "trade:BTCUSDT"), ("outcome", "received")})
    assert samples[("hashkey_subscription_messages_total", received)] >= 1
