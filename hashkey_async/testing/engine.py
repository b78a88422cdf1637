"""Matching engine, balances and order state of the offline exchange (no I/O).

Every method takes the exchange time ``now_ms`` so the engine is deterministic and can be
driven directly by tests. Rejections raise ``EngineError`` carrying the reference's error
code ("Error Codes" table); the REST layer turns it into ``{"code", "msg"}``.

Private events (reference, "User Data Stream") go to ``Engine.listeners`` as typed
``events.EngineEvent`` values; ``events.private_event`` shapes them into JSON.

History is kept for the exchange's lifetime, unbounded by design: every order (open or
ended), fill, balance flow and withdrawal stays queryable, as the reference's history
endpoints promise for 30-90 days. An offline exchange lives for one test, demo or
``serve`` session; memory grows with the orders placed in it.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Iterable, Iterator
from decimal import ROUND_DOWN, Decimal
from typing import Final, Protocol

from .accounts import (
    ACCOUNT_TYPES,
    SUB_ACCOUNT_LABEL,
    Account,
    Fill,
    User,
)
from .book import BookOrder, EngineOrderRequest, OrderBook, better, crosses, opposite
from .config import ExchangeConfig
from .errors import EngineError
from .events import BalancesChanged, EngineEvent, EventListener, OrderChanged, OrderFilled
from .ledger import Ledger
from .listen_keys import ListenKeys
from .specs import SIDES, SymbolSpec, spec_for

__all__ = ["Engine", "Liquidity"]

_ZERO: Final = Decimal(0)
_ORDER_ID_BASE: Final = 2_000_000_000_000_000_000
_TRADE_ID_BASE: Final = 2_100_000_000_000_000_000
_TICKET_ID_BASE: Final = 4_600_000_000_000_000_000
_ACCOUNT_ID_BASE: Final = 1_700_000_000_000_000_000


class Liquidity(Protocol):
    """The market around the users' orders: synthetic levels that takers can hit (feeds.py)."""

    def levels(self, symbol: str, side: str) -> list[list[Decimal]]:
        """Live ``[price, qty]`` levels of ``side`` ("BUY" = bids), best first; mutable."""
        ...

    def on_trade(
        self, symbol: str, price: Decimal, qty: Decimal, buyer_maker: bool, now_ms: int
    ) -> None:
        """Record a public trade that happened in the engine."""
        ...


