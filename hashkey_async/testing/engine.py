"""Matching engine, balances and order state of the offline exchange (no I/O).

Every method takes the exchange time ``now_ms`` so the engine is deterministic and can be
driven directly by tests. Rejections raise ``EngineError`` carrying the reference's error
code ("Error Codes" table); the REST layer turns it into ``{"code", "msg"}``.

Private events (reference, "User Data Stream") are pushed to ``Engine.listeners`` as
``(api_key, [event])`` with JSON-ready dicts: ``executionReport``, ``ticketInfo`` and
``outboundAccountInfo``.

History is kept for the exchange's lifetime, unbounded by design: every order (open or
ended), fill, balance flow and withdrawal stays queryable, as the reference's history
endpoints promise for 30-90 days. An offline exchange lives for one test, demo or
``serve`` session; memory grows with the orders placed in it.
"""

from __future__ import annotations

import itertools
import random
import string
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    from .exchange import ExchangeConfig

__all__ = [
    "OPEN_STATUSES",
    "ORDER_TYPES",
    "SIDES",
    "STP_MODES",
    "TIME_IN_FORCE",
    "Account",
    "Balance",
    "Engine",
    "EngineError",
    "EventListener",
    "Fill",
    "Liquidity",
    "ListenKeys",
    "Order",
    "OrderRequest",
    "SymbolSpec",
    "User",
    "Withdrawal",
    "fmt",
    "spec_for",
]

SIDES: Final = ("BUY", "SELL")
ORDER_TYPES: Final = ("LIMIT", "MARKET", "LIMIT_MAKER")
TIME_IN_FORCE: Final = ("GTC", "IOC", "FOK")
STP_MODES: Final = ("EXPIRE_TAKER", "EXPIRE_MAKER")
OPEN_STATUSES: Final = frozenset({"NEW", "PARTIALLY_FILLED"})

#: Reference, "Account Type": main trading (1), custody (5), fiat (6); sub trading accounts are 1 too.
ACCOUNT_TYPES: Final = ((1, "Main Trading Account"), (5, "Custody Account"), (6, "Fiat Account"))
SUB_ACCOUNT_LABEL: Final = "Sub Main Trading Account"

_ZERO: Final = Decimal(0)
_QUOTES: Final = ("USDT", "USDC", "USD", "HKD", "AED", "BTC", "ETH")
_ORDER_ID_BASE: Final = 2_000_000_000_000_000_000
_TRADE_ID_BASE: Final = 2_100_000_000_000_000_000
_TICKET_ID_BASE: Final = 4_600_000_000_000_000_000
_ACCOUNT_ID_BASE: Final = 1_700_000_000_000_000_000
_LISTEN_KEY_CHARS: Final = string.ascii_letters
_LISTEN_KEY_LENGTH: Final = 64

EventListener = Callable[[str, list[dict[str, Any]]], None]


