"""Models of the reference's "Account" section (and the sub-account trade list).

Money is ``Decimal``; numeric ids decode into ``int`` whether sent as strings or numbers;
fields that older payloads omit (``hskDeduct``, ``fee.originFee``, ...) have defaults.
Values the exchange sends as ``""`` when absent stay ``str`` with a Decimal property.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import msgspec

from .common import Model, optional_decimal
from .market import Coin

__all__ = [
    "AccountBalances",
    "AccountTrade",
    "AccountType",
    "ApiKeyType",
    "Balance",
    "BalanceFlow",
    "ChainType",
    "CoinInfo",
    "FiatRecord",
    "TradeFee",
    "TransferResult",
    "VipFee",
    "VipInfo",
]

_ZERO: Final = Decimal(0)


class VipFee(Model, kw_only=True):
    """Fee rates of one symbol at the account's VIP level."""

    symbol: str
    product_type: str = ""
    buy_maker_fee_currency: str = ""
    buy_taker_fee_currency: str = ""
    sell_maker_fee_currency: str = ""
    sell_taker_fee_currency: str = ""
    actual_maker_rate: Decimal = _ZERO
    actual_taker_rate: Decimal = _ZERO


class VipInfo(Model, kw_only=True):
    """``GET /api/v1/account/vipInfo``: VIP level, 30-day volume and per-symbol fees."""

    code: str | int = 0
    msg: str = ""
    vip_level: int = 0
    trade_vol_30_day: Decimal = _ZERO
    total_asset_bal: Decimal = _ZERO
    data: list[VipFee] = msgspec.field(default_factory=list)
    update_timestamp: int = 0


class Balance(Model, kw_only=True):
    """One asset's balance: ``total = free + locked``."""

    asset: str
    asset_id: str = ""
    asset_name: str = ""
    total: Decimal = _ZERO
    free: Decimal = _ZERO
    locked: Decimal = _ZERO


class AccountBalances(Model, kw_only=True):
    """``GET /api/v1/account``: balances of one account."""

    balances: list[Balance] = msgspec.field(default_factory=list)
    user_id: int | None = None

    def balance(self, asset: str) -> Balance | None:
        """The balance of ``asset``, or None if the account holds none."""
        for item in self.balances:
            if item.asset == asset:
                return item
        return None


class TradeFee(Model, kw_only=True):
    """Fee of one trade, after and before any HSK deduction."""

    fee_coin_id: str = ""
    fee_coin_name: str = ""
    fee: Decimal = _ZERO
    origin_coin_id: str = ""
    origin_coin_name: str = ""
    origin_fee: Decimal | None = None


class AccountTrade(Model, kw_only=True):
    """One fill of the account (``GET /api/v1/account/trades``, ``/api/v1/subAccount/trades``)."""

    id: int
    order_id: int
    symbol: str
    price: Decimal
    quantity: Decimal = msgspec.field(name="qty")
    time: int
    client_order_id: str = ""
    ticket_id: int | None = None
    symbol_name: str = ""
    match_order_id: int | None = None
    commission: Decimal = _ZERO
    commission_asset: str = ""
    is_buyer: bool = False
    is_maker: bool = False
    fee: TradeFee | None = None
    fee_coin_id: str = ""
    fee_amount: Decimal = _ZERO
    maker_rebate: Decimal = _ZERO
    hsk_deduct: bool = False
    hsk_deduct_price: str = ""

    @property
    def hsk_deduct_rate(self) -> Decimal | None:
        """``hskDeductPrice`` (commission coin price / HSK price) as a Decimal, if sent."""
        return optional_decimal(self.hsk_deduct_price)


class AccountType(Model, kw_only=True):
    """One account of the user: 1 main trading, 5 custody, 6 fiat (reference table)."""

    account_id: int
    account_type: int
    account_label: str = ""
    account_index: int = 0
    user_id: int | None = None


class TransferResult(Model, kw_only=True):
    """``POST /api/v1/account/assetTransfer``."""

    success: bool = False
    timestamp: int = 0
    client_order_id: str = ""
    order_id: int | None = None


class ApiKeyType(Model, kw_only=True):
    """``GET /api/v1/account/checkApiKey``: "Master Account" or "Sub Account"."""

    account_type: str


class FiatRecord(Model, kw_only=True):
    """One fiat deposit or withdrawal (``GET /api/v1/account/fiat/history``)."""

    order_id: str
    type: str
    asset: str = ""
    gross_amount: Decimal = _ZERO
    net_amount: Decimal = _ZERO
    fee: Decimal = _ZERO
    status: str = ""
    remark: str = ""
    created_time: int = 0
    updated_time: int = 0
    channel: str = ""
    client_order_id: str = ""


class BalanceFlow(Model, kw_only=True):
    """One balance change (``GET /api/v1/account/balanceFlow``)."""

    id: int
    account_id: int
    coin: str
    change: Decimal
    total: Decimal
    created: int
    coin_id: str = ""
    coin_name: str = ""
    flow_type_value: int = 0
    flow_type: str = ""
    flow_name: str = ""
    symbol: str = ""


class ChainType(Model, kw_only=True):
    """Chains a coin moves on (``GET /api/v1/account/chainType``)."""

    coin_id: str
    coin_name: str = ""
    chain_type_list: list[str] = msgspec.field(default_factory=list)
    error_code: str = ""
    error_msg: str = ""


class CoinInfo(Model, kw_only=True):
    """``GET /api/v1/coinInfo``: the coin with its chains and their limits."""

    timezone: str = ""
    server_time: int = 0
    coins: list[Coin] = msgspec.field(default_factory=list)
