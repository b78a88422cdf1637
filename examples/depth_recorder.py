"""Depth recorder: write order book snapshots of one symbol to a JSON-lines file.

    python examples/depth_recorder.py --out book.jsonl --max-updates 50
    python examples/depth_recorder.py --live --duration 60 --levels 20

Each line is ``{"symbol", "time", "received", "bids": [[price, qty], ...], "asks": [...]}``
with prices and quantities as the exchange's exact decimal strings.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TextIO

from _common import connect, next_before, parser

from hashkey_async import HashKeyClient


def _open(path: str) -> TextIO:
    """Open the output outside the event loop's coroutines; the caller closes it."""
    return open(path, "a", encoding="utf-8")


async def record(
    client: HashKeyClient,
    symbol: str,
    out: TextIO,
    *,
    levels: int = 10,
    max_updates: int | None = None,
    duration: float | None = None,
    version: int = 2,
) -> int:
    """Append snapshots to ``out`` until ``max_updates`` or ``duration``; returns how many."""
    loop = asyncio.get_running_loop()
    deadline = None if duration is None else loop.time() + duration
    written = 0
    async with client.stream.depth(symbol, version=version) as books:
        while max_updates is None or written < max_updates:
            book = await next_before(books, deadline)
            if book is None:
                break
            line = {
                "symbol": book.symbol,
                "time": book.time,
                "received": int(time.time() * 1000),
                "bids": [[lvl.raw_price, lvl.raw_quantity] for lvl in book.bids[:levels]],
                "asks": [[lvl.raw_price, lvl.raw_quantity] for lvl in book.asks[:levels]],
            }
            out.write(json.dumps(line) + "\n")
            written += 1
    out.flush()
    return written


async def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, connect, record; returns the exit code."""
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--out", default="depth.jsonl", help="file to append to")
    args_parser.add_argument("--levels", type=int, default=10, help="levels per side to keep")
    args_parser.add_argument("--max-updates", type=int, default=20, help="stop after this many")
    args_parser.add_argument("--duration", type=float, default=None, help="or after seconds")
    args_parser.add_argument("--version", type=int, choices=(1, 2), default=2, help="stream")
    args = args_parser.parse_args(argv)
    async with connect(args.live) as client:
        with _open(args.out) as out:
            count = await record(
                client,
                args.symbol,
                out,
                levels=args.levels,
                max_updates=args.max_updates,
                duration=args.duration,
                version=args.version,
            )
    print(f"recorded {count} {args.symbol} snapshots to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
