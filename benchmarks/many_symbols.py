"""Time until N symbols x (depth + trades) all flow: at start, and after one dropped connection.

The offline exchange runs in a child process with N symbols (its CPU is not charged to the
client) and its market clock stopped: it answers every subscription with its first data frame
(V2 depth: the book; V1 trades: the latest 60, as the reference says) and pushes nothing else,
so an item on a subscription means the exchange honours it, and nothing else (random trades,
a 500-symbol market step that takes the exchange ~0.7 s) blurs the figure.

- start: from the first subscription until every one of the 2N has delivered an item;
- after a drop: the exchange aborts its oldest V2 connection (``drop_connections("v2", 1)``);
  from then until every subscription it carried has delivered again (its resubscriptions are
  the only ones answered, so: until that many subscriptions delivered).

Sharded (``stream_max_per_connection``, default 50) against ``--baseline 1``: the same run with
one connection per endpoint, which is how the client worked before sharding. Target: <= 5 s.

Run: ``python benchmarks/many_symbols.py [--symbols 500] [--max-per-connection 50]
[--baseline 1] [--quick]``
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import aiohttp
from _harness import Target, parse_args, report, serve_in_child
from aiohttp import web

from hashkey_async import HashKeyClient
from hashkey_async.testing import OfflineExchange

__all__ = ["main", "measure"]

START = Target("many_symbols: all flowing after start", "<=", 5.0, " s")
DROP = Target("many_symbols: all flowing after a drop", "<=", 5.0, " s")
FULL = {"symbols": 500, "max_per_connection": 50, "baseline": 1}
QUICK = {"symbols": 20, "max_per_connection": 10, "baseline": 0}
#: Seconds per market tick of the exchange: longer than any run, so the market stands still.
NO_TICKS = 3600.0


def _names(count: int) -> tuple[str, ...]:
    return tuple(f"S{i:03d}USDT" for i in range(count))


def _exchange_app(symbols: int) -> web.Application:
    """The offline exchange's app (market standing still) plus a drop control."""
    ex = OfflineExchange(symbols=_names(symbols), market_interval=NO_TICKS)

    async def start(_: web.Application) -> None:
        await ex.hub.start()

    async def stop(_: web.Application) -> None:
        await ex.hub.close()

    async def drop(_: web.Request) -> web.Response:
        dropped = await ex.drop_connections("v2", count=1)
        return web.json_response({"dropped": dropped, "at": ex.now_ms()})

    ex.app.router.add_post("/bench/drop", drop)
    ex.app.on_startup.append(start)
    ex.app.on_shutdown.append(stop)
    return ex.app


class _Flow:
    """Counts the subscriptions (index below ``limit``) that delivered since the last ``expect``."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.limit = total
        self._done: set[int] = set()
        self.all = asyncio.Event()

    def expect(self, total: int, limit: int) -> None:
        """From now on, wait for ``total`` of the subscriptions below ``limit`` to deliver."""
        self.total = total
        self.limit = limit
        self._done.clear()
        self.all.clear()

    def seen(self, index: int) -> None:
        if index < self.limit and index not in self._done:
            self._done.add(index)
            if len(self._done) == self.total:
                self.all.set()


async def _read(sub: Any, index: int, flow: _Flow) -> None:
    async for _ in sub:
        flow.seen(index)


async def measure(port: int, symbols: int, max_per_connection: int) -> tuple[float, float, int]:
    """Seconds to all flowing at start and after a drop; connections used."""
    url = f"127.0.0.1:{port}"
    client = HashKeyClient(
        base_url=f"http://{url}",
        stream_url=f"ws://{url}",
        stream_max_per_connection=max_per_connection,
    )
    names = _names(symbols)
    subs = [client.stream.depth(s) for s in names]
    subs += [client.stream.trades(s, version=1) for s in names]
    flow = _Flow(len(subs))
    async with client, aiohttp.ClientSession() as http:
        started = time.perf_counter()
        readers = [asyncio.create_task(_read(sub, i, flow)) for i, sub in enumerate(subs)]
        try:
            await asyncio.wait_for(flow.all.wait(), 180)
            at_start = time.perf_counter() - started
            connections = sum(client.stream.connections(f"public-v{v}") for v in (1, 2))
            # The oldest V2 shard carries depth only (depth subscribed first) and is full; each
            # depth reader took its one snapshot already, so only resubscriptions answer now.
            flow.expect(min(max_per_connection, symbols), limit=symbols)
            dropped_at = time.perf_counter()
            async with http.post(f"http://{url}/bench/drop") as answer:
                assert (await answer.json())["dropped"] == 1
            await asyncio.wait_for(flow.all.wait(), 180)
            after_drop = time.perf_counter() - dropped_at
        finally:
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
    return at_start, after_drop, connections


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start the exchange process, measure sharded (and the baseline)."""
    args = parse_args(__doc__, FULL, QUICK, argv)
    runs = [("sharded", args.max_per_connection)]
    if args.baseline:
        runs.append(("one connection per endpoint (before)", args.symbols))
    print(f"{args.symbols} symbols x (V2 depth + V1 trades) = {2 * args.symbols} streams")
    results: dict[str, tuple[float, float, int]] = {}
    for label, per_connection in runs:
        with serve_in_child(_exchange_app, args.symbols) as port:
            results[label] = asyncio.run(measure(port, args.symbols, per_connection))
        start, drop, connections = results[label]
        print(
            f"  {label:<37} max {per_connection:>4}/connection, {connections:>3} connections: "
            f"all flowing {start:6.2f} s after start, {drop:6.2f} s after a drop"
        )
    start, drop, _ = results["sharded"]
    report(START, start)
    report(DROP, drop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
