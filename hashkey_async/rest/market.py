"""``client.market``: public market data (reference, "Public Market Data" and "Miscellaneous").

None of these calls needs credentials or counts against the per-key rate buckets.
Arguments are checked here, before any request, against the limits the reference states.
"""

from __future__ import annotations

from ..enums import interval_param
from ..errors import InvalidParameterError
from ..models.market import BookTicker, Depth, ExchangeInfo, Kline, Ticker24hr, TickerPrice, Trade
from ..params import symbol_param
from . import endpoints as E
from .base import Resource

__all__ = ["MarketResource"]


def _optional_symbol(symbol: str | None) -> str | None:
    return None if symbol is None else symbol_param(symbol)


def _bounded(field: str, value: int | None, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameterError(field, f"expected an int in [{low}, {high}], got {value!r}")
    return value


class MarketResource(Resource):
    """Order book, trades, klines, tickers, exchange rules and server time."""

    __slots__ = ()

    async def ping(self) -> None:
        """Test connectivity (``GET /api/v1/ping``)."""
        await self._call(E.PING)

    async def server_time(self) -> int:
        """The exchange's clock in epoch milliseconds."""
        return (await self._call(E.SERVER_TIME)).server_time

    async def exchange_info(
        self, symbol: str | None = None, site: str | None = None
    ) -> ExchangeInfo:
        """Trading rules (filters) of every symbol, or of ``symbol``, and coin information."""
        return await self._call(E.EXCHANGE_INFO, symbol=_optional_symbol(symbol), site=site)

    async def depth(self, symbol: str, limit: int | None = None) -> Depth:
        """Order book snapshot, up to ``limit`` (1..200, default 100) levels a side."""
        return await self._call(
            E.DEPTH, symbol=symbol_param(symbol), limit=_bounded("limit", limit, 1, 200)
        )

    async def trades(self, symbol: str, limit: int | None = None) -> list[Trade]:
        """Recent public trades, oldest first, up to ``limit`` (1..100, default 100)."""
        return await self._call(
            E.TRADES, symbol=symbol_param(symbol), limit=_bounded("limit", limit, 1, 100)
        )

    async def klines(
        self,
        symbol: str,
        interval: str,
        *,
        limit: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
    ) -> list[Kline]:
        """Candlesticks of ``interval`` (``"1m"`` .. ``"1M"``), up to ``limit`` (1..1000)."""
        return await self._call(
            E.KLINES,
            symbol=symbol_param(symbol),
            interval=interval_param(interval),
            limit=_bounded("limit", limit, 1, 1000),
            start_time=_bounded("start_time", start_time, 0, 2**63 - 1),
            end_time=_bounded("end_time", end_time, 0, 2**63 - 1),
        )

    async def ticker_24hr(self, symbol: str | None = None) -> list[Ticker24hr]:
        """24-hour rolling statistics of ``symbol``, or of every symbol."""
        return await self._call(E.TICKER_24HR, symbol=_optional_symbol(symbol))

    async def ticker_price(self, symbol: str | None = None) -> list[TickerPrice]:
        """Latest price of ``symbol``, or of every symbol."""
        return await self._call(E.TICKER_PRICE, symbol=_optional_symbol(symbol))

    async def book_ticker(self, symbol: str) -> list[BookTicker]:
        """Best bid and ask of ``symbol`` (the exchange answers with a one-element list)."""
        return await self._call(E.BOOK_TICKER, symbol=symbol_param(symbol))

    async def merged_depth(
        self, symbol: str, limit: int | None = None, scale: int | None = None
    ) -> Depth:
        """Order book aggregated at price ``scale`` (0..5), up to ``limit`` (1..200) levels a side."""
        return await self._call(
            E.MERGED_DEPTH,
            symbol=symbol_param(symbol),
            limit=_bounded("limit", limit, 1, 200),
            scale=_bounded("scale", scale, 0, 5),
        )
