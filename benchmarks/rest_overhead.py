"""Per-call time of ``client.market.depth`` vs bare aiohttp + msgspec vs ccxt's async hashkey.

All three hit the same small aiohttp server on 127.0.0.1 in a child process (so its CPU time
is not charged to the client being measured). The server answers ``/quote/v1/depth`` with a
fixed 100-level book and ``/api/v1/exchangeInfo`` with one symbol (ccxt loads markets first).
Variants run interleaved in rounds (order rotated each round); the ratio is the median over
rounds of each round's time / the same round's bare time. ccxt's own throttle is turned off
(``enableRateLimit=False``), as public calls of our client are not throttled per key either.
Target: client <= 1.10x bare.

Run: ``python benchmarks/rest_overhead.py [--calls 200] [--rounds 15] [--quick]``
"""

from __future__ import annotations

import json
import sys

import aiohttp
import msgspec
from _harness import Target, compare_over_http, depth_levels, parse_args, per_call, rounds

from hashkey_async import HashKeyClient
from hashkey_async.models.market import Depth

__all__ = ["main"]

SYMBOL = "BTCUSDT"
LEVELS = 100
TARGET = Target("rest_overhead: market.depth / bare", "<=", 1.10)
FULL = {"calls": 200, "rounds": 15}
QUICK = {"calls": 10, "rounds": 2}


def _depth_body() -> bytes:
    bids, asks = depth_levels(LEVELS)
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


async def _bench(base: str, calls: int, count: int) -> dict[str, list[float]]:
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
    try:
        await exchange.load_markets()
        for call in variants.values():  # warm up connections, caches, code paths
            await per_call(call, max(5, calls // 4))()
        return await rounds({name: per_call(call, calls) for name, call in variants.items()}, count)
    finally:
        await exchange.close()
        await client.close()
        await session.close()


def main(argv: list[str] | None = None) -> int:
    """Start the local server, run the rounds, print per-call times and the ratio."""
    args = parse_args(__doc__, FULL, QUICK, argv)
    routes = {
        ("GET", "/quote/v1/depth"): _depth_body(),
        ("GET", "/api/v1/exchangeInfo"): _exchange_info_body(),
    }
    what = f"GET /quote/v1/depth ({LEVELS} levels a side)"
    return compare_over_http(
        routes, _bench, args, what=what, base="bare aiohttp+msgspec", target=TARGET
    )


if __name__ == "__main__":
    sys.exit(main())
