"""``client.wallet``: deposit addresses, deposits and withdrawals (reference, "Wallet").

A withdrawal always carries a clientOrderId (the reference requires one; we generate it
when not given) so an uncertain withdrawal (``ExecutionStatusUnknown``) can be found in
``withdrawals()`` by the caller.
"""

from __future__ import annotations

from ..errors import InvalidParameterError
from ..models.wallet import AuthAddressResult, Deposit, DepositAddress, Withdrawal, WithdrawResult
from ..orders import new_client_order_id, positive, validate_memo
from ..params import Number
from . import endpoints as E
from .base import Resource

__all__ = ["WalletResource"]


def _required(field: str, value: str | None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(field, "is required")
    return value


class WalletResource(Resource):
    """Every USER_DATA endpoint of the reference's "Wallet" section."""

    __slots__ = ()

    async def deposit_address(self, coin: str, chain_type: str) -> DepositAddress:
        """The system's deposit address for ``coin`` on ``chain_type`` (see ``account.chain_types``)."""
        return await self._call(
            E.DEPOSIT_ADDRESS,
            coin=_required("coin", coin),
            chain_type=_required("chain_type", chain_type),
        )

    async def deposits(
        self,
        coin: str | None = None,
        *,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
    ) -> list[Deposit]:
        """Deposit history (default 500, max 1000)."""
        return await self._call(
            E.DEPOSITS, coin=coin, start_time=start_time, end_time=end_time, limit=limit
        )

    async def authenticate_address(
        self,
        txid: str,
        exchange_name: str,
        *,
        is_address_owner: bool = True,
        sender_first_name: str | None = None,
        sender_last_name: str | None = None,
        institutional_name: str | None = None,
    ) -> AuthAddressResult:
        """Declare the sender of a deposit: an institution, or a person's first and last name."""
        _required("txid", txid)
        _required("exchange_name", exchange_name)
        if is_address_owner is not True:
            raise InvalidParameterError(
                "is_address_owner", "the exchange accepts only the self-declaration true"
            )
        person = sender_first_name is not None or sender_last_name is not None
        if institutional_name is None and not (sender_first_name and sender_last_name):
            raise InvalidParameterError(
                "sender_first_name/sender_last_name",
                "give institutional_name, or both sender_first_name and sender_last_name",
            )
        if institutional_name is not None and person:
            raise InvalidParameterError(
                "institutional_name", "give either institutional_name or the sender's names"
            )
        return await self._call(
            E.AUTHENTICATE_ADDRESS,
            txid=txid,
            sender_last_name=sender_last_name,
            sender_first_name=sender_first_name,
            institutional_name=institutional_name,
            exchange_name=exchange_name,
            is_address_owner=True,
        )

    async def withdraw(
        self,
        coin: str,
        address: str,
        quantity: Number,
        chain_type: str,
        *,
        client_order_id: str | None = None,
        address_ext: str | None = None,
        platform: str | None = None,
        memo: str | None = None,
    ) -> WithdrawResult:
        """Withdraw ``quantity`` of ``coin`` to ``address`` on ``chain_type``."""
        _required("coin", coin)
        _required("address", address)
        _required("chain_type", chain_type)
        amount = positive("quantity", quantity)
        if client_order_id is not None:
            _required("client_order_id", client_order_id)
        return await self._call(
            E.WITHDRAW,
            coin=coin,
            client_order_id=client_order_id or new_client_order_id(),
            address=address,
            address_ext=address_ext,
            platform=platform,
            quantity=amount,
            chain_type=chain_type,
            memo=validate_memo(memo),
        )

    async def withdrawals(
        self,
        coin: str | None = None,
        *,
        start_time: int | None = None,
        end_time: int | None = None,
        remark: str | None = None,
        limit: int | None = None,
    ) -> list[Withdrawal]:
        """Withdrawal history (default 500, max 1000)."""
        return await self._call(
            E.WITHDRAWALS,
            coin=coin,
            start_time=start_time,
            end_time=end_time,
            remark=remark,
            limit=limit,
        )
