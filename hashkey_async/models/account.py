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
    product_type: str | None = ""
    buy_maker_fee_currency: str | None = ""
    buy_taker_fee_currency: str | None = ""
    sell_maker_fee_currency: str | None = ""
    sell_taker_fee_currency: str | None = ""
    actual_maker_rate: Decimal | None = _ZERO
    actual_taker_rate: Decimal | None = _ZERO


class VipInfo(Model, kw_only=True):
    """``GET /api/v1/account/vipInfo``: VIP level, 30-day volume and per-symbol fees."""

    code: str | int | None = 0
    msg: str | None = ""
    vip_level: int | None = 0
    trade_vol_30_day: Decimal | None = _ZERO
    total_asset_bal: Decimal | None = _ZERO
    data: list[VipFee] = msgspec.field(default_factory=list)
    update_timestamp: int | None = 0


class Balance(Model, kw_only=True):
    """One asset's balance: ``total = free + locked``."""

    asset: str
    asset_id: str | None = ""
    asset_name: str | None = ""
    total: Decimal | None = _ZERO
    free: Decimal | None = _ZERO
    locked: Decimal | None = _ZERO


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

    fee_coin_id: str | None = ""
    fee_coin_name: str | None = ""
    fee: Decimal | None = _ZERO
    origin_coin_id: str | None = ""
    origin_coin_name: str | None = ""
    origin_fee: Decimal | None = None


class AccountTrade(Model, kw_only=True):
    """One fill of the account (``GET /api/v1/account/trades``, ``/api/v1/subAccount/trades``)."""

    id: int
    order_id: int
    symbol: str
    price: Decimal | None = None
    quantity: Decimal | None = msgspec.field(default=None, name="qty")
    time: int | None = None
    client_order_id: str | None = ""
    ticket_id: int | None = None
    symbol_name: str | None = ""
    match_order_id: int | None = None
    commission: Decimal | None = _ZERO
    commission_asset: str | None = ""
    is_buyer: bool | None = False
    is_maker: bool | None = False
    fee: TradeFee | None = None
    fee_coin_id: str | None = ""
    fee_amount: Decimal | None = _ZERO
    maker_rebate: Decimal | None = _ZERO
    hsk_deduct: bool | None = False
    hsk_deduct_price: str | None = ""

    @property
    def hsk_deduct_rate(self) -> Decimal | None:
        """``hskDeductPrice`` (commission coin price / HSK price) as a Decimal, if sent."""
        return optional_decimal(self.hsk_deduct_price)


class AccountType(Model, kw_only=True):
    """One account of the user: 1 main trading, 5 custody, 6 fiat (reference table)."""

    account_id: int
    account_type: int | None = None
    account_label: str | None = ""
    account_index: int | None = 0
    user_id: int | None = None


class TransferResult(Model, kw_only=True):
    """``POST /api/v1/account/assetTransfer``."""

    success: bool | None = False
    timestamp: int | None = 0
    client_order_id: str | None = ""
    order_id: int | None = None


class ApiKeyType(Model, kw_only=True):
    """``GET /api/v1/account/checkApiKey``: "Master Account" or "Sub Account"."""

    account_type: str


class FiatRecord(Model, kw_only=True):
    """One fiat deposit or withdrawal (``GET /api/v1/account/fiat/history``)."""

    order_id: str
    type: str | None = None
    asset: str | None = ""
    gross_amount: Decimal | None = _ZERO
    net_amount: Decimal | None = _ZERO
    fee: Decimal | None = _ZERO
    status: str | None = ""
    remark: str | None = ""
    created_time: int | None = 0
    updated_time: int | None = 0
    channel: str | None = ""
    client_order_id: str | None = ""


class BalanceFlow(Model, kw_only=True):
    """One balance change (``GET /api/v1/account/balanceFlow``)."""

    id: int
    account_id: int | None = None
    coin: str | None = None
    change: Decimal | None = None
    total: Decimal | None = None
    created: int | None = None
    coin_id: str | None = ""
    coin_name: str | None = ""
    flow_type_value: int | None = 0
    flow_type: str | None = ""
    flow_name: str | None = ""
    symbol: str | None = ""


class ChainType(Model, kw_only=True):
    """Chains a coin moves on (``GET /api/v1/account/chainType``)."""

    coin_id: str
    coin_name: str | None = ""
    chain_type_list: list[str] = msgspec.field(default_factory=list)
    error_code: str | None = ""
    error_msg: str | None = ""


class CoinInfo(Model, kw_only=True):
    """``GET /api/v1/coinInfo``: the coin with its chains and their limits."""

    timezone: str | None = ""
    server_time: int | None = 0
    coins: list[Coin] = msgspec.field(default_factory=list)
