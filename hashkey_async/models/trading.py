"""Models of the reference's "Spot Trading" section (and the sub-account order lists).

One ``Order`` model decodes every order shape the exchange returns (create, cancel,
query, open and traded orders): fields only some of them carry have defaults, so older
payloads without ``stpMode``, ``ordCxlReason`` or ``exchangeId`` still decode. Ids come
as strings or numbers and decode into ``int``; money is ``Decimal``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Final

import msgspec

from ..enums import OrderStatus, OrderType, Side, StpMode, TimeInForce
from ..errors import SUCCESS_CODES, HashKeyError, error_for, normalize_code
from .common import Model

__all__ = [
    "BatchOrderItem",
    "BatchOrderResponse",
    "CancelAllResponse",
    "CancelByIdsItem",
    "CancelByIdsResponse",
    "Order",
    "SuccessResponse",
]

_ZERO: Final = Decimal(0)

#: A batch item's code says accepted or rejected: never blank (a blank one is refused, so the
#: answer counts as "status unknown" rather than reading an accepted order as rejected).
_Code = Annotated[str, msgspec.Meta(min_length=1)]

#: Per-item failures in batch answers carry a code but no HTTP status of their own.
_ITEM_STATUS: Final = 400


class Order(Model, kw_only=True):
    """One spot order as create/cancel/query/list endpoints return it."""

    order_id: int
    symbol: str
    side: Side | None = None
    type: OrderType | None = None
    status: OrderStatus | None = None
    client_order_id: str | None = ""
    account_id: int | None = None
    exchange_id: int | None = None
    symbol_name: str | None = ""
    price: Decimal | None = _ZERO
    orig_qty: Decimal | None = _ZERO
    executed_qty: Decimal | None = _ZERO
    cumulative_quote_qty: Decimal | None = None
    avg_price: Decimal | None = None
    req_amount: Decimal | None = _ZERO
    time_in_force: TimeInForce | None = None
    stp_mode: StpMode | None = None
    transact_time: int | None = 0
    time: int | None = 0
    update_time: int | None = 0
    ord_cxl_reason: str | None = ""
    fee_coin: str | None = ""
    fee_amount: Decimal | None = None
    sum_fee_amount: Decimal | None = None
    is_working: bool | None = True
    concentration: str | None = ""


class BatchOrderItem(Model, kw_only=True):
    """One order's outcome in a batch: ``order`` on success, else ``code``/``msg``."""

    code: _Code | int = 0
    msg: str | None = ""
    order: Order | None = None

    @property
    def ok(self) -> bool:
        """Whether this order was accepted."""
        return self.order is not None and normalize_code(self.code) in SUCCESS_CODES

    @property
    def error(self) -> HashKeyError | None:
        """The error this item's code maps to in the error tree (None when it succeeded)."""
        if self.ok:
            return None
        return error_for(_ITEM_STATUS, normalize_code(self.code), self.msg or "")


class BatchOrderResponse(Model, kw_only=True):
    """``POST /api/v1.1/spot/batchOrders``: one item per requested order, in request order."""

    code: str | int | None = 0
    result: list[BatchOrderItem] = msgspec.field(default_factory=list)
    concentration: str | None = ""

    @property
    def orders(self) -> list[Order]:
        """The orders that were accepted."""
        return [item.order for item in self.result if item.ok and item.order is not None]

    @property
    def failed(self) -> list[BatchOrderItem]:
        """The items that were rejected (each has ``.error``)."""
        return [item for item in self.result if not item.ok]


class SuccessResponse(Model, kw_only=True):
    """``{"success": true}`` answers (cancel open orders by symbol)."""

    success: bool = False


class CancelAllResponse(Model, kw_only=True):
    """``DELETE /api/v1/spot/cancelAllOpenOrders``: accepted (not necessarily done)."""

    code: str | int = "0000"
    message: str | None = ""
    timestamp: int | None = 0
    last_order_id: int | None = None


class CancelByIdsItem(Model, kw_only=True):
    """One order the exchange could not cancel, with its error code."""

    order_id: int
    code: str | int = ""

    @property
    def error(self) -> HashKeyError:
        """The error this item's code maps to (e.g. ``OrderNotFoundError`` for 0211)."""
        return error_for(_ITEM_STATUS, normalize_code(self.code), "")


class CancelByIdsResponse(Model, kw_only=True):
    """``DELETE /api/v1/spot/cancelOrderByIds``: ``result`` lists only the failures."""

    code: str | int | None = "0000"
    result: list[CancelByIdsItem] = msgspec.field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every id was cancelled."""
        return not self.failed

    @property
    def failed(self) -> dict[int, HashKeyError]:
        """Order id -> the error it failed with."""
        return {
            item.order_id: item.error
            for item in self.result
            if normalize_code(item.code) not in SUCCESS_CODES
        }
