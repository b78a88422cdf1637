"""Sub-account endpoints (reference, "Sub Account"): orders and fills of a named account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...rest import endpoints as ep
from .base import Section
from .call import Call, Handler

__all__ = ["SubAccountSection"]


class SubAccountSection(Section):
    """Orders and fills of one of the caller's accounts, named by ``subAccountId``."""

    def routes(self) -> Mapping[ep.Endpoint[Any], Handler]:
        """Rows of ``rest.subaccount``."""
        return {
            ep.SUB_OPEN_ORDERS: self.sub_open_orders,
            ep.SUB_TRADE_ORDERS: self.sub_trade_orders,
            ep.SUB_TRADES: self.sub_trades,
        }

    def sub_open_orders(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Sub Account Open Orders"."""
        account = self.account(call, "subAccountId", required=True)
        return self.order_list(call, account, open_only=True, high=500)

    def sub_trade_orders(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Sub Account Trade Orders"."""
        account = self.account(call, "subAccountId", required=True)
        return self.order_list(call, account, open_only=False, high=500)

    def sub_trades(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Sub Account Trades"."""
        return self.fills(call, self.account(call, "subAccountId"))
