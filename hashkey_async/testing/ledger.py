"""Transfers and withdrawals of the offline exchange and the balance flows they leave (no I/O).

The callers move the balances; the ledger records what happened, for the history endpoints.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from .accounts import Account, FlowEntry, WithdrawalRecord

__all__ = ["Ledger"]


class Ledger:
    """History of transfers, withdrawals and balance flows, oldest first (unbounded, like the
    engine's order history)."""

    def __init__(self, order_ids: Iterator[int], trade_ids: Iterator[int]) -> None:
        #: Balance flows (reference, "Get Account Transaction History List").
        self.flows: list[FlowEntry] = []
        self.withdrawals: list[WithdrawalRecord] = []
        self._order_ids = order_ids
        self._trade_ids = trade_ids

    def record_transfer(
        self, source: Account, target: Account, coin: str, quantity: Decimal, now_ms: int
    ) -> int:
        """Log a transfer that already moved balances; returns its order id."""
        transfer_id = next(self._order_ids)
        self._flow(source, coin, -quantity, 51, "USER_ACCOUNT_TRANSFER", now_ms)
        self._flow(target, coin, quantity, 51, "USER_ACCOUNT_TRANSFER", now_ms)
        return transfer_id

    def record_withdrawal(
        self,
        account: Account,
        coin: str,
        quantity: Decimal,
        address: str,
        client_order_id: str,
        now_ms: int,
        *,
        remark: str = "",
        platform: str = "",
        memo: str = "",
    ) -> WithdrawalRecord:
        """Log a withdrawal that already left ``account``; it settles at once."""
        record = WithdrawalRecord(
            withdrawal_id=f"W{next(self._order_ids)}",
            user_id=account.user_id,
            client_order_id=client_order_id,
            coin=coin,
            address=address,
            quantity=quantity,
            tx_id=f"0x{next(self._trade_ids):064x}",
            time=now_ms,
            remark=remark,
            platform=platform,
            memo=memo,
        )
        self.withdrawals.append(record)
        self._flow(account, coin, -quantity, 904, "CUSTODY_WITHDRAW", now_ms)
        return record

    def _flow(
        self, account: Account, coin: str, change: Decimal, kind: int, name: str, now_ms: int
    ) -> None:
        total = account.balance(coin).total
        self.flows.append(
            FlowEntry(
                next(self._trade_ids), account.account_id, coin, change, total, kind, name, now_ms
            )
        )
