"""Frames/s through ``client.stream.depth`` vs a bare aiohttp websocket + msgspec loop.

A child process runs a small aiohttp server on 127.0.0.1 (so its CPU is not charged to the
client): on each ``sub`` it pushes ``--frames`` pre-encoded V2 depth frames (``--levels`` a side)
as fast as the socket takes them; the last one has ``t == frames``. Both variants decode into
the same typed structs (the bare loop uses ``msgspec.json.Decoder(V2Frame)``, the minimal typed
code a user would write) and stop at the last frame. The client's depth subscription conflates,
so besides frames ingested it reports how many reached the ``async for``. Each round runs
both variants (alternating which goes first); the ratio is the median of per-round ratios of
frames per wall second (frames per CPU second shown too). Target: client >= 0.9x bare.

Run: ``python benchmarks/stream_throughput.py [--frames 20000] [--levels 20] [--rounds 7] [--quick]``
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from typing import Any

import aiohttp
import msgspec
from _harness import (
    Target,
    depth_levels,
    parse_args,
    ratio_table,
    report,
    rounds,
    serve_in_child,
    v2_depth,
    ws_app,
)
from aiohttp import web

from hashkey_async import ConnectionState, HashKeyClient
from hashkey_async.models.stream import V2Frame

__all__ = ["depth_frames", "main"]

TARGET = Target("stream_throughput: stream.depth / bare", ">=", 0.90)
FULL = {"frames": 20000, "levels": 20, "rounds": 7}
QUICK = {"frames": 300, "levels": 20, "rounds": 2}
BARE, OURS = "bare aiohttp ws+msgspec", "client.stream.depth"


def depth_frames(count: int, levels: int) -> list[str]:
    """``count`` V2 depth frames numbered 1..count by their ``t``."""
    bids, asks = depth_levels(levels)
    return [json.dumps(v2_depth(t, bids, asks), separators=(",", ":")) for t in range(1, count + 1)]


def _app(count: int, levels: int) -> web.Application:
    frames = depth_frames(count, levels)
    return ws_app(lambda: frames)


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


async def run(port: int, count: int, levels: int, rounds_count: int) -> None:
    """Run both variants each round (alternating which goes first); print the tables."""
    cpu: dict[str, list[float]] = {BARE: [], OURS: []}
    delivered_share: list[float] = []

    async def sample_bare() -> float:
        seconds, used, frames = await bare(port, count)
        cpu[BARE].append(frames / used)
        return frames / seconds

    async def sample_ours() -> float:
        seconds, used, frames, delivered = await ours(port, count)
        cpu[OURS].append(frames / used)
        delivered_share.append(delivered / frames)
        return frames / seconds

    await bare(port, count)  # warm up both paths once
    await ours(port, count)
    wall = await rounds({BARE: sample_bare, OURS: sample_ours}, rounds_count)
    title = f"{count} V2 depth frames, {levels} levels a side, {rounds_count} rounds"
    ratio = ratio_table(
        f"{title}; frames per wall second:",
        wall,
        base=BARE,
        subject=OURS,
        target=TARGET,
        unit="frames/s",
        scale=1,
        higher_is_better=True,
    )
    cpu_ratios = [o / b for o, b in zip(cpu[OURS], cpu[BARE], strict=True)]
    print(
        f"  per CPU second: {BARE} {statistics.median(cpu[BARE]):.0f} frames/s, {OURS} "
        f"{statistics.median(cpu[OURS]):.0f} frames/s -> {statistics.median(cpu_ratios):.3f}x"
    )
    print(f"  delivered to async for: {statistics.median(delivered_share):.1%} (rest conflated)")
    report(TARGET, ratio)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start the server process, run the rounds."""
    args = parse_args(__doc__, FULL, QUICK, argv)
    with serve_in_child(_app, args.frames, args.levels) as port:
        asyncio.run(run(port, args.frames, args.levels, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