def fmt(value: Decimal) -> str:
    """Render a Decimal as the exchange does: plain digits, no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


class EngineError(Exception):
    """A rejection with the reference's error code, its HTTP status and any Retry-After."""

    def __init__(
        self, code: str, msg: str, status: int = 400, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class SymbolSpec:
    """Trading rules of one symbol (reference, "Get Exchange Information" filters)."""

    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    max_amount: Decimal
    start_price: Decimal


_KNOWN_SPECS: Final = {
    "BTCUSDT": ("BTC", "USDT", "0.01", "0.00001", "0.00001", "100", "1", "10000000", "60000"),
    "ETHUSDT": ("ETH", "USDT", "0.01", "0.0001", "0.0001", "1000", "1", "10000000", "3000"),
    "BTCUSD": ("BTC", "USD", "0.01", "0.00001", "0.00001", "100", "1", "10000000", "60000"),
    "ETHUSD": ("ETH", "USD", "0.01", "0.0001", "0.0001", "1000", "1", "10000000", "3000"),
}


def spec_for(symbol: str) -> SymbolSpec:
    """Rules for ``symbol``: realistic ones for the majors, generic ones for anything else."""
    known = _KNOWN_SPECS.get(symbol)
    if known is not None:
        base, quote, *numbers = known
        tick, step, min_qty, max_qty, notional, max_amount, start = (Decimal(n) for n in numbers)
        return SymbolSpec(
            symbol, base, quote, tick, step, min_qty, max_qty, notional, max_amount, start
        )
    quote = next((q for q in _QUOTES if symbol.endswith(q) and symbol != q), "USDT")
    base = symbol[: -len(quote)] if symbol.endswith(quote) else symbol
    return SymbolSpec(
        symbol,
        base,
        quote,
        Decimal("0.01"),
        Decimal("0.01"),
        Decimal("0.01"),
        Decimal("100000"),
        Decimal("1"),
        Decimal("10000000"),
        Decimal("100"),
    )


@dataclass
class Balance:
    """One asset of one account."""

    free: Decimal = _ZERO
    locked: Decimal = _ZERO

    @property
    def total(self) -> Decimal:
        """Free plus locked."""
        return self.free + self.locked


@dataclass
class Account:
    """A trading, custody or fiat account of a user."""

    account_id: int
    user_id: int
    account_type: int
    label: str
    index: int
    balances: dict[str, Balance] = field(default_factory=dict)

    def balance(self, asset: str) -> Balance:
        """The balance of ``asset``, created empty on first use."""
        return self.balances.setdefault(asset, Balance())


@dataclass
class User:
    """An API key, its secret and the accounts it may use (first one trades)."""

    api_key: str
    api_secret: str = field(repr=False)
    user_id: int
    accounts: list[Account]

    @property
    def main(self) -> Account:
        """The main trading account: where orders placed with this key live."""
        return self.accounts[0]

    def account(self, account_id: int) -> Account | None:
        """The account with this id, if the user owns it."""
        return next((a for a in self.accounts if a.account_id == account_id), None)


@dataclass
class OrderRequest:
    """A validated new order, before it reaches the book."""

    symbol: str
    side: str
    type: str
    quantity: Decimal | None = None
    amount: Decimal | None = None
    price: Decimal | None = None
    client_order_id: str | None = None
    time_in_force: str | None = None
    stp_mode: str = "EXPIRE_TAKER"


@dataclass
class Order:
    """One order and its state."""

    order_id: int
    client_order_id: str
    account: Account
    api_key: str
    symbol: str
    side: str
    type: str
    time_in_force: str
    price: Decimal
    orig_qty: Decimal
    req_amount: Decimal
    stp_mode: str
    time: int
    update_time: int
    status: str = "NEW"
    executed_qty: Decimal = _ZERO
    cum_quote: Decimal = _ZERO
    locked: Decimal = _ZERO
    cancel_reason: str = ""

    @property
    def is_open(self) -> bool:
        """Resting on the book (NEW or PARTIALLY_FILLED)."""
        return self.status in OPEN_STATUSES

    @property
    def remaining(self) -> Decimal:
        """Base quantity still to fill (orders by quote amount have none fixed)."""
        return self.orig_qty - self.executed_qty

    @property
    def avg_price(self) -> Decimal:
        """Average fill price, 0 before any fill."""
        return self.cum_quote / self.executed_qty if self.executed_qty else _ZERO

    def ack(self) -> dict[str, Any]:
        """Reference, "Create Order v1.1" response."""
        return {
            "accountId": str(self.account.account_id),
            "symbol": self.symbol,
            "symbolName": self.symbol,
            "clientOrderId": self.client_order_id,
            "orderId": str(self.order_id),
            "transactTime": str(self.update_time),
            "price": fmt(self.price),
            "origQty": fmt(self.orig_qty),
            "executedQty": fmt(self.executed_qty),
            "status": self.status,
            "timeInForce": self.time_in_force,
            "type": self.type,
            "side": self.side,
            "reqAmount": fmt(self.req_amount),
            "concentration": "",
        }

    def cancel_ack(self) -> dict[str, Any]:
        """Reference, "Cancel Order" response."""
        ack = self.ack()
        for key in ("symbolName", "reqAmount", "concentration"):
            del ack[key]
        return ack

    def rest(self) -> dict[str, Any]:
        """Reference, "Query Order" response (also the rows of open/traded order lists)."""
        quote = fmt(self.cum_quote)
        return {
            "accountId": str(self.account.account_id),
            "exchangeId": "301",
            "symbol": self.symbol,
            "symbolName": self.symbol,
            "clientOrderId": self.client_order_id,
            "orderId": str(self.order_id),
            "price": fmt(self.price),
            "origQty": fmt(self.orig_qty),
            "executedQty": fmt(self.executed_qty),
            "cummulativeQuoteQty": quote,
            "cumulativeQuoteQty": quote,
            "avgPrice": fmt(self.avg_price),
            "status": self.status,
            "timeInForce": self.time_in_force,
            "type": self.type,
            "side": self.side,
            "stopPrice": "0.0",
            "icebergQty": "0.0",
            "time": str(self.time),
            "updateTime": str(self.update_time),
            "isWorking": True,
            "reqAmount": fmt(self.req_amount),
            "feeCoin": "",
            "feeAmount": "0",
            "sumFeeAmount": "0",
            "ordCxlReason": self.cancel_reason,
            "stpMode": self.stp_mode,
        }


@dataclass(frozen=True)
class Fill:
    """One side of one execution, as the account trade list reports it."""

    trade_id: int
    ticket_id: int
    order_id: int
    client_order_id: str
    account_id: int
    symbol: str
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool

    def rest(self) -> dict[str, Any]:
        """Reference, "Get Account Trade List" row."""
        fee = fmt(self.commission)
        asset = self.commission_asset
        return {
            "id": str(self.trade_id),
            "clientOrderId": self.client_order_id,
            "ticketId": str(self.ticket_id),
            "symbol": self.symbol,
            "symbolName": self.symbol,
            "orderId": str(self.order_id),
            "matchOrderId": "0",
            "price": fmt(self.price),
            "qty": fmt(self.qty),
            "commission": fee,
            "commissionAsset": asset,
            "time": str(self.time),
            "isBuyer": self.is_buyer,
            "isMaker": self.is_maker,
            "fee": {
                "feeCoinId": asset,
                "feeCoinName": asset,
                "fee": fee,
                "originCoinId": asset,
                "originCoinName": asset,
                "originFee": fee,
            },
            "feeCoinId": asset,
            "feeAmount": fee,
            "makerRebate": "0",
            "hskDeduct": False,
            "hskDeductPrice": "",
        }


@dataclass(frozen=True)
class Withdrawal:
    """A withdrawal and who asked for it; ``record`` is its "Get Withdraw History" row."""

    user_id: int
    client_order_id: str
    record: dict[str, Any]


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


class ListenKeys:
    """ListenKey registry (reference, "Create Listen Key"): TTL unless kept alive.

    ``on_revoke`` callbacks get the key when it is deleted or found expired, so the
    stream side can close its socket. Each ``create`` first sweeps expired keys, so keys
    that clients abandon without deleting them do not pile up.
    """

    def __init__(self, ttl_seconds: float, clock: Callable[[], int], rng: random.Random) -> None:
        self.ttl_ms = int(ttl_seconds * 1000)
        self.clock = clock
        self._rng = rng
        self._keys: dict[str, tuple[str, int]] = {}
        self.on_revoke: list[Callable[[str], None]] = []

    def create(self, api_key: str, now_ms: int | None = None) -> str:
        """A new listenKey for ``api_key``, valid for the TTL (expired keys are swept first)."""
        now = self._now(now_ms)
        self.sweep(now)
        key = "".join(self._rng.choice(_LISTEN_KEY_CHARS) for _ in range(_LISTEN_KEY_LENGTH))
        self._keys[key] = (api_key, now + self.ttl_ms)
        return key

    def keepalive(self, key: str, now_ms: int | None = None) -> bool:
        """Extend ``key`` by the TTL; False when it is unknown or already expired."""
        now = self._now(now_ms)
        if self.owner(key, now) is None:
            return False
        self._keys[key] = (self._keys[key][0], now + self.ttl_ms)
        return True

    def delete(self, key: str) -> bool:
        """Forget ``key`` and revoke it; False when it was unknown."""
        if self._keys.pop(key, None) is None:
            return False
        self._revoke(key)
        return True

    def owner(self, key: str, now_ms: int | None = None) -> str | None:
        """The API key that owns ``key``, or None when unknown or expired (expiry revokes it)."""
        entry = self._keys.get(key)
        if entry is None:
            return None
        if entry[1] <= self._now(now_ms):
            del self._keys[key]
            self._revoke(key)
            return None
        return entry[0]

    def sweep(self, now_ms: int | None = None) -> list[str]:
        """Revoke every key whose TTL has passed; returns them."""
        now = self._now(now_ms)
        expired = [key for key, (_, until) in self._keys.items() if until <= now]
        for key in expired:
            del self._keys[key]
            self._revoke(key)
        return expired

    def expire_all(self) -> list[str]:
        """Revoke every key now (fault injection); returns them."""
        keys = list(self._keys)
        self._keys.clear()
        for key in keys:
            self._revoke(key)
        return keys

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def _now(self, now_ms: int | None) -> int:
        return self.clock() if now_ms is None else now_ms

    def _revoke(self, key: str) -> None:
        for callback in list(self.on_revoke):
            callback(key)


class _Book:
    """Resting user orders of one symbol, price-time priority."""

    def __init__(self) -> None:
        self.bids: list[Order] = []
        self.asks: list[Order] = []

    def side(self, side: str) -> list[Order]:
        """Resting orders of ``side`` ("BUY" = bids), best first."""
        return self.bids if side == "BUY" else self.asks

    def add(self, order: Order) -> None:
        """Insert behind every order at the same or a better price."""
        orders = self.side(order.side)
        index = 0
        while index < len(orders) and not _better(order.side, order.price, orders[index].price):
            index += 1
        orders.insert(index, order)

    def remove(self, order: Order) -> None:
        """Take ``order`` off the book if it is there."""
        orders = self.side(order.side)
        if order in orders:
            orders.remove(order)


def _crosses(taker_side: str, limit: Decimal | None, price: Decimal) -> bool:
    """Whether a taker on ``taker_side`` with ``limit`` (None = market) trades at ``price``."""
    if limit is None:
        return True
    return price <= limit if taker_side == "BUY" else price >= limit


def _opposite(side: str) -> str:
    """The other side of the book: "BUY" <-> "SELL"."""
    return "SELL" if side == "BUY" else "BUY"


def _better(side: str, a: Decimal, b: Decimal) -> bool:
    """Whether price ``a`` ranks before ``b`` among resting orders of ``side`` (bids: higher)."""
    return a < b if side == "SELL" else a > b


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
        self.orders: dict[int, Order] = {}
        self.fills: list[Fill] = []
        #: Balance flows (reference, "Get Account Transaction History List"), oldest first.
        self.flows: list[dict[str, Any]] = []
        self.withdrawals: list[Withdrawal] = []
        self.listeners: list[EventListener] = []
        self.listen_keys = ListenKeys(config.listen_key_ttl, lambda: self.clock(), rng)
        self.market: Liquidity | None = None
        self.maker_fee = Decimal(config.maker_fee)
        self.taker_fee = Decimal(config.taker_fee)
        self._books: dict[str, _Book] = {s: _Book() for s in config.symbols}
        self._order_ids = itertools.count(_ORDER_ID_BASE + 1)
        self._trade_ids = itertools.count(_TRADE_ID_BASE + 1)
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
    def resting(self, symbol: str, side: str) -> list[Order]:
        """Resting user orders of ``side`` for ``symbol``, best first (read-only use)."""
        return self._books[symbol].side(side)

    def find_order(
        self, user: User, order_id: int | None = None, client_order_id: str | None = None
    ) -> Order:
        """An order of ``user``'s accounts by id or client id; 0211 if there is none."""
        order: Order | None = None
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
            raise EngineError("0211", "Order not found")
        return order

    def account_orders(self, account: Account) -> Iterator[Order]:
        """Every order of ``account``, newest first."""
        return (o for o in reversed(self.orders.values()) if o.account is account)

    def account_fills(self, account: Account) -> Iterator[Fill]:
        """Every fill of ``account``, newest first."""
        return (f for f in reversed(self.fills) if f.account_id == account.account_id)

    # --- orders -----------------------------------------------------------------
    def place(self, user: User, request: OrderRequest, now_ms: int) -> Order:
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
        order = Order(
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
            if best is not None and _crosses(order.side, order.price, best):
                raise EngineError(
                    "-1156", "Limit maker order rejected: Improper price may cause immediate fill."
                )
        self._reserve(order, spec)
        self.orders[order.order_id] = order
        touched: dict[str, set[str]] = {}
        self._emit(order.api_key, [self._execution_report(order, now_ms)])
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

    def cancel(self, user: User, order: Order, now_ms: int) -> Order:
        """Cancel an open order of ``user``; -1139 if filled, -1142 if already cancelled."""
        if user.account(order.account.account_id) is None:
            raise EngineError("0211", "Order not found")
        if order.status == "FILLED":
            raise EngineError("-1139", "Order has been filled")
        if not order.is_open:
            raise EngineError("-1142", "Order has been cancelled")
        touched: dict[str, set[str]] = {}
        self._finish(order, now_ms, "USER_CANCEL", touched)
        self._flush_balances(touched, now_ms)
        return order

    def cancel_many(
        self, user: User, now_ms: int, symbol: str | None = None, side: str | None = None
    ) -> list[Order]:
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
            contra_side = _opposite(side)
            levels = self.market.levels(symbol, contra_side)
            for order in list(book.side(side)):
                while order.remaining > 0 and levels and _crosses(side, order.price, levels[0][0]):
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

    # --- wallet ---------------------------------------------------------------
    def record_transfer(
        self, source: Account, target: Account, coin: str, quantity: Decimal, now_ms: int
    ) -> int:
        """Log a transfer that already moved balances; returns its order id."""
        transfer_id = next(self._order_ids)
        self._flow(source, coin, -quantity, 51, "USER_ACCOUNT_TRANSFER", now_ms)
        self._flow(target, coin, quantity, 51, "USER_ACCOUNT_TRANSFER", now_ms)
        return transfer_id

    def record_withdrawal(
        self,
        account: Account,
        coin: str,
        quantity: Decimal,
        address: str,
        client_order_id: str,
        now_ms: int,
        *,
        remark: str = "",
        platform: str = "",
        memo: str = "",
    ) -> Withdrawal:
        """Log a withdrawal that already left ``account``; it settles at once."""
        record = {
            "time": str(now_ms),
            "id": f"W{next(self._order_ids)}",
            "coin": coin,
            "coinId": coin,
            "coinName": coin,
            "address": address,
            "quantity": fmt(quantity),
            "arriveQuantity": fmt(quantity),
            "status": "successful",
            "txId": f"0x{next(self._trade_ids):064x}",
            "addressUrl": address,
            "feeCoinId": coin,
            "feeCoinName": coin,
            "fee": "0",
            "remark": remark,
            "platform": platform,
            "memo": memo,
        }
        withdrawal = Withdrawal(account.user_id, client_order_id, record)
        self.withdrawals.append(withdrawal)
        self._flow(account, coin, -quantity, 904, "CUSTODY_WITHDRAW", now_ms)
        return withdrawal

    def _flow(
        self, account: Account, coin: str, change: Decimal, kind: int, name: str, now_ms: int
    ) -> None:
        self.flows.append(
            {
                "id": str(next(self._trade_ids)),
                "accountId": str(account.account_id),
                "coin": coin,
                "coinId": coin,
                "coinName": coin,
                "flowTypeValue": kind,
                "flowType": name,
                "flowName": "",
                "change": fmt(change),
                "total": fmt(account.balance(coin).total),
                "created": str(now_ms),
            }
        )

    # --- internals --------------------------------------------------------------
    def _best_contra(self, order: Order) -> Decimal | None:
        contra = _opposite(order.side)
        prices = [o.price for o in self._books[order.symbol].side(contra)[:1]]
        if self.market is not None:
            prices += [lvl[0] for lvl in self.market.levels(order.symbol, contra)[:1]]
        if not prices:
            return None
        return min(prices) if contra == "SELL" else max(prices)

    def _reserve(self, order: Order, spec: SymbolSpec) -> None:
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

    def _fillable(self, order: Order) -> Decimal:
        """How much of ``order`` the book could fill now (for FOK)."""
        contra = _opposite(order.side)
        total = _ZERO
        for price, qty in self._contra_levels(order.symbol, contra, order.account):
            if not _crosses(order.side, order.price, price):
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
        self, order: Order, spec: SymbolSpec, now_ms: int, touched: dict[str, set[str]]
    ) -> None:
        """Trade ``order`` as taker against resting user orders and market levels."""
        contra_side = _opposite(order.side)
        book = self._books[order.symbol].side(contra_side)
        levels = self.market.levels(order.symbol, contra_side) if self.market else []
        limit = None if order.type == "MARKET" else order.price
        by_amount = order.type == "MARKET" and order.req_amount > 0
        while order.is_open:
            maker = book[0] if book else None
            level = levels[0] if levels else None
            if maker is not None and (
                level is None or not _better(contra_side, level[0], maker.price)
            ):
                price, available = maker.price, maker.remaining
            elif level is not None:
                maker, price, available = None, level[0], level[1]
            else:
                break
            if not _crosses(order.side, limit, price):
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
        self, order: Order, spec: SymbolSpec, price: Decimal, by_amount: bool
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
    def _amount_spent(order: Order, spec: SymbolSpec, price: Decimal) -> bool:
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
        order: Order,
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
        self._emit(order.api_key, [self._execution_report(order, now_ms, fill)])
        self._emit(order.api_key, [self._ticket(order, fill, now_ms)])
        self._touch(touched, order)

    def _finish(self, order: Order, now_ms: int, reason: str, touched: dict[str, set[str]]) -> None:
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
        self._emit(order.api_key, [self._execution_report(order, now_ms)])

    def _touch(self, touched: dict[str, set[str]], order: Order) -> None:
        spec = self.specs[order.symbol]
        touched.setdefault(order.api_key, set()).update((spec.base, spec.quote))

    def _flush_balances(self, touched: dict[str, set[str]], now_ms: int) -> None:
        """One outboundAccountInfo per key with every asset the operation moved."""
        for api_key, assets in touched.items():
            account = self.users[api_key].main
            self._emit(api_key, [self.account_event(account, sorted(assets), now_ms)])

    def _emit(self, api_key: str, events: list[dict[str, Any]]) -> None:
        for listener in list(self.listeners):
            listener(api_key, events)

    # --- event shapes (reference, "User Data Stream") ---------------------------
    @staticmethod
    def account_event(account: Account, assets: Iterable[str], now_ms: int) -> dict[str, Any]:
        """``outboundAccountInfo`` for ``assets`` of ``account``."""
        return {
            "e": "outboundAccountInfo",
            "E": str(now_ms),
            "T": True,
            "W": True,
            "D": True,
            "B": [
                {
                    "a": asset,
                    "f": fmt(account.balance(asset).free),
                    "l": fmt(account.balance(asset).locked),
                    "r": "",
                }
                for asset in assets
            ],
        }

    @staticmethod
    def _execution_report(order: Order, now_ms: int, fill: Fill | None = None) -> dict[str, Any]:
        """``executionReport`` for the order's current state (and the fill that caused it)."""
        return {
            "e": "executionReport",
            "E": str(now_ms),
            "s": order.symbol,
            "c": order.client_order_id,
            "S": order.side,
            "o": order.type,
            "f": order.time_in_force,
            "q": fmt(order.orig_qty),
            "p": fmt(order.price),
            "X": order.status,
            "i": str(order.order_id),
            "l": fmt(fill.qty) if fill else "0",
            "z": fmt(order.executed_qty),
            "L": fmt(fill.price) if fill else "0",
            "n": fmt(fill.commission) if fill else "0",
            "N": fill.commission_asset if fill else "",
            "u": True,
            "w": order.is_open,
            "m": fill.is_maker if fill else False,
            "O": str(order.time),
            "Z": fmt(order.cum_quote),
            "C": False,
            "v": "0",
            "reqAmt": fmt(order.req_amount),
            "d": str(fill.trade_id) if fill else "0",
            "r": fmt(max(order.remaining, _ZERO)),
            "V": fmt(order.avg_price),
            "P": "0",
            "lo": False,
            "lt": "",
            "x": order.cancel_reason,
        }

    @staticmethod
    def _ticket(order: Order, fill: Fill, now_ms: int) -> dict[str, Any]:
        """``ticketInfo`` for one fill."""
        return {
            "e": "ticketInfo",
            "E": str(now_ms),
            "s": order.symbol,
            "q": fmt(fill.qty),
            "t": str(fill.time),
            "p": fmt(fill.price),
            "T": str(fill.ticket_id),
            "o": str(order.order_id),
            "c": order.client_order_id,
            "a": str(order.account.account_id),
            "m": fill.is_maker,
            "S": order.side,
        }


def _wall_ms() -> int:
    return int(time.time() * 1000)
