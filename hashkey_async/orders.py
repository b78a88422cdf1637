"""Order requests: build, validate and encode them with no I/O; generate client order ids.

Every rule here runs before anything is sent, and a broken rule raises
``InvalidParameterError`` (a ``ValueError``) naming the offending argument. The rules come
from the reference's "Spot Trading" section: mandatory parameters per order type, which
timeInForce each type accepts, batch size (-2022) and one symbol per batch (-2030),
quantity and amount never together (-1129), clientOrderId up to 255 characters,
cancel-by-ids up to 100 ids; and from "Wallet": a withdrawal memo is letters and digits,
at most 20 characters.
"""

from __future__ import annotations

import itertools
import re
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Final

from .enums import OrderType, Side, StpMode, TimeInForce, parse, parse_optional
from .errors import InvalidParameterError
from .params import Number, encode_value, symbol_param, to_decimal

__all__ = [
    "CLIENT_ORDER_ID_PREFIX",
    "MAX_BATCH_ORDERS",
    "MAX_CANCEL_IDS",
    "MAX_CLIENT_ORDER_ID_LENGTH",
    "MAX_MEMO_LENGTH",
    "OrderRequest",
    "build_order",
    "exactly_one",
    "new_client_order_id",
    "order_ids_param",
    "positive",
    "validate_batch",
    "validate_memo",
]

#: Reference, "Create Order v1.1": newClientOrderId is "up to 255 characters".
MAX_CLIENT_ORDER_ID_LENGTH: Final = 255
#: Reference, "Create Multiple orders": "up to 20 orders at a time" (-2022 beyond).
MAX_BATCH_ORDERS: Final = 20
#: Reference, "Cancel Multiple Orders By OrderId": "Maximum of 100 orders in a single batch".
MAX_CANCEL_IDS: Final = 100
#: Reference, "Withdraw VA": memo "Only supports letters and numbers. Maximum of 20 characters."
MAX_MEMO_LENGTH: Final = 20
#: Generated client order ids start with this, so they are easy to spot in order lists.
CLIENT_ORDER_ID_PREFIX: Final = "hka"

_MEMO: Final = re.compile(r"[A-Za-z0-9]+")
_ORDER_ID: Final = re.compile(r"[0-9]{1,20}")
_counter = itertools.count()
_PROCESS_TAG: Final = secrets.token_hex(4)

#: timeInForce values each order type accepts (reference, "Create Order v1.1").
_TIF_ALLOWED: Final[Mapping[OrderType, frozenset[TimeInForce]]] = {
    OrderType.LIMIT: frozenset(TimeInForce),
    OrderType.LIMIT_MAKER: frozenset({TimeInForce.GTC}),
    OrderType.MARKET: frozenset({TimeInForce.IOC}),
}


def new_client_order_id(prefix: str = CLIENT_ORDER_ID_PREFIX) -> str:
    """A unique, readable client order id: ``hka-<ms>-<process random><counter>`` (~30 chars).

    The random part is drawn once per process, the counter never repeats within it, and the
    millisecond clock tells restarts apart; no system call per order.
    """
    return f"{prefix}-{time.time_ns() // 1_000_000}-{_PROCESS_TAG}{next(_counter):x}"


def positive(field: str, value: Number) -> Decimal:
    """``value`` as an exact Decimal that is finite and > 0, or raise naming ``field``."""
    number = to_decimal(field, value)
    if number <= 0:
        raise InvalidParameterError(field, f"must be positive, got {encode_value(number)}")
    return number


def _client_order_id(value: str | None, field: str = "client_order_id") -> str:
    if value is None:
        return new_client_order_id()
    if not isinstance(value, str) or not value:
        raise InvalidParameterError(field, "must be a non-empty string")
    if len(value) > MAX_CLIENT_ORDER_ID_LENGTH:
        raise InvalidParameterError(
            field, f"at most {MAX_CLIENT_ORDER_ID_LENGTH} characters, got {len(value)}"
        )
    if not value.isprintable() or value != value.strip():
        raise InvalidParameterError(field, "must be printable, without surrounding spaces")
    return value


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A validated order, ready to send; ``client_order_id`` is always set."""

    symbol: str
    side: Side
    type: OrderType
    client_order_id: str
    quantity: Decimal | None = None
    amount: Decimal | None = None
    price: Decimal | None = None
    time_in_force: TimeInForce | None = None
    stp_mode: StpMode | None = None

    def params(self) -> dict[str, object]:
        """Parameters in the reference's order (camelCase keys; ``None`` is dropped on encoding)."""
        return {
            "symbol": self.symbol,
            "side": self.side,
            "type": self.type,
            "quantity": self.quantity,
            "amount": self.amount,
            "price": self.price,
            "newClientOrderId": self.client_order_id,
            "timeInForce": self.time_in_force,
            "stpMode": self.stp_mode,
        }

    def to_json(self) -> dict[str, str]:
        """One element of a batchOrders JSON body: exact strings, absent values left out."""
        return {
            key: encode_value(value) for key, value in self.params().items() if value is not None
        }

    def replace(self, **changes: object) -> OrderRequest:
        """A copy with ``changes`` applied, validated again."""
        values: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        unknown = set(changes) - set(values)
        if unknown:
            raise InvalidParameterError(sorted(unknown)[0], "not an order field")
        values.update(changes)
        return build_order(**values)  # type: ignore[arg-type]


