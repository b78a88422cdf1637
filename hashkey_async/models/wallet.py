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
    can_deposit: bool = False
    address_ext: str = ""
    min_quantity: Decimal = _ZERO
    need_address_tag: bool = False
    required_confirm_times: int = 0
    can_withdraw_confirm_times: int = 0
    coin_type: str = ""


class Deposit(Model, kw_only=True):
    """One deposit; ``status`` per the reference's "Deposit Status" table (4 = successful)."""

    time: int
    coin: str
    quantity: Decimal
    status: int
    coin_name: str = ""
    address: str = ""
    status_code: str = ""
    tx_id: str = ""


class AuthAddressResult(Model, kw_only=True):
    """``POST /api/v1/account/authAddress``."""

    success: bool = False
    msg: str = ""
    timestamp: int = 0


class WithdrawResult(Model, kw_only=True):
    """``POST /api/v1/account/withdraw``: ``order_id`` is the withdrawal id (``W...``)."""

    success: bool = False
    id: int | None = None
    order_id: str = ""
    account_id: int | None = None


class Withdrawal(Model, kw_only=True):
    """One withdrawal; ``status`` is failed, withdrawing, under_review, successful, canceled, ..."""

    id: str
    time: int
    coin: str
    quantity: Decimal
    status: str
    coin_id: str = ""
    coin_name: str = ""
    address: str = ""
    arrive_quantity: str = ""
    tx_id: str = ""
    address_url: str = ""
    fee_coin_id: str = ""
    fee_coin_name: str = ""
    fee: Decimal = _ZERO
    remark: str = ""
    platform: str = ""
    memo: str = ""

    @property
    def arrived(self) -> Decimal | None:
        """Net amount received, once the exchange reports it."""
        return optional_decimal(self.arrive_quantity)
