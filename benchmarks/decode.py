"""Decode cost of one 200-level depth frame: our typed path vs msgspec untyped vs json vs ccxt.

The same bytes go through:
- ``typed``: ``PublicDecoder.decode`` - the stream's real path: envelope, routing key, ``DepthUpdate``
  with 400 ``Level`` structs keeping exact price/quantity strings;
- ``msgspec-untyped``: ``msgspec.json.decode`` into dicts and lists of strings;
- ``json.loads``: the standard library;
- ``ccxt``: ``json.loads`` then ccxt's ``parse_order_book`` of the same entry (what
  ``ccxt.pro.hashkey.handle_order_book`` does; V1 frames only, as ccxt subscribes V1).
Exactness is checked: typed prices equal the strings sent. Variants run interleaved in rounds
(order rotated each round); the ratio is the median over rounds of each round's time / the same
round's untyped time. Target: typed <= 1.15x msgspec-untyped, for V2 and V1 frames.

Run: ``python benchmarks/decode.py [--rounds 9] [--n 2000] [--quick]``
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
from _harness import Target, depth_levels, parse_args, ratio_table, report, rounds_sync, v2_depth

from hashkey_async.streams.protocol import PublicDecoder, StreamKey

__all__ = ["depth_frame", "main"]

LEVELS = 200
FULL = {"rounds": 9, "n": 2000}
QUICK = {"rounds": 2, "n": 20}


def depth_frame(version: int, levels: int = LEVELS) -> bytes:
    """A depth frame shaped like the reference's example, with ``levels`` levels a side."""
    bids, asks = depth_levels(levels)
    if version == 2:
        frame = v2_depth(1764659869550, bids, asks)
    else:
        frame = {
            "symbol": "BTCUSDT",
            "symbolName": "BTCUSDT",
            "topic": "depth",
            "params": {"realtimeInterval": "24h", "binary": "false"},
            "data": [
                {
                    "e": 301,
                    "s": "BTCUSDT",
                    "t": 1764599292355,
                    "v": "538222447_18",
                    "b": bids,
                    "a": asks,
                    "o": 0,
                }
            ],
            "f": False,
            "sendTime": 1764599292481,
            "shared": False,
        }
    return json.dumps(frame, separators=(",", ":")).encode()


def _per_frame(fn: Callable[[], object], n: int) -> Callable[[], float]:
    """A sampler: seconds per call over ``n`` calls of ``fn``."""

    def sample() -> float:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - start) / n

    return sample


def _ccxt_path() -> Callable[[bytes], object] | None:
    try:
        import ccxt.pro
    except ImportError:
        return None
    exchange = ccxt.pro.hashkey()

    def parse(frame: bytes) -> object:
        message: Any = json.loads(frame)
        entry = message["data"][0]
        return exchange.parse_order_book(entry, "BTC/USDT", entry["t"], "b", "a")

    return parse


def bench(version: int, count: int, n: int) -> dict[str, list[float]]:
    """Seconds per frame of each variant, one sample per round, for one frame format."""
    frame = depth_frame(version)
    decoder = PublicDecoder(2 if version == 2 else 1)
    result = decoder.decode(frame)
    assert isinstance(result, tuple)
    key, (book,) = result
    assert key == StreamKey("depth", "BTCUSDT")
    sent = json.loads(frame)
    sent_data = sent["data"] if version == 2 else sent["data"][0]
    assert book.bids[5].raw_price == sent_data["b"][5][0]
    assert book.asks[-1].quantity == Decimal(sent_data["a"][-1][1])
    variants: dict[str, Callable[[], object]] = {
        "msgspec-untyped": lambda: msgspec.json.decode(frame),
        "typed": lambda: decoder.decode(frame),
        "json.loads": lambda: json.loads(frame),
    }
    ccxt_parse = _ccxt_path()
    if ccxt_parse is not None and version == 1:
        variants["ccxt"] = lambda: ccxt_parse(frame)
    samplers = {name: _per_frame(fn, n) for name, fn in variants.items()}
    for sample in samplers.values():  # warm up caches and code paths
        sample()
    return rounds_sync(samplers, count)


def main(argv: list[str] | None = None) -> int:
    """Print the table and the typed/untyped ratio for V2 and V1 frames."""
    args = parse_args(__doc__, FULL, QUICK, argv)
    for version in (2, 1):
        target = Target(f"decode V{version}: typed / msgspec untyped", "<=", 1.15)
        ratio = ratio_table(
            f"V{version} depth frame, {LEVELS} levels a side, {len(depth_frame(version))} bytes, "
            f"{args.rounds} rounds x {args.n} decodes; per-frame time:",
            bench(version, args.rounds, args.n),
            base="msgspec-untyped",
            subject="typed",
            target=target,
            unit="us/frame",
        )
        report(target, ratio)
    return 0


if __name__ == "__main__":
    sys.exit(main())
