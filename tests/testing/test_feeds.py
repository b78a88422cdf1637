"""The offline exchange's seeded market generator and its REST-shaped reads (no I/O)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import msgspec
import pytest

from hashkey_async.enums import KLINE_INTERVALS
from hashkey_async.models import market
from hashkey_async.testing.book import EngineOrderRequest
from hashkey_async.testing.config import ExchangeConfig
from hashkey_async.testing.engine import Engine
from hashkey_async.testing.errors import EngineError
from hashkey_async.testing.feeds import INTERVAL_MS, MarketFeeds

MINUTE = 60_000
T0 = 1_800_000_000_000  # a whole minute: 2027-01-15T08:00:00Z


class Clock:
    """The exchange clock, moved by hand."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def make(seed: int = 7, now: int = T0) -> tuple[MarketFeeds, Clock]:
    clock = Clock(now)
    config = ExchangeConfig(seed=seed)
    engine = Engine(config, clock=clock)
    return MarketFeeds(config, engine, clock=clock), clock


def test_steps_are_deterministic_per_seed() -> None:
    a, _ = make(seed=11)
    b, _ = make(seed=11)
    c, _ = make(seed=12)
    ticks_a = [a.step(T0 + i * 100) for i in range(50)]
    ticks_b = [b.step(T0 + i * 100) for i in range(50)]
    ticks_c = [c.step(T0 + i * 100) for i in range(50)]
    assert ticks_a == ticks_b
    assert ticks_a != ticks_c
    assert a.depth("BTCUSDT", 5) == b.depth("BTCUSDT", 5)
    assert sum(len(t.trades["BTCUSDT"]) for t in ticks_a) > 0


def test_walk_moves_the_book_and_keeps_it_uncrossed() -> None:
    feeds, clock = make()
    mids = set()
    for i in range(100):
        clock.now = T0 + i * 100
        feeds.step()
        book = feeds.depth("BTCUSDT", 200)
        bid, ask = Decimal(book["b"][0][0]), Decimal(book["a"][0][0])
        assert bid < ask
        mids.add((bid + ask) / 2)
    assert len(mids) > 10


def test_depth_shape_order_and_limit() -> None:
    feeds, _ = make()
    book = feeds.depth("ETHUSDT", 7)
    assert set(book) == {"t", "b", "a"} and book["t"] == T0
    assert len(book["b"]) == len(book["a"]) == 7
    bids = [Decimal(p) for p, _ in book["b"]]
    asks = [Decimal(p) for p, _ in book["a"]]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    decoded = msgspec.json.decode(msgspec.json.encode(book), type=market.Depth, strict=False)
    assert len(decoded.bids) == 7


def test_resting_user_order_shows_in_the_book() -> None:
    feeds, _ = make()
    engine = feeds.engine
    user = engine.user(engine.config.api_key)
    price = Decimal(feeds.depth("BTCUSDT", 1)["b"][0][0]) + Decimal("0.01")
    engine.place(
        user, EngineOrderRequest("BTCUSDT", "BUY", "LIMIT", quantity=Decimal("2"), price=price), T0
    )
    top = feeds.depth("BTCUSDT", 1)["b"][0]
    assert (Decimal(top[0]), top[1]) == (price, "2")
    ticker = feeds.book_ticker("BTCUSDT")
    assert (Decimal(ticker["b"]), ticker["bq"]) == (price, "2")


def test_merged_depth_buckets_levels() -> None:
    feeds, _ = make()
    merged = feeds.depth("BTCUSDT", 200, scale=2)  # buckets of 1.00
    assert all(Decimal(p) % 1 == 0 for p, _ in merged["b"] + merged["a"])
    total = sum(Decimal(q) for _, q in feeds.depth("BTCUSDT", 200)["b"])
    assert sum(Decimal(q) for _, q in merged["b"]) == total


def test_trades_are_oldest_first_and_limited() -> None:
    feeds, _ = make()
    for i in range(60):
        feeds.step(T0 + i * 1000)
    rows = feeds.trades("BTCUSDT", 5)
    assert len(rows) == 5
    assert [r["t"] for r in rows] == sorted(r["t"] for r in rows)
    assert set(rows[0]) == {"t", "p", "q", "ibm"}
    decoded = msgspec.json.decode(msgspec.json.encode(rows), type=list[market.Trade], strict=False)
    assert decoded[-1].time == rows[-1]["t"]


