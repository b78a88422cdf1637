"""``client.subaccount``: a sub account's orders and fills, read with the master key (reference, "Sub Account")."""

from __future__ import annotations

from ..enums import Side, parse_optional
from ..models.account import AccountTrade
from ..models.trading import Order
from . import endpoints as E
from .base import Resource, required

__all__ = ["SubAccountResource"]


class SubAccountResource(Resource):
    """The three USER_DATA endpoints of the reference's "Sub Account" section."""

    __slots__ = ()

    async def open_orders(
        self,
        sub_account_id: int | str,
        *,
        symbol: str | None = None,
        side: Side | str | None = None,
        from_order_id: int | str | None = None,
        limit: int | None = None,
    ) -> list[Order]:
        """The sub account's open orders (default and max 500)."""
        return await self._call(
            E.SUB_OPEN_ORDERS,
            sub_account_id=required("sub_account_id", sub_account_id),
            from_order_id=from_order_id,
            side=parse_optional(Side, "side", side),
            symbol=symbol,
            limit=limit,
        )

    async def trade_orders(
        self,
        sub_account_id: int | str,
        *,
        symbol: str | None = None,
        side: Side | str | None = None,
        from_order_id: int | str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
    ) -> list[Order]:
        """The sub account's traded and ended orders (last 90 days)."""
        return await self._call(
            E.SUB_TRADE_ORDERS,
            sub_account_id=required("sub_account_id", sub_account_id),
            from_order_id=from_order_id,
            side=parse_optional(Side, "side", side),
            symbol=symbol,
            start_time=start_time,
            end_time=end_time,
            limit=limit,
        )

    async def trades(
        self,
        sub_account_id: int | str | None = None,
        *,
        symbol: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        client_order_id: str | None = None,
        from_id: int | str | None = None,
        to_id: int | str | None = None,
        limit: int | None = None,
    ) -> list[AccountTrade]:
        """The sub account's fills (last 30 days)."""
        return await self._call(
            E.SUB_TRADES,
            symbol=symbol,
            sub_account_id=sub_account_id,
            start_time=start_time,
            end_time=end_time,
            client_order_id=client_order_id,
            from_id=from_id,
            to_id=to_id,
            limit=limit,
        )