def build_order(
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
) -> OrderRequest:
    """Validate one order's arguments and return the request (raises before any I/O)."""
    symbol_param(symbol)
    side_ = parse(Side, "side", side)
    type_ = parse(OrderType, "type", type)
    tif = parse_optional(TimeInForce, "time_in_force", time_in_force)
    stp = parse_optional(StpMode, "stp_mode", stp_mode)
    qty = positive("quantity", quantity) if quantity is not None else None
    amt = positive("amount", amount) if amount is not None else None
    px = positive("price", price) if price is not None else None
    if type_ is OrderType.MARKET:
        if qty is not None and amt is not None:
            raise InvalidParameterError(
                "amount", "a MARKET order takes quantity or amount, not both (-1129)"
            )
        if qty is None and amt is None:
            raise InvalidParameterError("quantity", "a MARKET order needs quantity or amount")
        if px is not None:
            raise InvalidParameterError("price", "a MARKET order takes no price")
    else:
        if px is None:
            raise InvalidParameterError("price", f"a {type_.value} order needs a price")
        if amt is not None:
            raise InvalidParameterError("amount", "amount is for MARKET orders only")
        if qty is None:
            raise InvalidParameterError("quantity", f"a {type_.value} order needs a quantity")
    if tif is not None and tif not in _TIF_ALLOWED[type_]:
        allowed = ", ".join(sorted(t.value for t in _TIF_ALLOWED[type_]))
        raise InvalidParameterError(
            "time_in_force", f"{tif.value} is not allowed for {type_.value} (allowed: {allowed})"
        )
    return OrderRequest(
        symbol=symbol.strip(),
        side=side_,
        type=type_,
        client_order_id=_client_order_id(client_order_id),
        quantity=qty,
        amount=amt,
        price=px,
        time_in_force=tif,
        stp_mode=stp,
    )


def validate_batch(orders: Sequence[OrderRequest]) -> None:
    """A batch is 1..20 orders of one symbol with distinct client order ids (-2022, -2030)."""
    if not orders:
        raise InvalidParameterError("orders", "a batch needs at least one order")
    if len(orders) > MAX_BATCH_ORDERS:
        raise InvalidParameterError(
            "orders", f"at most {MAX_BATCH_ORDERS} orders per batch, got {len(orders)} (-2022)"
        )
    symbols = {order.symbol for order in orders}
    if len(symbols) > 1:
        raise InvalidParameterError(
            "orders", f"a batch must be one symbol, got {sorted(symbols)} (-2030)"
        )
    ids = [order.client_order_id for order in orders]
    if len(set(ids)) != len(ids):
        raise InvalidParameterError("orders", "client order ids repeat within the batch")


def order_ids_param(order_ids: Iterable[int | str]) -> list[str]:
    """1..100 exchange order ids (ints or digit strings) for cancelOrderByIds."""
    if isinstance(order_ids, (str, bytes)):
        raise InvalidParameterError("order_ids", "pass a list of order ids, not one string")
    ids: list[str] = []
    for value in order_ids:
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str) or not _ORDER_ID.fullmatch(text):
            raise InvalidParameterError("order_ids", f"not an exchange order id: {value!r}")
        ids.append(text)
    if not ids:
        raise InvalidParameterError("order_ids", "need at least one order id")
    if len(ids) > MAX_CANCEL_IDS:
        raise InvalidParameterError(
            "order_ids", f"at most {MAX_CANCEL_IDS} ids per call, got {len(ids)}"
        )
    return ids


def exactly_one(**values: object) -> None:
    """Exactly one of the named arguments must be given (not ``None``)."""
    given = [name for name, value in values.items() if value is not None]
    if len(given) != 1:
        names = "/".join(values)
        what = "both" if len(given) > 1 else "neither"
        raise InvalidParameterError(names, f"pass exactly one of {names}, got {what}")


def validate_memo(memo: str | None) -> str | None:
    """A withdrawal memo: letters and digits only, at most 20 characters."""
    if memo is None:
        return None
    if not isinstance(memo, str) or not _MEMO.fullmatch(memo):
        raise InvalidParameterError("memo", "only letters and digits are allowed")
    if len(memo) > MAX_MEMO_LENGTH:
        raise InvalidParameterError(
            "memo", f"at most {MAX_MEMO_LENGTH} characters, got {len(memo)}"
        )
    return memo
