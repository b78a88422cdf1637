"""Frames/s through ``client.stream.depth`` vs a bare aiohttp websocket + msgspec loop.

A child process runs a small aiohttp server on 127.0.0.1 (so its CPU is not charged to the
client): on each ``sub`` it pushes ``--frames`` pre-encoded V2 depth frames (``--levels`` a side)
as fast as the socket takes them; the last one has ``t == frames``. Both variants decode into
the same typed structs (the bare loop uses ``msgspec.json.Decoder(V2Frame)``, the minimal typed
code a user would write) and stop at the last frame. The client's depth subscription conflates,
so besides frames ingested it reports how many reached the ``async for``. Each round runs
both variants (alternating which goes first); the median of per-round ratios is reported. Target: client >= 0.9x bare.

Run: ``python benchmarks/stream_throughput.py [--frames 20000] [--levels 20] [--rounds 7]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import time
from multiprocessing.connection import Connection as Pipe
from typing import Any

import aiohttp
import msgspec
from aiohttp import web

from hashkey_async import ConnectionState, HashKeyClient
from hashkey_async.models.stream import V2Frame

__all__ = ["depth_frames", "main", "serve_in_child"]


def depth_frames(count: int, levels: int) -> list[str]:
    """``count`` V2 depth frames numbered 1..count by their ``t``."""
    bids = [[f"{86296.37 - i * 0.07:.2f}", f"{0.00046 + i * 0.00013:.5f}"] for i in range(levels)]
    asks = [[f"{86296.38 + i * 0.07:.2f}", f"{0.00115 + i * 0.00017:.5f}"] for i in range(levels)]
    return [
        json.dumps(
            {
                "topic": "depth",
                "params": {"symbol": "BTCUSDT"},
                "data": {"s": "BTCUSDT", "t": t, "v": f"{t}_2", "b": bids, "a": asks},
            },
            separators=(",", ":"),
        )
        for t in range(1, count + 1)
    ]


def _server(pipe: Pipe, count: int, levels: int) -> None:
    frames = depth_frames(count, levels)

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
                for frame in frames:
                    await ws.send_str(frame)
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


def serve_in_child(count: int, levels: int) -> tuple[multiprocessing.Process, Pipe, int]:
    """Start the frame server in a child process; returns (process, pipe to stop it, port)."""
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=_server, args=(child, count, levels), daemon=True)
    proc.start()
    port: int = parent.recv()
    return proc, parent, port


async def bare(port: int, count: int) -> tuple[float, float, int]:
    """Bare aiohttp + msgspec typed loop: wall and CPU seconds for ``count`` frames, frames."""
    decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(V2Frame)
    url = f"ws://127.0.0.1:{port}/quote/ws/v2"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_str('{"topic":"depth","event":"sub","params":{"symbol":"BTCUSDT"}}')
        start, cpu = time.perf_counter(), time.process_time()
        seen = 0
        async for msg in ws:
            frame = decoder.decode(msg.data)
            seen += 1
            if frame.data.time == count:
                break
        return time.perf_counter() - start, time.process_time() - cpu, seen


async def ours(port: int, count: int) -> tuple[float, float, int, int]:
    """``client.stream.depth``: wall and CPU seconds, frames ingested, frames delivered."""
    async with HashKeyClient(stream_url=f"ws://127.0.0.1:{port}") as client:
        delivered = 0
        start = cpu = 0.0

        def opened(name: str, old: ConnectionState, new: ConnectionState) -> None:
            nonlocal start, cpu
            if new is ConnectionState.OPEN:
                # the subscribe goes out now, as in ``bare``
                start, cpu = time.perf_counter(), time.process_time()

        client.stream.add_listener(opened)
        async for book in client.stream.depth("BTCUSDT"):
            delivered += 1
            if book.time == count:
                break
        elapsed, used = time.perf_counter() - start, time.process_time() - cpu
        return elapsed, used, client.stream.stats["public-v2"].messages, delivered


async def run(count: int, levels: int, rounds: int, port: int) -> None:
    """Run both variants each round (alternating which goes first); print medians."""
    wall: dict[str, list[float]] = {"bare": [], "ours": []}
    cpu: dict[str, list[float]] = {"bare": [], "ours": []}
    delivered_share: list[float] = []
    await bare(port, count)  # warm up both paths once
    await ours(port, count)
    for round_no in range(rounds):
        for name in ("bare", "ours") if round_no % 2 == 0 else ("ours", "bare"):
            if name == "bare":
                seconds, used, frames = await bare(port, count)
            else:
                seconds, used, frames, delivered = await ours(port, count)
                delivered_share.append(delivered / frames)
            wall[name].append(frames / seconds)
            cpu[name].append(frames / used)
    print(f"{count} V2 depth frames, {levels} levels a side, {rounds} rounds (medians)")
    for label, table in (("wall", wall), ("CPU", cpu)):
        ratios = [o / b for o, b in zip(table["ours"], table["bare"], strict=True)]
        b, o = statistics.median(table["bare"]), statistics.median(table["ours"])
        print(
            f"  per {label:4s} second: bare {b:9.0f} frames/s, client.stream.depth {o:9.0f} "
            f"frames/s -> {statistics.median(ratios):.2f}x (per-round min {min(ratios):.2f}, "
            f"max {max(ratios):.2f})"
        )
    print(f"  delivered to async for: {statistics.median(delivered_share):.1%} (rest conflated)")
    print("  target >= 0.9x")


def main() -> None:
    """Parse arguments, start the server process, run the rounds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20000)
    parser.add_argument("--levels", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    proc, pipe, port = serve_in_child(args.frames, args.levels)
    try:
        asyncio.run(run(args.frames, args.levels, args.rounds, port))
    finally:
        pipe.send("stop")
        proc.join(5)


if __name__ == "__main__":
    main()
