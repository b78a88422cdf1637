"""``SymbolRules``: a symbol's trading rules from exchangeInfo, as plain rounding and checks.

Reference, "Get Exchange Information" / "Types of trading restrictions": PRICE_FILTER
(tickSize, min/max price), LOT_SIZE (stepSize, limit and market quantity bounds),
MIN_NOTIONAL, TRADE_AMOUNT (turnover bounds, market amount bounds), LIMIT_TRADING and
MARKET_TRADING (price bands around the mark price). No I/O: ``RulesBook`` caches the
rules of every symbol from one ExchangeInfo and says when it is stale; the spot resource
fetches and refreshes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Final

from .enums import OrderType, Side
from .errors import FilterViolation, InvalidParameterError
from .models.market import (
    ExchangeInfo,
    LimitTradingFilter,
    LotSizeFilter,
    MarketTradingFilter,
    MinNotionalFilter,
    PriceFilter,
    SymbolInfo,
    TradeAmountFilter,
)
from .orders import OrderRequest
from .params import Number, encode_value, to_decimal

__all__ = ["RulesBook", "SymbolRules"]

_ONE: Final = Decimal(1)


def _bound(value: Decimal | None) -> Decimal | None:
    """Zero means "no limit" in exchangeInfo's upper bounds."""
    return value if value else None


def _text(value: Decimal) -> str:
    return encode_value(value)


