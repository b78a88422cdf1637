"""``OrderHooks``: what ``client.spot`` tells an observer (the order tracker) about its orders.

The hooks sit on the order paths only when an observer is installed (``SpotResource.hooks``);
without one the paths cost nothing extra. ``sending`` is awaited before the request leaves, so
an observer can make the intent durable first (a journal); the others are plain calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..errors import APIError, DuplicateOrderError, HashKeyError, ServerError
from ..models.trading import Order
from ..orders import OrderRequest

__all__ = ["OrderHooks", "is_refusal", "report_failure"]


class OrderHooks(Protocol):
    """Observer of the orders ``client.spot`` places and cancels."""

    async def sending(self, orders: Sequence[OrderRequest]) -> None:
        """``orders`` are about to be sent (awaited before the request leaves)."""

    def answered(self, order: Order) -> None:
        """The exchange answered with ``order``'s state (create, cancel, query)."""

    def refused(self, client_order_id: str, error: HashKeyError) -> None:
        """The exchange refused creating the order: it was not placed."""

    def unknown(self, client_order_ids: Sequence[str]) -> None:
        """Creating these orders ended without an outcome: they may or may not exist."""


def is_refusal(error: BaseException) -> bool:
    """Whether ``error`` proves a create was not placed (an exchange refusal, not a 5xx).

    A duplicate client order id is no refusal: an order with that id exists.
    """
    if isinstance(error, DuplicateOrderError | ServerError):
        return False
    return isinstance(error, APIError)


def report_failure(
    hooks: OrderHooks, client_order_ids: Sequence[str], error: BaseException
) -> None:
    """Tell ``hooks`` how a create call that raised ``error`` left these orders.

    A refusal proves each was not placed; anything else leaves them without an outcome.
    """
    if is_refusal(error):
        assert isinstance(error, HashKeyError)
        for client_order_id in client_order_ids:
            hooks.refused(client_order_id, error)
    else:
        hooks.unknown(client_order_ids)
