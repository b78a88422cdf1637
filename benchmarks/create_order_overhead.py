"""Per-call time of a signed ``client.spot.create_order`` vs bare aiohttp + HMAC.

Both hit the same small aiohttp server on 127.0.0.1 in a child process (so its CPU time is
not charged to the client being measured); it answers
``POST /api/v1.1/spot/order`` with the reference's "Create Order v1.1" example. The bare
variant does the minimum a careful hand-written caller does: urlencode the parameters with a
timestamp and a client order id, HMAC-SHA256 them, POST with the key header, check the status
and decode the same typed ``Order``. Ours adds local validation, enum/decimal handling,
client-order-id generation, the rate limiter (rate raised so it never waits), the server
clock and the error mapping. Variants run interleaved in rounds (order rotated each round);
the ratio reported is the median over rounds of each round's time / the same round's bare
time. Target: client <= 1.15x bare.

Run: ``python benchmarks/create_order_overhead.py [--calls 300] [--rounds 15] [--quick]``
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import sys
import time
from urllib.parse import urlencode

import aiohttp
import msgspec
from _harness import Target, compare_over_http, parse_args, per_call, reference_answer, rounds

from hashkey_async import HashKeyClient
from hashkey_async.models.trading import Order

__all__ = ["main"]

KEY = "bench-api-key"
SECRET = "bench-api-secret"
TARGET = Target("create_order_overhead: spot.create_order / bare", "<=", 1.15)
FULL = {"calls": 300, "rounds": 15}
QUICK = {"calls": 10, "rounds": 2}
#: The reference's create-order example: the answer served, and the order both variants send.
EXAMPLE = reference_answer("POST /api/v1.1/spot/order")
ORDER_BODY = json.dumps(EXAMPLE).encode()


async def _bench(base: str, calls: int, count: int) -> dict[str, list[float]]:
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
                "symbol": EXAMPLE["symbol"],
                "side": EXAMPLE["side"],
                "type": EXAMPLE["type"],
                "quantity": EXAMPLE["origQty"],
                "price": EXAMPLE["price"],
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
            EXAMPLE["symbol"],
            EXAMPLE["side"],
            EXAMPLE["type"],
            quantity=EXAMPLE["origQty"],
            price=EXAMPLE["price"],
        )

    variants = {"bare aiohttp+HMAC": bare, "hashkey_async": ours}
    try:
        for call in variants.values():  # warm up connections, caches, code paths
            await per_call(call, max(5, calls // 6))()
        return await rounds({name: per_call(call, calls) for name, call in variants.items()}, count)
    finally:
        await client.close()
        await session.close()


def main(argv: list[str] | None = None) -> int:
    """Start the local server, run the rounds, print per-call times and the ratio."""
    args = parse_args(__doc__, FULL, QUICK, argv)
    return compare_over_http(
        {("POST", "/api/v1.1/spot/order"): ORDER_BODY},
        _bench,
        args,
        what="POST /api/v1.1/spot/order (signed LIMIT order)",
        base="bare aiohttp+HMAC",
        target=TARGET,
    )


if __name__ == "__main__":
    sys.exit(main())
