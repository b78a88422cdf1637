"""``client.account``: balances, fees, fills, account ids, transfers, history (reference, "Account")."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from math import inf

from ..errors import InvalidParameterError
from ..models.account import (
    AccountBalances,
    AccountTrade,
    AccountType,
    ApiKeyType,
    BalanceFlow,
    ChainType,
    CoinInfo,
    FiatRecord,
    TransferResult,
    VipInfo,
)
from ..orders import positive
from ..params import Number
from . import endpoints as E
from .base import Resource, required
from .transport import Transport

__all__ = ["AccountResource"]

#: Reference, "Internal Account Transfer": clientOrderId "up to 64 characters".
MAX_TRANSFER_CLIENT_ID = 64
#: Reference, "Internal Account Transfer": "should be called no more than once per second".
MIN_TRANSFER_INTERVAL = 1.0


class AccountResource(Resource):
    """Every USER_DATA endpoint of the reference's "Account" section."""

    __slots__ = ("_last_transfer", "_transfer_lock", "transfer_interval")

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport)
        self._transfer_lock = asyncio.Lock()
        self._last_transfer = -inf
        #: Seconds kept between transfers: one per second, widened like the rate windows.
        self.transfer_interval = MIN_TRANSFER_INTERVAL + transport.config.rate_limit_margin

    async def vip_info(self, symbols: str | Sequence[str] | None = None) -> VipInfo:
        """VIP level, 30-day volume and fee rates (all symbols unless ``symbols``)."""
        return await self._call(E.VIP_INFO, symbols=symbols)

    async def balances(self, account_id: int | str | None = None) -> AccountBalances:
        """Balances of the key's account (or, with a master key, of ``account_id``)."""
        return await self._call(E.BALANCES, account_id=account_id)

    async def trades(
        self,
        symbol: str | None = None,
        *,
        start_time: int | None = None,
        end_time: int | None = None,
        client_order_id: str | None = None,
        from_id: int | str | None = None,
        to_id: int | str | None = None,
        limit: int | None = None,
        account_id: int | str | None = None,
    ) -> list[AccountTrade]:
        """The account's fills (last 30 days), newest first."""
        return await self._call(
            E.ACCOUNT_TRADES,
            symbol=symbol,
            start_time=start_time,
            end_time=end_time,
            client_order_id=client_order_id,
            from_id=from_id,
            to_id=to_id,
            limit=limit,
            account_id=account_id,
        )

    async def types(self) -> list[AccountType]:
        """The user's accounts and their ids (main trading, custody, fiat, sub accounts)."""
        return await self._call(E.ACCOUNT_TYPES)

    async def transfer(
        self,
        from_account_id: int | str,
        to_account_id: int | str,
        coin: str,
        quantity: Number,
        *,
        remark: str | None = None,
        client_order_id: str | None = None,
    ) -> TransferResult:
        """Move ``quantity`` of ``coin`` between two of the user's accounts, at most one per second."""
        required("from_account_id", from_account_id)
        required("to_account_id", to_account_id)
        required("coin", coin)
        amount = positive("quantity", quantity)
        if client_order_id is not None and not 0 < len(client_order_id) <= MAX_TRANSFER_CLIENT_ID:
            raise InvalidParameterError(
                "client_order_id", f"must be 1..{MAX_TRANSFER_CLIENT_ID} characters"
            )
        loop = asyncio.get_running_loop()
        async with self._transfer_lock:
            wait = self._last_transfer + self.transfer_interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                return await self._call(
                    E.TRANSFER,
                    from_account_id=from_account_id,
                    to_account_id=to_account_id,
                    coin=coin,
                    quantity=amount,
                    remark=remark,
                    client_order_id=client_order_id,
                )
            finally:
                self._last_transfer = loop.time()

    async def api_key_type(self) -> ApiKeyType:
        """Whether the key belongs to the master account or a sub account."""
        return await self._call(E.API_KEY_TYPE)

    async def fiat_history(
        self,
        type: str,
        start_time: int,
        end_time: int,
        *,
        status: str | None = None,
        channel: str | None = None,
        remark: str | None = None,
        limit: int | None = None,
    ) -> list[FiatRecord]:
        """Fiat deposits (``type="deposit"``) or withdrawals (``"withdraw"``) in a time range."""
        if type not in ("deposit", "withdraw"):
            raise InvalidParameterError("type", f"must be 'deposit' or 'withdraw', got {type!r}")
        return await self._call(
            E.FIAT_HISTORY,
            type=type,
            status=status,
            start_time=start_time,
            end_time=end_time,
            channel=channel,
            remark=remark,
            limit=limit,
        )

    async def balance_flow(
        self,
        start_time: int,
        end_time: int,
        *,
        limit: int | None = None,
        flow_type: int | None = None,
        account_type: int | None = None,
    ) -> list[BalanceFlow]:
        """Balance changes in a time range (``flow_type`` 1 trade, 2 fee, 51 transfer, ...)."""
        return await self._call(
            E.BALANCE_FLOW,
            start_time=start_time,
            end_time=end_time,
            limit=limit,
            flow_type=flow_type,
            account_type=account_type,
        )

    async def chain_types(self, coin_id: str) -> list[ChainType]:
        """Chains ``coin_id`` can be deposited and withdrawn on."""
        required("coin_id", coin_id)
        return await self._call(E.CHAIN_TYPES, coin_id=coin_id)

    async def coin_info(self, coin_id: str) -> CoinInfo:
        """``coin_id`` with its chains, fees and deposit/withdrawal limits."""
        required("coin_id", coin_id)
        return await self._call(E.COIN_INFO, coin_id=coin_id)
