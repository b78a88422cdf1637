"""Command line: ``demo`` (offline tour) and ``serve`` (standalone offline exchange)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Sequence

from .signing import sign
from .testing import OfflineExchange

__all__ = ["main"]

# The reference's worked example ("Signature Authentication", example 1).
_EXAMPLE_SECRET = "lH3ELTNiFxCQTmi9pPcWWikhsjO04Yoqw3euoHUuOLC3GYBW64ZqzQsiOEHXQS76"
_EXAMPLE_QUERY = (
    "symbol=ETHBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
    "&recvWindow=5000&timestamp=1538323200000"
)


async def _demo() -> int:
    print("hashkey_async demo (offline): signing the reference's worked example")
    print("  signature:", sign(_EXAMPLE_SECRET, _EXAMPLE_QUERY))
    return 0


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


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m hashkey_async")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="tour the SDK against the bundled offline exchange")
    serve = commands.add_parser("serve", help="run the offline exchange until Ctrl-C")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080, 0 = any free)")
    serve.add_argument("--seed", type=int, default=7, help="seed of the market generator")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return asyncio.run(_demo())
    if args.command == "serve":
        try:
            return asyncio.run(_serve(args.host, args.port, args.seed))
        except KeyboardInterrupt:
            return 0
    return 2
