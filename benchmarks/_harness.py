"""What the benchmarks share: a local server in a child process, rotated rounds, the ratio table.

A benchmark script keeps only what it measures: it hands this module an app factory (run in a
child process so the server's CPU is not charged to the client), its variants (each returning one
sample per round), and a ``Target``; the ratio table and the ``RESULT`` line per target that
``run_all.py`` collects come from here. Ratios are medians of per-round ratios to the baseline
variant (same round, order rotated each round), which is robust to load from other processes
drifting during a run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import multiprocessing
import socket
import statistics
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

import aiohttp
from aiohttp import web

__all__ = [
    "RESULT_PREFIX",
    "Target",
    "compare_over_http",
    "depth_levels",
    "parse_args",
    "per_call",
    "ratio_table",
    "reference_answer",
    "report",
    "rotated",
    "rounds",
    "rounds_sync",
    "serve_in_child",
    "static_app",
    "v2_depth",
    "ws_app",
]

RESULT_PREFIX = "RESULT | "
"""Start of the one line per measured target that ``run_all.py`` parses (fields split by " | ")."""

Level = list[str]


@dataclass(frozen=True)
class Target:
    """A benchmark's goal: ``value op limit`` (e.g. client/bare <= 1.10x); labelled for the summary."""

    label: str
    op: Literal["<=", ">=", "<"]
    limit: float
    unit: str = "x"

    def met(self, value: float) -> bool:
        """Whether ``value`` meets the target."""
        if self.op == "<=":
            return value <= self.limit
        if self.op == ">=":
            return value >= self.limit
        return value < self.limit

    def describe(self) -> str:
        """The target as text, e.g. ``<= 1.10x``."""
        return f"{self.op} {self.limit:.2f}{self.unit}"

    def verdict(self, value: float) -> str:
        """``met`` or ``not met``."""
        return "met" if self.met(value) else "not met"


def report(target: Target, value: float) -> None:
    """Print the ``RESULT`` line for ``value`` against ``target``."""
    fields = (target.label, f"{value:.3f}{target.unit}", target.describe(), target.verdict(value))
    print(RESULT_PREFIX + " | ".join(fields))


def parse_args(
    doc: str, full: Mapping[str, int], quick: Mapping[str, int], argv: list[str] | None = None
) -> argparse.Namespace:
    """Integer options named as in ``full`` (its defaults), plus ``--quick`` for ``quick``'s tiny counts."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for name, default in full.items():
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=int,
            default=None,
            help=f"default {default}; {quick[name]} with --quick",
        )
    parser.add_argument(
        "--quick", action="store_true", help="tiny counts: checks the script runs, measures little"
    )
    args = parser.parse_args(argv)
    for name, default in full.items():
        if getattr(args, name) is None:
            setattr(args, name, quick[name] if args.quick else default)
    return args


def _serve(
    pipe: Connection, factory: Callable[..., web.Application], args: tuple[Any, ...]
) -> None:
    """Child process: serve ``factory(*args)`` on an ephemeral loopback port until told to stop."""

    async def run() -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        runner = web.AppRunner(factory(*args), access_log=None)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        pipe.send(sock.getsockname()[1])
        with contextlib.suppress(EOFError):  # parent gone: stop as well
            await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        await runner.cleanup()

    asyncio.run(run())


@contextlib.contextmanager
def serve_in_child(factory: Callable[..., web.Application], *args: Any) -> Iterator[int]:
    """Run ``factory(*args)``'s app in a child process for the ``with`` block; yields its port."""
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=_serve, args=(child, factory, args), daemon=True)
    proc.start()
    try:
        if not parent.poll(30):
            raise RuntimeError("local server did not start")
        port: int = parent.recv()
        yield port
    finally:
        with contextlib.suppress(OSError):
            parent.send("stop")
        proc.join(5)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)


def static_app(routes: Mapping[tuple[str, str], bytes]) -> web.Application:
    """An app answering each (method, path) with its fixed JSON body."""
    app = web.Application()
    for (method, path), body in routes.items():

        async def handler(_: web.Request, body: bytes = body) -> web.Response:
            return web.Response(body=body, content_type="application/json")

        app.router.add_route(method, path, handler)
    return app


def ws_app(frames: Callable[[], Iterable[str]], pace_every: int = 0) -> web.Application:
    """A V2 quote stream at ``/quote/ws/v2``: answers pings; on ``sub`` sends every frame of ``frames()``.

    With ``pace_every`` it yields ~1 ms after that many frames, so a client that keeps up is
    measured rather than the socket buffers.
    """

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        with contextlib.suppress(ConnectionResetError):  # the client leaves when it has enough
            async for msg in ws:
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                if "ping" in data:
                    await ws.send_str(json.dumps({"pong": int(time.time() * 1000)}))
                elif data.get("event") == "sub":
                    for n, frame in enumerate(frames(), 1):
                        await ws.send_str(frame)
                        if pace_every and n % pace_every == 0:
                            await asyncio.sleep(0.001)
        return ws

    app = web.Application()
    app.router.add_get("/quote/ws/v2", handler)
    return app


