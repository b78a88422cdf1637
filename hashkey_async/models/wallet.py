"""Models of the reference's "Wallet" section: deposit addresses, deposits, withdrawals.

Withdrawal and fiat order ids (``W792...``) are strings, not numbers. Values the exchange
sends as ``""`` when not yet known (``arriveQuantity``) stay ``str`` with a Decimal property.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from .common import Model, optional_decimal

__all__ = ["AuthAddressResult", "Deposit", "DepositAddress", "WithdrawResult", "Withdrawal"]

_ZERO: Final = Decimal(0)


class DepositAddress(Model, kw_only=True):
    """``GET /api/v1/account/deposit/address``."""

    address: str
    can_deposit: bool | None = False
    address_ext: str | None = ""
    min_quantity: Decimal | None = _ZERO
    need_address_tag: bool | None = False
    required_confirm_times: int | None = 0
    can_withdraw_confirm_times: int | None = 0
    coin_type: str | None = ""


class Deposit(Model, kw_only=True):
    """One deposit; ``status`` per the reference's "Deposit Status" table (4 = successful)."""

    time: int | None = None
    coin: str
    quantity: Decimal | None = None
    status: int | None = None
    coin_name: str | None = ""
    address: str | None = ""
    status_code: str | None = ""
    tx_id: str | None = ""


class AuthAddressResult(Model, kw_only=True):
    """``POST /api/v1/account/authAddress``."""

    success: bool | None = False
    msg: str | None = ""
    timestamp: int | None = 0


class WithdrawResult(Model, kw_only=True):
    """``POST /api/v1/account/withdraw``: ``order_id`` is the withdrawal id (``W...``)."""

    success: bool | None = False
    id: int | None = None
    order_id: str | None = ""
    account_id: int | None = None


class Withdrawal(Model, kw_only=True):
    """One withdrawal; ``status`` is failed, withdrawing, under_review, successful, canceled, ..."""

    id: str
    time: int | None = None
    coin: str | None = None
    quantity: Decimal | None = None
    status: str | None = None
    coin_id: str | None = ""
    coin_name: str | None = ""
    address: str | None = ""
    arrive_quantity: str | None = ""
    tx_id: str | None = ""
    address_url: str | None = ""
    fee_coin_id: str | None = ""
    fee_coin_name: str | None = ""
    fee: Decimal | None = _ZERO
    remark: str | None = ""
    platform: str | None = ""
    memo: str | None = ""

    @property
    def arrived(self) -> Decimal | None:
        """Net amount received, once the exchange reports it."""
        return optional_decimal(self.arrive_quantity)
