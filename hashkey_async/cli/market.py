"""Market commands: ``ticker``, ``depth`` (``--watch`` for a live book), ``trades``, ``klines``, ``rules``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, Final

from ..client import HashKeyClient
from ..enums import KLINE_INTERVALS
from ..models.common import Level
from ..rules import SymbolRules
from .failures import EXIT_OK, CommandError
from .output import Output, render_table
from .session import positive_int
from .watch import LiveView

__all__ = ["book_rows", "register"]

#: Levels a side ``depth`` shows unless ``--limit`` says otherwise.
DEFAULT_LEVELS: Final = 10

TICKER_COLUMNS: Final = (
    "symbol",
    "last_price",
    "bid_price",
    "ask_price",
    "high_price",
    "low_price",
    "volume",
    "quote_volume",
)
TRADE_COLUMNS: Final = ("time", "price", "quantity", "is_buyer_maker")
KLINE_COLUMNS: Final = ("open_time", "open", "high", "low", "close", "volume", "trade_count")
BOOK_COLUMNS: Final = ("bid_qty", "bid", "ask", "ask_qty")


def book_rows(bids: Sequence[Level], asks: Sequence[Level], levels: int) -> list[dict[str, str]]:
    """Side-by-side rows of the best ``levels`` bids and asks (exact strings, blanks past a side)."""
    rows = []
    for i in range(min(levels, max(len(bids), len(asks)))):
        bid = bids[i] if i < len(bids) else None
        ask = asks[i] if i < len(asks) else None
        rows.append(
            {
                "bid_qty": bid.raw_quantity if bid else "",
                "bid": bid.raw_price if bid else "",
                "ask": ask.raw_price if ask else "",
                "ask_qty": ask.raw_quantity if ask else "",
            }
        )
    return rows


def _book_record(
    symbol: str, time: int | None, bids: list[Level], asks: list[Level]
) -> dict[str, Any]:
    return {"symbol": symbol, "time": time, "bids": bids, "asks": asks}


async def ticker(client: HashKeyClient, args: argparse.Namespace, out: Output) -> int:
    """24-hour statistics of one symbol."""
    out.rows(TICKER_COLUMNS, await client.market.ticker_24hr(args.symbol))
    return EXIT_OK


async def depth(client: HashKeyClient, args: argparse.Namespace, out: Output) -> int:
    """The book over REST once, or (``--watch``) from the depth stream until stopped."""
    levels = args.limit
    if not args.watch:
        book = await client.market.depth(args.symbol, limit=levels)
        if out.json:
            out.line(_book_record(args.symbol, book.time, book.bids, book.asks))
        else:
            out.rows(BOOK_COLUMNS, book_rows(book.bids, book.asks, levels), title=args.symbol)
        return EXIT_OK
    view = None if out.json else LiveView(out.stream)
    seen = 0
    try:
        async with client.stream.depth(args.symbol) as books:
            while args.count is None or seen < args.count:
                update = await books.get()
                seen += 1
                bids, asks = update.bids[:levels], update.asks[:levels]
                if view is None:
                    out.line(_book_record(update.symbol, update.time, bids, asks))
                else:
                    title = f"{update.symbol}  depth (live, Ctrl-C to stop)"
                    view.show(title, render_table(BOOK_COLUMNS, book_rows(bids, asks, levels)))
    finally:
        if view is not None:
            view.close()
    return EXIT_OK


async def trades(client: HashKeyClient, args: argparse.Namespace, out: Output) -> int:
    """Recent public trades, oldest first."""
    out.rows(TRADE_COLUMNS, await client.market.trades(args.symbol, limit=args.limit))
    return EXIT_OK


async def klines(client: HashKeyClient, args: argparse.Namespace, out: Output) -> int:
    """Candlesticks of one interval."""
    candles = await client.market.klines(args.symbol, args.interval, limit=args.limit)
    out.rows(KLINE_COLUMNS, candles)
    return EXIT_OK


async def rules(client: HashKeyClient, args: argparse.Namespace, out: Output) -> int:
    """The symbol's trading rules: tick and step sizes, minimums and maximums."""
    info = (await client.market.exchange_info()).symbol(args.symbol)
    if info is None:
        raise CommandError(f"{args.symbol} is not listed on this exchange", exit_code=1)
    out.record(SymbolRules.from_symbol(info), title=args.symbol)
    return EXIT_OK


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the market commands to ``commands`` (the CLI's sub-parsers)."""

    def add(name: str, handler: Any, help: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = commands.add_parser(
            name, parents=[common], help=help, description=help
        )
        parser.set_defaults(handler=handler, needs_keys=False)
        parser.add_argument("symbol", metavar="SYMBOL", type=str.upper, help="e.g. BTCUSDT")
        return parser

    add("ticker", ticker, "24-hour statistics of a symbol")
    book = add("depth", depth, "the order book (--watch: live, in place)")
    book.add_argument(
        "--limit", type=positive_int, default=DEFAULT_LEVELS, help="levels a side (default 10)"
    )
    book.add_argument("--watch", action="store_true", help="follow the depth stream")
    book.add_argument(
        "--count", type=positive_int, help="with --watch: stop after N updates (default: Ctrl-C)"
    )
    recent = add("trades", trades, "recent public trades")
    recent.add_argument("--limit", type=positive_int, help="how many (1..100, default 100)")
    candles = add("klines", klines, "candlesticks")
    candles.add_argument(
        "interval", metavar="INTERVAL", choices=sorted(KLINE_INTERVALS), help="e.g. 1m, 1h, 1d"
    )
    candles.add_argument("--limit", type=positive_int, help="how many (1..1000)")
    add("rules", rules, "trading rules: tick size, step size, minimums")
