"""Seeded market generator of the offline exchange (no I/O).

Each symbol has a mid price that a seeded random walk moves one tick per ``step()``, a
ladder of synthetic levels around it that takers consume, public trades (synthetic ones
and the engine's fills), 1-minute candles and a rolling 24h window. Accessors return the
reference's "Public Market Data" payloads as plain JSON-ready data.

Public trades are capped at ``TRADE_HISTORY`` per symbol; 1m candles are kept for the
exchange's lifetime (one per symbol per minute that traded, so klines can reach back to
the start), which is unbounded by design but small for a test or ``serve`` session.
"""

from __future__ import annotations

import bisect
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any, Final

from ..enums import KLINE_INTERVALS
from .config import ExchangeConfig
from .errors import EngineError
from .formatting import fmt
from .specs import SIDES, SymbolSpec

if TYPE_CHECKING:
    from .engine import Engine

__all__ = [
    "INTERVAL_MS",
    "FeedTick",
    "MarketFeeds",
    "PublicTrade",
]

#: Length of each of ``enums.KLINE_INTERVALS`` in milliseconds (1M is a calendar month: 0).
INTERVAL_MS: Final = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
    "1w": 604_800_000,
    "1M": 0,
}

#: Synthetic levels per side; the reference caps depth at 200.
LADDER_LEVELS: Final = 200
#: Standard deviation of one random-walk step, relative to the price.
STEP_VOLATILITY: Final = 0.0004
#: At most this many synthetic public trades per symbol per step.
MAX_TRADES_PER_STEP: Final = 3
#: Public trades kept per symbol (REST serves the last 100, WS snapshots 60).
TRADE_HISTORY: Final = 1000
#: Minutes of seeded 1m bars before start, so klines and the 24h ticker have history; the
#: last of them is made of ``BACKFILL_TRADES`` public trades, so trade lists start full.
BACKFILL_MINUTES: Final = 1440
BACKFILL_TRADES: Final = 60
_DAY_MS: Final = 86_400_000
_MINUTE_MS: Final = 60_000
_THURSDAY_OFFSET_MS: Final = 4 * _DAY_MS  # 1970-01-01 was a Thursday; weeks start on Monday
_PUBLIC_TRADE_ID_BASE: Final = 4_620_000_000_000_000_000


@dataclass(frozen=True)
class PublicTrade:
    """One public trade; ``buyer_maker`` is the reference's ``ibm`` (WS ``m``)."""

    trade_id: int
    time: int
    price: Decimal
    qty: Decimal
    buyer_maker: bool

    def rest(self) -> dict[str, Any]:
        """Reference, "Get Recent Trade List" row."""
        return {"t": self.time, "p": fmt(self.price), "q": fmt(self.qty), "ibm": self.buyer_maker}


@dataclass(frozen=True)
class FeedTick:
    """What one ``step()`` produced: the new public trades per symbol."""

    time: int
    trades: dict[str, list[PublicTrade]]


@dataclass
class _Candle:
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = Decimal(0)
    quote_volume: Decimal = Decimal(0)
    count: int = 0
    taker_buy_volume: Decimal = Decimal(0)
    taker_buy_quote: Decimal = Decimal(0)

    def add(self, trade: PublicTrade) -> None:
        self.high = max(self.high, trade.price)
        self.low = min(self.low, trade.price)
        self.close = trade.price
        notional = trade.price * trade.qty
        self.volume += trade.qty
        self.quote_volume += notional
        self.count += 1
        if trade.buyer_maker is False:
            self.taker_buy_volume += trade.qty
            self.taker_buy_quote += notional


@dataclass
class _Market:
    """Everything generated for one symbol."""

    spec: SymbolSpec
    rng: random.Random
    mid: Decimal
    start_ms: int
    bids: list[list[Decimal]] = field(default_factory=list)
    asks: list[list[Decimal]] = field(default_factory=list)
    trades: deque[PublicTrade] = field(default_factory=lambda: deque(maxlen=TRADE_HISTORY))
    pending: list[PublicTrade] = field(default_factory=list)
    minutes: list[int] = field(default_factory=list)
    candles: dict[int, _Candle] = field(default_factory=dict)


