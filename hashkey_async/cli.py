"""Command line: ``demo`` (offline tour) and ``serve`` (standalone offline exchange)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from .signing import sign

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


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m hashkey_async")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="tour the SDK against the bundled offline exchange")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return asyncio.run(_demo())
    return 2
