"""Public market data and miscellaneous endpoints (reference, "Public Market Data")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...rest import endpoints as ep
from ..errors import EngineError
from ..payloads import coin_row, symbol_info
from .base import Section
from .call import Call, Handler

__all__ = ["MarketSection"]


class MarketSection(Section):
    """Ping, time, exchange information, books, trades, klines and tickers."""

    def routes(self) -> Mapping[ep.Endpoint[Any], Handler]:
        """Rows of ``rest.market`` and the miscellaneous ping/time."""
        return {
            ep.PING: lambda call: {},
            ep.SERVER_TIME: lambda call: {"serverTime": call.now},
            ep.EXCHANGE_INFO: self.exchange_info,
            ep.DEPTH: self.depth,
            ep.TRADES: self.trades,
            ep.KLINES: self.klines,
            ep.TICKER_24HR: self.ticker_24hr,
            ep.TICKER_PRICE: self.ticker_price,
            ep.BOOK_TICKER: self.book_ticker,
            ep.MERGED_DEPTH: self.merged_depth,
        }

    def exchange_info(self, call: Call) -> dict[str, Any]:
        """Reference, "Get Exchange Information"."""
        specs = [self.engine.specs[s] for s in self.symbols(call)]
        assets = sorted({a for spec in specs for a in (spec.base, spec.quote)})
        return {
            "timezone": "UTC",
            "serverTime": call.now,
            "brokerFilters": [],
            "symbols": [symbol_info(spec) for spec in specs],
            "options": [],
            "contracts": [],
            "coins": [coin_row(a) for a in assets],
            "site": call.text("site") or "BMU",
        }

    def depth(self, call: Call) -> dict[str, Any]:
        """Reference, "Get Order book" (limit default 100, max 200)."""
        symbol = self.need_symbol(call)
        return self.feeds.depth(symbol, call.limit(100, 200))

    def merged_depth(self, call: Call) -> dict[str, Any]:
        """Reference, "Get Merge Depth" (scale 0..5 merges 10**scale ticks)."""
        symbol = self.need_symbol(call)
        limit = call.limit(100, 200)
        scale = call.integer("scale", 0, low=0)
        if scale is None or scale > 5:
            raise EngineError("-1130", "Illegal parameter 'scale'")
        return self.feeds.depth(symbol, limit, scale)

    def trades(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Recent Trade List" (limit default and max 100)."""
        symbol = self.need_symbol(call)
        return self.feeds.trades(symbol, call.limit(100, 100))

    def klines(self, call: Call) -> list[list[Any]]:
        """Reference, "Get Kline" (limit max 1000)."""
        symbol = self.need_symbol(call)
        return self.feeds.klines(
            symbol,
            call.need("interval"),
            call.limit(1000, 1000),
            call.integer("startTime"),
            call.integer("endTime"),
        )

    def ticker_24hr(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get 24hr Ticker Price Change" (every symbol when none is given)."""
        return [self.feeds.ticker_24hr(s) for s in self.symbols(call)]

    def ticker_price(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Symbol Price Ticker"."""
        return [self.feeds.ticker_price(s) for s in self.symbols(call)]

    def book_ticker(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Symbol current Top of book"."""
        return [self.feeds.book_ticker(s) for s in self.symbols(call)]