class MarketFeeds:
    """Moves each symbol's book by a seeded random walk and serves market data.

    ``step(now_ms)`` advances every symbol one tick; the WS hub calls it every
    ``config.market_interval`` seconds and tests may call it directly.
    """

    def __init__(
        self,
        config: ExchangeConfig,
        engine: Engine,
        clock: Callable[[], int] | None = None,
    ) -> None:
        self.config = config
        self.engine = engine
        self.clock: Callable[[], int] = clock or (lambda: int(time.time() * 1000))
        self._trade_ids = iter(range(_PUBLIC_TRADE_ID_BASE + 1, 2**63))
        start = self.clock()
        self._markets: dict[str, _Market] = {}
        for symbol in config.symbols:
            spec = engine.specs[symbol]
            market = _Market(
                spec, random.Random(f"{config.seed}:{symbol}"), spec.start_price, start
            )
            self._backfill(market, random.Random(f"{config.seed}:{symbol}:history"))
            self._markets[symbol] = market
            self._rebuild(market)
        engine.market = self

    @property
    def symbols(self) -> tuple[str, ...]:
        """Listed symbols, in configuration order."""
        return tuple(self._markets)

    # --- generation -------------------------------------------------------------
    def step(self, now_ms: int | None = None) -> FeedTick:
        """Advance every symbol one tick: move the mid, rebuild the ladder, trade, cross."""
        now = self.clock() if now_ms is None else now_ms
        for symbol, market in self._markets.items():
            rng = market.rng
            move = Decimal(repr(round(rng.gauss(0.0, STEP_VOLATILITY), 6)))
            tick = market.spec.tick_size
            market.mid = max(tick * 10, (market.mid * (1 + move)).quantize(tick))
            self._rebuild(market)
            for _ in range(rng.randint(0, MAX_TRADES_PER_STEP)):
                self._synthetic_trade(market, now)
            self.engine.cross(symbol, now)
        trades = {}
        for symbol, market in self._markets.items():
            trades[symbol] = market.pending
            market.pending = []
        return FeedTick(now, trades)

    def _rebuild(self, market: _Market) -> None:
        """A fresh ladder of seeded levels around the mid."""
        spec, rng = market.spec, market.rng
        tick = spec.tick_size
        gap = max(tick, (market.mid * Decimal("0.0001")).quantize(tick))
        market.bids = []
        market.asks = []
        for level in range(LADDER_LEVELS):
            offset = tick + gap * level
            qty_bid = spec.min_qty * (1 + int(rng.random() * 5000))
            qty_ask = spec.min_qty * (1 + int(rng.random() * 5000))
            market.bids.append([market.mid - offset, qty_bid])
            market.asks.append([market.mid + offset, qty_ask])

    def _synthetic_trade(self, market: _Market, now: int) -> None:
        """A market participant takes the top level of one side."""
        rng = market.rng
        buy = rng.random() < 0.5
        levels = market.asks if buy else market.bids
        if not levels:
            return
        qty = min(levels[0][1], market.spec.min_qty * rng.randint(1, 200))
        price = levels[0][0]
        levels[0][1] -= qty
        if levels[0][1] <= 0:
            levels.pop(0)
        self.on_trade(market.spec.symbol, price, qty, not buy, now)

    # --- Liquidity protocol (engine.py) -----------------------------------------
    def levels(self, symbol: str, side: str) -> list[list[Decimal]]:
        """Live synthetic ``[price, qty]`` levels of ``side`` ("BUY" = bids), best first."""
        market = self._markets[symbol]
        return market.bids if side == "BUY" else market.asks

    def on_trade(
        self, symbol: str, price: Decimal, qty: Decimal, buyer_maker: bool, now_ms: int
    ) -> None:
        """Record a public trade (synthetic or an engine fill); the next tick carries it."""
        market = self._markets[symbol]
        trade = PublicTrade(next(self._trade_ids), now_ms, price, qty, buyer_maker)
        self._record(market, trade)
        market.pending.append(trade)

    @staticmethod
    def _record(market: _Market, trade: PublicTrade) -> None:
        """Add ``trade`` to the history and to its 1m bar."""
        market.trades.append(trade)
        minute = trade.time - trade.time % _MINUTE_MS
        candle = market.candles.get(minute)
        if candle is None:
            candle = _Candle(trade.price, trade.price, trade.price, trade.price)
            market.candles[minute] = candle
            bisect.insort(market.minutes, minute)
        candle.add(trade)

    def _backfill(self, market: _Market, rng: random.Random) -> None:
        """Seeded history before start: trades in the last minute, plain 1m bars before that.

        Everything walks back from the start price in whole ticks (integers become Decimals
        once per value): this runs whenever an exchange starts, so it has to be cheap.
        """
        spec = market.spec
        tick, unit = spec.tick_size, spec.min_qty
        last_minute = market.start_ms - market.start_ms % _MINUTE_MS - _MINUTE_MS
        ticks = int(market.mid / tick)
        walk = []
        for _ in range(BACKFILL_TRADES):
            walk.append(ticks)
            ticks = max(1, ticks - round(rng.gauss(0.0, ticks * STEP_VOLATILITY / 2)))
        walk.reverse()  # oldest first; the newest trade is at the start price
        close = walk[0]
        bars: list[tuple[int, _Candle]] = []
        for back in range(1, BACKFILL_MINUTES):
            sd = close * STEP_VOLATILITY * 2
            open_ = max(1, close - round(rng.gauss(0.0, sd)))
            wick = round(abs(rng.gauss(0.0, sd)))
            high, low = max(open_, close) + wick, max(1, min(open_, close) - wick)
            units = int(rng.random() * 3001)
            taker = units * int(rng.random() * 11) // 10
            price = tick * close
            candle = _Candle(tick * open_, tick * high, tick * low, price)
            candle.volume, candle.quote_volume = unit * units, unit * units * price
            candle.taker_buy_volume, candle.taker_buy_quote = unit * taker, unit * taker * price
            candle.count = 1 + units % 40 if units else 0
            bars.append((last_minute - back * _MINUTE_MS, candle))
            close = open_
        for open_ms, candle in reversed(bars):
            market.minutes.append(open_ms)
            market.candles[open_ms] = candle
        spacing = _MINUTE_MS // BACKFILL_TRADES
        for index, price_ticks in enumerate(walk):
            qty = unit * (1 + int(rng.random() * 200))
            trade = PublicTrade(
                next(self._trade_ids),
                last_minute + index * spacing,
                tick * price_ticks,
                qty,
                rng.random() < 0.5,
            )
            self._record(market, trade)

    # --- REST-shaped reads (reference, "Public Market Data") --------------------
    def _market(self, symbol: str) -> _Market:
        try:
            return self._markets[symbol]
        except KeyError:
            raise EngineError("0201", f"Instrument not found: {symbol}") from None

    def book(self, symbol: str, side: str) -> list[tuple[Decimal, Decimal]]:
        """Aggregated levels of ``side`` (synthetic plus resting user orders), best first."""
        market = self._market(symbol)
        merged: dict[Decimal, Decimal] = {}
        for price, qty in market.bids if side == "BUY" else market.asks:
            merged[price] = merged.get(price, Decimal(0)) + qty
        for order in self.engine.resting(symbol, side):
            merged[order.price] = merged.get(order.price, Decimal(0)) + order.remaining
        return sorted(merged.items(), reverse=side == "BUY")

    def depth(self, symbol: str, limit: int = 100, scale: int = 0) -> dict[str, Any]:
        """Reference, "Get Order book" (``scale`` > 0 merges levels as "Get Merge Depth")."""
        sides = []
        for side in SIDES:
            levels = self.book(symbol, side)
            if scale:
                levels = _merge(levels, self._market(symbol).spec.tick_size * 10**scale, side)
            sides.append([[fmt(p), fmt(q)] for p, q in levels[:limit]])
        return {"t": self.clock(), "b": sides[0], "a": sides[1]}

    def trades(self, symbol: str, limit: int = 100) -> list[dict[str, Any]]:
        """Reference, "Get Recent Trade List": the last ``limit`` trades, oldest first."""
        history = self._market(symbol).trades
        return [t.rest() for t in list(history)[-limit:]] if limit > 0 else []

    def recent_trades(self, symbol: str, limit: int = 60) -> list[PublicTrade]:
        """The last ``limit`` trades as objects (WS snapshots need their ids)."""
        history = self._market(symbol).trades
        return list(history)[-limit:] if limit > 0 else []

    def last_price(self, symbol: str) -> Decimal:
        """Last traded price, or the mid before any trade."""
        market = self._market(symbol)
        return market.trades[-1].price if market.trades else market.mid

    def book_ticker(self, symbol: str) -> dict[str, Any]:
        """Reference, "Get Symbol current Top of book"."""
        bid = (self.book(symbol, "BUY") or [(Decimal(0), Decimal(0))])[0]
        ask = (self.book(symbol, "SELL") or [(Decimal(0), Decimal(0))])[0]
        return {
            "s": symbol,
            "b": fmt(bid[0]),
            "bq": fmt(bid[1]),
            "a": fmt(ask[0]),
            "aq": fmt(ask[1]),
            "t": self.clock(),
        }

    def ticker_price(self, symbol: str) -> dict[str, Any]:
        """Reference, "Get Symbol Price Ticker" row."""
        return {"s": symbol, "p": fmt(self.last_price(symbol))}

    def ticker_24hr(self, symbol: str) -> dict[str, Any]:
        """Reference, "Get 24hr Ticker Price Change" row over the 1m bars of the last 24 hours."""
        market = self._market(symbol)
        now = self.clock()
        since = now - now % _MINUTE_MS - _DAY_MS + _MINUTE_MS
        lo = bisect.bisect_left(market.minutes, since)
        candles = [market.candles[m] for m in market.minutes[lo:]]
        last = self.last_price(symbol)
        top = self.book_ticker(symbol)
        return {
            "t": now,
            "s": symbol,
            "c": fmt(last),
            "h": fmt(max([c.high for c in candles] + [last])),
            "l": fmt(min([c.low for c in candles] + [last])),
            "o": fmt(candles[0].open if candles else last),
            "b": top["b"],
            "a": top["a"],
            "v": fmt(sum((c.volume for c in candles), Decimal(0))),
            "qv": fmt(sum((c.quote_volume for c in candles), Decimal(0))),
            "it": "SPOT",
        }

    def klines(
        self,
        symbol: str,
        interval: str,
        limit: int = 1000,
        start_time: int | None = None,
        end_time: int | None = None,
    ) -> list[list[Any]]:
        """Reference, "Get Kline": 11-element rows, oldest first, quiet bars at the last close."""
        market = self._market(symbol)
        if interval not in KLINE_INTERVALS:
            raise EngineError("-1130", f"Illegal parameter 'interval': {interval}")
        end = min(self.clock() if end_time is None else end_time, self.clock())
        origin = market.minutes[0] if market.minutes else market.start_ms
        first = _bucket(interval, max(origin, start_time or 0))
        buckets: list[int] = []
        bucket = _bucket(interval, end)
        while bucket >= first and len(buckets) < limit:
            buckets.append(bucket)
            bucket = _bucket(interval, bucket - 1)
        buckets.reverse()
        rows = []
        for open_ms in buckets:
            close_ms = _next_bucket(interval, open_ms)
            lo = bisect.bisect_left(market.minutes, open_ms)
            hi = bisect.bisect_left(market.minutes, close_ms)
            candles = [market.candles[m] for m in market.minutes[lo:hi]]
            prior = self._close_before(market, open_ms)
            rows.append(_kline_row(open_ms, candles, prior))
        return rows

    def _close_before(self, market: _Market, ms: int) -> Decimal:
        index = bisect.bisect_left(market.minutes, ms)
        if index == 0:
            return market.spec.start_price
        return market.candles[market.minutes[index - 1]].close


