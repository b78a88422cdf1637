"""Account commands: ``balances``, ``orders``, ``order place`` / ``order cancel``, ``cancel-all``.

Each needs an API key (``$HASHKEY_API_KEY`` / ``$HASHKEY_API_SECRET``; ``--offline`` uses the
bundled exchange's made-up key).
"""

from __future__ import annotations

import argparse
from typing import Any, Final

from ..client import HashKeyClient
from ..enums import OrderType, Side, TimeInForce
from .failures import EXIT_OK, CommandError
from .output import Output

__all__ = ["register"]

BALANCE_COLUMNS: Final = ("asset", "free", "locked", "total")
ORDER_COLUMNS: Final = (
    "order_id",
    "client_order_id",
    "symbol",
    "side",
    "type",
    "price",
    "orig_qty",
    "executed_qty",
    "status",
)


async def balances(client: HashKeyClient, args: argparse.Namespace, out: Output) -> int:
    """Every asset's free and locked balance."""
    out.rows(BALANCE_COLUMNS, (await client.account.balances()).balances)
    return EXIT_OK


async def orders(client: HashKeyClient, args: argparse.Namespace, out: Output) -> int:
    """Open orders, or (``--history``) orders that traded or ended."""
    if args.history:
        found = await client.spot.trade_orders(args.symbol)
    else:
        found = await client.spot.open_orders(args.symbol)
    out.rows(ORDER_COLUMNS, found)
    if not found:
        out.text("no orders")
    return EXIT_OK


async def place(client: HashKeyClient, args: argparse.Namespace, out: Output) -> int:
    """Place one order, or (``--dry-run``) have the exchange validate it without placing it."""
    if args.dry_run:
        if args.amount is not None:
            raise CommandError("--dry-run takes --quantity (the test endpoint has no amount)")
        await client.spot.test_order(
            args.symbol,
            args.side,
            args.type,
            quantity=args.quantity,
            price=args.price,
            client_order_id=args.client_order_id,
            time_in_force=args.time_in_force,
        )
        checked = {
            "dry_run": True,
            "accepted": True,
            "symbol": args.symbol,
            "side": args.side,
            "type": args.type,
            "quantity": args.quantity,
            "price": args.price,
        }
        out.record(checked, title="accepted by the test endpoint (nothing was placed)")
        return EXIT_OK
    order = await client.spot.create_order(
        args.symbol,
        args.side,
        args.type,
        quantity=args.quantity,
        amount=args.amount,
        price=args.price,
        client_order_id=args.client_order_id,
        time_in_force=args.time_in_force,
    )
    out.rows(ORDER_COLUMNS, [order])
    return EXIT_OK


async def cancel(client: HashKeyClient, args: argparse.Namespace, out: Output) -> int:
    """Cancel one order by exchange id or client order id."""
    order = await client.spot.cancel_order(
        order_id=args.order_id, client_order_id=args.client_order_id
    )
    out.rows(ORDER_COLUMNS, [order])
    return EXIT_OK


async def cancel_all(client: HashKeyClient, args: argparse.Namespace, out: Output) -> int:
    """Cancel every open order (of one symbol with ``--symbol``); refuses without ``--yes``."""
    if not args.yes:
        scope = args.symbol or "every symbol"
        raise CommandError(f"cancel-all cancels every open order of {scope}: add --yes to confirm")
    result = await client.spot.cancel_all_open_orders(args.symbol)
    out.record(result, title="cancelled")
    return EXIT_OK


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the account commands to ``commands`` (the CLI's sub-parsers)."""

    def add(parent: Any, name: str, handler: Any, help: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = parent.add_parser(
            name, parents=[common], help=help, description=help
        )
        parser.set_defaults(handler=handler, needs_keys=True)
        return parser

    add(commands, "balances", balances, "balances of the account")
    listing = add(commands, "orders", orders, "open orders (--history: ended ones)")
    listing.add_argument("--symbol", type=str.upper, help="only this symbol")
    listing.add_argument("--history", action="store_true", help="orders that traded or ended")

    order = commands.add_parser("order", help="place or cancel one order")
    actions = order.add_subparsers(dest="action", metavar="{place,cancel}", required=True)
    new = add(actions, "place", place, "place an order (--dry-run: validate only)")
    new.add_argument("symbol", metavar="SYMBOL", type=str.upper)
    new.add_argument("side", metavar="SIDE", type=str.upper, choices=[s.value for s in Side])
    new.add_argument("type", metavar="TYPE", type=str.upper, choices=[t.value for t in OrderType])
    size = new.add_mutually_exclusive_group(required=True)
    size.add_argument("--quantity", metavar="Q", help="base-asset quantity, e.g. 0.001")
    size.add_argument("--amount", metavar="A", help="quote-asset amount (MARKET BUY)")
    new.add_argument("--price", metavar="P", help="limit price (LIMIT, LIMIT_MAKER)")
    new.add_argument(
        "--time-in-force",
        type=str.upper,
        choices=[t.value for t in TimeInForce],
        help="GTC, IOC, FOK",
    )
    new.add_argument("--client-order-id", help="your id for the order (default: a fresh one)")
    new.add_argument(
        "--dry-run", action="store_true", help="send to the test-order endpoint: nothing is placed"
    )
    stop = add(actions, "cancel", cancel, "cancel one order")
    which = stop.add_mutually_exclusive_group(required=True)
    which.add_argument("--order-id", help="the exchange's order id")
    which.add_argument("--client-order-id", help="the client order id it was placed with")

    everything = add(commands, "cancel-all", cancel_all, "cancel every open order")
    everything.add_argument("--symbol", type=str.upper, help="only this symbol")
    everything.add_argument("--yes", action="store_true", help="confirm: really cancel them")
