"""A small market maker: quote both sides around the mid, cancel/replace when the book moves,
reconcile with REST after a gap in the user stream.

    python examples/market_maker.py --updates 40
    python examples/market_maker.py --live --duration 60 --spread-bps 20   # sandbox, real orders

It is a teaching example, not a strategy: one LIMIT_MAKER order a side, no inventory control.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from decimal import Decimal
from math import inf

from _common import connect, parser

from hashkey_async import (
    ConnectionState,
    ExecutionReport,
    HashKeyClient,
    Level,
    OrderError,
    OrderRejectedError,
    PrivateEvent,
    Side,
    StreamGap,
    SymbolRules,
    new_client_order_id,
)

#: Prefix of this maker's clientOrderIds, so reconciliation can tell its orders apart.
PREFIX = "mm"
_BPS = Decimal("0.0001")


@dataclass
class Quote:
    """One live quote."""

    order_id: int
    price: Decimal


@dataclass
class Stats:
    """What the maker did."""

    book_updates: int = 0
    placed: int = 0
    replaced: int = 0
    fills: int = 0
    reconciles: int = 0
    orphans_cancelled: int = 0
    vanished: int = 0


class MarketMaker:
    """Keeps one maker order a side ``spread_bps`` away from the mid of ``symbol``."""

    def __init__(
        self,
        client: HashKeyClient,
        rules: SymbolRules,
        *,
        quantity: Decimal,
        spread_bps: Decimal = Decimal(10),
        requote_bps: Decimal = Decimal(2),
        min_requote_interval: float = 1.0,
        verbose: bool = True,
    ) -> None:
        self.client = client
        self.rules = rules
        self.symbol = rules.symbol
        self.quantity = rules.round_quantity(quantity)
        self.spread = spread_bps * _BPS
        self.requote = requote_bps * _BPS
        #: Seconds between two order actions on one side: keeps well inside 10 orders/s.
        self.min_requote_interval = min_requote_interval
        self._acted_at: dict[Side, float] = {}
        self.verbose = verbose
        self.quotes: dict[Side, Quote] = {}
        self.stats = Stats()
        #: Set once both sides are quoted for the first time.
        self.quoting = asyncio.Event()
        #: Set after every reconciliation.
        self.reconciled = asyncio.Event()
        #: Set whenever a quote is cancelled and replaced because the book moved.
        self.requoted = asyncio.Event()
        self._gap = False
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """Ask ``run`` to cancel the quotes and return."""
        self._stop.set()

    def _say(self, text: str) -> None:
        if self.verbose:
            print(text, flush=True)

    async def run(self, *, updates: int | None = None, duration: float | None = None) -> Stats:
        """Quote until ``updates`` book updates, ``duration`` seconds or ``stop()``."""
        loop = asyncio.get_running_loop()
        deadline = None if duration is None else loop.time() + duration
        async with (
            self.client.stream.user() as events,
            self.client.stream.depth(self.symbol) as books,
        ):
            await self.client.stream.wait_state("private", ConnectionState.OPEN)
            watcher = asyncio.create_task(self._watch(events))
            stop = asyncio.create_task(self._stop.wait())
            try:
                while updates is None or self.stats.book_updates < updates:
                    timeout = None if deadline is None else max(0.0, deadline - loop.time())
                    next_book = asyncio.ensure_future(books.get())
                    await asyncio.wait(
                        {next_book, stop}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                    )
                    if not next_book.done():  # stopped or out of time
                        next_book.cancel()
                        break
                    book = next_book.result()
                    self.stats.book_updates += 1
                    if self._gap:
                        await self._reconcile()
                    await self._quote(book.bids[0], book.asks[0])
            finally:
                stop.cancel()
                watcher.cancel()
                await asyncio.gather(watcher, stop, return_exceptions=True)
                await self._cancel_all()
        return self.stats

    async def _watch(self, events: object) -> None:
        """Follow our orders on the user stream; a gap means we may have missed some."""
        async for event in events:  # type: ignore[attr-defined]
            self._on_event(event)

    def _on_event(self, event: PrivateEvent) -> None:
        if isinstance(event, StreamGap):
            self._say(f"gap of {event.duration_ms} ms in the user stream: will reconcile")
            self._gap = True
        elif isinstance(event, ExecutionReport) and event.status and event.status.is_final:
            for side, quote in list(self.quotes.items()):
                if quote.order_id == event.order_id:
                    del self.quotes[side]
                    if event.executed_quantity:
                        self.stats.fills += 1
                        self._say(f"filled  {side.value} {event.executed_quantity} @ {event.price}")

    async def _quote(self, bid: Level, ask: Level) -> None:
        """Place missing quotes; cancel and replace those the mid has moved away from."""
        now = asyncio.get_running_loop().time()
        mid = (bid.price + ask.price) / 2
        targets = {
            Side.BUY: self.rules.round_price(mid * (1 - self.spread), Side.BUY),
            Side.SELL: self.rules.round_price(mid * (1 + self.spread), Side.SELL),
        }
        for side, price in targets.items():
            current = self.quotes.get(side)
            if current is not None and abs(current.price - price) <= price * self.requote:
                continue  # still close enough to the mid
            if now - self._acted_at.get(side, -inf) < self.min_requote_interval:
                continue  # acted on this side a moment ago: stay well inside the rate limit
            self._acted_at[side] = now
            if current is not None:
                del self.quotes[side]
                await self._cancel(current.order_id)
                self.stats.replaced += 1
                self.requoted.set()
            try:
                order = await self.client.spot.create_order(
                    self.symbol,
                    side,
                    "LIMIT_MAKER",
                    quantity=self.quantity,
                    price=price,
                    client_order_id=new_client_order_id(PREFIX),
                )
            except OrderRejectedError as exc:  # the book moved through our price: next update
                self._say(f"skip    {side.value:<4} @ {price}: {exc.message}")
                continue
            self.quotes[side] = Quote(order.order_id, price)
            self.stats.placed += 1
            self._say(f"quote   {side.value:<4} {self.quantity} @ {price}   (mid {mid})")
        if len(self.quotes) == 2:
            self.quoting.set()

    async def _cancel(self, order_id: int) -> None:
        with contextlib.suppress(OrderError):  # filled or cancelled meanwhile: nothing to do
            await self.client.spot.cancel_order(order_id=order_id)

    async def _reconcile(self) -> None:
        """Make ``quotes`` match the exchange's open orders after a stream gap."""
        self._gap = False
        open_orders = await self.client.spot.open_orders(self.symbol)
        ours = {o.order_id for o in open_orders if (o.client_order_id or "").startswith(PREFIX)}
        known = {q.order_id for q in self.quotes.values()}
        for side, quote in list(self.quotes.items()):
            if quote.order_id not in ours:  # filled or cancelled while we were not looking
                del self.quotes[side]
                self.stats.vanished += 1
        for order_id in ours - known:  # placed by us, but no longer tracked
            await self._cancel(order_id)
            self.stats.orphans_cancelled += 1
        self.stats.reconciles += 1
        self._say(f"reconciled: {len(ours)} open on the exchange, {len(self.quotes)} still quoted")
        self.reconciled.set()

    async def _cancel_all(self) -> None:
        for quote in self.quotes.values():
            await self._cancel(quote.order_id)
        self.quotes.clear()


async def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, connect, make a market; returns the exit code."""
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--updates", type=int, default=20, help="book updates to act on")
    args_parser.add_argument("--duration", type=float, default=None, help="or stop after seconds")
    args_parser.add_argument("--quantity", type=Decimal, default=Decimal("0.001"))
    args_parser.add_argument("--spread-bps", type=Decimal, default=Decimal(10))
    args_parser.add_argument("--requote-bps", type=Decimal, default=Decimal(3))
    args_parser.add_argument("--min-requote-interval", type=float, default=1.0, help="seconds")
    args = args_parser.parse_args(argv)
    async with connect(args.live) as client:
        info = (await client.market.exchange_info()).symbol(args.symbol)
        if info is None:
            raise SystemExit(f"{args.symbol} is not listed")
        maker = MarketMaker(
            client,
            SymbolRules.from_symbol(info),
            quantity=args.quantity,
            spread_bps=args.spread_bps,
            requote_bps=args.requote_bps,
            min_requote_interval=args.min_requote_interval,
        )
        stats = await maker.run(updates=args.updates, duration=args.duration)
    print(stats)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
