"""Models of the reference's "Public Market Data" and "Miscellaneous" (server time) sections.

Exchange one-letter keys are renamed to words; prices and quantities are ``Decimal``
(msgspec decodes JSON strings and numbers into Decimal exactly), except order-book
levels, which keep the exact strings (see ``Level``). Unknown fields are ignored and
fields that older payloads omit have defaults.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final, TypeVar

import msgspec

from .common import Level, Model

__all__ = [
    "KNOWN_FILTER_TYPES",
    "BookTicker",
    "ChainInfo",
    "Coin",
    "Depth",
    "ExchangeInfo",
    "Filter",
    "Kline",
    "LimitTradingFilter",
    "LotSizeFilter",
    "MarketTradingFilter",
    "MinNotionalFilter",
    "OpenQuoteFilter",
    "PriceFilter",
    "ServerTime",
    "SymbolInfo",
    "Ticker24hr",
    "TickerPrice",
    "Trade",
    "TradeAmountFilter",
    "reshape_exchange_info",
]

_ZERO = Decimal(0)


class ServerTime(Model):
    """``GET /api/v1/time``: ``{"serverTime": 1764229341307}``."""

    server_time: int


# --- Exchange information: symbol filters, a tagged union on "filterType" ------


class _Filter(msgspec.Struct, rename="camel", tag_field="filterType", omit_defaults=True):
    """Base of the symbol filters (reference, "Types of trading restrictions")."""


class PriceFilter(_Filter, tag="PRICE_FILTER"):
    """Price rules: ``tick_size`` is the minimum price increment."""

    tick_size: Decimal | None = None
    min_price: Decimal | None = _ZERO
    max_price: Decimal | None = _ZERO


class LotSizeFilter(_Filter, tag="LOT_SIZE"):
    """Quantity rules for limit and market orders."""

    min_qty: Decimal | None = None
    max_qty: Decimal | None = None
    step_size: Decimal | None = None
    market_order_min_qty: Decimal | None = None
    market_order_max_qty: Decimal | None = None


class MinNotionalFilter(_Filter, tag="MIN_NOTIONAL"):
    """Minimum notional (price x quantity) of an order."""

    min_notional: Decimal | None = None


class TradeAmountFilter(_Filter, tag="TRADE_AMOUNT"):
    """Turnover rules: amount bounds for limit and market orders."""

    min_amount: Decimal | None = _ZERO
    max_amount: Decimal | None = None
    min_buy_price: Decimal | None = _ZERO
    market_order_min_amount: Decimal | None = None
    market_order_max_amount: Decimal | None = None


class LimitTradingFilter(_Filter, tag="LIMIT_TRADING"):
    """Limit orders may not stray more than these rates from the mark price."""

    buy_price_up_rate: Decimal | None = None
    sell_price_down_rate: Decimal | None = None
    max_sell_price: Decimal | None = _ZERO
    max_entrust_num: int | None = None


class MarketTradingFilter(_Filter, tag="MARKET_TRADING"):
    """Market orders may not fill further than these rates from the mark price."""

    buy_price_up_rate: Decimal | None = None
    sell_price_down_rate: Decimal | None = None


class OpenQuoteFilter(_Filter, tag="OPEN_QUOTE"):
    """Opening-auction restrictions (times in ms; ``0`` means none)."""

    no_allow_market_start_time: int | None = 0
    no_allow_market_end_time: int | None = 0
    limit_order_start_time: int | None = 0
    limit_order_end_time: int | None = 0
    limit_min_price: Decimal | None = _ZERO
    limit_max_price: Decimal | None = _ZERO


#: Any symbol filter; msgspec picks the class from ``filterType``.
Filter = (
    PriceFilter
    | LotSizeFilter
    | MinNotionalFilter
    | TradeAmountFilter
    | LimitTradingFilter
    | MarketTradingFilter
    | OpenQuoteFilter
)

_FilterT = TypeVar("_FilterT", bound=_Filter)


class SymbolInfo(Model):
    """One trading pair and its trading rules."""

    symbol: str
    status: str | None = None
    base_asset: str | None = None
    quote_asset: str | None = None
    symbol_name: str | None = ""
    base_asset_name: str | None = ""
    base_asset_precision: Decimal | None = None
    base_ucid: str | None = ""
    quote_asset_name: str | None = ""
    quote_precision: Decimal | None = None
    quote_ucid: str | None = ""
    retail_allowed: bool | None = False
    pi_allowed: bool | None = False
    corporate_allowed: bool | None = False
    omnibus_allowed: bool | None = False
    iceberg_allowed: bool | None = False
    is_aggregate: bool | None = False
    allow_margin: bool | None = False
    filters: list[Filter] = msgspec.field(default_factory=list)
    #: Filters whose ``filterType`` is empty or new to this version, as sent (not applied).
    unknown_filters: list[dict[str, Any]] = msgspec.field(default_factory=list)
    trade_status: str | None = ""
    site: str | None = ""

    def filter(self, kind: type[_FilterT]) -> _FilterT | None:
        """The first filter of type ``kind`` (e.g. ``PriceFilter``), or None if absent."""
        for item in self.filters:
            if isinstance(item, kind):
                return item
        return None


class ChainInfo(Model):
    """One chain a coin can move on, with its deposit/withdrawal limits."""

    chain_type: str
    withdraw_fee: Decimal | None = None
    min_withdraw_quantity: Decimal | None = None
    max_withdraw_quantity: Decimal | None = None
    min_deposit_quantity: Decimal | None = None
    allow_deposit: bool | None = False
    allow_withdraw: bool | None = False


class Coin(Model):
    """One coin and the chains it can be deposited or withdrawn on."""

    coin_id: str
    coin_name: str | None = ""
    coin_full_name: str | None = ""
    org_id: int | None = None
    allow_withdraw: bool | None = False
    allow_deposit: bool | None = False
    token_type: str | None = ""
    chain_types: list[ChainInfo] = msgspec.field(default_factory=list)


class ExchangeInfo(Model):
    """``GET /api/v1/exchangeInfo``: symbols with their filters, and coins."""

    timezone: str | None = ""
    server_time: int | None = 0
    symbols: list[SymbolInfo] = msgspec.field(default_factory=list)
    coins: list[Coin] = msgspec.field(default_factory=list)
    site: str | None = ""

    def symbol(self, name: str) -> SymbolInfo | None:
        """The symbol called ``name``, or None."""
        for info in self.symbols:
            if info.symbol == name:
                return info
        return None


# --- Order book, trades, klines, tickers ---------------------------------------


class Depth(msgspec.Struct, rename={"time": "t", "bids": "b", "asks": "a"}):
    """Order book snapshot: ``t`` time, ``b`` bids, ``a`` asks as exact price levels."""

    time: int | None = 0
    bids: list[Level] = msgspec.field(default_factory=list)
    asks: list[Level] = msgspec.field(default_factory=list)


class Trade(
    msgspec.Struct, rename={"time": "t", "price": "p", "quantity": "q", "is_buyer_maker": "ibm"}
):
    """One public trade: ``is_buyer_maker`` is true when the buyer's order was resting."""

    time: int
    price: Decimal | None = None
    quantity: Decimal | None = None
    is_buyer_maker: bool | None = False


