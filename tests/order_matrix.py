"""The local-validation matrix shared by the pure order tests and the client tests."""

from __future__ import annotations

from typing import Any

__all__ = ["BAD_ORDERS", "GOOD_LIMIT"]

GOOD_LIMIT: dict[str, Any] = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "quantity": "0.01",
    "price": "28000",
}


def _with(**changes: Any) -> dict[str, Any]:
    order = {**GOOD_LIMIT, **changes}
    return {key: value for key, value in order.items() if value is not None}


#: id -> (create_order keyword arguments, the field the error must name)
BAD_ORDERS: dict[str, tuple[dict[str, Any], str]] = {
    "unknown side": (_with(side="HOLD"), "side"),
    "unknown type": (_with(type="STOP_LOSS"), "type"),
    "unknown time_in_force": (_with(time_in_force="GTD"), "time_in_force"),
    "unknown stp_mode": (_with(stp_mode="EXPIRE_BOTH"), "stp_mode"),
    "side of wrong type": (_with(side=1), "side"),
    "empty symbol": (_with(symbol=""), "symbol"),
    "limit without price": (_with(price=None), "price"),
    "limit maker without price": (_with(type="LIMIT_MAKER", price=None), "price"),
    "limit without quantity": (_with(quantity=None), "quantity"),
    "amount on a limit order": (_with(amount="100"), "amount"),
    "amount on a limit maker order": (_with(type="LIMIT_MAKER", amount="100"), "amount"),
    "market with quantity and amount (-1129)": (
        _with(type="MARKET", price=None, amount="100"),
        "amount",
    ),
    "market with neither": (_with(type="MARKET", price=None, quantity=None), "quantity"),
    "market with a price": (_with(type="MARKET"), "price"),
    "zero quantity": (_with(quantity="0"), "quantity"),
    "negative quantity": (_with(quantity="-0.01"), "quantity"),
    "negative price": (_with(price=-1), "price"),
    "zero market amount": (_with(type="MARKET", price=None, quantity=None, amount=0), "amount"),
    "NaN price": (_with(price="NaN"), "price"),
    "infinite quantity": (_with(quantity="Infinity"), "quantity"),
    "float inf": (_with(quantity=float("inf")), "quantity"),
    "float nan": (_with(price=float("nan")), "price"),
    "inexact float": (_with(quantity=0.1 + 0.2), "quantity"),
    "tiny float in exponent form": (_with(quantity=1e-9), "quantity"),
    "bool quantity": (_with(quantity=True), "quantity"),
    "not a number": (_with(price="28k"), "price"),
    "client_order_id of 256 chars": (_with(client_order_id="x" * 256), "client_order_id"),
    "empty client_order_id": (_with(client_order_id=""), "client_order_id"),
    "client_order_id with a newline": (_with(client_order_id="a\nb"), "client_order_id"),
    "IOC on limit maker": (_with(type="LIMIT_MAKER", time_in_force="IOC"), "time_in_force"),
    "FOK on market": (
        _with(type="MARKET", price=None, time_in_force="FOK"),
        "time_in_force",
    ),
    "GTC on market": (
        _with(type="MARKET", price=None, time_in_force="GTC"),
        "time_in_force",
    ),
}
