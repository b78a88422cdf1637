"""Where a command runs: the real exchange (keys from the environment), the sandbox, any
``--base-url``, or (``--offline``) the bundled exchange started inside this process.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ..client import HashKeyClient
from ..testing import OfflineExchange
from .failures import CommandError

__all__ = [
    "KEY_VARIABLES",
    "add_session_options",
    "open_client",
    "positive_int",
    "stream_url_for",
]

#: The environment variables holding the API key and secret (never printed).
KEY_VARIABLES = ("HASHKEY_API_KEY", "HASHKEY_API_SECRET")


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (counts, limits)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_session_options(parser: argparse.ArgumentParser) -> None:
    """The options every exchange command shares: where to connect and how to print."""
    where = parser.add_argument_group("where to connect")
    where.add_argument(
        "--offline",
        action="store_true",
        help="run against the bundled offline exchange, in-process (made-up keys, no network)",
    )
    where.add_argument("--sandbox", action="store_true", help="use HashKey's sandbox")
    where.add_argument("--base-url", metavar="URL", help="REST root, e.g. http://127.0.0.1:8080")
    where.add_argument(
        "--stream-url",
        metavar="URL",
        help="WebSocket root (default: --base-url with http -> ws)",
    )
    printing = parser.add_argument_group("output")
    printing.add_argument(
        "--json",
        action="store_true",
        help="JSON lines (the default when stdout is not a terminal)",
    )


def stream_url_for(base_url: str) -> str:
    """The WebSocket root beside a REST root: ``http://h:1`` -> ``ws://h:1``, https -> wss."""
    if base_url.startswith("https://"):
        return "wss://" + base_url.removeprefix("https://")
    if base_url.startswith("http://"):
        return "ws://" + base_url.removeprefix("http://")
    raise CommandError(f"--base-url must start with http:// or https://, got {base_url!r}")


def _check_keys(args: argparse.Namespace, needs_keys: bool) -> None:
    if args.offline or not needs_keys:
        return
    missing = [name for name in KEY_VARIABLES if not os.environ.get(name)]
    if missing:
        raise CommandError(
            f"this command needs an API key: set {' and '.join('$' + m for m in missing)}"
            " (or use --offline to try it against the bundled exchange)"
        )


@asynccontextmanager
async def open_client(
    args: argparse.Namespace, *, needs_keys: bool
) -> AsyncIterator[HashKeyClient]:
    """A client for the place ``args`` names, closed (with everything it started) on exit."""
    _check_keys(args, needs_keys)
    if args.offline:
        if args.base_url or args.stream_url or args.sandbox:
            raise CommandError("--offline runs the bundled exchange: drop --base-url/--sandbox")
        async with OfflineExchange() as exchange, exchange.client() as client:
            yield client
        return
    if args.sandbox and args.base_url:
        raise CommandError("give --sandbox or --base-url, not both")
    stream_url = args.stream_url or (stream_url_for(args.base_url) if args.base_url else None)
    async with HashKeyClient(
        environment="sandbox" if args.sandbox else "production",
        base_url=args.base_url,
        stream_url=stream_url,
    ) as client:
        yield client
