"""Per-call time of ``client.market.depth`` vs bare aiohttp + msgspec vs ccxt's async hashkey.

All three hit the same small aiohttp server on 127.0.0.1, started by this script in a child
process (so its CPU time is not charged to the client being measured). The server answers
``/quote/v1/depth`` with a fixed 100-level book and ``/api/v1/exchangeInfo`` with one symbol
(ccxt loads markets first). Variants run interleaved in rounds (order rotated each round);
the ratio reported is the median over rounds of each round's time / the same round's bare time,
which is robust to load from other processes drifting during the run.
ccxt's own throttle is turned off (``enableRateLimit=False``), as public calls of our client are
not throttled per key either. Target: client <= 1.10x bare.

Run: ``python benchmarks/rest_overhead.py [--calls 200] [--rounds 15]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import msgspec
from aiohttp import web

from hashkey_async import HashKeyClient
from hashkey_async.models.market import Depth

__all__ = ["main"]

SYMBOL = "BTCUSDT"
LEVELS = 100


def _depth_body() -> bytes:
    bids = [[f"{64000 - i * 0.5:.2f}", f"{0.001 * (i + 1):.5f}"] for i in range(LEVELS)]
    asks = [[f"{64000.5 + i * 0.5:.2f}", f"{0.002 * (i + 1):.5f}"] for i in range(LEVELS)]
    return json.dumps({"t": 1721909189304, "b": bids, "a": asks}).encode()


def _exchange_info_body() -> bytes:
    symbol = {
        "symbol": SYMBOL,
        "symbolName": SYMBOL,
        "status": "TRADING",
        "baseAsset": "BTC",
        "baseAssetName": "BTC",
        "baseAssetPrecision": "0.00001",
        "quoteAsset": "USDT",
        "quoteAssetName": "USDT",
        "quotePrecision": "0.0000001",
        "retailAllowed": True,
        "piAllowed": True,
        "corporateAllowed": True,
        "omnibusAllowed": True,
        "icebergAllowed": False,
        "isAggregate": False,
        "allowMargin": False,
        "filters": [
            {
                "minPrice": "0.01",
                "maxPrice": "100000",
                "tickSize": "0.01",
                "filterType": "PRICE_FILTER",
            },
            {"minQty": "0.00001", "maxQty": "8", "stepSize": "0.00001", "filterType": "LOT_SIZE"},
            {"minNotional": "1", "filterType": "MIN_NOTIONAL"},
        ],
    }
    return json.dumps(
        {
            "timezone": "UTC",
            "serverTime": "1721661653952",
            "brokerFilters": [],
            "symbols": [symbol],
            "coins": [],
            "contracts": [],
            "options": [],
        }
    ).encode()


def _serve(port: int, ready: Any) -> None:
    """Child process: serve the two endpoints until killed."""
    depth, info = _depth_body(), _exchange_info_body()

    async def depth_handler(_: web.Request) -> web.Response:
        return web.Response(body=depth, content_type="application/json")

    async def info_handler(_: web.Request) -> web.Response:
        return web.Response(body=info, content_type="application/json")

    async def run() -> None:
        app = web.Application()
        app.router.add_get("/quote/v1/depth", depth_handler)
        app.router.add_get("/api/v1/exchangeInfo", info_handler)
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
    import ccxt.async_support as ccxt_async

    decoder = msgspec.json.Decoder(Depth, strict=False)
    url = f"{base}/quote/v1/depth?symbol={SYMBOL}&limit={LEVELS}"
    session = aiohttp.ClientSession()
    client = HashKeyClient(base_url=base)
    exchange = ccxt_async.hashkey(
        {"enableRateLimit": False, "urls": {"api": {"public": base, "private": base}}}
    )

    async def bare() -> Depth:
        async with session.get(url) as response:
            if response.status != 200:
                raise RuntimeError(response.status)
            return decoder.decode(await response.read())

    async def ours() -> Depth:
        return await client.market.depth(SYMBOL, limit=LEVELS)

    async def via_ccxt() -> object:
        return await exchange.fetch_order_book("BTC/USDT", LEVELS)

    variants = {"bare aiohttp+msgspec": bare, "hashkey_async": ours, "ccxt async hashkey": via_ccxt}
    results: dict[str, list[float]] = {name: [] for name in variants}
    try:
        await exchange.load_markets()
        for call in variants.values():  # warm up connections, caches, code paths
            await _per_call(call, max(50, calls // 10))
        names = list(variants)
        for n in range(rounds):
            # Rotate the order each round so no variant always runs first (or last).
            for name in names[n % len(names) :] + names[: n % len(names)]:
                results[name].append(await _per_call(variants[name], calls))
    finally:
        await exchange.close()
        await client.close()
        await session.close()
    return results


def main(argv: list[str] | None = None) -> int:
    """Start the local server, run the rounds, print per-call times and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per variant per round")
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

    bare_times = results["bare aiohttp+msgspec"]
    print(
        f"GET /quote/v1/depth ({LEVELS} levels a side), {args.rounds} rounds x {args.calls} "
        "sequential calls per variant; per-call time, and median of per-round ratios to bare:"
    )
    ratios: dict[str, float] = {}
    for name, times in results.items():
        ratios[name] = statistics.median(t / b for t, b in zip(times, bare_times, strict=True))
        print(
            f"  {name:<22} median {statistics.median(times) * 1e6:8.1f} us/call"
            f"   best {min(times) * 1e6:8.1f} us/call   {ratios[name]:5.2f}x bare"
        )
    ratio = ratios["hashkey_async"]
    print(
        f"hashkey_async / bare = {ratio:.3f}  (target <= 1.10) -> {'OK' if ratio <= 1.10 else 'OVER'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
