"""Spot trading endpoints (reference, "Spot Trading"): validation, placement, cancels, queries."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

import msgspec

from ...rest import endpoints as ep
from ..accounts import User
from ..book import BookOrder, EngineOrderRequest
from ..errors import EngineError
from ..payloads import cancel_ack, order_ack, order_row
from ..specs import ORDER_TYPES, SIDES, STP_MODES, TIME_IN_FORCE
from .base import Section
from .call import Call, Handler, form_text

__all__ = ["MAX_BATCH_ORDERS", "MAX_CANCEL_ALL", "MAX_CANCEL_IDS", "ORDER_CALLS", "SpotSection"]

#: Reference, batch limits ("Upper Limit").
MAX_BATCH_ORDERS: Final = 20
MAX_CANCEL_IDS: Final = 100
MAX_CANCEL_ALL: Final = 200
#: Calls that create or cancel orders: the order faults (``fail_next_orders``, ...) hit these.
ORDER_CALLS: Final = frozenset(
    {
        ep.CREATE_ORDER,
        ep.CREATE_ORDERS,
        ep.CANCEL_ORDER,
        ep.CANCEL_OPEN_ORDERS,
        ep.CANCEL_ALL_OPEN_ORDERS,
        ep.CANCEL_ORDERS_BY_IDS,
    }
)
#: Batch bodies: JSON numbers (prices, quantities) are read as exact Decimals, never floats.
_json_decoder: Final = msgspec.json.Decoder(float_hook=Decimal)


class SpotSection(Section):
    """Orders of the caller's main trading account."""

    def routes(self) -> Mapping[ep.Endpoint[Any], Handler]:
        """Rows of ``rest.spot``."""
        return {
            ep.TEST_ORDER: self.test_order,
            ep.CREATE_ORDER: self.create_order,
            ep.CREATE_ORDERS: self.create_orders,
            ep.CANCEL_ORDER: self.cancel_order,
            ep.CANCEL_OPEN_ORDERS: self.cancel_open_orders,
            ep.CANCEL_ALL_OPEN_ORDERS: self.cancel_all_open_orders,
            ep.CANCEL_ORDERS_BY_IDS: self.cancel_orders_by_ids,
            ep.GET_ORDER: self.get_order,
            ep.OPEN_ORDERS: self.open_orders,
            ep.TRADE_ORDERS: self.trade_orders,
        }

    def _order_request(self, fields: dict[str, str]) -> EngineOrderRequest:
        """Validate a new order's fields (reference, "Create Order v1.1") into a request."""
        call = Call(fields, None, 0, b"")
        symbol = call.need("symbol")
        spec = self.engine.spec(symbol)
        side = call.choice("side", SIDES, "-1117", required=True)
        kind = call.choice("type", ORDER_TYPES, "0206", required=True)
        assert side is not None and kind is not None
        tif = call.choice("timeInForce", TIME_IN_FORCE, "-1115")
        if tif is not None and (
            (kind == "MARKET" and tif != "IOC") or (kind == "LIMIT_MAKER" and tif != "GTC")
        ):
            raise EngineError("-1115", "Invalid timeInForce")
        stp = call.choice("stpMode", STP_MODES, "-1130") or "EXPIRE_TAKER"
        client_id = call.text("newClientOrderId")
        if client_id is not None and len(client_id) > 255:
            raise EngineError("-1123", "Invalid client order id")
        quantity = call.decimal("quantity", "-1126")
        amount = call.decimal("amount", "-1130")
        price = call.decimal("price", "-1124")
        if kind == "MARKET":
            if quantity is not None and amount is not None:
                raise EngineError(
                    "-1129",
                    "Invalid parameters, quantity and amount are not allowed to be sent at the same time.",
                )
            if quantity is None and amount is None:
                raise EngineError("0001", "Required field quantity missing or invalid")
            price = None
        else:
            if quantity is None:
                raise EngineError("0001", "Required field quantity missing or invalid")
            if price is None:
                raise EngineError("0001", "Required field price missing or invalid")
            if amount is not None:
                raise EngineError("-1130", "Illegal parameter 'amount'")
        if price is not None and price % spec.tick_size:
            raise EngineError("0209", "Invalid price precision")
        if quantity is not None:
            if quantity % spec.step_size:
                raise EngineError("-1137", "Order quantity precision too large")
            if quantity < spec.min_qty:
                raise EngineError("-1136", "Order quantity lower than the minimum")
            if quantity > spec.max_qty:
                raise EngineError("-1135", "Order quantity greater than the maximum")
        notional = amount if amount is not None else (quantity or 0) * (price or 0)
        if (amount is not None or price is not None) and notional < spec.min_notional:
            raise EngineError("-1140", "Order amount lower than the minimum")
        if notional > spec.max_amount:
            raise EngineError("-1206", "Order amount greater than the maximum")
        return EngineOrderRequest(symbol, side, kind, quantity, amount, price, client_id, tif, stp)

    def test_order(self, call: Call) -> dict[str, Any]:
        """Reference, "Test New Order": validate only."""
        self._order_request(call.params)
        return {}

    def create_order(self, call: Call) -> dict[str, Any]:
        """Reference, "Create Order v1.1"."""
        order = self.engine.place(call.caller(), self._order_request(call.params), call.now)
        return order_ack(order)

    def create_orders(self, call: Call) -> dict[str, Any]:
        """Reference, "Create Multiple orders by Symbol v1.1": JSON array body, up to 20."""
        try:
            items = _json_decoder.decode(call.body) if call.body else None
        except msgspec.DecodeError:
            items = None
        if not isinstance(items, list) or not items:
            raise EngineError("0001", "Required field orders missing or invalid")
        if len(items) > MAX_BATCH_ORDERS:
            raise EngineError("-2022", "Order batch size exceeds the limit")
        if len({item.get("symbol") for item in items if isinstance(item, dict)}) > 1:
            raise EngineError("-1130", "Illegal parameter 'symbol': one symbol per batch")
        user = call.caller()
        result: list[dict[str, Any]] = []
        for item in items:
            try:
                if not isinstance(item, dict):
                    raise EngineError("-1130", "Illegal parameter 'order'")
                fields = {str(k): form_text(v) for k, v in item.items()}
                order = self.engine.place(user, self._order_request(fields), call.now)
            except EngineError as exc:
                result.append({"code": exc.code, "msg": exc.msg})
            else:
                result.append({"code": "0000", "order": order_ack(order)})
        return {"code": 0, "result": result, "concentration": ""}

    def cancel_order(self, call: Call) -> dict[str, Any]:
        """Reference, "Cancel Order": by orderId or clientOrderId."""
        user = call.caller()
        order = self._find(call, user, "clientOrderId")
        return cancel_ack(self.engine.cancel(user, order, call.now))

    def _find(self, call: Call, user: User, client_field: str) -> BookOrder:
        order_id = call.integer("orderId")
        client_id = call.text(client_field)
        if order_id is None and client_id is None:
            raise EngineError("0001", "Required field orderId missing or invalid")
        return self.engine.find_order(user, order_id, client_id)

    def cancel_open_orders(self, call: Call) -> dict[str, Any]:
        """Reference, "Cancel All Open Orders by Symbol"."""
        symbol = self.need_symbol(call)
        side = call.choice("side", SIDES, "-1117")
        self.engine.cancel_many(call.caller(), call.now, symbol, side)
        return {"success": True}

    def cancel_all_open_orders(self, call: Call) -> dict[str, Any]:
        """Reference, "Cancel All Open Spot Orders" (up to 200 per request)."""
        user = call.caller()
        symbol = self.symbol(call)
        side = call.choice("side", SIDES, "-1117")
        from_id = call.integer("fromOrderId")
        limit = call.limit(100, MAX_CANCEL_ALL)
        orders = [
            o
            for o in self.engine.account_orders(user.main)
            if o.is_open
            and symbol in (None, o.symbol)
            and side in (None, o.side)
            and (from_id is None or o.order_id < from_id)
        ][:limit]
        for order in orders:
            self.engine.cancel(user, order, call.now)
        return {
            "code": "0000",
            "message": "success",
            "timestamp": call.now,
            "lastOrderId": orders[-1].order_id if orders else 0,
        }

    def cancel_orders_by_ids(self, call: Call) -> dict[str, Any]:
        """Reference, "Cancel Multiple Orders By OrderId" (up to 100)."""
        user = call.caller()
        ids = [i for i in call.need("ids").split(",") if i]
        if len(ids) > MAX_CANCEL_IDS:
            raise EngineError("-2022", "Order batch size exceeds the limit")
        failed: list[dict[str, str]] = []
        for raw in ids:
            try:
                order = self.engine.find_order(user, int(raw))
                if not order.is_open:
                    raise EngineError("0212", "Order has already been completed")
                self.engine.cancel(user, order, call.now)
            except ValueError:
                failed.append({"orderId": raw, "code": "0211"})
            except EngineError as exc:
                failed.append({"orderId": raw, "code": exc.code})
        return {"code": "0000", "result": failed}

    def get_order(self, call: Call) -> dict[str, Any]:
        """Reference, "Query Order": by orderId or origClientOrderId."""
        return order_row(self._find(call, call.caller(), "origClientOrderId"))

    def open_orders(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Current Open Orders" (newest first)."""
        return self.order_list(call, call.caller().main, open_only=True)

    def trade_orders(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get All Traded Orders" (newest first; fromOrderId pages back)."""
        return self.order_list(call, call.caller().main, open_only=False)
