"""Trades through the Redis relay vs a direct stream: messages/s and the delivery latency it adds.

A child process serves a V2 quote stream on 127.0.0.1 that, once ``2`` subscribers are on
(the relay's client and the direct client), broadcasts ``--messages`` trade frames to both at
``--rate`` frames/s (0: as fast as the sockets take them). The relay runs in a second child
process (``run_relay`` into a throwaway redis-server); this process reads the same trades both
directly (``client.stream.trades``) and through the relay (``RedisStreams.trades``), and stamps
each trade id when it arrives on either path. Reported: messages/s of each path at full speed,
and at the paced rate the added latency (relay arrival - direct arrival) p50/p99.
Target: relay >= 0.5x the direct messages/s.

Run: ``python benchmarks/relay.py [--messages 20000] [--rate 1000] [--quick]``
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import statistics
import time
from collections.abc import Iterator
from typing import Any

import aiohttp
from _harness import Target, parse_args, report, serve_in_child
from _redis import redis_server
from aiohttp import web
from redis.asyncio import Redis

from hashkey_async import HashKeyClient
from hashkey_async.models.stream import TradeUpdate
from hashkey_async.relay import RedisStreams, run_relay
from hashkey_async.streams.subscription import Subscription

__all__ = ["main"]

TARGET = Target("relay: relay / direct messages/s", ">=", 0.5)
FULL = {"messages": 20000, "rate": 1000, "paced": 3000}
QUICK = {"messages": 300, "rate": 1000, "paced": 100}


def trade_frame(n: int) -> str:
    """V2 trade frame number ``n`` (its trade id)."""
    data = {"v": str(n), "t": 1700000000000 + n, "p": "60000.10", "q": "0.0012", "m": n % 2 == 0}
    return json.dumps({"topic": "trade", "params": {"symbol": "BTCUSDT"}, "data": data})


def broadcast_app(count: int, rate: int) -> web.Application:
    """``/quote/ws/v2``: after two ``sub``s, ``count`` trade frames to both (``rate``/s; 0 = flat out)."""
    subscribers: list[web.WebSocketResponse] = []
    both = asyncio.Event()
    frames = [trade_frame(n) for n in range(1, count + 1)]

    async def broadcast() -> None:
        await both.wait()
        start = time.perf_counter()
        for n, frame in enumerate(frames, 1):
            for ws in subscribers:
                with contextlib.suppress(ConnectionResetError):
                    await ws.send_str(frame)
            if rate:
                delay = start + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            elif n % 50 == 0:
                await asyncio.sleep(0)

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            if "ping" in data:
                await ws.send_str(json.dumps({"pong": int(time.time() * 1000)}))
            elif data.get("event") == "sub":
                subscribers.append(ws)
                if len(subscribers) == 2:
                    both.set()
        return ws

    async def start(app: web.Application) -> None:
        app["broadcast"] = asyncio.create_task(broadcast())

    app = web.Application()
    app.router.add_get("/quote/ws/v2", handler)
    app.on_startup.append(start)
    return app


def _relay_child(stream_url: str, redis_url: str) -> None:
    async def run() -> None:
        client = HashKeyClient(stream_url=stream_url, stream_queue_size=100_000)
        async with client, Redis.from_url(redis_url) as r:
            await run_relay(r, ["trade:BTCUSDT"], client)

    asyncio.run(run())


@contextlib.contextmanager
def relay_in_child(stream_url: str, redis_url: str) -> Iterator[None]:
    """The relay publisher in its own process for the ``with`` block."""
    # spawn, not fork: this process has a running event loop and open Redis connections
    spawn = multiprocessing.get_context("spawn")
    proc = spawn.Process(target=_relay_child, args=(stream_url, redis_url), daemon=True)
    proc.start()
    try:
        yield
    finally:
        proc.terminate()
        proc.join(5)


async def measure(stream_url: str, redis_url: str, count: int) -> dict[str, dict[int, float]]:
    """Arrival time (perf_counter) of every trade id on each path."""
    arrivals: dict[str, dict[int, float]] = {"direct": {}, "relay": {}}

    async def follow(name: str, sub: Subscription[Any]) -> None:
        seen = arrivals[name]
        async with sub:
            while True:
                trade = await sub.get()
                if not isinstance(trade, TradeUpdate):
                    continue  # an outage marker: the relay lost trades (its queue overflowed)
                seen[trade.id] = time.perf_counter()
                if trade.id == count:
                    return

    async with RedisStreams(redis_url) as streams, HashKeyClient(stream_url=stream_url) as client:
        relayed = streams.trades("BTCUSDT", queue_size=count + 10)
        direct = client.stream.trades("BTCUSDT", queue_size=count + 10)
        await asyncio.wait_for(
            asyncio.gather(follow("relay", relayed), follow("direct", direct)), 300
        )
    return arrivals


def _rate(stamps: dict[int, float]) -> float:
    times = sorted(stamps.values())
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


def run(count: int, rate: int) -> dict[str, dict[int, float]]:
    """One broadcast of ``count`` trades at ``rate``/s through both paths."""
    with redis_server() as redis_url, serve_in_child(broadcast_app, count, rate) as port:
        stream_url = f"ws://127.0.0.1:{port}"

        async def go() -> dict[str, dict[int, float]]:
            # The relay consumer subscribes before the relay exists, so it reads from the start.
            task = asyncio.create_task(measure(stream_url, redis_url, count))
            await asyncio.sleep(0.5)
            with relay_in_child(stream_url, redis_url):
                return await task

        return asyncio.run(go())


def main(argv: list[str] | None = None) -> int:
    """Full-speed and paced runs; print the table and the RESULT line."""
    args = parse_args(__doc__ or "", FULL, QUICK, argv)
    flat = run(args.messages, 0)
    paced = run(args.paced, args.rate)
    direct_rate, relay_rate = _rate(flat["direct"]), _rate(flat["relay"])
    added = [paced["relay"][n] - paced["direct"][n] for n in paced["direct"]]
    added.sort()
    print(f"trades through the Redis relay vs a direct stream ({args.messages} flat out):")
    print(f"  direct client.stream.trades  {direct_rate:10.0f} messages/s")
    print(
        f"  RedisStreams.trades (relay)  {relay_rate:10.0f} messages/s  {relay_rate / direct_rate:.3f}x"
    )
    print(f"added delivery latency at {args.rate} trades/s ({args.paced} trades):")
    print(
        f"  p50 {statistics.median(added) * 1e3:7.2f} ms"
        f"  p99 {added[min(len(added) - 1, int(len(added) * 0.99))] * 1e3:7.2f} ms"
        f"  (every one of {len(added)} trades arrived on both paths)"
    )
    report(TARGET, relay_rate / direct_rate)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
