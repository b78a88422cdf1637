"""Per-call time of a signed ``client.spot.create_order`` vs bare aiohttp + HMAC.

Both hit the same small aiohttp server on 127.0.0.1, started by this script in a child
process (so its CPU time is not charged to the client being measured); it answers
``POST /api/v1.1/spot/order`` with the reference's "Create Order v1.1" example. The bare
variant does the minimum a careful hand-written caller does: urlencode the parameters with a
timestamp and a client order id, HMAC-SHA256 them, POST with the key header, check the status
and decode the same typed ``Order``. Ours adds local validation, enum/decimal handling,
client-order-id generation, the rate limiter (rate raised so it never waits), the server
clock and the error mapping. Variants run interleaved in rounds (order rotated each round);
the ratio reported is the median over rounds of each round's time / the same round's bare
time. Target: client <= 1.15x bare.

Run: ``python benchmarks/create_order_overhead.py [--calls 300] [--rounds 15]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import multiprocessing
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp
import msgspec
from aiohttp import web

from hashkey_async import HashKeyClient
from hashkey_async.models.trading import Order

__all__ = ["main"]

KEY = "bench-api-key"
SECRET = "bench-api-secret"
ORDER_BODY = json.dumps(
    {
        "accountId": "1464567707961719552",
        "symbol": "ETHUSD",
        "symbolName": "ETHUSD",
        "clientOrderId": "99999888905",
        "orderId": "1563277167764290304",
        "transactTime": "1701093160541",
        "price": "1900",
        "origQty": "0.03",
        "executedQty": "0",
        "status": "NEW",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
        "reqAmount": "0",
        "concentration": "",
    }
).encode()


def _serve(port: int, ready: Any) -> None:
    """Child process: answer every order with the same body until killed."""

    async def order_handler(_: web.Request) -> web.Response:
        return web.Response(body=ORDER_BODY, content_type="application/json")

    async def run() -> None:
        app = web.Application()
        app.router.add_post("/api/v1.1/spot/order", order_handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(run())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _per_call(call: Callable[[], Awaitable[object]], calls: int) -> float:
    """Seconds per call over ``calls`` sequential calls."""
    start = time.perf_counter()
    for _ in range(calls):
        await call()
    return (time.perf_counter() - start) / calls


async def _bench(base: str, calls: int, rounds: int) -> dict[str, list[float]]:
    decoder = msgspec.json.Decoder(Order, strict=False)
    url = f"{base}/api/v1.1/spot/order"
    session = aiohttp.ClientSession()
    client = HashKeyClient(
        KEY, SECRET, base_url=base, order_rate=1_000_000_000, time_sync_interval=None
    )
    secret = SECRET.encode()
    headers = {"X-HK-APIKEY": KEY}
    ids = itertools.count()

    async def bare() -> Order:
        query = urlencode(
            {
                "symbol": "ETHUSD",
                "side": "BUY",
                "type": "LIMIT",
                "quantity": "0.03",
                "price": "1900",
                "newClientOrderId": f"bare-{next(ids)}",
                "recvWindow": 5000,
                "timestamp": time.time_ns() // 1_000_000,
            }
        )
        signature = hmac.new(secret, query.encode(), hashlib.sha256).hexdigest()
        async with session.post(f"{url}?{query}&signature={signature}", headers=headers) as resp:
            if resp.status != 200:
                raise RuntimeError(resp.status)
            return decoder.decode(await resp.read())

    async def ours() -> Order:
        return await client.spot.create_order(
            "ETHUSD", "BUY", "LIMIT", quantity="0.03", price="1900"
        )

    variants = {"bare aiohttp+HMAC": bare, "hashkey_async": ours}
    results: dict[str, list[float]] = {name: [] for name in variants}
    try:
        for call in variants.values():  # warm up connections, caches, code paths
            await _per_call(call, max(50, calls // 10))
        names = list(variants)
        for n in range(rounds):
            for name in names[n % len(names) :] + names[: n % len(names)]:
                results[name].append(await _per_call(variants[name], calls))
    finally:
        await client.close()
        await session.close()
    return results


def main(argv: list[str] | None = None) -> int:
    """Start the local server, run the rounds, print per-call times and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls per variant per round")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)

    port = _free_port()
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(port, ready), daemon=True)
    server.start()
    try:
        if not ready.wait(10):
            print("local server did not start", file=sys.stderr)
            return 1
        results = asyncio.run(_bench(f"http://127.0.0.1:{port}", args.calls, args.rounds))
    finally:
        server.terminate()
        with contextlib.suppress(Exception):
            server.join(5)

    bare_times = results["bare aiohttp+HMAC"]
    print(
        f"POST /api/v1.1/spot/order (signed LIMIT order), {args.rounds} rounds x {args.calls} "
        "sequential calls per variant; per-call time, and median of per-round ratios to bare:"
    )
    ratios: dict[str, float] = {}
    for name, times in results.items():
        ratios[name] = statistics.median(t / b for t, b in zip(times, bare_times, strict=True))
        print(
            f"  {name:<20} median {statistics.median(times) * 1e6:8.1f} us/call"
            f"   best {min(times) * 1e6:8.1f} us/call   {ratios[name]:5.2f}x bare"
        )
    ratio = ratios["hashkey_async"]
    print(
        f"hashkey_async / bare = {ratio:.3f}  (target <= 1.15) -> {'OK' if ratio <= 1.15 else 'OVER'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