def _merge(
    levels: list[tuple[Decimal, Decimal]], step: Decimal, side: str
) -> list[tuple[Decimal, Decimal]]:
    """Aggregate levels into buckets of ``step`` (bids round down, asks round up)."""
    merged: dict[Decimal, Decimal] = {}
    for price, qty in levels:
        units = (price / step).to_integral_value(rounding=ROUND_DOWN)
        if side == "SELL" and units * step < price:
            units += 1
        key = units * step
        merged[key] = merged.get(key, Decimal(0)) + qty
    return sorted(merged.items(), reverse=side == "BUY")


def _kline_row(open_ms: int, candles: list[_Candle], prior: Decimal) -> list[Any]:
    if not candles:
        p = fmt(prior)
        return [open_ms, p, p, p, p, "0", 0, "0", 0, "0", "0"]
    return [
        open_ms,
        fmt(candles[0].open),
        fmt(max(c.high for c in candles)),
        fmt(min(c.low for c in candles)),
        fmt(candles[-1].close),
        fmt(sum((c.volume for c in candles), Decimal(0))),
        0,
        fmt(sum((c.quote_volume for c in candles), Decimal(0))),
        sum(c.count for c in candles),
        fmt(sum((c.taker_buy_volume for c in candles), Decimal(0))),
        fmt(sum((c.taker_buy_quote for c in candles), Decimal(0))),
    ]


def _bucket(interval: str, ms: int) -> int:
    """Open time of the ``interval`` bar that contains ``ms`` (UTC)."""
    if interval == "1M":
        day = datetime.fromtimestamp(ms / 1000, tz=UTC)
        return int(datetime(day.year, day.month, 1, tzinfo=UTC).timestamp() * 1000)
    size = INTERVAL_MS[interval]
    if interval == "1w":
        return ms - (ms - _THURSDAY_OFFSET_MS) % size
    return ms - ms % size


def _next_bucket(interval: str, open_ms: int) -> int:
    """Open time of the bar after the one opening at ``open_ms``."""
    if interval == "1M":
        day = datetime.fromtimestamp(open_ms / 1000, tz=UTC)
        year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
        return int(datetime(year, month, 1, tzinfo=UTC).timestamp() * 1000)
    return open_ms + INTERVAL_MS[interval]