class Kline(msgspec.Struct, array_like=True):
    """One candlestick, decoded from the reference's 11-element array in this order."""

    open_time: int
    open: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None
    close: Decimal | None = None
    volume: Decimal | None = None
    close_time: int | None = 0
    quote_volume: Decimal | None = _ZERO
    trade_count: int | None = 0
    taker_buy_base_volume: Decimal | None = _ZERO
    taker_buy_quote_volume: Decimal | None = _ZERO


class Ticker24hr(
    msgspec.Struct,
    kw_only=True,
    rename={
        "time": "t",
        "symbol": "s",
        "last_price": "c",
        "high_price": "h",
        "low_price": "l",
        "open_price": "o",
        "bid_price": "b",
        "ask_price": "a",
        "volume": "v",
        "quote_volume": "qv",
        "inst_type": "it",
    },
):
    """24-hour rolling statistics of one symbol."""

    time: int | None = None
    symbol: str
    last_price: Decimal | None = None
    high_price: Decimal | None = None
    low_price: Decimal | None = None
    open_price: Decimal | None = None
    bid_price: Decimal | None = None
    ask_price: Decimal | None = None
    volume: Decimal | None = _ZERO
    quote_volume: Decimal | None = _ZERO
    inst_type: str | None = "SPOT"


class TickerPrice(msgspec.Struct, rename={"symbol": "s", "price": "p"}):
    """Latest traded price of one symbol."""

    symbol: str
    price: Decimal | None = None


class BookTicker(
    msgspec.Struct,
    rename={
        "symbol": "s",
        "bid_price": "b",
        "bid_quantity": "bq",
        "ask_price": "a",
        "ask_quantity": "aq",
        "time": "t",
    },
):
    """Best bid and ask of one symbol."""

    symbol: str
    bid_price: Decimal | None = None
    bid_quantity: Decimal | None = None
    ask_price: Decimal | None = None
    ask_quantity: Decimal | None = None
    time: int | None = 0


#: The ``filterType`` values the tagged union knows.
KNOWN_FILTER_TYPES: Final = frozenset(
    cls.__struct_config__.tag
    for cls in (
        PriceFilter,
        LotSizeFilter,
        MinNotionalFilter,
        TradeAmountFilter,
        LimitTradingFilter,
        MarketTradingFilter,
        OpenQuoteFilter,
    )
)


def reshape_exchange_info(data: Any) -> Any:
    """exchangeInfo as the wrapper, whatever shape came: one bare symbol object (the answer to
    ``?symbol=...``, and the reference's own example) or a list of them is wrapped in ``symbols``."""
    if isinstance(data, list):
        return {"symbols": data}
    if isinstance(data, dict) and "symbols" not in data and not _BARE_SYMBOL.isdisjoint(data):
        return {"symbols": [data]}
    return data


#: Keys only a symbol object has: a dict with one of them (and no ``symbols``) is a bare symbol.
_BARE_SYMBOL: Final = frozenset(("symbol", "baseAsset", "quoteAsset", "filters"))
