"""``serve``: the offline exchange on its own, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from typing import Any

from ..testing import OfflineExchange

__all__ = ["register", "run_serve"]


async def _serve(host: str, port: int, seed: int) -> int:
    """Run an offline exchange on ``host:port`` until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Windows has no signal handlers on the loop: there Ctrl-C raises KeyboardInterrupt.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with OfflineExchange(host=host, port=port, seed=seed) as ex:
        print(f"offline HashKey exchange (seed {seed})")
        print(f"  REST     {ex.rest_url}")
        print(f"  streams  {ex.stream_url}/quote/ws/v1  /quote/ws/v2  /api/v1/ws/{{listenKey}}")
        print(f"  api key  {ex.api_key}")
        print(f"  secret   {ex.api_secret}")
        print("Ctrl-C to stop.", flush=True)
        await stop.wait()
    print("stopped.")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """Serve until stopped; a Ctrl-C is the normal way out (exit 0)."""
    try:
        return asyncio.run(_serve(args.host, args.port, args.seed))
    except KeyboardInterrupt:
        return 0


def register(commands: Any) -> None:
    """Add ``serve`` to ``commands`` (the CLI's sub-parsers)."""
    serve = commands.add_parser("serve", help="run the offline exchange until Ctrl-C")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080, 0 = any free)")
    serve.add_argument("--seed", type=int, default=7, help="seed of the market generator")
    serve.set_defaults(runner=run_serve)
