"""Account endpoints (reference, "Account"): balances, fills, account types, transfers."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ...rest import endpoints as ep
from ..errors import EngineError
from ..formatting import fmt
from ..payloads import CHAINS, coin_row, flow_row
from .base import Section
from .call import Call, Handler, parse_int

__all__ = ["AccountSection"]


class AccountSection(Section):
    """What the caller holds and has done, across its accounts."""

    def routes(self) -> Mapping[ep.Endpoint[Any], Handler]:
        """Rows of ``rest.account``."""
        return {
            ep.VIP_INFO: self.vip_info,
            ep.BALANCES: self.balances,
            ep.ACCOUNT_TRADES: self.account_trades,
            ep.ACCOUNT_TYPES: self.account_types,
            ep.TRANSFER: self.transfer,
            ep.API_KEY_TYPE: lambda call: {"accountType": "Master Account"},
            ep.FIAT_HISTORY: self.fiat_history,
            ep.BALANCE_FLOW: self.balance_flow,
            ep.CHAIN_TYPES: self.chain_types,
            ep.COIN_INFO: self.coin_info,
        }

    def vip_info(self, call: Call) -> dict[str, Any]:
        """Reference, "Get VIP Information"."""
        wanted = call.text("symbols")
        symbols = wanted.split(",") if wanted else list(self.feeds.symbols)
        mine = {a.account_id for a in call.caller().accounts}
        volume = sum(
            (f.price * f.qty for f in self.engine.fills if f.account_id in mine), Decimal(0)
        )
        rows: list[dict[str, Any]] = []
        for symbol in symbols:
            spec = self.engine.spec(symbol)
            rows.append(
                {
                    "symbol": symbol,
                    "productType": "Token-Token",
                    "buyMakerFeeCurrency": spec.base,
                    "buyTakerFeeCurrency": spec.base,
                    "sellMakerFeeCurrency": spec.quote,
                    "sellTakerFeeCurrency": spec.quote,
                    "actualMakerRate": fmt(self.engine.maker_fee),
                    "actualTakerRate": fmt(self.engine.taker_fee),
                }
            )
        return {
            "code": 0,
            "vipLevel": "0",
            "tradeVol30Day": fmt(volume),
            "totalAssetBal": "0",
            "data": rows,
            "updateTimestamp": str(call.now),
        }

    def balances(self, call: Call) -> dict[str, Any]:
        """Reference, "Get Account Information"."""
        account = self.account(call, "accountId")
        return {
            "balances": [
                {
                    "asset": asset,
                    "assetId": asset,
                    "assetName": asset,
                    "total": fmt(b.total),
                    "free": fmt(b.free),
                    "locked": fmt(b.locked),
                }
                for asset, b in sorted(account.balances.items())
            ],
            "userId": str(account.user_id),
        }

    def account_trades(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Account Trade List" (newest first)."""
        return self.fills(call, self.account(call, "accountId"))

    def account_types(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Query Account Type"."""
        return [
            {
                "accountId": str(a.account_id),
                "accountLabel": a.label,
                "accountType": a.account_type,
                "accountIndex": a.index,
                "userId": str(a.user_id),
            }
            for a in call.caller().accounts
        ]

    def transfer(self, call: Call) -> dict[str, Any]:
        """Reference, "Internal Account Transfer" between the caller's accounts."""
        user = call.caller()
        source_id, target_id = call.need("fromAccountId"), call.need("toAccountId")
        coin = call.need("coin")
        quantity = call.decimal("quantity", "-1130", required=True)
        assert quantity is not None
        source = user.account(parse_int(source_id, "-1172", "Invalid from account id"))
        if source is None:
            raise EngineError("-1172", "Invalid from account id")
        target = user.account(parse_int(target_id, "-1173", "Invalid to account id"))
        if target is None:
            raise EngineError("-1173", "Invalid to account id")
        if source is target:
            raise EngineError("-1174", "Transfer not allowed between the same account")
        balance = source.balance(coin)
        if balance.free < quantity:
            raise EngineError("0401", "Insufficient asset")
        balance.free -= quantity
        target.balance(coin).free += quantity
        transfer_id = self.engine.ledger.record_transfer(source, target, coin, quantity, call.now)
        return {
            "success": True,
            "timestamp": call.now,
            "clientOrderId": call.text("clientOrderId") or "",
            "orderId": str(transfer_id),
        }

    def fiat_history(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Fiat History": there is no fiat activity offline."""
        kind = call.need("type")
        if kind not in ("deposit", "withdraw"):
            raise EngineError("-1177", "Invalid fiat order type")
        call.need("startTime")
        call.need("endTime")
        return []

    def balance_flow(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Account Transaction History List" (transfers and withdrawals)."""
        user = call.caller()
        start = call.integer("startTime")
        end = call.integer("endTime")
        call.need("startTime")
        call.need("endTime")
        flow_type = call.integer("flowType")
        account_type = call.integer("accountType")
        limit = call.limit(500, 500)
        ids = {a.account_id: a for a in user.accounts}
        rows: list[dict[str, Any]] = []
        for flow in reversed(self.engine.ledger.flows):
            account = ids.get(flow.account_id)
            if account is None or len(rows) >= limit:
                continue
            if (
                (start is not None and flow.created < start)
                or (end is not None and flow.created > end)
                or flow_type not in (None, flow.flow_type)
                or account_type not in (None, account.account_type)
            ):
                continue
            rows.append(flow_row(flow))
        return rows

    def chain_types(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get ChainType"."""
        coin = call.need("coinId")
        return [{"coinId": coin, "coinName": coin, "chainTypeList": CHAINS.get(coin, ["ETH"])}]

    def coin_info(self, call: Call) -> dict[str, Any]:
        """Reference, "Get Coin Information"."""
        return {
            "timezone": "UTC",
            "serverTime": call.now,
            "coins": [coin_row(call.need("coinId"))],
        }
