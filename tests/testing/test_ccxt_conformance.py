"""An independent client against the offline exchange: ccxt's ``hashkey`` class, unmodified.

Only its URLs are pointed at a local ``OfflineExchange``; every call must succeed (ccxt
raises on any non-200 answer, a 429 included). Private
calls are paced to the exchange's per-key limits (reference, "Order Rate Limiting": 10
orders/s, 2 queries/s) by ``Pacer`` below, never by loosening the exchange. Public calls
are not counted per key.

What ccxt 4.5 expects that the reference does not document (and the exchange therefore
does not serve): ``POST /api/v1/spot/batchOrders`` (``create_orders``; the reference has
batch orders on v1.1 only), the ``INPUT-SOURCE``/``broker_sign`` headers (ignored), and
the futures endpoints. Order creation on ``/api/v1/spot/order`` is served because the
reference's own curl examples use that path.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import ccxt.async_support as ccxt_async
import pytest

from hashkey_async.testing import OfflineExchange

T = TypeVar("T")

#: Extra seconds per rolling window, so network jitter cannot put limit + 1 calls into the
#: server's one-second window.
WINDOW_MARGIN = 0.1


class Pacer:
    """At most ``rate`` calls per second per bucket, waiting (not failing) when full."""

    def __init__(self, rates: dict[str, int]) -> None:
        self._rates = rates
        self._sent: dict[str, deque[float]] = {bucket: deque() for bucket in rates}

    async def call(self, bucket: str, make: Callable[[], Awaitable[T]]) -> T:
        """Wait for room in ``bucket``, then run the call."""
        loop = asyncio.get_running_loop()
        sent = self._sent[bucket]
        if len(sent) >= self._rates[bucket]:
            await asyncio.sleep(max(0.0, sent[0] + 1.0 + WINDOW_MARGIN - loop.time()))
            sent.popleft()
        sent.append(loop.time())
        return await make()


@pytest.fixture
async def ccxt_pair() -> AsyncIterator[tuple[OfflineExchange, Any, Pacer]]:
    async with OfflineExchange() as exchange:
        client = ccxt_async.hashkey(
            {
                "apiKey": exchange.api_key,
                "secret": exchange.api_secret,
                "timeout": 10_000,
                # ccxt's own throttle spaces calls by its cost table; Pacer paces to the
                # exchange's documented per-key limits instead.
                "enableRateLimit": False,
            }
        )
        client.urls["api"] = {"public": exchange.rest_url, "private": exchange.rest_url}
        pacer = Pacer({"order": exchange.config.order_rate, "query": exchange.config.query_rate})
        try:
            yield exchange, client, pacer
        finally:
            await client.close()


async def test_ccxt_hashkey_runs_its_spot_workflow_against_the_offline_exchange(
    ccxt_pair: tuple[OfflineExchange, Any, Pacer],
) -> None:
    exchange, client, pacer = ccxt_pair
    # --- public ---------------------------------------------------------------------------
    markets = await client.load_markets()
    assert {"BTC/USDT", "ETH/USDT"} <= set(markets)
    btc = markets["BTC/USDT"]
    assert (btc["id"], btc["spot"], btc["precision"]["price"]) == ("BTCUSDT", True, 0.01)
    assert {"BTC", "USDT"} <= set(client.currencies)

    server_time = await client.fetch_time()
    assert abs(server_time - exchange.now_ms()) < 5_000

    book = await client.fetch_order_book("BTC/USDT", limit=5)
    assert len(book["bids"]) == len(book["asks"]) == 5
    best_bid, best_ask = book["bids"][0][0], book["asks"][0][0]
    assert best_bid < best_ask

    ticker = await client.fetch_ticker("BTC/USDT")
    assert ticker["symbol"] == "BTC/USDT" and ticker["last"] > 0

    trades = await client.fetch_trades("BTC/USDT", limit=10)
    assert 0 < len(trades) <= 10 and all(t["symbol"] == "BTC/USDT" for t in trades)

    candles = await client.fetch_ohlcv("BTC/USDT", "1m", limit=5)
    assert len(candles) == 5 and all(len(c) == 6 for c in candles)
    assert [c[0] for c in candles] == sorted(c[0] for c in candles)

    # --- private, paced -------------------------------------------------------------------
    balance = await pacer.call("query", lambda: client.fetch_balance())
    assert balance["USDT"]["free"] == float(exchange.config.balances["USDT"])

    price = float((Decimal(str(best_bid)) * Decimal("0.9")).quantize(Decimal("0.01")))
    resting = await pacer.call(
        "order", lambda: client.create_order("BTC/USDT", "limit", "buy", 0.01, price)
    )
    assert resting["id"] and resting["status"] == "open"

    fetched = await pacer.call("query", lambda: client.fetch_order(resting["id"], "BTC/USDT"))
    assert (fetched["id"], fetched["status"], fetched["amount"]) == (resting["id"], "open", 0.01)

    open_orders = await pacer.call("query", lambda: client.fetch_open_orders("BTC/USDT"))
    assert [o["id"] for o in open_orders] == [resting["id"]]

    cancelled = await pacer.call("order", lambda: client.cancel_order(resting["id"], "BTC/USDT"))
    assert cancelled["id"] == resting["id"]
    assert exchange.engine.orders[int(resting["id"])].status == "CANCELED"

    # a limit buy above the ask fills at once, so there is a trade of ours to list
    taker = await pacer.call(
        "order", lambda: client.create_order("BTC/USDT", "limit", "buy", 0.01, best_ask * 1.05)
    )
    assert taker["id"]
    mine = await pacer.call("query", lambda: client.fetch_my_trades("BTC/USDT"))
    assert mine and {t["order"] for t in mine} == {taker["id"]}
    assert sum(t["amount"] for t in mine) == pytest.approx(0.01)
