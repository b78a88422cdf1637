"""``client.spot``: create, cancel and query spot orders (reference, "Spot Trading").

Arguments are validated by ``orders.build_order`` before any I/O. Every order carries a
newClientOrderId (generated when not given) so an uncertain creation can be reconciled
(``rest/reconcile.py``). ``rules="round"|"check"`` applies the symbol's exchangeInfo
filters (``rules.SymbolRules``, cached and refreshed by ``rules_for``) before sending.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from ..config import ReconcilePolicy
from ..enums import OrderType, Side, StpMode, TimeInForce, parse_optional
from ..errors import BatchStatusUnknown, InvalidParameterError
from ..models.trading import (
    BatchOrderResponse,
    CancelAllResponse,
    CancelByIdsResponse,
    Order,
    SuccessResponse,
)
from ..orders import (
    OrderRequest,
    build_order,
    exactly_one,
    order_ids_param,
    validate_batch,
)
from ..params import Number, symbol_param
from ..rules import RulesBook, SymbolRules
from . import endpoints as E
from .base import Resource
from .hooks import OrderHooks, is_refusal, report_failure
from .reconcile import InDoubtOrders, place_batch, place_order
from .transport import Transport

__all__ = ["RulesMode", "SpotResource"]

#: ``create_order(rules=...)``: round onto the grids then check, only check, or neither.
RulesMode = Literal["round", "check"]


class SpotResource(Resource):
    """Spot orders: every TRADE and USER_DATA endpoint of "Spot Trading"."""

    __slots__ = ("_rules", "_rules_lock", "hooks", "in_doubt", "reconcile")

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport)
        config = transport.config
        self._rules = RulesBook(config.rules_ttl)
        self._rules_lock = asyncio.Lock()
        #: What create_order does when the outcome is unknown (see ``rest/reconcile.py``).
        self.reconcile: ReconcilePolicy = config.reconcile
        #: Client order ids whose creation could not be settled (unknown outcome, or the
        #: caller cancelled while the request may have left): look them up, then discard.
        self.in_doubt = InDoubtOrders(config.in_doubt_size)
        #: Observer of every create and cancel (the order tracker installs itself here).
        self.hooks: OrderHooks | None = None

    # --- exchange rules ---------------------------------------------------------------

    @property
    def rules_book(self) -> RulesBook:
        """The cached exchangeInfo rules (``ttl`` is tunable)."""
        return self._rules

    async def rules_for(self, symbol: str, *, refresh: bool = False) -> SymbolRules:
        """``symbol``'s trading rules, from exchangeInfo fetched at most once per ``ttl``."""
        async with self._rules_lock:
            if refresh or self._rules.stale or self._rules.get(symbol) is None:
                self._rules.load(await self._call(E.EXCHANGE_INFO))
        return self._rules.require(symbol)

    async def _apply_rules(
        self, order: OrderRequest, rules: RulesMode | None, reference_price: Number | None
    ) -> OrderRequest:
        if rules is None:
            return order
        if rules not in ("round", "check"):
            raise InvalidParameterError("rules", f"must be 'round', 'check' or None, got {rules!r}")
        book = await self.rules_for(order.symbol)
        if rules == "round":
            order = book.round_order(order)
        book.check(order, reference_price)
        return order

    # --- orders -----------------------------------------------------------------------

    async def test_order(
        self,
        symbol: str,
        side: Side | str,
        type: OrderType | str,
        *,
        quantity: Number | None = None,
        price: Number | None = None,
        client_order_id: str | None = None,
        time_in_force: TimeInForce | str | None = None,
        stp_mode: StpMode | str | None = None,
    ) -> None:
        """Have the exchange validate an order without sending it to matching (orderTest)."""
        order = build_order(
            symbol,
            side,
            type,
            quantity=quantity,
            price=price,
            client_order_id=client_order_id,
            time_in_force=time_in_force,
            stp_mode=stp_mode,
        )
        await self._transport.request(E.TEST_ORDER, order.params())

    async def create_order(
        self,
        symbol: str,
        side: Side | str,
        type: OrderType | str,
        *,
        quantity: Number | None = None,
        amount: Number | None = None,
        price: Number | None = None,
        client_order_id: str | None = None,
        time_in_force: TimeInForce | str | None = None,
        stp_mode: StpMode | str | None = None,
        rules: RulesMode | None = None,
        reference_price: Number | None = None,
    ) -> Order:
        """Place one order (``POST /api/v1.1/spot/order``) and return it.

        Raises ``InvalidParameterError`` before any I/O for bad arguments (or a
        ``FilterViolation`` with ``rules``), and ``ExecutionStatusUnknown`` carrying
        ``client_order_id`` only when reconciliation could not tell whether it exists.
        If the caller's task is cancelled meanwhile, the cancellation propagates and the
        client order id is logged at WARNING and kept in ``self.in_doubt``.
        """
        order = build_order(
            symbol,
            side,
            type,
            quantity=quantity,
            amount=amount,
            price=price,
            client_order_id=client_order_id,
            time_in_force=time_in_force,
            stp_mode=stp_mode,
        )
        order = await self._apply_rules(order, rules, reference_price)
        return await self.submit(order)

    async def submit(self, order: OrderRequest) -> Order:
        """Place an already built ``OrderRequest`` (same reconciliation as ``create_order``)."""
        hooks = self.hooks
        if hooks is None:
            return await place_order(self._transport, order, self.reconcile, in_doubt=self.in_doubt)
        await hooks.sending((order,))
        try:
            placed = await place_order(
                self._transport, order, self.reconcile, in_doubt=self.in_doubt
            )
        except BaseException as exc:
            report_failure(hooks, (order.client_order_id,), exc)
            raise
        hooks.answered(placed)
        return placed

    async def create_orders(
        self, orders: Sequence[OrderRequest | Mapping[str, Any]]
    ) -> BatchOrderResponse:
        """Place up to 20 orders of one symbol in one call; each item says how it went.

        ``orders`` are ``OrderRequest`` (from ``orders.build_order``) or mappings of
        ``create_order``'s keyword arguments. Items come back in request order. A batch is
        never resent: if its outcome is unknown, its orders are looked up (one open-orders
        and at most one traded-orders query per round); ``BatchStatusUnknown`` says which
        stay unknown (``.unknown``, also added to ``in_doubt``) and which were found
        (``.known``).
        """
        built = [
            order if isinstance(order, OrderRequest) else build_order(**order) for order in orders
        ]
        validate_batch(built)
        hooks = self.hooks
        if hooks is None:
            return await place_batch(self._transport, built, self.reconcile, in_doubt=self.in_doubt)
        await hooks.sending(built)
        try:
            answer = await place_batch(
                self._transport, built, self.reconcile, in_doubt=self.in_doubt
            )
        except BatchStatusUnknown as exc:
            for known in exc.known.values():
                hooks.answered(known)
            hooks.unknown(exc.unknown)
            raise
        except BaseException as exc:
            report_failure(hooks, [order.client_order_id for order in built], exc)
            raise
        for order, item in zip(built, answer.result, strict=False):
            if item.order is not None and item.ok:
                hooks.answered(item.order)
            elif (error := item.error) is not None and is_refusal(error):
                hooks.refused(order.client_order_id, error)
            else:
                hooks.unknown((order.client_order_id,))
        return answer

    async def cancel_order(
        self, *, order_id: int | str | None = None, client_order_id: str | None = None
    ) -> Order:
        """Cancel one order by exchange id or client id (exactly one).

        An order that is already cancelled raises ``OrderAlreadyCancelledError`` (-1142), one
        already filled ``OrderAlreadyFilledError`` (-1139), an unknown one
        ``OrderNotFoundError`` (0211) or ``OrderCompletedError`` (0212).
        """
        exactly_one(order_id=order_id, client_order_id=client_order_id)
        order: Order = await self._call(
            E.CANCEL_ORDER, order_id=order_id, client_order_id=client_order_id
        )
        if self.hooks is not None:
            self.hooks.answered(order)
        return order

    async def cancel_open_orders(
        self, symbol: str, side: Side | str | None = None
    ) -> SuccessResponse:
        """Cancel every open order of ``symbol`` (optionally one side), up to 200."""
        return await self._call(
            E.CANCEL_OPEN_ORDERS,
            symbol=symbol_param(symbol),
            side=parse_optional(Side, "side", side),
        )

    async def cancel_all_open_orders(
        self,
        symbol: str | None = None,
        *,
        side: Side | str | None = None,
        from_order_id: int | str | None = None,
        limit: int | None = None,
    ) -> CancelAllResponse:
        """Cancel open orders of every symbol (or one), up to ``limit`` (max 200)."""
        return await self._call(
            E.CANCEL_ALL_OPEN_ORDERS,
            symbol=symbol,
            side=parse_optional(Side, "side", side),
            from_order_id=from_order_id,
            limit=limit,
        )

    async def cancel_orders_by_ids(self, order_ids: Iterable[int | str]) -> CancelByIdsResponse:
        """Cancel up to 100 orders by exchange id; ``.failed`` maps each failure to its error."""
        return await self._call(E.CANCEL_ORDERS_BY_IDS, ids=order_ids_param(order_ids))

    async def get_order(
        self,
        *,
        order_id: int | str | None = None,
        client_order_id: str | None = None,
        account_id: int | str | None = None,
    ) -> Order:
        """One order by exchange id or client id (exactly one)."""
        exactly_one(order_id=order_id, client_order_id=client_order_id)
        return await self._call(
            E.GET_ORDER,
            order_id=order_id,
            orig_client_order_id=client_order_id,
            account_id=account_id,
        )

    async def open_orders(
        self,
        symbol: str | None = None,
        *,
        side: Side | str | None = None,
        from_order_id: int | str | None = None,
        limit: int | None = None,
    ) -> list[Order]:
        """Open orders (all symbols unless ``symbol``), up to ``limit`` (default 500, max 1000)."""
        return await self._call(
            E.OPEN_ORDERS,
            from_order_id=from_order_id,
            symbol=symbol,
            side=parse_optional(Side, "side", side),
            limit=limit,
        )

    async def trade_orders(
        self,
        symbol: str | None = None,
        *,
        side: Side | str | None = None,
        from_order_id: int | str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
    ) -> list[Order]:
        """Orders that traded or ended (last 90 days), newest first."""
        return await self._call(
            E.TRADE_ORDERS,
            from_order_id=from_order_id,
            symbol=symbol,
            start_time=start_time,
            end_time=end_time,
            side=parse_optional(Side, "side", side),
            limit=limit,
        )