class Engine:
    """Books, orders, balances and fills of every account; emits private stream events."""

    def __init__(
        self,
        config: ExchangeConfig,
        clock: Callable[[], int] | None = None,
    ) -> None:
        self.config = config
        self.clock: Callable[[], int] = clock or _wall_ms
        rng = random.Random(f"{config.seed}:engine")
        self.specs: dict[str, SymbolSpec] = {s: spec_for(s) for s in config.symbols}
        self.users: dict[str, User] = {}
        self.orders: dict[int, BookOrder] = {}
        self.fills: list[Fill] = []
        self.listeners: list[EventListener] = []
        self.listen_keys = ListenKeys(config.listen_key_ttl, lambda: self.clock(), rng)
        self.market: Liquidity | None = None
        self.maker_fee = Decimal(config.maker_fee)
        self.taker_fee = Decimal(config.taker_fee)
        self._books: dict[str, OrderBook] = {s: OrderBook() for s in config.symbols}
        self._order_ids = itertools.count(_ORDER_ID_BASE + 1)
        self._trade_ids = itertools.count(_TRADE_ID_BASE + 1)
        #: Transfers, withdrawals and balance flows; their ids share the order/trade series.
        self.ledger = Ledger(self._order_ids, self._trade_ids)
        self._ticket_ids = itertools.count(_TICKET_ID_BASE + 1)
        self._account_ids = itertools.count(_ACCOUNT_ID_BASE + 1)
        self._client_ids = itertools.count(1)
        self.add_user(config.api_key, config.api_secret, config.balances)

    # --- accounts ---------------------------------------------------------------
    def add_user(
        self, api_key: str, api_secret: str, balances: dict[str, str] | None = None
    ) -> User:
        """Register an API key with a main trading, custody, fiat and one sub trading account."""
        user_id = next(self._account_ids)
        accounts = [
            Account(next(self._account_ids), user_id, kind, label, 0)
            for kind, label in ACCOUNT_TYPES
        ]
        accounts.append(Account(next(self._account_ids), user_id, 1, SUB_ACCOUNT_LABEL, 1))
        for asset, amount in (balances or {}).items():
            accounts[0].balance(asset).free = Decimal(amount)
        user = User(api_key, api_secret, user_id, accounts)
        self.users[api_key] = user
        return user

    def user(self, api_key: str) -> User:
        """The user behind ``api_key`` (the REST layer checks it exists first)."""
        try:
            return self.users[api_key]
        except KeyError:
            raise EngineError("0102", "Invalid APIKey") from None

    def spec(self, symbol: str) -> SymbolSpec:
        """Rules of ``symbol`` or 0201 when it is not listed."""
        try:
            return self.specs[symbol]
        except KeyError:
            raise EngineError("0201", f"Instrument not found: {symbol}") from None

    # --- queries ----------------------------------------------------------------
    def resting(self, symbol: str, side: str) -> list[BookOrder]:
        """Resting user orders of ``side`` for ``symbol``, best first (read-only use)."""
        return self._books[symbol].side(side)

    def find_order(
        self, user: User, order_id: int | None = None, client_order_id: str | None = None
    ) -> BookOrder:
        """An order of ``user``'s accounts by id or client id; 0211 if there is none."""
        order: BookOrder | None = None
        if order_id is not None:
            order = self.orders.get(order_id)
        elif client_order_id is not None:
            order = next(
                (
                    o
                    for o in reversed(self.orders.values())
                    if o.client_order_id == client_order_id and o.api_key == user.api_key
                ),
                None,
            )
        if order is None or user.account(order.account.account_id) is None:
            raise EngineError("0211", "BookOrder not found")
        return order

    def account_orders(self, account: Account) -> Iterator[BookOrder]:
        """Every order of ``account``, newest first."""
        return (o for o in reversed(self.orders.values()) if o.account is account)

    def account_fills(self, account: Account) -> Iterator[Fill]:
        """Every fill of ``account``, newest first."""
        return (f for f in reversed(self.fills) if f.account_id == account.account_id)

    # --- orders -----------------------------------------------------------------
    def place(self, user: User, request: EngineOrderRequest, now_ms: int) -> BookOrder:
        """Place an order: check it, lock funds, match, rest the remainder; returns it."""
        spec = self.spec(request.symbol)
        account = user.main
        client_id = request.client_order_id or f"{now_ms}{next(self._client_ids):04d}"
        if request.client_order_id is not None and any(
            o.client_order_id == client_id and o.api_key == user.api_key
            for o in self.orders.values()
        ):
            raise EngineError("-1141", "Duplicate order")
        tif = request.time_in_force or ("IOC" if request.type == "MARKET" else "GTC")
        order = BookOrder(
            order_id=next(self._order_ids),
            client_order_id=client_id,
            account=account,
            api_key=user.api_key,
            symbol=request.symbol,
            side=request.side,
            type=request.type,
            time_in_force=tif,
            price=request.price if request.price is not None else _ZERO,
            orig_qty=request.quantity if request.quantity is not None else _ZERO,
            req_amount=request.amount if request.amount is not None else _ZERO,
            stp_mode=request.stp_mode,
            time=now_ms,
            update_time=now_ms,
        )
        if request.type == "LIMIT_MAKER":
            best = self._best_contra(order)
            if best is not None and crosses(order.side, order.price, best):
                raise EngineError(
                    "-1156", "Limit maker order rejected: Improper price may cause immediate fill."
                )
        self._reserve(order, spec)
        self.orders[order.order_id] = order
        touched: dict[str, set[str]] = {}
        self._emit(order.api_key, OrderChanged(order, now_ms))
        if order.locked:
            self._touch(touched, order)
        if tif == "FOK" and self._fillable(order) < order.orig_qty:
            self._finish(order, now_ms, "RISKLIMIT_CANCEL", touched)
        else:
            self._match(order, spec, now_ms, touched)
            if order.is_open and tif == "GTC" and order.type != "MARKET":
                self._books[order.symbol].add(order)
            elif order.is_open:
                self._finish(order, now_ms, "RISKLIMIT_CANCEL", touched)
        self._flush_balances(touched, now_ms)
        return order

    def cancel(self, user: User, order: BookOrder, now_ms: int) -> BookOrder:
        """Cancel an open order of ``user``; -1139 if filled, -1142 if already cancelled."""
        if user.account(order.account.account_id) is None:
            raise EngineError("0211", "BookOrder not found")
        if order.status == "FILLED":
            raise EngineError("-1139", "BookOrder has been filled")
        if not order.is_open:
            raise EngineError("-1142", "BookOrder has been cancelled")
        touched: dict[str, set[str]] = {}
        self._finish(order, now_ms, "USER_CANCEL", touched)
        self._flush_balances(touched, now_ms)
        return order

    def cancel_many(
        self, user: User, now_ms: int, symbol: str | None = None, side: str | None = None
    ) -> list[BookOrder]:
        """Cancel every open order of ``user``'s main account matching the filters."""
        cancelled = [
            o
            for o in self.account_orders(user.main)
            if o.is_open and symbol in (None, o.symbol) and side in (None, o.side)
        ]
        for order in cancelled:
            self.cancel(user, order, now_ms)
        return cancelled

    def cross(self, symbol: str, now_ms: int) -> None:
        """Fill resting user orders that the moved market now crosses (they are makers)."""
        if self.market is None:
            return
        book = self._books[symbol]
        touched: dict[str, set[str]] = {}
        for side in SIDES:
            contra_side = opposite(side)
            levels = self.market.levels(symbol, contra_side)
            for order in list(book.side(side)):
                while order.remaining > 0 and levels and crosses(side, order.price, levels[0][0]):
                    qty = min(order.remaining, levels[0][1])
                    levels[0][1] -= qty
                    if levels[0][1] <= 0:
                        levels.pop(0)
                    ticket = next(self._ticket_ids)
                    self._execute(order, order.price, qty, ticket, now_ms, touched, maker=True)
                    self._public_trade(symbol, order.price, qty, side == "BUY", now_ms)
                if not order.is_open:
                    book.remove(order)
        self._flush_balances(touched, now_ms)

    # --- internals --------------------------------------------------------------
    def _best_contra(self, order: BookOrder) -> Decimal | None:
        contra = opposite(order.side)
        prices = [o.price for o in self._books[order.symbol].side(contra)[:1]]
        if self.market is not None:
            prices += [lvl[0] for lvl in self.market.levels(order.symbol, contra)[:1]]
        if not prices:
            return None
        return min(prices) if contra == "SELL" else max(prices)

    def _reserve(self, order: BookOrder, spec: SymbolSpec) -> None:
        """Lock what a resting order may spend, or check the funds of an immediate one."""
        base = order.account.balance(spec.base)
        quote = order.account.balance(spec.quote)
        best = self._best_contra(order) or _ZERO
        if order.side == "SELL":
            need = order.req_amount / best if order.req_amount and best else order.orig_qty
            balance = base
        elif order.type == "MARKET":
            need, balance = order.req_amount or order.orig_qty * best, quote
        else:
            need, balance = order.orig_qty * order.price, quote
        if balance.free < need:
            raise EngineError("0401", "Insufficient asset")
        if order.type != "MARKET":
            balance.free -= need
            balance.locked += need
            order.locked = need

    def _fillable(self, order: BookOrder) -> Decimal:
        """How much of ``order`` the book could fill now (for FOK)."""
        contra = opposite(order.side)
        total = _ZERO
        for price, qty in self._contra_levels(order.symbol, contra, order.account):
            if not crosses(order.side, order.price, price):
                break
            total += qty
        return total

    def _contra_levels(
        self, symbol: str, side: str, exclude: Account
    ) -> Iterable[tuple[Decimal, Decimal]]:
        """Every contra price/qty (users' then the market's), best first, for estimates."""
        levels = [
            (o.price, o.remaining)
            for o in self._books[symbol].side(side)
            if o.account is not exclude
        ]
        if self.market is not None:
            levels += [(p, q) for p, q in self.market.levels(symbol, side)]
        return sorted(levels, key=lambda lvl: lvl[0], reverse=side == "BUY")

    def _match(
        self, order: BookOrder, spec: SymbolSpec, now_ms: int, touched: dict[str, set[str]]
    ) -> None:
        """Trade ``order`` as taker against resting user orders and market levels."""
        contra_side = opposite(order.side)
        book = self._books[order.symbol].side(contra_side)
        levels = self.market.levels(order.symbol, contra_side) if self.market else []
        limit = None if order.type == "MARKET" else order.price
        by_amount = order.type == "MARKET" and order.req_amount > 0
        while order.is_open:
            maker = book[0] if book else None
            level = levels[0] if levels else None
            if maker is not None and (
                level is None or not better(contra_side, level[0], maker.price)
            ):
                price, available = maker.price, maker.remaining
            elif level is not None:
                maker, price, available = None, level[0], level[1]
            else:
                break
            if not crosses(order.side, limit, price):
                break
            if maker is not None and maker.account is order.account:
                if order.stp_mode == "EXPIRE_MAKER":
                    self._finish(maker, now_ms, "SELF_TRADE_CANCEL", touched)
                    continue
                self._finish(order, now_ms, "SELF_TRADE_CANCEL", touched)
                break
            qty = min(available, self._taker_room(order, spec, price, by_amount))
            if qty <= 0:
                if by_amount and order.executed_qty and self._amount_spent(order, spec, price):
                    order.status = "FILLED"
                break
            if maker is None and level is not None:
                level[1] -= qty
                if level[1] <= 0:
                    levels.pop(0)
            ticket = next(self._ticket_ids)
            self._execute(order, price, qty, ticket, now_ms, touched, maker=False)
            if maker is not None:
                self._execute(maker, price, qty, ticket, now_ms, touched, maker=True)
                if not maker.is_open:
                    book.remove(maker)
            self._public_trade(order.symbol, price, qty, order.side == "SELL", now_ms)

    def _taker_room(
        self, order: BookOrder, spec: SymbolSpec, price: Decimal, by_amount: bool
    ) -> Decimal:
        """Base quantity the taker may still trade at ``price`` (quantity, amount and funds)."""
        room = (order.req_amount - order.cum_quote) / price if by_amount else order.remaining
        if order.type == "MARKET":
            if order.side == "BUY":
                room = min(room, order.account.balance(spec.quote).free / price)
            else:
                room = min(room, order.account.balance(spec.base).free)
        return room.quantize(spec.step_size, rounding=ROUND_DOWN) if room > 0 else _ZERO

    @staticmethod
    def _amount_spent(order: BookOrder, spec: SymbolSpec, price: Decimal) -> bool:
        """Whether an order by quote amount cannot buy even one more step at ``price``."""
        left = (order.req_amount - order.cum_quote) / price
        return left.quantize(spec.step_size, rounding=ROUND_DOWN) <= 0

    def _public_trade(
        self, symbol: str, price: Decimal, qty: Decimal, buyer_maker: bool, now_ms: int
    ) -> None:
        if self.market is not None:
            self.market.on_trade(symbol, price, qty, buyer_maker, now_ms)

    def _execute(
        self,
        order: BookOrder,
        price: Decimal,
        qty: Decimal,
        ticket_id: int,
        now_ms: int,
        touched: dict[str, set[str]],
        *,
        maker: bool,
    ) -> None:
        """Apply one fill to ``order``: balances, state, history and events.

        The caller records the public trade once per match (``_public_trade``).
        """
        spec = self.specs[order.symbol]
        account = order.account
        base, quote = account.balance(spec.base), account.balance(spec.quote)
        notional = price * qty
        rate = self.maker_fee if maker else self.taker_fee
        if order.side == "BUY":
            commission, commission_asset = qty * rate, spec.base
            if order.type == "MARKET":
                quote.free -= notional
            else:
                release = order.price * qty
                quote.locked -= release
                quote.free += release - notional
                order.locked -= release
            base.free += qty - commission
        else:
            commission, commission_asset = notional * rate, spec.quote
            if order.type == "MARKET":
                base.free -= qty
            else:
                base.locked -= qty
                order.locked -= qty
            quote.free += notional - commission
        order.executed_qty += qty
        order.cum_quote += notional
        order.update_time = now_ms
        done = (
            order.remaining <= 0 if order.req_amount == 0 else order.cum_quote >= order.req_amount
        )
        order.status = "FILLED" if done else "PARTIALLY_FILLED"
        if order.status == "FILLED" and order.locked and order.side == "BUY":
            quote.locked -= order.locked
            quote.free += order.locked
            order.locked = _ZERO
        trade_id = next(self._trade_ids)
        fill = Fill(
            trade_id,
            ticket_id,
            order.order_id,
            order.client_order_id,
            account.account_id,
            order.symbol,
            price,
            qty,
            commission,
            commission_asset,
            now_ms,
            order.side == "BUY",
            maker,
        )
        self.fills.append(fill)
        self._emit(order.api_key, OrderChanged(order, now_ms, fill))
        self._emit(order.api_key, OrderFilled(order, fill, now_ms))
        self._touch(touched, order)

    def _finish(
        self, order: BookOrder, now_ms: int, reason: str, touched: dict[str, set[str]]
    ) -> None:
        """End an order that will not fill further: unlock, set the final status, report."""
        spec = self.specs[order.symbol]
        if order.locked:
            asset = spec.quote if order.side == "BUY" else spec.base
            balance = order.account.balance(asset)
            balance.locked -= order.locked
            balance.free += order.locked
            order.locked = _ZERO
            self._touch(touched, order)
        self._books[order.symbol].remove(order)
        if order.status != "FILLED":
            order.status = "PARTIALLY_CANCELED" if order.executed_qty else "CANCELED"
            order.cancel_reason = reason
        order.update_time = now_ms
        self._emit(order.api_key, OrderChanged(order, now_ms))

    def _touch(self, touched: dict[str, set[str]], order: BookOrder) -> None:
        spec = self.specs[order.symbol]
        touched.setdefault(order.api_key, set()).update((spec.base, spec.quote))

    def _flush_balances(self, touched: dict[str, set[str]], now_ms: int) -> None:
        """One outboundAccountInfo per key with every asset the operation moved."""
        for api_key, assets in touched.items():
            account = self.users[api_key].main
            self._emit(api_key, BalancesChanged(account, tuple(sorted(assets)), now_ms))

    def _emit(self, api_key: str, event: EngineEvent) -> None:
        for listener in list(self.listeners):
            listener(api_key, event)


def _wall_ms() -> int:
    return int(time.time() * 1000)
