"""One worker process of the multi-process tests: orderTest calls as fast as its limiter allows.

``python order_worker.py REST_URL REDIS_URL SECONDS [--share F] [--suspend S] [--retry S]``
prints ``{"loaded": true}`` once set up and waits for a line on stdin (so all workers start
together), prints ``{"ready": true}`` after its first accepted order, then one JSON line when
the time is up: accepted times, the server's 429s, the limiter's own refusals and its fallback counters
(wall-clock seconds, comparable between processes on one host).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from hashkey_async import HashKeyClient
from hashkey_async.errors import RateLimitError
from hashkey_async.ratelimit import RedisRateLimiter

API_KEY, API_SECRET = "offline-api-key", "offline-api-secret"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    limiter = RedisRateLimiter(
        args.redis,
        margin=args.margin,
        fallback_share=args.share,
        suspend_seconds=args.suspend,
        retry_interval=args.retry,
    )
    accepted: list[float] = []
    server_429: list[float] = []
    refused: list[float] = []
    async with HashKeyClient(
        API_KEY, API_SECRET, base_url=args.rest, rate_limiter=limiter
    ) as client:
        print(json.dumps({"loaded": True}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            try:
                await client.spot.test_order(
                    "BTCUSDT", "BUY", "LIMIT", quantity="0.01", price="20000"
                )
            except RateLimitError as exc:
                if exc.code is None:  # the limiter refused: a suspension is in force
                    refused.append(time.time())
                    wait = min(exc.retry_after or 0.1, deadline - time.monotonic())
                    await asyncio.sleep(max(wait, 0.0))
                else:
                    server_429.append(time.time())
                continue
            accepted.append(time.time())
            if len(accepted) == 1:
                print(json.dumps({"ready": True}), flush=True)
    result = {
        "accepted": accepted,
        "server_429": server_429,
        "refused": refused,
        "fallbacks": limiter.fallbacks,
        "in_fallback": limiter.in_fallback,
    }
    await limiter.aclose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rest")
    parser.add_argument("redis")
    parser.add_argument("seconds", type=float)
    parser.add_argument("--share", type=float, default=0.25)
    parser.add_argument("--suspend", type=float, default=60.0)
    parser.add_argument("--retry", type=float, default=1.0)
    parser.add_argument("--margin", type=float, default=0.05)
    print(json.dumps(asyncio.run(run(parser.parse_args()))), flush=True)


if __name__ == "__main__":
    main()
