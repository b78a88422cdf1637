"""Quickstart: an order book, a rounded limit order placed and cancelled, a streamed book.

python examples/quickstart.py            # against the bundled offline exchange
python examples/quickstart.py --live     # against the sandbox ($HASHKEY_API_KEY/SECRET)
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from _common import connect, parser

from hashkey_async import HashKeyClient, Side, SymbolRules


async def run(client: HashKeyClient, symbol: str) -> None:
    """The README's quickstart, step by step."""
    book = await client.market.depth(symbol, limit=5)
    print(f"{symbol} book: best bid {book.bids[0].price}, best ask {book.asks[0].price}")

    info = (await client.market.exchange_info()).symbol(symbol)
    if info is None:
        raise SystemExit(f"{symbol} is not listed")
    rules = SymbolRules.from_symbol(info)
    price = rules.round_price(book.bids[0].price * Decimal("0.95"), Side.BUY)
    quantity = rules.round_quantity(Decimal("0.001"))
    order = await client.spot.create_order(symbol, "BUY", "LIMIT", quantity=quantity, price=price)
    print(f"placed order {order.order_id}: BUY {order.orig_qty} @ {order.price}, {order.status}")
    cancelled = await client.spot.cancel_order(order_id=order.order_id)
    print(f"cancelled order {cancelled.order_id}: {cancelled.status}")

    async for depth in client.stream.depth(symbol):
        print(f"streamed book: bid {depth.bids[0].price} / ask {depth.asks[0].price}")
        break


async def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, connect, run; returns the exit code."""
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    async with connect(args.live) as client:
        await run(client, args.symbol)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
