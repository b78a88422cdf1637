"""``stream (depth|trade|kline|bbo|ticker) SYMBOL`` and ``stream user``: one line per message.

JSON lines carry the whole message (``stream user`` adds ``"event"``, the event's type);
on a terminal a row of the fields that matter. ``--count N`` stops after N messages;
otherwise the stream runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, Final

from .. import (
    AccountUpdate,
    DepthUpdate,
    ExecutionReport,
    HashKeyClient,
    PrivateEvent,
    StreamGap,
    TicketInfo,
    UnknownEvent,
)
from ..enums import KLINE_INTERVALS
from ..streams.subscription import Subscription
from .failures import EXIT_OK
from .output import Output, StreamTable, plain
from .session import positive_int

__all__ = ["describe_event", "register"]

#: Table columns of each public topic (JSON lines carry every field).
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "depth": ("time", "symbol", "bid_qty", "bid", "ask", "ask_qty"),
    "trade": ("time", "price", "quantity", "is_maker"),
    "kline": ("time", "symbol", "open", "high", "low", "close", "volume"),
    "bbo": ("time", "symbol", "bid_quantity", "bid_price", "ask_price", "ask_quantity"),
    "ticker": ("time", "symbol", "close", "high", "low", "volume", "change"),
}


def _depth_row(book: DepthUpdate) -> dict[str, Any]:
    """A depth snapshot's table row: the best level a side."""
    row: dict[str, Any] = {"time": book.time, "symbol": book.symbol}
    if book.bids:
        row.update(bid=book.bids[0].raw_price, bid_qty=book.bids[0].raw_quantity)
    if book.asks:
        row.update(ask=book.asks[0].raw_price, ask_qty=book.asks[0].raw_quantity)
    return row


def describe_event(event: PrivateEvent) -> str:
    """One line saying what a private event means, for the terminal."""
    match event:
        case ExecutionReport():
            return (
                f"{event.symbol} order {event.order_id} {event.status} {event.side}"
                f" {event.quantity} @ {event.price} (filled {event.executed_quantity})"
            )
        case TicketInfo():
            return (
                f"{event.symbol} fill of order {event.order_id}: {event.quantity} @ {event.price}"
            )
        case AccountUpdate():
            return "  ".join(f"{b.asset} free {b.free} locked {b.locked}" for b in event.balances)
        case StreamGap():
            return (
                f"events may have been missed ({event.reason}, {event.dropped} dropped):"
                " reconcile with `hashkey-async orders` and `balances`"
            )
        case UnknownEvent():
            return f"unknown event {event.event_type}"
    return str(event)


async def _pump(
    subscription: Subscription[Any], count: int | None, show: Callable[[Any], None]
) -> None:
    seen = 0
    async with subscription as messages:
        while count is None or seen < count:
            show(await messages.get())
            seen += 1


async def public(client: HashKeyClient, args: argparse.Namespace, out: Output) -> int:
    """Print messages of one public topic."""
    topic, symbol = args.topic, args.symbol
    subscriptions: dict[str, Callable[[], Subscription[Any]]] = {
        "depth": lambda: client.stream.depth(symbol),
        "trade": lambda: client.stream.trades(symbol),
        "kline": lambda: client.stream.klines(symbol, args.interval),
        "bbo": lambda: client.stream.bbo(symbol),
        "ticker": lambda: client.stream.ticker(symbol),
    }
    table = StreamTable(out, COLUMNS[topic])

    def show(message: Any) -> None:
        if out.json:
            out.line(message)
        else:
            table.add(_depth_row(message) if topic == "depth" else message)

    await _pump(subscriptions[topic](), args.count, show)
    return EXIT_OK


async def user(client: HashKeyClient, args: argparse.Namespace, out: Output) -> int:
    """Print the account's private events (orders, fills, balances, gaps)."""
    table = StreamTable(out, ("event", "detail"))

    def show(event: PrivateEvent) -> None:
        if out.json:
            out.line({"event": type(event).__name__, **plain(event)})
        else:
            table.add({"event": type(event).__name__, "detail": describe_event(event)})

    if args.offline:
        out.text("offline: events appear as orders are placed on this in-process exchange")
    await _pump(client.stream.user(), args.count, show)
    return EXIT_OK


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``stream TOPIC SYMBOL`` and ``stream user`` to ``commands``."""
    stream = commands.add_parser("stream", help="print a stream's messages as they arrive")
    topics = stream.add_subparsers(dest="topic", metavar="{depth,trade,kline,bbo,ticker,user}")
    topics.required = True
    for topic in COLUMNS:
        parser = topics.add_parser(topic, parents=[common], help=f"the {topic} stream of a symbol")
        parser.add_argument("symbol", metavar="SYMBOL", type=str.upper)
        parser.set_defaults(handler=public, needs_keys=False, until_stopped=True)
        if topic == "kline":
            parser.add_argument(
                "--interval", default="1m", choices=sorted(KLINE_INTERVALS), help="default 1m"
            )
    mine = topics.add_parser("user", parents=[common], help="the account's private events")
    mine.set_defaults(handler=user, needs_keys=True, until_stopped=True)
    for parser in (*topics.choices.values(),):
        parser.add_argument(
            "--count", type=positive_int, help="stop after N messages (default: Ctrl-C)"
        )
