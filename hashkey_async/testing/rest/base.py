"""What every REST section of the offline exchange shares: the engine, the feeds, lookups."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from ...rest.endpoints import Endpoint
from ..accounts import Account
from ..book import BookOrder
from ..engine import Engine
from ..errors import EngineError
from ..feeds import MarketFeeds
from ..payloads import fill_row, order_row
from ..specs import SIDES
from .call import Call, Handler

__all__ = ["Section"]


class Section(ABC):
    """A group of REST handlers over the engine and the feeds, mirroring ``hashkey_async.rest``.

    ``routes()`` maps rows of ``rest.endpoints`` to the section's handlers.
    """

    def __init__(self, engine: Engine, feeds: MarketFeeds) -> None:
        self.engine = engine
        self.feeds = feeds

    @abstractmethod
    def routes(self) -> Mapping[Endpoint[Any], Handler]:
        """The rows this section serves and their handlers."""

    # --- lookups the sections share ----------------------------------------------------
    def symbol(self, call: Call) -> str | None:
        """The optional ``symbol`` parameter; 0201 when it names no listed symbol."""
        symbol = call.text("symbol")
        if symbol is not None:
            self.engine.spec(symbol)
        return symbol

    def need_symbol(self, call: Call) -> str:
        """The required ``symbol`` parameter; 0001 when missing, 0201 when not listed."""
        symbol = call.need("symbol")
        self.engine.spec(symbol)
        return symbol

    def symbols(self, call: Call) -> list[str]:
        """The ``symbol`` parameter as a list, or every listed symbol when it is absent."""
        symbol = self.symbol(call)
        return [symbol] if symbol else list(self.feeds.symbols)

    def account(self, call: Call, field: str, *, required: bool = False) -> Account:
        """The account named by ``field`` (default: main trading); 0104 if not the caller's."""
        user = call.caller()
        call.text(field, required=required)
        account_id = call.integer(field)
        if account_id is None:
            return user.main
        account = user.account(account_id)
        if account is None:
            raise EngineError("0104", "accountId is not allowed")
        return account

    def order_list(
        self, call: Call, account: Account, *, open_only: bool, high: int = 1000
    ) -> list[dict[str, Any]]:
        """Orders of ``account``, newest first, filtered by the call's parameters."""
        symbol = self.symbol(call)
        side = call.choice("side", SIDES, "-1117")
        from_id = call.integer("fromOrderId")
        start = call.integer("startTime")
        end = call.integer("endTime")
        limit = call.limit(500, high)
        rows: list[dict[str, Any]] = []
        for order in self.engine.account_orders(account):
            if len(rows) >= limit:
                break
            if not _order_wanted(order, open_only, symbol, side, from_id, start, end):
                continue
            rows.append(order_row(order))
        return rows

    def fills(self, call: Call, account: Account) -> list[dict[str, Any]]:
        """Fills of ``account``, newest first, filtered by the call's parameters."""
        symbol = self.symbol(call)
        client_id = call.text("clientOrderId")
        start, end = call.integer("startTime"), call.integer("endTime")
        from_id, to_id = call.integer("fromId"), call.integer("toId")
        limit = call.limit(500, 1000)
        rows: list[dict[str, Any]] = []
        for fill in self.engine.account_fills(account):
            if len(rows) >= limit:
                break
            if (
                symbol not in (None, fill.symbol)
                or client_id not in (None, fill.client_order_id)
                or (start is not None and fill.time < start)
                or (end is not None and fill.time > end)
                or (from_id is not None and fill.trade_id <= from_id)
                or (to_id is not None and fill.trade_id >= to_id)
            ):
                continue
            rows.append(fill_row(fill))
        return rows


def _order_wanted(
    order: BookOrder,
    open_only: bool,
    symbol: str | None,
    side: str | None,
    from_id: int | None,
    start: int | None,
    end: int | None,
) -> bool:
    return not (
        (open_only and not order.is_open)
        or symbol not in (None, order.symbol)
        or side not in (None, order.side)
        or (from_id is not None and order.order_id >= from_id)
        or (start is not None and order.time < start)
        or (end is not None and order.time > end)
    )