@dataclass(frozen=True, slots=True)
class SymbolRules:
    """One symbol's filters; ``None`` means the exchange sets no such limit."""

    symbol: str
    tick_size: Decimal | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    step_size: Decimal | None = None
    min_qty: Decimal | None = None
    max_qty: Decimal | None = None
    market_min_qty: Decimal | None = None
    market_max_qty: Decimal | None = None
    min_notional: Decimal | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    market_min_amount: Decimal | None = None
    market_max_amount: Decimal | None = None
    limit_buy_up_rate: Decimal | None = None
    limit_sell_down_rate: Decimal | None = None
    market_buy_up_rate: Decimal | None = None
    market_sell_down_rate: Decimal | None = None
    #: ``filterType`` of each filter this version does not know ("" when sent empty): those
    #: limits are not checked here (they are kept raw in ``SymbolInfo.unknown_filters``).
    unapplied_filters: tuple[str, ...] = ()

    @classmethod
    def from_symbol(cls, info: SymbolInfo) -> SymbolRules:
        """Rules from one exchangeInfo symbol entry (absent filters leave their limits unset)."""
        price = info.filter(PriceFilter)
        lot = info.filter(LotSizeFilter)
        notional = info.filter(MinNotionalFilter)
        amount = info.filter(TradeAmountFilter)
        limit = info.filter(LimitTradingFilter)
        market = info.filter(MarketTradingFilter)
        return cls(
            symbol=info.symbol,
            tick_size=_bound(price.tick_size) if price else None,
            min_price=_bound(price.min_price) if price else None,
            max_price=_bound(price.max_price) if price else None,
            step_size=_bound(lot.step_size) if lot else None,
            min_qty=_bound(lot.min_qty) if lot else None,
            max_qty=_bound(lot.max_qty) if lot else None,
            market_min_qty=_bound(lot.market_order_min_qty) if lot else None,
            market_max_qty=_bound(lot.market_order_max_qty) if lot else None,
            min_notional=_bound(notional.min_notional) if notional else None,
            min_amount=_bound(amount.min_amount) if amount else None,
            max_amount=_bound(amount.max_amount) if amount else None,
            market_min_amount=_bound(amount.market_order_min_amount) if amount else None,
            market_max_amount=_bound(amount.market_order_max_amount) if amount else None,
            limit_buy_up_rate=limit.buy_price_up_rate if limit else None,
            limit_sell_down_rate=limit.sell_price_down_rate if limit else None,
            market_buy_up_rate=market.buy_price_up_rate if market else None,
            market_sell_down_rate=market.sell_price_down_rate if market else None,
            unapplied_filters=tuple(str(f.get("filterType") or "") for f in info.unknown_filters),
        )

    # --- rounding ---------------------------------------------------------------

    def round_price(self, price: Number, side: Side | None = None) -> Decimal:
        """``price`` on the tick grid: BUY rounds down, SELL up (never a worse price), else nearest."""
        value = to_decimal("price", price)
        tick = self.tick_size
        if tick is None:
            return value
        if side is Side.BUY:
            mode = ROUND_FLOOR
        elif side is Side.SELL:
            mode = ROUND_CEILING
        else:
            mode = ROUND_HALF_EVEN
        return ((value / tick).to_integral_value(rounding=mode) * tick).quantize(tick)

    def round_quantity(self, quantity: Number) -> Decimal:
        """``quantity`` on the step grid, rounded toward zero (never more than asked)."""
        value = to_decimal("quantity", quantity)
        step = self.step_size
        if step is None:
            return value
        return ((value / step).to_integral_value(rounding=ROUND_DOWN) * step).quantize(step)

    def round_order(self, order: OrderRequest) -> OrderRequest:
        """``order`` with price and quantity rounded onto the grids (validated again)."""
        changes: dict[str, object] = {}
        if order.price is not None:
            changes["price"] = self.round_price(order.price, order.side)
        if order.quantity is not None:
            changes["quantity"] = self.round_quantity(order.quantity)
        return order.replace(**changes) if changes else order

    # --- checks -------------------------------------------------------------------

    def price_band(
        self, type: OrderType, side: Side, reference_price: Decimal
    ) -> tuple[Decimal | None, Decimal | None]:
        """(lowest, highest) price allowed around ``reference_price`` (LIMIT/MARKET_TRADING)."""
        if type is OrderType.MARKET:
            up, down = self.market_buy_up_rate, self.market_sell_down_rate
        else:
            up, down = self.limit_buy_up_rate, self.limit_sell_down_rate
        if side is Side.BUY:
            return None, reference_price * (_ONE + up) if up is not None else None
        return (reference_price * (_ONE - down) if down is not None else None), None

    def check(self, order: OrderRequest, reference_price: Number | None = None) -> None:
        """Raise ``FilterViolation`` for the first filter ``order`` breaks.

        Price bands are checked only when ``reference_price`` (the mark or last price) is given;
        a MARKET order given by quantity is checked for notional only against that price too.
        """
        ref = (
            to_decimal("reference_price", reference_price) if reference_price is not None else None
        )
        market = order.type is OrderType.MARKET
        price, qty, amount = order.price, order.quantity, order.amount
        if price is not None:
            self._check_price(price)
            if ref is not None:
                low, high = self.price_band(order.type, order.side, ref)
                if high is not None and price > high:
                    raise FilterViolation(
                        "price", "LIMIT_TRADING", f"{_text(price)} is above the band {_text(high)}"
                    )
                if low is not None and price < low:
                    raise FilterViolation(
                        "price", "LIMIT_TRADING", f"{_text(price)} is below the band {_text(low)}"
                    )
        if qty is not None:
            self._check_quantity(qty, market)
        if market:
            if amount is not None:
                self._range(
                    "amount", "TRADE_AMOUNT", amount, self.market_min_amount, self.market_max_amount
                )
                self._range("amount", "MIN_NOTIONAL", amount, self.min_notional, None)
            elif qty is not None and ref is not None:
                self._range("quantity", "MIN_NOTIONAL", qty * ref, self.min_notional, None)
        elif price is not None and qty is not None:
            notional = price * qty
            self._range("quantity", "MIN_NOTIONAL", notional, self.min_notional, None)
            self._range("quantity", "TRADE_AMOUNT", notional, self.min_amount, self.max_amount)

    def _check_price(self, price: Decimal) -> None:
        self._range("price", "PRICE_FILTER", price, self.min_price, self.max_price)
        tick = self.tick_size
        if tick is not None and price % tick:
            raise FilterViolation(
                "price",
                "PRICE_FILTER",
                f"{_text(price)} is not a multiple of tickSize {_text(tick)}",
            )

    def _check_quantity(self, qty: Decimal, market: bool) -> None:
        low = self.market_min_qty if market and self.market_min_qty else self.min_qty
        high = self.market_max_qty if market and self.market_max_qty else self.max_qty
        self._range("quantity", "LOT_SIZE", qty, low, high)
        step = self.step_size
        if step is not None and qty % step:
            raise FilterViolation(
                "quantity", "LOT_SIZE", f"{_text(qty)} is not a multiple of stepSize {_text(step)}"
            )

    @staticmethod
    def _range(
        field: str, filter: str, value: Decimal, low: Decimal | None, high: Decimal | None
    ) -> None:
        if low is not None and value < low:
            raise FilterViolation(
                field, filter, f"{_text(value)} is below the minimum {_text(low)}"
            )
        if high is not None and value > high:
            raise FilterViolation(
                field, filter, f"{_text(value)} is above the maximum {_text(high)}"
            )


class RulesBook:
    """Every symbol's rules from the last ExchangeInfo, and whether it is time to refresh."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        """Trust a load for ``ttl`` seconds (``ClientConfig.rules_ttl``) by ``clock``."""
        self.ttl = ttl
        self._clock = clock
        self._rules: dict[str, SymbolRules] = {}
        self._loaded_at: float | None = None

    def load(self, info: ExchangeInfo) -> None:
        """Replace the cache with the symbols of ``info``."""
        self._rules = {item.symbol: SymbolRules.from_symbol(item) for item in info.symbols}
        self._loaded_at = self._clock()

    @property
    def stale(self) -> bool:
        """True before the first load and once ``ttl`` seconds have passed since the last."""
        return self._loaded_at is None or self._clock() - self._loaded_at >= self.ttl

    def get(self, symbol: str) -> SymbolRules | None:
        """The cached rules of ``symbol``, or None."""
        return self._rules.get(symbol)

    def require(self, symbol: str) -> SymbolRules:
        """The cached rules of ``symbol``, or ``InvalidParameterError`` if the exchange lists none."""
        rules = self._rules.get(symbol)
        if rules is None:
            raise InvalidParameterError("symbol", f"{symbol!r} is not listed in exchangeInfo")
        return rules
