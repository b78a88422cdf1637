"""Resident memory growth of ``client.stream.depth`` over 20k depth frames (target < 20 MB).

A child process serves ``--frames`` V2 depth frames of ``--levels`` levels a side (distinct
``t`` and quantities per frame, so nothing is shared between frames) on 127.0.0.1. The client
consumes them with ``async for``; RSS is sampled after a warm-up of ``--warmup`` frames and every
1000 frames after. Reported: RSS after warm-up, the peak RSS (``ru_maxrss``) and the growth.

Run: ``python benchmarks/stream_memory.py [--frames 20000] [--levels 200]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import time
from multiprocessing.connection import Connection as Pipe

import aiohttp
from aiohttp import web

from hashkey_async import HashKeyClient

__all__ = ["main"]


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _server(pipe: Pipe, count: int, levels: int, pace_every: int) -> None:
    def frame(t: int) -> str:
        bids = [
            [f"{86296.37 - i * 0.07:.2f}", f"0.{(t * 7 + i) % 99999:05d}"] for i in range(levels)
        ]
        asks = [
            [f"{86296.38 + i * 0.07:.2f}", f"0.{(t * 3 + i) % 99999:05d}"] for i in range(levels)
        ]
        data = {"s": "BTCUSDT", "t": t, "v": f"{t}_2", "b": bids, "a": asks}
        return json.dumps({"topic": "depth", "params": {"symbol": "BTCUSDT"}, "data": data})

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
                for t in range(1, count + 1):
                    await ws.send_str(frame(t))
                    if t % pace_every == 0:
                        await asyncio.sleep(0.001)  # let the client keep up: measure, not buffer
        return ws

    async def run() -> None:
        app = web.Application()
        app.router.add_get("/quote/ws/v2", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        pipe.send(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        await runner.cleanup()

    asyncio.run(run())


async def measure(port: int, count: int, warmup: int) -> None:
    """Consume every frame; print RSS after warm-up, peak, and growth."""
    samples: list[float] = []
    baseline = 0.0
    peak_before = 0.0
    delivered = 0
    async with HashKeyClient(stream_url=f"ws://127.0.0.1:{port}") as client:
        async for book in client.stream.depth("BTCUSDT"):
            delivered += 1
            if book.time >= warmup and not baseline:
                baseline = _rss_mb()
                peak_before = _peak_mb()
            if book.time % 1000 == 0:
                samples.append(_rss_mb())
            if book.time == count:
                break
        stats = client.stream.stats["public-v2"]
        ingested = stats.messages
    peak = _peak_mb()
    print(f"{count} V2 depth frames: {ingested} ingested, {delivered} reached the loop (conflated)")
    print(f"  RSS after {warmup}-frame warm-up   {baseline:8.1f} MB")
    print(f"  RSS at end                      {samples[-1]:8.1f} MB")
    print(f"  max RSS sampled (every 1000)     {max(samples):8.1f} MB")
    print(f"  peak RSS (ru_maxrss)            {peak:8.1f} MB (was {peak_before:.1f} at warm-up)")
    growth = max(max(samples), peak) - baseline
    print(f"  max growth                      {growth:8.1f} MB (target < 20 MB)")


def main() -> None:
    """Parse arguments, start the server process, measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20000)
    parser.add_argument("--levels", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--pace-every", type=int, default=50)
    args = parser.parse_args()
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(
        target=_server, args=(child, args.frames, args.levels, args.pace_every), daemon=True
    )
    proc.start()
    port: int = parent.recv()
    try:
        asyncio.run(measure(port, args.frames, args.warmup))
    finally:
        parent.send("stop")
        proc.join(5)


if __name__ == "__main__":
    main()
