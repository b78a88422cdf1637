"""The offline exchange's matching engine and listenKey registry, driven directly (no I/O)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from hashkey_async.testing.accounts import User
from hashkey_async.testing.book import EngineOrderRequest
from hashkey_async.testing.config import ExchangeConfig
from hashkey_async.testing.engine import Engine
from hashkey_async.testing.errors import EngineError
from hashkey_async.testing.events import private_event
from hashkey_async.testing.feeds import MarketFeeds
from hashkey_async.testing.listen_keys import ListenKeys

T0 = 1_800_000_000_000
D = Decimal


class World:
    """An engine over the seeded feeds, with two users and a log of private events."""

    def __init__(self, **overrides: Any) -> None:
        self.config = ExchangeConfig(**overrides)
        self.engine = Engine(self.config, clock=lambda: T0)
        self.feeds = MarketFeeds(self.config, self.engine, clock=lambda: T0)
        self.alice = self.engine.user(self.config.api_key)
        self.bob = self.engine.add_user("bob-key", "bob-secret", {"USDT": "100000", "BTC": "5"})
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.engine.listeners.append(
            lambda key, event: self.events.append((key, private_event(event)))
        )

    def best(self, side: str) -> Decimal:
        return self.feeds.book("BTCUSDT", side)[0][0]

    def kinds(self, key: str) -> list[str]:
        return [e["e"] for k, e in self.events if k == key]

    def reports(self, key: str) -> list[dict[str, Any]]:
        return [e for k, e in self.events if k == key and e["e"] == "executionReport"]


def limit(side: str, qty: str, price: Decimal | str, **kw: Any) -> EngineOrderRequest:
    return EngineOrderRequest("BTCUSDT", side, "LIMIT", quantity=D(qty), price=D(price), **kw)


def balance(user: User, asset: str) -> tuple[Decimal, Decimal]:
    b = user.main.balance(asset)
    return b.free, b.locked


def test_resting_limit_order_locks_quote_and_cancel_releases_it() -> None:
    w = World()
    price = w.best("BUY") - 100
    order = w.engine.place(w.alice, limit("BUY", "0.5", price), T0)
    assert order.status == "NEW"
    assert balance(w.alice, "USDT") == (D(1_000_000) - price * D("0.5"), price * D("0.5"))
    assert w.feeds.book("BTCUSDT", "BUY")[0][0] != price  # rests below the top
    assert (price, D("0.5")) in w.feeds.book("BTCUSDT", "BUY")
    w.engine.cancel(w.alice, order, T0 + 1)
    assert order.status == "CANCELED"
    assert order.cancel_reason == "USER_CANCEL"
    assert balance(w.alice, "USDT") == (D(1_000_000), 0)
    assert [r["X"] for r in w.reports(w.config.api_key)] == ["NEW", "CANCELED"]


def test_crossing_orders_of_two_users_trade_at_the_makers_price_with_exact_fees() -> None:
    w = World()
    price = w.best("SELL") + 500  # far through the market makers' asks: bob must be better
    maker = w.engine.place(w.bob, limit("SELL", "0.1", w.best("SELL") - D("0.01")), T0)
    assert maker.status == "NEW"
    maker_price = maker.price
    taker = w.engine.place(w.alice, limit("BUY", "0.1", price), T0 + 5)
    assert taker.status == "FILLED" and maker.status == "FILLED"
    assert taker.avg_price == maker_price  # price improvement for the taker
    # alice: pays 0.1 * price, receives 0.1 BTC minus the taker fee in BTC
    assert balance(w.alice, "BTC") == (D(10) + D("0.1") - D("0.1") * D("0.0015"), 0)
    assert balance(w.alice, "USDT") == (D(1_000_000) - maker_price * D("0.1"), 0)
    # bob: gives 0.1 BTC, receives quote minus the maker fee in USDT
    assert balance(w.bob, "BTC") == (D("4.9"), 0)
    assert balance(w.bob, "USDT") == (D(100_000) + maker_price * D("0.1") * (1 - D("0.0012")), 0)
    alice_fill = [e for k, e in w.events if k == w.config.api_key and e["e"] == "ticketInfo"]
    bob_fill = [e for k, e in w.events if k == "bob-key" and e["e"] == "ticketInfo"]
    assert alice_fill[0]["T"] == bob_fill[0]["T"]  # one execution, one ticket id
    assert alice_fill[0]["m"] is False and bob_fill[0]["m"] is True
    assert w.kinds(w.config.api_key)[-3:] == [
        "executionReport",
        "ticketInfo",
        "outboundAccountInfo",
    ]
    public = w.feeds.recent_trades("BTCUSDT", 1)[0]
    assert (public.price, public.qty, public.buyer_maker) == (maker_price, D("0.1"), False)


def test_limit_buy_through_the_book_sweeps_levels_and_rests_the_remainder() -> None:
    w = World()
    asks = w.feeds.book("BTCUSDT", "SELL")[:2]
    qty = asks[0][1] + asks[1][1] + D("0.5")
    order = w.engine.place(w.alice, limit("BUY", str(qty), asks[1][0]), T0)
    assert order.status == "PARTIALLY_FILLED"
    assert order.executed_qty == asks[0][1] + asks[1][1]
    assert order.cum_quote == asks[0][0] * asks[0][1] + asks[1][0] * asks[1][1]
    assert w.feeds.book("BTCUSDT", "BUY")[0] == (asks[1][0], D("0.5"))
    # what stays locked is exactly the resting remainder at the order's price
    assert balance(w.alice, "USDT")[1] == asks[1][0] * D("0.5")


def test_resting_orders_keep_price_time_priority() -> None:
    engine = Engine(ExchangeConfig(), clock=lambda: T0)  # no market makers: users only
    alice = engine.user(ExchangeConfig().api_key)
    bob = engine.add_user("bob-key", "bob-secret", {"BTC": "1"})
    low, high, first, second = (
        engine.place(alice, limit("BUY", "0.01", price), T0)
        for price in ("50001", "50003", "50002", "50002")
    )
    assert engine.resting("BTCUSDT", "BUY") == [high, first, second, low]
    engine.place(bob, EngineOrderRequest("BTCUSDT", "SELL", "MARKET", quantity=D("0.025")), T0 + 1)
    assert (high.status, first.status, second.status, low.status) == (
        "FILLED",
        "FILLED",
        "PARTIALLY_FILLED",
        "NEW",
    )
    asks = [engine.place(bob, limit("SELL", "0.01", p), T0) for p in ("90002", "90001")]
    assert engine.resting("BTCUSDT", "SELL") == asks[::-1]


def test_market_buy_by_amount_spends_at_most_the_amount() -> None:
    w = World()
    order = w.engine.place(
        w.alice, EngineOrderRequest("BTCUSDT", "BUY", "MARKET", amount=D("1000")), T0
    )
    assert order.status == "FILLED"
    assert D(0) < order.cum_quote <= D(1000)
    assert order.time_in_force == "IOC"
    assert balance(w.alice, "USDT") == (D(1_000_000) - order.cum_quote, 0)


def test_ioc_remainder_is_cancelled_and_fok_all_or_nothing() -> None:
    w = World()
    top = w.feeds.book("BTCUSDT", "SELL")[0]
    ioc = w.engine.place(w.alice, limit("BUY", str(top[1] + 1), top[0], time_in_force="IOC"), T0)
    assert ioc.status == "PARTIALLY_CANCELED" and ioc.executed_qty == top[1]
    assert balance(w.alice, "USDT")[1] == 0
    top = w.feeds.book("BTCUSDT", "SELL")[0]
    fok = w.engine.place(w.alice, limit("BUY", str(top[1] + 1), top[0], time_in_force="FOK"), T0)
    assert fok.status == "CANCELED" and fok.executed_qty == 0


def test_limit_maker_that_would_cross_is_rejected() -> None:
    w = World()
    request = EngineOrderRequest(
        "BTCUSDT", "BUY", "LIMIT_MAKER", quantity=D("0.01"), price=w.best("SELL")
    )
    with pytest.raises(EngineError) as info:
        w.engine.place(w.alice, request, T0)
    assert info.value.code == "-1156"


def test_self_trade_prevention_expires_taker_or_maker() -> None:
    w = World()
    market_ask = w.best("SELL")
    maker = w.engine.place(w.alice, limit("SELL", "0.1", market_ask - D("0.01")), T0)
    taker = w.engine.place(w.alice, limit("BUY", "0.1", market_ask), T0)
    assert (taker.status, taker.cancel_reason, maker.status) == (
        "CANCELED",
        "SELF_TRADE_CANCEL",
        "NEW",
    )
    taker = w.engine.place(w.alice, limit("BUY", "0.001", market_ask, stp_mode="EXPIRE_MAKER"), T0)
    assert maker.status == "CANCELED" and maker.cancel_reason == "SELF_TRADE_CANCEL"
    assert taker.status == "FILLED" and taker.avg_price == market_ask  # then met the market


def test_insufficient_balance_and_duplicate_client_id_are_rejected() -> None:
    w = World()
    with pytest.raises(EngineError) as info:
        w.engine.place(w.bob, limit("BUY", "5", w.best("BUY") - 1), T0)
    assert info.value.code == "0401"
    w.engine.place(w.alice, limit("BUY", "0.01", "50000", client_order_id="x1"), T0)
    with pytest.raises(EngineError) as info:
        w.engine.place(w.alice, limit("BUY", "0.01", "50000", client_order_id="x1"), T0)
    assert info.value.code == "-1141"


def test_cancelling_a_finished_order_says_why() -> None:
    w = World()
    order = w.engine.place(w.alice, limit("BUY", "0.01", "50000"), T0)
    w.engine.cancel(w.alice, order, T0)
    with pytest.raises(EngineError) as info:
        w.engine.cancel(w.alice, order, T0)
    assert info.value.code == "-1142"
    filled = w.engine.place(w.alice, limit("BUY", "0.0001", w.best("SELL")), T0)
    with pytest.raises(EngineError) as info:
        w.engine.cancel(w.alice, filled, T0)
    assert info.value.code == "-1139"
    with pytest.raises(EngineError) as info:
        w.engine.find_order(w.bob, order.order_id)
    assert info.value.code == "0211"  # someone else's order does not exist for bob


def test_moving_market_fills_a_resting_order_as_maker() -> None:
    w = World()
    order = w.engine.place(w.alice, limit("BUY", "0.001", w.best("BUY") - D("0.01")), T0)
    for step in range(500):
        w.feeds.step(T0 + 100 * step)
        if order.status == "FILLED":
            break
    assert order.status == "FILLED"
    report = w.reports(w.config.api_key)[-1]
    assert (report["X"], report["m"], report["L"]) == ("FILLED", True, str(order.price))
    assert balance(w.alice, "USDT") == (D(1_000_000) - order.price * D("0.001"), 0)


def test_event_shapes_follow_the_user_data_stream_section() -> None:
    w = World()
    w.engine.place(w.alice, limit("BUY", "0.01", w.best("SELL")), T0)
    by_kind = {e["e"]: e for _, e in w.events}
    assert set(by_kind["executionReport"]) >= {
        "E", "s", "c", "S", "o", "f", "q", "p", "X", "i", "l", "z", "L", "n", "N", "u", "w",
        "m", "O", "Z", "C", "v", "reqAmt", "d", "r", "V", "P", "lo", "lt", "x",
    }  # fmt: skip
    assert set(by_kind["ticketInfo"]) == {
        "e",
        "E",
        "s",
        "q",
        "t",
        "p",
        "T",
        "o",
        "c",
        "a",
        "m",
        "S",
    }
    assert set(by_kind["outboundAccountInfo"]) == {"e", "E", "T", "W", "D", "B"}
    assert {b["a"] for b in by_kind["outboundAccountInfo"]["B"]} == {"BTC", "USDT"}
    assert all(isinstance(e["E"], str) for _, e in w.events)


def test_same_seed_same_history() -> None:
    def run(seed: int) -> list[Any]:
        w = World(seed=seed)
        for step in range(20):
            w.feeds.step(T0 + step)
        w.engine.place(w.alice, limit("BUY", "0.3", w.best("SELL") + 50), T0 + 30)
        return [e for _, e in w.events] + w.feeds.trades("BTCUSDT", 100)

    assert run(3) == run(3)
    assert run(3) != run(4)


# --- listenKeys -----------------------------------------------------------------------


def test_listen_keys_expire_unless_kept_alive_and_revocations_are_reported() -> None:
    keys = ListenKeys(60.0, lambda: T0, random.Random(1))
    revoked: list[str] = []
    keys.on_revoke.append(revoked.append)
    a, b = keys.create("alice", T0), keys.create("bob", T0)
    assert len(a) == 64 and a != b
    assert keys.owner(a, T0 + 59_999) == "alice"
    assert keys.keepalive(a, T0 + 59_000)
    assert keys.owner(a, T0 + 100_000) == "alice"
    assert keys.owner(b, T0 + 60_000) is None  # expired on lookup
    assert revoked == [b]
    assert not keys.keepalive(b, T0)
    assert keys.delete(a) and not keys.delete(a)
    assert revoked == [b, a]
    c = keys.create("carol", T0)
    assert keys.sweep(T0 + 59_999) == []
    assert keys.sweep(T0 + 60_000) == [c]
    d = keys.create("dave")
    assert keys.expire_all() == [d] and revoked[-1] == d


def test_reprs_of_users_and_config_never_show_a_secret() -> None:
    world = World(api_secret="alice-secret-0123")
    for text in (repr(world.config), repr(world.alice), repr(world.bob)):
        assert "alice-secret-0123" not in text and "bob-secret" not in text
    assert "bob-key" in repr(world.bob)  # the key itself still identifies the user


def test_creating_a_listen_key_sweeps_the_expired_ones() -> None:
    keys = ListenKeys(60.0, lambda: T0, random.Random(2))
    revoked: list[str] = []
    keys.on_revoke.append(revoked.append)
    abandoned = keys.create("alice", T0)
    kept = keys.create("alice", T0 + 30_000)
    fresh = keys.create("alice", T0 + 60_000)
    assert abandoned not in keys and revoked == [abandoned]
    assert kept in keys and fresh in keys
