"""``python -m hashkey_async relay``: a real process relaying the offline exchange into Redis."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest
from redis_server import RedisServer

from hashkey_async.models.stream import TradeUpdate
from hashkey_async.relay import RedisStreams
from hashkey_async.testing import OfflineExchange

#: A fresh interpreter importing the CLI takes seconds on a loaded machine.
pytestmark = pytest.mark.timeout(60)


async def test_relay_command_publishes_until_sigterm(redis_server: RedisServer) -> None:
    async with OfflineExchange(market_interval=0.02) as ex:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hashkey_async", "relay", "--redis", redis_server.url,
            "--stream-url", ex.stream_url, "trade:BTCUSDT", "depth:BTCUSDT",
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 40)
            assert line.startswith(b"relaying trade:BTCUSDT, depth:BTCUSDT")
            async with RedisStreams(redis_server.url) as streams, streams.trades("BTCUSDT") as sub:
                trade = await asyncio.wait_for(sub.get(), 10)
            assert type(trade) is TradeUpdate
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 10) == 0
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


async def test_relay_command_refuses_a_bad_topic() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hashkey_async", "relay", "--redis", "redis://127.0.0.1:1/0",
        "trades:BTCUSDT", stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 2
    assert b"topic" in out
