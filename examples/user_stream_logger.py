"""User-stream logger: one readable line per private event (orders, fills, balances, gaps).

    python examples/user_stream_logger.py --max-events 12
    python examples/user_stream_logger.py --live --duration 600

Offline, a small trader places, fills and cancels orders on the same account so there is
something to log; with ``--live`` it only listens.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import TextIO

from _common import connect, next_before, parser

from hashkey_async import (
    AccountUpdate,
    ConnectionState,
    ExecutionReport,
    HashKeyClient,
    PrivateEvent,
    StreamGap,
    TicketInfo,
    UnknownEvent,
)


def _clock(ms: int | None) -> str:
    if ms is None:
        return "--:--:--.---"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%H:%M:%S.%f")[:-3]


def describe(event: PrivateEvent) -> str:
    """One line for ``event``."""
    if isinstance(event, ExecutionReport):
        return (
            f"{_clock(event.event_time)} order   {event.symbol} {event.side} {event.order_type}"
            f" {event.quantity} @ {event.price} -> {event.status}"
            f" (filled {event.executed_quantity}, id {event.order_id})"
        )
    if isinstance(event, TicketInfo):
        return (
            f"{_clock(event.event_time)} fill    {event.symbol} {event.quantity} @ {event.price}"
            f" (order {event.order_id}, {'maker' if event.is_maker else 'taker'})"
        )
    if isinstance(event, AccountUpdate):
        assets = ", ".join(f"{b.asset} {b.free} free / {b.locked} locked" for b in event.balances)
        return f"{_clock(event.event_time)} balance {event.account_kind}: {assets}"
    if isinstance(event, StreamGap):
        return (
            f"{_clock(event.ended_at)} GAP     {event.duration_ms} ms without events"
            f" ({event.reason}): reconcile orders and balances over REST"
        )
    if isinstance(event, UnknownEvent):
        return f"unknown {event.event_type}: {event.data}"
    return repr(event)


async def log_events(
    client: HashKeyClient,
    out: TextIO,
    *,
    max_events: int | None = None,
    duration: float | None = None,
    ready: asyncio.Event | None = None,
) -> int:
    """Write a line per event until ``max_events`` or ``duration``; returns how many.

    ``ready`` is set once the stream is connected (the offline trader waits for it).
    """
    loop = asyncio.get_running_loop()
    deadline = None if duration is None else loop.time() + duration
    count = 0
    async with client.stream.user() as events:
        await client.stream.wait_state("private", ConnectionState.OPEN)
        if ready is not None:
            ready.set()
        while max_events is None or count < max_events:
            event = await next_before(events, deadline)
            if event is None:
                break
            print(describe(event), file=out, flush=True)
            count += 1
    return count


async def trade_a_little(client: HashKeyClient, symbol: str, ready: asyncio.Event) -> None:
    """Offline activity: rest an order, take some liquidity, cancel, again and again."""
    await ready.wait()
    while True:
        book = await client.market.depth(symbol, limit=1)
        bid, ask = book.bids[0].price, book.asks[0].price
        resting = await client.spot.create_order(
            symbol, "BUY", "LIMIT", quantity="0.001", price=(bid * Decimal("0.99")).quantize(bid)
        )
        await client.spot.create_order(
            symbol,
            "BUY",
            "LIMIT",
            quantity="0.001",
            price=(ask * Decimal("1.01")).quantize(ask),
            time_in_force="IOC",
        )
        await client.spot.cancel_order(order_id=resting.order_id)
        await asyncio.sleep(0.2)


async def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, connect, log; returns the exit code."""
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--max-events", type=int, default=12, help="stop after this many")
    args_parser.add_argument("--duration", type=float, default=None, help="or after seconds")
    args = args_parser.parse_args(argv)
    async with connect(args.live) as client:
        ready = asyncio.Event()
        trader = (
            None if args.live else asyncio.create_task(trade_a_little(client, args.symbol, ready))
        )
        try:
            count = await log_events(
                client, sys.stdout, max_events=args.max_events, duration=args.duration, ready=ready
            )
        finally:
            if trader is not None:
                trader.cancel()
                await asyncio.gather(trader, return_exceptions=True)
    print(f"logged {count} events")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
