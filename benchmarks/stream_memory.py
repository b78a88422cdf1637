"""Resident memory growth of ``client.stream.depth`` over 20k depth frames (target < 20 MB).

A child process serves ``--frames`` V2 depth frames of ``--levels`` levels a side (distinct
``t`` and quantities per frame, so nothing is shared between frames) on 127.0.0.1, pausing
~1 ms every ``--pace-every`` frames so the client is measured rather than the socket buffers.
The client consumes them with ``async for``; RSS is sampled after a warm-up of ``--warmup``
frames and then about every 1/20 of the run. Reported: RSS after warm-up, at the end, the
largest sample, the peak RSS (``ru_maxrss``) and the growth (largest of those minus warm-up).

Run: ``python benchmarks/stream_memory.py [--frames 20000] [--levels 200] [--quick]``
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys

from _harness import Target, parse_args, report, serve_in_child, v2_depth, ws_app
from aiohttp import web

from hashkey_async import HashKeyClient

__all__ = ["main"]

TARGET = Target("stream_memory: RSS growth", "<", 20.0, " MB")
FULL = {"frames": 20000, "levels": 200, "warmup": 1000, "pace_every": 50}
QUICK = {"frames": 1000, "levels": 50, "warmup": 100, "pace_every": 50}


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _frame(t: int, levels: int) -> str:
    """Frame ``t``: quantities depend on ``t``, so no two frames share level strings."""
    bids = [[f"{86296.37 - i * 0.07:.2f}", f"0.{(t * 7 + i) % 99999:05d}"] for i in range(levels)]
    asks = [[f"{86296.38 + i * 0.07:.2f}", f"0.{(t * 3 + i) % 99999:05d}"] for i in range(levels)]
    return json.dumps(v2_depth(t, bids, asks))


def _app(count: int, levels: int, pace_every: int) -> web.Application:
    return ws_app(lambda: (_frame(t, levels) for t in range(1, count + 1)), pace_every)


async def measure(port: int, count: int, warmup: int) -> float:
    """Consume every frame; print RSS after warm-up, at the end and peak; return the growth."""
    samples: list[float] = []
    every = max(1, count // 20)
    next_sample = baseline = peak_before = 0.0
    delivered = 0
    async with HashKeyClient(stream_url=f"ws://127.0.0.1:{port}") as client:
        async for book in client.stream.depth("BTCUSDT"):
            delivered += 1
            if book.time >= warmup and not baseline:
                baseline = _rss_mb()
                peak_before = _peak_mb()
                next_sample = book.time
            if baseline and book.time >= next_sample:  # conflation may skip any given frame
                samples.append(_rss_mb())
                next_sample = book.time + every
            if book.time == count:
                break
        ingested = client.stream.stats["public-v2"].messages
    samples.append(_rss_mb())
    peak = _peak_mb()
    growth = max(max(samples), peak) - baseline
    print(f"{count} V2 depth frames: {ingested} ingested, {delivered} reached the loop (conflated)")
    for label, value, note in (
        (f"RSS after {warmup}-frame warm-up", baseline, ""),
        ("RSS at end", samples[-1], ""),
        (f"max RSS of {len(samples)} samples", max(samples), ""),
        ("peak RSS (ru_maxrss)", peak, f"(was {peak_before:.1f} at warm-up)"),
        ("max growth", growth, f"target {TARGET.describe()}: {TARGET.verdict(growth)}"),
    ):
        print(f"  {label:<30} {value:8.1f} MB   {note}".rstrip())
    return growth


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start the server process, measure."""
    args = parse_args(__doc__, FULL, QUICK, argv)
    with serve_in_child(_app, args.frames, args.levels, args.pace_every) as port:
        growth = asyncio.run(measure(port, args.frames, args.warmup))
    report(TARGET, growth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