def test_klines_aggregate_trades_per_bar_and_fill_quiet_bars() -> None:
    feeds, clock = make()
    for i in range(30):  # 30 steps, 10 s apart: minutes 0..4
        feeds.step(T0 + i * 10_000)
    clock.now = T0 + 7 * MINUTE + 5  # two quiet minutes after the last trade
    rows = feeds.klines("BTCUSDT", "1m", 100, start_time=T0)
    assert [r[0] for r in rows] == [T0 + i * MINUTE for i in range(8)]
    assert all(len(r) == 11 for r in rows)
    trades = [t for t in feeds.recent_trades("BTCUSDT", 1000) if T0 <= t.time < T0 + MINUTE]
    first = rows[0]
    assert first[1] == str(trades[0].price) and first[4] == str(trades[-1].price)
    assert Decimal(first[5]) == sum(t.qty for t in trades)
    assert first[8] == len(trades)
    quiet = rows[-1]
    assert quiet[1] == quiet[4] == rows[4][4] and quiet[5] == "0" and quiet[8] == 0
    five = feeds.klines("BTCUSDT", "5m", 10, start_time=T0)
    assert [r[0] for r in five] == [T0, T0 + 5 * MINUTE]
    assert five[0][8] == sum(r[8] for r in rows[:5])
    assert feeds.klines("BTCUSDT", "1m", 3)[0][0] == T0 + 5 * MINUTE
    decoded = msgspec.json.decode(msgspec.json.encode(rows), type=list[market.Kline], strict=False)
    assert len(decoded) == 8


@pytest.mark.parametrize("interval", sorted(KLINE_INTERVALS))
def test_every_reference_interval_is_served(interval: str) -> None:
    feeds, _ = make()
    feeds.step(T0)
    rows = feeds.klines("BTCUSDT", interval, 2)
    assert len(rows) == (1 if interval in ("1w", "1M") else 2)  # a day of history
    assert rows[-1][0] <= T0 and all(len(r) == 11 and r[6] == 0 for r in rows)


def test_weekly_and_monthly_bars_start_on_monday_and_the_first() -> None:
    feeds, _ = make()
    feeds.step(T0)
    assert feeds.klines("BTCUSDT", "1w", 1)[0][0] == 1_799_625_600_000  # Mon 2027-01-11
    assert feeds.klines("BTCUSDT", "1M", 1)[0][0] == 1_798_761_600_000  # 2027-01-01


def test_history_before_start_gives_a_day_of_bars_and_a_minute_of_trades() -> None:
    feeds, _ = make()
    trades = feeds.recent_trades("BTCUSDT", 1000)
    assert len(trades) == 60 and trades[-1].price == Decimal(60000)
    assert T0 - MINUTE <= trades[0].time < trades[-1].time < T0
    assert len(feeds.trades("ETHUSDT", 100)) == 60
    rows = feeds.klines("BTCUSDT", "1m", 1000)
    assert len(rows) == 1000 and rows[-1][0] == T0  # the current, quiet minute
    assert rows[-2][4] == rows[-1][1] == "60000"  # the backfill ends where the live walk starts
    assert all(a[4] == b[1] for a, b in itertools.pairwise(rows))  # bars open at the last close
    assert all(Decimal(r[3]) <= min(Decimal(r[1]), Decimal(r[4])) for r in rows)
    hours = feeds.klines("BTCUSDT", "1h", 1000)
    assert len(hours) == 25 and hours[0][0] == T0 - 24 * 60 * MINUTE


def test_ticker_24hr_and_price() -> None:
    feeds, clock = make()
    for i in range(40):
        feeds.step(T0 + i * 100)
    clock.now = T0 + 4000
    ticker = feeds.ticker_24hr("BTCUSDT")
    prices = [t.price for t in feeds.recent_trades("BTCUSDT", 1000)]
    assert ticker["c"] == str(prices[-1]) == feeds.ticker_price("BTCUSDT")["p"]
    bars = feeds.klines("BTCUSDT", "1m", 1440)
    assert Decimal(ticker["h"]) == max(Decimal(b[2]) for b in bars)
    assert Decimal(ticker["l"]) == min(Decimal(b[3]) for b in bars)
    assert ticker["o"] == bars[0][1]
    assert Decimal(ticker["v"]) == sum(Decimal(b[5]) for b in bars)
    decoded = msgspec.json.decode(
        msgspec.json.encode([ticker]), type=list[market.Ticker24hr], strict=False
    )
    assert decoded[0].symbol == "BTCUSDT"


def test_unknown_symbol_and_interval_use_reference_codes() -> None:
    feeds, _ = make()
    with pytest.raises(EngineError) as info:
        feeds.depth("NOPEUSDT")
    assert info.value.code == "0201"
    with pytest.raises(EngineError) as info:
        feeds.klines("BTCUSDT", "7m")
    assert info.value.code == "-1130"


def test_every_kline_interval_of_the_sdk_has_a_length() -> None:
    assert set(INTERVAL_MS) == KLINE_INTERVALS
