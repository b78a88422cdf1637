"""N processes on one API key against the offline exchange (10 orders/s): local vs Redis limiter.

Each worker process places orderTest calls as fast as its limiter lets it for ``--seconds``
(all start together). With the default local limiter every process believes it has the whole
10 orders/s: the exchange answers 429, each process sits out its one-minute suspension and the
key's throughput collapses. With one ``RedisRateLimiter`` per process (one Redis server) they
share the budget. Printed per mode: accepted orders/s, 429s, and the time each acquire took
(p50/p99: waiting for a turn included). Separately, the cost of one uncontended acquire
(local vs one Redis round trip). Targets (4 processes): Redis limiter >= 9 accepted orders/s
and 0 x 429, measured in the same run as the local limiters.

Run: ``python benchmarks/shared_rate_limit.py [--processes 4] [--seconds 8] [--quick]``
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from typing import Any

from _harness import Target, parse_args, report
from _redis import redis_server

from hashkey_async import HashKeyClient
from hashkey_async.errors import RateLimitError
from hashkey_async.ratelimit import Bucket, Limiter, RateLimiter, RedisRateLimiter
from hashkey_async.testing import OfflineExchange

__all__ = ["main"]

RATE_TARGET = Target("shared_rate_limit: redis accepted orders/s", ">=", 9.0, "")
REJECT_TARGET = Target("shared_rate_limit: redis 429s", "<=", 0.0, "")
FULL = {"processes": 4, "seconds": 8, "acquires": 2000}
QUICK = {"processes": 2, "seconds": 1, "acquires": 50}


class TimedLimiter:
    """Wraps a limiter and records how long each ``acquire`` took (seconds)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.waits: list[float] = []

    def bind_key(self, api_key: str | None) -> None:
        self.inner.bind_key(api_key)

    async def acquire(self, bucket: Bucket, weight: int = 1) -> None:
        start = time.perf_counter()
        try:
            await self.inner.acquire(bucket, weight)
        finally:
            self.waits.append(time.perf_counter() - start)

    def check(self, bucket: Bucket) -> None:
        self.inner.check(bucket)

    def suspend(self, bucket: Bucket, seconds: float | None = None) -> None:
        self.inner.suspend(bucket, seconds)

    def throttle(self, bucket: Bucket, seconds: float | None = None) -> float:
        result: float = self.inner.throttle(bucket, seconds)
        return result

    def ban(self, seconds: float | None = None) -> None:
        self.inner.ban(seconds)


async def worker(rest: str, redis_url: str | None, seconds: float) -> dict[str, Any]:
    """One process: orders until the time is up (after the parent's "go"); its counts."""
    inner = RedisRateLimiter(redis_url) if redis_url else RateLimiter()
    limiter = TimedLimiter(inner)
    assert isinstance(limiter, Limiter)
    accepted = rejected = refused = 0
    async with HashKeyClient(
        "offline-api-key", "offline-api-secret", base_url=rest, rate_limiter=limiter
    ) as client:
        print("loaded", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                await client.spot.test_order(
                    "BTCUSDT", "BUY", "LIMIT", quantity="0.01", price="20000"
                )
                accepted += 1
            except RateLimitError as exc:
                if exc.code is not None:
                    rejected += 1  # the exchange said 429
                    continue
                refused += 1  # our limiter: suspended; wait as an application would
                await asyncio.sleep(
                    min(exc.retry_after or 1.0, max(deadline - time.monotonic(), 0))
                )
    if isinstance(inner, RedisRateLimiter):
        await inner.aclose()
    return {"accepted": accepted, "rejected": rejected, "refused": refused, "waits": limiter.waits}


async def run_mode(processes: int, seconds: float, redis_url: str | None) -> dict[str, Any]:
    """``processes`` workers on one key against a fresh exchange; their summed counts."""
    async with OfflineExchange(order_rate=10) as ex:
        argv = [__file__, "--worker", ex.rest_url, redis_url or "-", str(seconds)]
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable, *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
            )
            for _ in range(processes)
        ]
        for proc in procs:
            assert proc.stdout is not None
            await proc.stdout.readline()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
        results = []
        for proc in procs:
            out, _ = await proc.communicate()
            results.append(json.loads(out))
    waits = sorted(w for r in results for w in r["waits"])
    return {
        "rate": sum(r["accepted"] for r in results) / seconds,
        "rejected": sum(r["rejected"] for r in results),
        "refused": sum(r["refused"] for r in results),
        "p50": waits[len(waits) // 2] if waits else 0.0,
        "p99": waits[min(len(waits) - 1, int(len(waits) * 0.99))] if waits else 0.0,
        "per_process": [r["accepted"] for r in results],
    }


async def acquire_cost(redis_url: str, count: int) -> dict[str, list[float]]:
    """Seconds per uncontended acquire: local limiter vs one Lua round trip to Redis."""
    big = 10**9
    local = RateLimiter(big, big)
    shared = RedisRateLimiter(redis_url, namespace="bench-cost", order_rate=big, query_rate=big)
    samples: dict[str, list[float]] = {"local": [], "redis": []}
    for name, limiter in (("local", local), ("redis", shared)):
        for _ in range(count):
            start = time.perf_counter()
            await limiter.acquire(Bucket.ORDER)
            samples[name].append(time.perf_counter() - start)
    await shared.aclose()
    return samples


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main(argv: list[str] | None = None) -> int:
    """Run both modes and the acquire cost, print the table and the RESULT lines."""
    args = parse_args(__doc__ or "", FULL, QUICK, argv)
    with redis_server() as url:
        local = asyncio.run(run_mode(args.processes, args.seconds, None))
        shared = asyncio.run(run_mode(args.processes, args.seconds, url))
        cost = asyncio.run(acquire_cost(url, args.acquires))
    print(
        f"{args.processes} processes x one key, {args.seconds} s, exchange enforcing 10 orders/s "
        "(429 -> one-minute suspension):"
    )
    for name, r in (("local limiters", local), ("RedisRateLimiter", shared)):
        print(
            f"  {name:<17} accepted {r['rate']:6.2f} orders/s  429s {r['rejected']:3d}"
            f"  refused locally {r['refused']:4d}  acquire p50 {r['p50'] * 1e3:7.1f} ms"
            f"  p99 {r['p99'] * 1e3:7.1f} ms  per process {r['per_process']}"
        )
    print(f"uncontended acquire, {args.acquires} calls:")
    for name, values in cost.items():
        print(
            f"  {name:<6} p50 {statistics.median(values) * 1e6:8.1f} us"
            f"  p99 {_pct(values, 0.99) * 1e6:8.1f} us"
        )
    report(RATE_TARGET, shared["rate"])
    report(REJECT_TARGET, float(shared["rejected"]))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        rest, redis_url, seconds = sys.argv[2], sys.argv[3], float(sys.argv[4])
        result = asyncio.run(worker(rest, None if redis_url == "-" else redis_url, seconds))
        print(json.dumps(result))
    else:
        sys.exit(main())
