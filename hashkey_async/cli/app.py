"""Run one command: open the client, map failures onto exit codes, leave cleanly on Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Sequence

from ..errors import HashKeyError, InvalidParameterError
from .failures import EXIT_EXCHANGE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, CommandError, explain
from .output import Output
from .parser import build_parser
from .session import open_client

__all__ = ["main"]


def _stopped_by_user(args: argparse.Namespace) -> bool:
    """Whether the command runs until Ctrl-C (a stream, ``depth --watch``): then Ctrl-C is success."""
    endless = getattr(args, "until_stopped", False) or getattr(args, "watch", False)
    return bool(endless) and getattr(args, "count", None) is None


async def _run(args: argparse.Namespace, out: Output) -> int:
    task = asyncio.current_task()
    if task is not None:
        # SIGTERM ends the command the way Ctrl-C does: cancelled, every `async with` unwound.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    async with open_client(args, needs_keys=args.needs_keys) as client:
        code: int = await args.handler(client, args, out)
        return code


def _fail(message: str, code: int) -> int:
    print(message, file=sys.stderr)
    return code


def _run_command(args: argparse.Namespace) -> int:
    out = Output(json=args.json or not sys.stdout.isatty())
    try:
        return asyncio.run(_run(args, out))
    except (KeyboardInterrupt, asyncio.CancelledError):
        if _stopped_by_user(args):
            return EXIT_OK
        return _fail("interrupted", EXIT_INTERRUPTED)
    except CommandError as exc:
        return _fail(f"error: {exc}", exc.exit_code)
    except InvalidParameterError as exc:
        return _fail(f"error: {exc}", EXIT_USAGE)
    except HashKeyError as exc:
        return _fail(explain(exc), EXIT_EXCHANGE)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep the exit flush from failing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns the process exit code."""
    args = build_parser().parse_args(argv)
    if hasattr(args, "runner"):
        code: int = args.runner(args)
        return code
    return _run_command(args)
