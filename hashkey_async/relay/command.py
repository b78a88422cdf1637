"""``python -m hashkey_async relay --redis URL TOPIC...``: run the publisher until Ctrl-C or SIGTERM.

The relay keeps its streams over one client's connections; when Redis fails it logs, waits
``--retry`` seconds and starts over (each restart leaves an outage marker in every stream).
``--metrics-port`` serves that client's ``client.stats()`` as Prometheus ``/metrics``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any, Final

from ..client import HashKeyClient
from ..errors import InvalidParameterError
from ..metrics import PrometheusCollector, serve_metrics
from .publisher import run_relay
from .topics import DEFAULT_MAXLEN, DEFAULT_PREFIX, parse_topic

__all__ = ["main", "register", "relay_forever", "run_command"]

log = logging.getLogger("hashkey_async.relay")

#: Seconds a SIGINT/SIGTERM leaves the relay and its clients to close before the process
#: logs what is still pending and exits with status 1 regardless.
SHUTDOWN_GRACE: Final = 5.0


async def relay_forever(args: argparse.Namespace) -> int:
    """Relay ``args.topics`` until SIGINT/SIGTERM; restart after Redis errors.

    The signal cancels this task itself, so whatever it waits on (a Redis round trip, a
    subscription, the retry pause) ends at once; a Redis client that swallows the
    cancellation is caught by the ``signalled`` check, and ``SHUTDOWN_GRACE`` bounds the rest.
    """
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    main = asyncio.current_task()
    assert main is not None
    loop = asyncio.get_running_loop()
    signalled = asyncio.Event()
    deadline: list[asyncio.TimerHandle] = []

    def on_signal() -> None:
        if not signalled.is_set():
            signalled.set()
            deadline.append(loop.call_later(SHUTDOWN_GRACE, _abandon, loop))
        main.cancel()

    handled = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal)
            handled.append(sig)
    options: dict[str, Any] = {"environment": args.environment}
    if args.stream_url:
        options["stream_url"] = args.stream_url
    try:
        async with (
            HashKeyClient(**options) as client,
            Redis.from_url(args.redis) as redis,
            contextlib.AsyncExitStack() as stack,
        ):
            if args.metrics_port is not None:
                url = await stack.enter_async_context(
                    serve_metrics([PrometheusCollector(client)], port=args.metrics_port)
                )
                print(f"metrics at {url}", flush=True)
            print(
                f"relaying {', '.join(args.topics)} into {args.prefix}:* (Ctrl-C to stop)",
                flush=True,
            )
            try:
                while not signalled.is_set():
                    try:
                        await run_relay(
                            redis, args.topics, client, maxlen=args.maxlen, prefix=args.prefix
                        )
                    except (RedisError, OSError) as exc:
                        if signalled.is_set():
                            break
                        log.warning(
                            "relay: Redis failed (%s); restarting in %.1fs", exc, args.retry
                        )
                        await asyncio.sleep(args.retry)
            except asyncio.CancelledError:
                if not signalled.is_set():
                    raise
                main.uncancel()  # the signal's cancel is handled: close the clients normally
    except asyncio.CancelledError:
        if not signalled.is_set():
            raise
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        for handle in deadline:
            handle.cancel()
    print("stopped.", flush=True)
    return 0


def _abandon(loop: asyncio.AbstractEventLoop) -> None:
    """The shutdown outlived ``SHUTDOWN_GRACE``: log what is still pending, then exit anyway."""
    for task in asyncio.all_tasks(loop):
        stack = io.StringIO()
        task.print_stack(file=stack)
        log.error("relay: shutdown stuck on %s", stack.getvalue())
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)


def run_command(args: argparse.Namespace) -> int:
    """The CLI runner: check the topics, then relay until stopped (exit 0), 2 on bad usage."""
    try:
        for spec in args.topics:
            parse_topic(spec)
    except InvalidParameterError as exc:
        print(f"error: {exc}")
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    try:
        return asyncio.run(relay_forever(args))
    except KeyboardInterrupt:
        return 0


def register(commands: Any) -> None:
    """Add ``relay`` to ``commands`` (the CLI's sub-parsers)."""
    relay = commands.add_parser(
        "relay", help="publish market streams into Redis Streams (needs hashkey_async[redis])"
    )
    _arguments(relay)
    relay.set_defaults(runner=run_command)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--redis", required=True, help="Redis URL, e.g. redis://127.0.0.1:6379/0")
    parser.add_argument(
        "topics",
        nargs="+",
        metavar="TOPIC",
        help="depth:SYM trade:SYM kline:SYM:1m bbo:SYM ticker:SYM",
    )
    parser.add_argument("--environment", default="production", choices=("production", "sandbox"))
    parser.add_argument("--stream-url", help="WebSocket root instead of the environment's")
    parser.add_argument("--maxlen", type=int, default=DEFAULT_MAXLEN, help="entries kept per topic")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="key prefix of the streams")
    parser.add_argument("--retry", type=float, default=1.0, help="seconds before restarting")
    parser.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help="serve Prometheus /metrics of the relay's client on this port (0 = any free)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hashkey_async.relay``: the same command on its own."""
    parser = argparse.ArgumentParser(prog="python -m hashkey_async.relay")
    _arguments(parser)
    return run_command(parser.parse_args(argv))
