"""Several worker processes on one API key, one RedisRateLimiter each, one offline exchange.

The exchange enforces 10 orders per rolling second per key and answers 429 past it, so "no
429" means no rolling window at the exchange ever held more than the limit.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from redis_server import RedisServer

from hashkey_async.testing import OfflineExchange

pytestmark = pytest.mark.timeout(40)

WORKER = Path(__file__).with_name("order_worker.py")
#: Margin against loopback jitter on a loaded CI machine (the default is 0.05 s).
MARGIN = "0.1"


class Workers:
    """``count`` order_worker.py processes started together; always reaped."""

    def __init__(self) -> None:
        self.procs: list[asyncio.subprocess.Process] = []

    async def start(self, count: int, argv: Sequence[str]) -> None:
        for _ in range(count):
            self.procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    str(WORKER),
                    *argv,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                )
            )
        # Start-up takes seconds on a loaded machine: let them all begin at once.
        for proc in self.procs:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert json.loads(line) == {"loaded": True}
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()

    async def ready(self) -> None:
        """Return once every worker has had an order accepted."""
        for proc in self.procs:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 20)
            assert json.loads(line) == {"ready": True}

    async def results(self) -> list[dict[str, Any]]:
        """Each worker's final report (they stop on their own when their time is up)."""
        out = []
        for proc in self.procs:
            assert proc.stdout is not None
            report = {"ready": True}
            while report == {"ready": True}:  # unless ``ready`` already read it
                report = json.loads(await asyncio.wait_for(proc.stdout.readline(), 20))
            out.append(report)
            assert await asyncio.wait_for(proc.wait(), 10) == 0
        return out

    def reap(self) -> None:
        for proc in self.procs:
            if proc.returncode is None:
                proc.kill()


@pytest.fixture
async def workers() -> Any:
    group = Workers()
    try:
        yield group
    finally:
        group.reap()
        for proc in group.procs:
            await proc.wait()


async def test_four_processes_never_exceed_the_limit(
    redis_server: RedisServer, workers: Workers
) -> None:
    async with OfflineExchange(order_rate=10) as ex:
        await workers.start(4, [ex.rest_url, redis_server.url, "2.5", "--margin", MARGIN])
        results = await workers.results()
    assert [r["server_429"] for r in results] == [[]] * 4
    counts = [len(r["accepted"]) for r in results]
    # ~10/s for ~2.5 s (three windows); no process starves: each gets a turn in every window
    # it waits through (how many more depends on how fast it comes back for the next one).
    assert sum(counts) >= 15, counts
    assert min(counts) >= 2, counts


async def test_a_429_in_one_process_suspends_all(
    redis_server: RedisServer, workers: Workers
) -> None:
    async with OfflineExchange(order_rate=10) as ex:
        argv = [ex.rest_url, redis_server.url, "3.5", "--margin", MARGIN, "--suspend", "1.0"]
        await workers.start(3, argv)
        await workers.ready()
        ex.rate_limit_storm(1)  # the next signed request, whoever sends it, gets a 429
        results = await workers.results()
    hits = [t for r in results for t in r["server_429"]]
    assert len(hits) == 1  # the others never sent into the suspension
    hit = hits[0]
    # Processes that asked during the 1 s suspension were refused by their own limiter...
    assert [t for r in results for t in r["refused"] if hit <= t < hit + 1.0]
    for r in results:
        # ...so none had an order accepted while it was in force (0.1 s for orders already in
        # flight), and every one resumed after it
        assert not [t for t in r["accepted"] if hit + 0.1 < t < hit + 0.9], r
        assert any(t >= hit + 1.0 for t in r["accepted"]), r


async def test_redis_killed_mid_run_falls_back_then_recovers(
    redis_server: RedisServer, workers: Workers
) -> None:
    async with OfflineExchange(order_rate=10) as ex:
        argv = [ex.rest_url, redis_server.url, "5", "--margin", MARGIN]
        await workers.start(4, [*argv, "--share", "0.25", "--retry", "0.5"])
        await workers.ready()
        redis_server.kill()
        await asyncio.sleep(1.0)  # the outage being simulated lasts a second
        redis_server.start()
        results = await workers.results()  # each stops on time: nothing hung
    assert [r["server_429"] for r in results] == [[]] * 4
    assert all(r["fallbacks"] >= 1 for r in results)
    assert not any(r["in_fallback"] for r in results)  # all back on Redis
    assert all(len(r["accepted"]) >= 3 for r in results)
