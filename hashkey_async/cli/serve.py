"""``serve``: the offline exchange on its own, until Ctrl-C or SIGTERM.

``--metrics-port`` also serves ``/metrics`` for Prometheus: the exchange's requests by route
and HTTP status, with their latency (``hashkey_offline_exchange_requests_total``, ...).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..metrics import RequestsCollector, serve_metrics
from ..stats import RequestRecorder
from ..testing import OfflineExchange

__all__ = ["counting", "register", "run_serve"]

#: Prefix of the metrics ``serve --metrics-port`` exports.
METRICS_PREFIX = "hashkey_offline_exchange"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def counting(recorder: RequestRecorder) -> Any:
    """aiohttp middleware counting each request in ``recorder`` by route and HTTP status."""

    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        start = time.perf_counter()
        resource = request.match_info.route.resource
        route = f"{request.method} {resource.canonical if resource else 'unmatched'}"
        status = "error"
        try:
            response = await handler(request)
            status = str(response.status)
            return response
        except web.HTTPException as exc:
            status = str(exc.status)
            raise
        finally:
            recorder.request(route, status, time.perf_counter() - start)

    return count


async def _serve(host: str, port: int, seed: int, metrics_port: int | None) -> int:
    """Run an offline exchange on ``host:port`` until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Windows has no signal handlers on the loop: there Ctrl-C raises KeyboardInterrupt.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    exchange = OfflineExchange(host=host, port=port, seed=seed)
    async with contextlib.AsyncExitStack() as stack:
        metrics_url = None
        if metrics_port is not None:
            recorder = RequestRecorder()
            exchange.app.middlewares.append(counting(recorder))
            collector = RequestsCollector(recorder, prefix=METRICS_PREFIX)
            metrics_url = await stack.enter_async_context(
                serve_metrics([collector], host=host, port=metrics_port)
            )
        ex = await stack.enter_async_context(exchange)
        print(f"offline HashKey exchange (seed {seed})")
        print(f"  REST     {ex.rest_url}")
        print(f"  streams  {ex.stream_url}/quote/ws/v1  /quote/ws/v2  /api/v1/ws/{{listenKey}}")
        print(f"  api key  {ex.api_key}")
        print(f"  secret   {ex.api_secret}")
        if metrics_url:
            print(f"  metrics  {metrics_url}")
        print("Ctrl-C to stop.", flush=True)
        await stop.wait()
    print("stopped.")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """Serve until stopped; a Ctrl-C is the normal way out (exit 0)."""
    try:
        return asyncio.run(_serve(args.host, args.port, args.seed, args.metrics_port))
    except KeyboardInterrupt:
        return 0
    except ImportError as exc:  # --metrics-port without the [metrics] extra
        print(f"error: {exc}", file=sys.stderr)
        return 2


def register(commands: Any) -> None:
    """Add ``serve`` to ``commands`` (the CLI's sub-parsers)."""
    serve = commands.add_parser("serve", help="run the offline exchange until Ctrl-C")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080, 0 = any free)")
    serve.add_argument("--seed", type=int, default=7, help="seed of the market generator")
    serve.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help="also serve Prometheus /metrics on this port (0 = any free; the [metrics] extra)",
    )
    serve.set_defaults(runner=run_serve)