def depth_levels(levels: int) -> tuple[list[Level], list[Level]]:
    """Bids and asks, ``levels`` a side, as exact price/quantity strings around 86296."""
    bids = [[f"{86296.37 - i * 0.07:.2f}", f"{0.00046 + i * 0.00013:.5f}"] for i in range(levels)]
    asks = [[f"{86296.38 + i * 0.07:.2f}", f"{0.00115 + i * 0.00017:.5f}"] for i in range(levels)]
    return bids, asks


def v2_depth(t: int, bids: list[Level], asks: list[Level]) -> dict[str, Any]:
    """A V2 depth frame of BTCUSDT as the reference shapes it, with time ``t``."""
    data = {"s": "BTCUSDT", "t": t, "v": f"{t}_2", "b": bids, "a": asks}
    return {"topic": "depth", "params": {"symbol": "BTCUSDT"}, "data": data}


def rotated(names: list[str], round_no: int) -> list[str]:
    """``names`` starting at a different one each round, so none always runs first (or last)."""
    start = round_no % len(names)
    return names[start:] + names[:start]


def per_call(call: Callable[[], Awaitable[object]], calls: int) -> Callable[[], Awaitable[float]]:
    """A sampler: seconds per call over ``calls`` sequential awaits of ``call``."""

    async def sample() -> float:
        start = time.perf_counter()
        for _ in range(calls):
            await call()
        return (time.perf_counter() - start) / calls

    return sample


async def rounds(
    samplers: Mapping[str, Callable[[], Awaitable[float]]], count: int
) -> dict[str, list[float]]:
    """``count`` rounds, each taking one sample of every sampler in rotated order."""
    samples: dict[str, list[float]] = {name: [] for name in samplers}
    for round_no in range(count):
        for name in rotated(list(samplers), round_no):
            samples[name].append(await samplers[name]())
    return samples


def rounds_sync(samplers: Mapping[str, Callable[[], float]], count: int) -> dict[str, list[float]]:
    """``rounds`` for plain (CPU-only) samplers."""
    samples: dict[str, list[float]] = {name: [] for name in samplers}
    for round_no in range(count):
        for name in rotated(list(samplers), round_no):
            samples[name].append(samplers[name]())
    return samples


def ratio_table(
    title: str,
    samples: Mapping[str, list[float]],
    *,
    base: str,
    subject: str,
    target: Target,
    unit: str = "us/call",
    scale: float = 1e6,
    higher_is_better: bool = False,
) -> float:
    """Print each variant's median, best and ratio to ``base``, the target beside ``subject``; return its ratio.

    The caller prints the ``RESULT`` line (``report``) once its own notes are out.
    """
    print(title)
    print(f"  ratio = median over rounds of value / the same round's {base}")
    width = max(len(name) for name in samples)
    ratio = 0.0
    for name, values in samples.items():
        ratios = [v / b for v, b in zip(values, samples[base], strict=True)]
        best = max(values) if higher_is_better else min(values)
        line = (
            f"  {name:<{width}}  median {statistics.median(values) * scale:10.1f} {unit}"
            f"  best {best * scale:10.1f} {unit}  {statistics.median(ratios):6.3f}x"
        )
        if name == subject:
            ratio = statistics.median(ratios)
            line += f"   target {target.describe()}: {target.verdict(ratio)}"
        print(line)
    return ratio


def compare_over_http(
    routes: Mapping[tuple[str, str], bytes],
    bench: Callable[[str, int, int], Coroutine[Any, Any, dict[str, list[float]]]],
    args: argparse.Namespace,
    *,
    what: str,
    base: str,
    target: Target,
) -> int:
    """Serve ``routes`` in a child process, run ``bench(url, calls, rounds)``, print table and RESULT."""
    with serve_in_child(static_app, routes) as port:
        samples = asyncio.run(bench(f"http://127.0.0.1:{port}", args.calls, args.rounds))
    title = (
        f"{what}, {args.rounds} rounds x {args.calls} sequential calls per variant; per-call time:"
    )
    ratio = ratio_table(title, samples, base=base, subject="hashkey_async", target=target)
    report(target, ratio)
    return 0


#: ``tests/fixtures``: the reference docs and the examples read from them.
_FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "__init__.py"


def reference_answer(endpoint: str) -> dict[str, Any]:
    """The reference's example answer for ``endpoint``, as the tests read it (``fixtures``).

    Loaded by file path: a script run as ``python benchmarks/x.py`` has no ``tests`` on its path.
    """
    spec = importlib.util.spec_from_file_location("_reference_fixtures", _FIXTURES)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    answer: dict[str, Any] = module.reference_answer(endpoint)
    return answer
