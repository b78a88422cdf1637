"""The argument parser: every command, its arguments, and the options they share."""

from __future__ import annotations

import argparse

from ..relay import command as relay
from . import account, demo, market, serve, streams
from .session import add_session_options

__all__ = ["build_parser"]

DESCRIPTION = """\
Operate HashKey from a shell: market data, account, orders and streams, as JSON lines
(when piped, or with --json) or aligned tables (on a terminal). Keys come from
$HASHKEY_API_KEY / $HASHKEY_API_SECRET; --offline runs against the bundled exchange.
Exit codes: 0 done, 1 the exchange (or network) refused, 2 bad usage.
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``hashkey-async`` parser (also ``python -m hashkey_async``)."""
    parser = argparse.ArgumentParser(
        prog="hashkey-async",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = argparse.ArgumentParser(add_help=False)
    add_session_options(common)
    market.register(commands, common)
    account.register(commands, common)
    streams.register(commands, common)
    demo.register(commands)
    serve.register(commands)
    relay.register(commands)
    return parser
