"""``demo``: a tour of the SDK.

``python -m hashkey_async demo`` starts the offline exchange in-process and walks through
exchange rules, a depth stream, a rounded limit order and its executionReport, a fill,
balances and a cancel. ``demo --live`` runs the read-only part (rules, depth, balances)
against the sandbox with the keys in ``$HASHKEY_API_KEY`` / ``$HASHKEY_API_SECRET``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Final, TypeVar

from ..client import HashKeyClient
from ..enums import OrderStatus, Side
from ..errors import HashKeyError
from ..models.market import SymbolInfo
from ..models.stream import ExecutionReport, PrivateEvent, TicketInfo
from ..params import encode_value
from ..rules import SymbolRules
from ..streams.connection import ConnectionState
from ..streams.subscription import Subscription
from ..testing import OfflineExchange

__all__ = ["register", "run_demo"]

#: Seconds the whole demo may take before it gives up (it needs about one).
DEMO_TIMEOUT: Final = 60.0
#: Depth snapshots the demo prints.
DEPTH_UPDATES: Final = 3

E = TypeVar("E")


def _step(n: int, title: str) -> None:
    print(f"\n{n}. {title}")


def _show(label: str, text: object) -> None:
    print(f"   {label:<14}{text}")


async def _next_event(
    events: Subscription[PrivateEvent], kind: type[E], match: Callable[[E], bool]
) -> E:
    """The next user-stream event of ``kind`` that ``match`` accepts."""
    while True:
        event = await events.get()
        if isinstance(event, kind) and match(event):
            return event


def _report(event: ExecutionReport) -> str:
    filled = f"filled {event.executed_quantity}"
    if event.executed_quantity:
        filled += f" at avg {event.average_price}"
    return (
        f"executionReport {event.status} {event.side} {event.quantity} @ {event.price}"
        f" ({filled}, order {event.order_id})"
    )


async def _rules(client: HashKeyClient, symbol: str) -> tuple[SymbolInfo, SymbolRules]:
    _step(1, f"Exchange rules of {symbol} (GET /api/v1/exchangeInfo)")
    info = (await client.market.exchange_info()).symbol(symbol)
    if info is None:
        raise SystemExit(f"{symbol} is not listed")
    rules = SymbolRules.from_symbol(info)
    _show("tick size", rules.tick_size)
    _show("step size", rules.step_size)
    _show("min quantity", rules.min_qty)
    _show("min notional", rules.min_notional)
    return info, rules


async def _depth(client: HashKeyClient, symbol: str) -> tuple[Decimal, Decimal]:
    _step(2, f"Depth stream of {symbol} ({client.config.stream_url}/quote/ws/v2, topic depth)")
    bid = ask = Decimal(0)
    async with client.stream.depth(symbol) as books:
        for count in range(1, DEPTH_UPDATES + 1):
            book = await books.get()
            best_bid, best_ask = book.bids[0], book.asks[0]
            bid, ask = best_bid.price, best_ask.price
            _show(
                f"update {count}",
                f"best bid {bid} x {best_bid.quantity}   best ask {ask} x {best_ask.quantity}"
                f"   spread {ask - bid}",
            )
    return bid, ask


async def _balances(client: HashKeyClient, step: int, assets: Sequence[str]) -> None:
    _step(step, "Balances (GET /api/v1/account)")
    account = await client.account.balances()
    for balance in account.balances:
        if not assets or balance.asset in assets:
            _show(balance.asset, f"free {balance.free}   locked {balance.locked}")


async def _trade(client: HashKeyClient, info: SymbolInfo, rules: SymbolRules, bid: Decimal) -> None:
    """Steps 3-6: rounded limit order, its executionReport, a fill, balances, cancel."""
    symbol = info.symbol
    async with client.stream.user() as events:
        await client.stream.wait_state("private", ConnectionState.OPEN)

        _step(3, "A limit order, rounded to the symbol's tick and step sizes")
        wanted_price = bid * Decimal("0.97") + Decimal("0.00371")
        wanted_qty = Decimal("0.0123456")
        price = rules.round_price(wanted_price, Side.BUY)
        qty = rules.round_quantity(wanted_qty)
        _show("wanted", f"BUY {wanted_qty} @ {wanted_price}")
        _show("sent", f"BUY {encode_value(qty)} @ {encode_value(price)}")
        resting = await client.spot.create_order(symbol, "BUY", "LIMIT", quantity=qty, price=price)
        _show("REST answer", f"order {resting.order_id} {resting.status}")
        report = await _next_event(
            events, ExecutionReport, lambda e: e.order_id == resting.order_id
        )
        _show("user stream", _report(report))

        _step(4, "A fill: a marketable IOC order takes liquidity")
        ask = (await client.market.depth(symbol, limit=1)).asks[0].price
        take_price = rules.round_price(ask * Decimal("1.002"), Side.BUY)
        take_qty = rules.round_quantity(Decimal("0.002"))
        _show(
            "sent",
            f"BUY {encode_value(take_qty)} @ {encode_value(take_price)} IOC (best ask {ask})",
        )
        taker = await client.spot.create_order(
            symbol, "BUY", "LIMIT", quantity=take_qty, price=take_price, time_in_force="IOC"
        )
        ticket: TicketInfo | None = None
        done: ExecutionReport | None = None
        while ticket is None or done is None:  # the fill's ticket and the order's final report
            event = await events.get()
            if isinstance(event, TicketInfo) and event.order_id == taker.order_id:
                ticket = event
                _show("user stream", f"ticketInfo {ticket.quantity} @ {ticket.price}")
            elif (
                isinstance(event, ExecutionReport)
                and event.order_id == taker.order_id
                and event.status is not None
                and event.status.is_final
            ):
                done = event
                _show("user stream", _report(done))

        await _balances(client, 5, [a for a in (info.base_asset, info.quote_asset) if a])

        _step(6, f"Cancel order {resting.order_id} (DELETE /api/v1/spot/order)")
        cancelled = await client.spot.cancel_order(order_id=resting.order_id)
        _show("REST answer", f"order {cancelled.order_id} {cancelled.status}")
        report = await _next_event(
            events,
            ExecutionReport,
            lambda e: e.order_id == resting.order_id and e.status is OrderStatus.CANCELED,
        )
        _show("user stream", _report(report))


async def _demo(symbol: str) -> int:
    async with OfflineExchange() as ex, ex.client() as client:
        print("hashkey_async demo: the SDK against the bundled offline exchange")
        print(f"(in-process at {ex.rest_url}: no network, no real keys)")
        info, rules = await _rules(client, symbol)
        bid, _ = await _depth(client, symbol)
        await _trade(client, info, rules, bid)
    print("\nDone.")
    return 0


async def _demo_live(symbol: str) -> int:
    if not (os.environ.get("HASHKEY_API_KEY") and os.environ.get("HASHKEY_API_SECRET")):
        print("demo --live needs $HASHKEY_API_KEY and $HASHKEY_API_SECRET (sandbox keys)")
        return 2
    async with HashKeyClient(environment="sandbox") as client:
        print("hashkey_async demo --live: read-only tour of the sandbox")
        try:
            await _rules(client, symbol)
            await _depth(client, symbol)
            await _balances(client, 3, ())
        except HashKeyError as exc:
            print(f"\nThe sandbox refused: {exc}")
            return 1
    print("\nDone.")
    return 0


def run_demo(args: argparse.Namespace) -> int:
    """Run the tour (``--live``: the read-only part against the sandbox) within ``DEMO_TIMEOUT``."""
    tour = _demo_live(args.symbol) if args.live else _demo(args.symbol)
    try:
        return asyncio.run(asyncio.wait_for(tour, DEMO_TIMEOUT))
    except TimeoutError:
        print(f"\nThe demo did not finish within {DEMO_TIMEOUT:.0f} s.")
        return 1


def register(commands: Any) -> None:
    """Add ``demo`` to ``commands`` (the CLI's sub-parsers)."""
    demo = commands.add_parser("demo", help="tour the SDK against the bundled offline exchange")
    demo.add_argument("--live", action="store_true", help="read-only tour of the sandbox")
    demo.add_argument("--symbol", default="BTCUSDT", help="symbol to tour (default BTCUSDT)")
    demo.set_defaults(runner=run_demo)
