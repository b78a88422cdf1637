"""30 concurrent create_order calls through the limiter never trip a strict 10-orders/s server."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from hashkey_async import HashKeyClient

#: The server's rule: at most this many orders in any rolling window of WINDOW seconds.
LIMIT = 10
WINDOW = 1.0


class RollingServer:
    """Answers 429 to the order that would be the 11th within any rolling second."""

    def __init__(self) -> None:
        self.accepted: deque[float] = deque()
        self.ok = 0
        self.rejected = 0
        self.client_ids: list[str] = []

    async def create(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        while self.accepted and now - self.accepted[0] >= WINDOW:
            self.accepted.popleft()
        if len(self.accepted) >= LIMIT:
            self.rejected += 1
            return web.json_response({"code": "-1015", "msg": "Too many requests"}, status=429)
        self.accepted.append(now)
        self.ok += 1
        cid = request.query["newClientOrderId"]
        self.client_ids.append(cid)
        return web.json_response(
            {
                "symbol": "BTCUSDT",
                "clientOrderId": cid,
                "orderId": str(self.ok),
                "status": "NEW",
                "type": "LIMIT",
                "side": "BUY",
                "price": "100",
                "origQty": "0.01",
            }
        )


@pytest.fixture
async def server() -> AsyncIterator[tuple[RollingServer, str]]:
    state = RollingServer()
    app = web.Application()
    app.router.add_post("/api/v1.1/spot/order", state.create)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield state, f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_thirty_concurrent_orders_see_no_429_and_finish_in_time(
    server: tuple[RollingServer, str],
) -> None:
    state, url = server
    async with HashKeyClient("key", "secret", base_url=url, time_sync_interval=None) as client:
        order: dict[str, Any] = {"quantity": "0.01", "price": "100"}
        started = time.monotonic()
        async with asyncio.timeout(10):
            results = await asyncio.gather(
                *(client.spot.create_order("BTCUSDT", "BUY", "LIMIT", **order) for _ in range(30))
            )
        elapsed = time.monotonic() - started
    assert state.rejected == 0
    assert state.ok == 30
    assert len({o.order_id for o in results}) == 30
    assert len(set(state.client_ids)) == 30
    assert elapsed < 3.5, elapsed
    # 30 orders at 10 per rolling second cannot finish faster than two full windows.
    assert elapsed >= 2 * WINDOW
