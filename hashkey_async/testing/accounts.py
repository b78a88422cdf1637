"""Users, their accounts and balances, and the history records the engine keeps (pure data).

Records are typed; ``payloads.py`` shapes them into the reference's JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

__all__ = [
    "ACCOUNT_TYPES",
    "SUB_ACCOUNT_LABEL",
    "Account",
    "AssetBalance",
    "Fill",
    "FlowEntry",
    "User",
    "WithdrawalRecord",
]

#: Reference, "Account Type": main trading (1), custody (5), fiat (6); sub trading accounts are 1 too.
ACCOUNT_TYPES: Final = ((1, "Main Trading Account"), (5, "Custody Account"), (6, "Fiat Account"))
SUB_ACCOUNT_LABEL: Final = "Sub Main Trading Account"

_ZERO: Final = Decimal(0)


@dataclass
class AssetBalance:
    """One asset of one account."""

    free: Decimal = _ZERO
    locked: Decimal = _ZERO

    @property
    def total(self) -> Decimal:
        """Free plus locked."""
        return self.free + self.locked


@dataclass
class Account:
    """A trading, custody or fiat account of a user."""

    account_id: int
    user_id: int
    account_type: int
    label: str
    index: int
    balances: dict[str, AssetBalance] = field(default_factory=dict)

    def balance(self, asset: str) -> AssetBalance:
        """The balance of ``asset``, created empty on first use."""
        return self.balances.setdefault(asset, AssetBalance())


@dataclass
class User:
    """An API key, its secret and the accounts it may use (first one trades)."""

    api_key: str
    api_secret: str = field(repr=False)
    user_id: int
    accounts: list[Account]

    @property
    def main(self) -> Account:
        """The main trading account: where orders placed with this key live."""
        return self.accounts[0]

    def account(self, account_id: int) -> Account | None:
        """The account with this id, if the user owns it."""
        return next((a for a in self.accounts if a.account_id == account_id), None)


@dataclass(frozen=True)
class Fill:
    """One side of one execution, as the account trade list reports it."""

    trade_id: int
    ticket_id: int
    order_id: int
    client_order_id: str
    account_id: int
    symbol: str
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool


@dataclass(frozen=True)
class WithdrawalRecord:
    """A withdrawal (settled at once) and who asked for it."""

    withdrawal_id: str
    user_id: int
    client_order_id: str
    coin: str
    address: str
    quantity: Decimal
    tx_id: str
    time: int
    remark: str = ""
    platform: str = ""
    memo: str = ""


@dataclass(frozen=True)
class FlowEntry:
    """One balance change (reference, "Get Account Transaction History List")."""

    flow_id: int
    account_id: int
    coin: str
    change: Decimal
    total: Decimal
    flow_type: int
    flow_name: str
    created: int
