"""Decode cost of one 200-level depth frame: our typed path vs msgspec untyped vs json vs ccxt.

The same bytes go through:
- ``typed``: ``PublicDecoder.decode`` - the stream's real path: envelope, routing key, ``Depth``
  with 400 ``Level`` structs keeping exact price/quantity strings;
- ``msgspec-untyped``: ``msgspec.json.decode`` into dicts and lists of strings;
- ``json.loads``: the standard library;
- ``ccxt``: ``json.loads`` then ccxt's ``parse_order_book`` of the same entry (what
  ``ccxt.pro.hashkey.handle_order_book`` does; V1 frames only, as ccxt subscribes V1).
Exactness is checked: typed prices equal the strings sent. Variants run interleaved in rounds,
the median round is reported. Target: typed <= 1.15x msgspec-untyped.

Run: ``python benchmarks/decode.py [--rounds 9] [--n 2000]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec

from hashkey_async.streams.protocol import PublicDecoder, StreamKey

__all__ = ["main"]

LEVELS = 200


def depth_frame(version: int, levels: int = LEVELS) -> bytes:
    """A depth frame shaped like the reference's example, with ``levels`` levels a side."""
    bids = [[f"{86296.37 - i * 0.07:.2f}", f"{0.00046 + i * 0.00013:.5f}"] for i in range(levels)]
    asks = [[f"{86296.38 + i * 0.07:.2f}", f"{0.00115 + i * 0.00017:.5f}"] for i in range(levels)]
    if version == 2:
        frame: dict[str, Any] = {
            "topic": "depth",
            "params": {"symbol": "BTCUSDT"},
            "data": {"s": "BTCUSDT", "t": 1764659869550, "v": "735962141_2", "b": bids, "a": asks},
        }
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


def _time(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def _ccxt_path() -> Callable[[bytes], object] | None:
    try:
        import ccxt.pro
    except ImportError:
        return None
    exchange = ccxt.pro.hashkey()

    def parse(frame: bytes) -> object:
        message = json.loads(frame)
        entry = message["data"][0]
        return exchange.parse_order_book(entry, "BTC/USDT", entry["t"], "b", "a")

    return parse


def bench(version: int, rounds: int, n: int) -> dict[str, float]:
    """Median microseconds per frame of each variant for one frame format."""
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
        "typed": lambda: decoder.decode(frame),
        "msgspec-untyped": lambda: msgspec.json.decode(frame),
        "json.loads": lambda: json.loads(frame),
    }
    ccxt_parse = _ccxt_path()
    if ccxt_parse is not None and version == 1:
        variants["ccxt"] = lambda: ccxt_parse(frame)
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            samples[name].append(_time(fn, n))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    """Print the table and the typed/untyped ratio for V2 and V1 frames."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    for version in (2, 1):
        size = len(depth_frame(version))
        medians = bench(version, args.rounds, args.n)
        base = medians["msgspec-untyped"]
        print(f"V{version} depth frame, {LEVELS} levels a side, {size} bytes")
        for name, us in medians.items():
            print(f"  {name:16s} {us:9.2f} us/frame  {us / base:6.2f}x untyped")
        ratio = medians["typed"] / base
        verdict = "OK" if ratio <= 1.15 else "over target"
        print(f"  typed/untyped = {ratio:.2f}x (target <= 1.15x): {verdict}")


if __name__ == "__main__":
    main()
