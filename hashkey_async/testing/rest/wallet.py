"""Wallet endpoints (reference, "Wallet"): deposit addresses and history, withdrawals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...rest import endpoints as ep
from ..errors import EngineError
from ..payloads import withdrawal_row
from .base import Section
from .call import Call, Handler

__all__ = ["WalletSection"]


class WalletSection(Section):
    """Deposits (none happen offline) and withdrawals from the custody account."""

    def routes(self) -> Mapping[ep.Endpoint[Any], Handler]:
        """Rows of ``rest.wallet``."""
        return {
            ep.DEPOSIT_ADDRESS: self.deposit_address,
            ep.DEPOSITS: self.deposits,
            ep.AUTHENTICATE_ADDRESS: self.authenticate_address,
            ep.WITHDRAW: self.withdraw,
            ep.WITHDRAWALS: self.withdrawals,
        }

    def deposit_address(self, call: Call) -> dict[str, Any]:
        """Reference, "Get Deposit Address": a stable made-up address per key, coin and chain."""
        user = call.caller()
        coin, chain = call.need("coin"), call.need("chainType")
        digest = f"{user.user_id:x}{sum(map(ord, coin + chain)):x}".rjust(40, "0")[-40:]
        return {
            "canDeposit": True,
            "address": f"0x{digest}",
            "addressExt": "",
            "minQuantity": "0.001",
            "needAddressTag": False,
            "requiredConfirmTimes": 10,
            "canWithdrawConfirmTimes": 10,
            "coinType": "CHAIN_TOKEN" if coin in ("BTC", "ETH") else "ERC20_TOKEN",
        }

    def deposits(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Deposit History": no deposits happen offline."""
        call.limit(500, 1000)
        return []

    def authenticate_address(self, call: Call) -> dict[str, Any]:
        """Reference, "Authenticate Deposit Address"."""
        call.need("txid")
        call.need("exchangeName")
        if call.need("isAddressOwner") != "true":
            raise EngineError("-1130", "Illegal parameter 'isAddressOwner'")
        if not call.text("institutionalName") and not (
            call.text("senderFirstName") and call.text("senderLastName")
        ):
            raise EngineError("0001", "Required field senderFirstName missing or invalid")
        return {"success": True, "msg": "", "timestamp": str(call.now)}

    def withdraw(self, call: Call) -> dict[str, Any]:
        """Reference, "Withdraw VA": from the custody account, settled at once."""
        user = call.caller()
        coin = call.need("coin")
        client_id = call.need("clientOrderId")
        address = call.need("address")
        call.need("chainType")
        quantity = call.decimal("quantity", "-1168", required=True)
        assert quantity is not None
        if any(
            w.client_order_id == client_id and w.user_id == user.user_id
            for w in self.engine.ledger.withdrawals
        ):
            raise EngineError("-4013", "Withdraw repeatedly")
        custody = next(a for a in user.accounts if a.account_type == 5)
        balance = custody.balance(coin)
        if balance.free < quantity:
            raise EngineError("-4003", "Insufficient Balance")
        balance.free -= quantity
        record = self.engine.ledger.record_withdrawal(
            custody,
            coin,
            quantity,
            address,
            client_id,
            call.now,
            platform=call.text("platform") or "",
            memo=call.text("memo") or "",
        )
        return {
            "success": True,
            "id": "0",
            "orderId": record.withdrawal_id,
            "accountId": str(custody.account_id),
        }

    def withdrawals(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Withdraw History" (newest first)."""
        user = call.caller()
        coin = call.text("coin")
        start, end = call.integer("startTime"), call.integer("endTime")
        limit = call.limit(500, 1000)
        rows: list[dict[str, Any]] = []
        for w in reversed(self.engine.ledger.withdrawals):
            if (
                w.user_id != user.user_id
                or coin not in (None, w.coin)
                or (start is not None and w.time < start)
                or (end is not None and w.time > end)
            ):
                continue
            rows.append(withdrawal_row(w))
        return rows[:limit]
