"""REST JSON of the engine's state, in the shapes of the reference's responses (pure)."""

from __future__ import annotations

from typing import Any, Final

from .accounts import Fill, FlowEntry, WithdrawalRecord
from .book import BookOrder
from .formatting import fmt
from .specs import SymbolSpec

__all__ = [
    "CHAINS",
    "EXCHANGE_ID",
    "cancel_ack",
    "coin_row",
    "fill_row",
    "flow_row",
    "order_ack",
    "order_row",
    "symbol_info",
    "withdrawal_row",
]

#: The "exchangeId" of order rows and the "Exchange ID" of depth/realtimes stream frames.
EXCHANGE_ID: Final = 301
#: Chains each coin is offered on (deposit addresses, coin info); others get "ETH".
CHAINS: Final = {"BTC": ["Bitcoin"], "ETH": ["ETH"], "USDT": ["ETH", "Tron"], "USDC": ["ETH"]}


def order_ack(order: BookOrder) -> dict[str, Any]:
    """Reference, "Create Order v1.1" response."""
    return {
        "accountId": str(order.account.account_id),
        "symbol": order.symbol,
        "symbolName": order.symbol,
        "clientOrderId": order.client_order_id,
        "orderId": str(order.order_id),
        "transactTime": str(order.update_time),
        "price": fmt(order.price),
        "origQty": fmt(order.orig_qty),
        "executedQty": fmt(order.executed_qty),
        "status": order.status,
        "timeInForce": order.time_in_force,
        "type": order.type,
        "side": order.side,
        "reqAmount": fmt(order.req_amount),
        "concentration": "",
    }


def cancel_ack(order: BookOrder) -> dict[str, Any]:
    """Reference, "Cancel Order" response."""
    ack = order_ack(order)
    for key in ("symbolName", "reqAmount", "concentration"):
        del ack[key]
    return ack


def order_row(order: BookOrder) -> dict[str, Any]:
    """Reference, "Query Order" response (also the rows of open/traded order lists)."""
    quote = fmt(order.cum_quote)
    return {
        "accountId": str(order.account.account_id),
        "exchangeId": str(EXCHANGE_ID),
        "symbol": order.symbol,
        "symbolName": order.symbol,
        "clientOrderId": order.client_order_id,
        "orderId": str(order.order_id),
        "price": fmt(order.price),
        "origQty": fmt(order.orig_qty),
        "executedQty": fmt(order.executed_qty),
        "cummulativeQuoteQty": quote,
        "cumulativeQuoteQty": quote,
        "avgPrice": fmt(order.avg_price),
        "status": order.status,
        "timeInForce": order.time_in_force,
        "type": order.type,
        "side": order.side,
        "stopPrice": "0.0",
        "icebergQty": "0.0",
        "time": str(order.time),
        "updateTime": str(order.update_time),
        "isWorking": True,
        "reqAmount": fmt(order.req_amount),
        "feeCoin": "",
        "feeAmount": "0",
        "sumFeeAmount": "0",
        "ordCxlReason": order.cancel_reason,
        "stpMode": order.stp_mode,
    }


def fill_row(fill: Fill) -> dict[str, Any]:
    """Reference, "Get Account Trade List" row."""
    fee = fmt(fill.commission)
    asset = fill.commission_asset
    return {
        "id": str(fill.trade_id),
        "clientOrderId": fill.client_order_id,
        "ticketId": str(fill.ticket_id),
        "symbol": fill.symbol,
        "symbolName": fill.symbol,
        "orderId": str(fill.order_id),
        "matchOrderId": "0",
        "price": fmt(fill.price),
        "qty": fmt(fill.qty),
        "commission": fee,
        "commissionAsset": asset,
        "time": str(fill.time),
        "isBuyer": fill.is_buyer,
        "isMaker": fill.is_maker,
        "fee": {
            "feeCoinId": asset,
            "feeCoinName": asset,
            "fee": fee,
            "originCoinId": asset,
            "originCoinName": asset,
            "originFee": fee,
        },
        "feeCoinId": asset,
        "feeAmount": fee,
        "makerRebate": "0",
        "hskDeduct": False,
        "hskDeductPrice": "",
    }


def withdrawal_row(record: WithdrawalRecord) -> dict[str, Any]:
    """Reference, "Get Withdraw History" row."""
    return {
        "time": str(record.time),
        "id": record.withdrawal_id,
        "coin": record.coin,
        "coinId": record.coin,
        "coinName": record.coin,
        "address": record.address,
        "quantity": fmt(record.quantity),
        "arriveQuantity": fmt(record.quantity),
        "status": "successful",
        "txId": record.tx_id,
        "addressUrl": record.address,
        "feeCoinId": record.coin,
        "feeCoinName": record.coin,
        "fee": "0",
        "remark": record.remark,
        "platform": record.platform,
        "memo": record.memo,
    }


def flow_row(flow: FlowEntry) -> dict[str, Any]:
    """Reference, "Get Account Transaction History List" row."""
    return {
        "id": str(flow.flow_id),
        "accountId": str(flow.account_id),
        "coin": flow.coin,
        "coinId": flow.coin,
        "coinName": flow.coin,
        "flowTypeValue": flow.flow_type,
        "flowType": flow.flow_name,
        "flowName": "",
        "change": fmt(flow.change),
        "total": fmt(flow.total),
        "created": str(flow.created),
    }


def symbol_info(spec: SymbolSpec) -> dict[str, Any]:
    """Reference, "Get Exchange Information": one row of ``symbols``."""
    return {
        "symbol": spec.symbol,
        "symbolName": spec.symbol,
        "status": "TRADING",
        "baseAsset": spec.base,
        "baseAssetName": spec.base,
        "baseAssetPrecision": fmt(spec.step_size),
        "baseUcid": "",
        "quoteAsset": spec.quote,
        "quoteAssetName": spec.quote,
        "quotePrecision": fmt(spec.tick_size),
        "quoteUcid": "",
        "retailAllowed": True,
        "piAllowed": True,
        "corporateAllowed": True,
        "omnibusAllowed": True,
        "icebergAllowed": False,
        "isAggregate": False,
        "allowMargin": False,
        "filters": [
            {
                "minPrice": fmt(spec.tick_size),
                "maxPrice": "10000000",
                "tickSize": fmt(spec.tick_size),
                "filterType": "PRICE_FILTER",
            },
            {
                "minQty": fmt(spec.min_qty),
                "maxQty": fmt(spec.max_qty),
                "stepSize": fmt(spec.step_size),
                "marketOrderMinQty": fmt(spec.min_qty),
                "marketOrderMaxQty": fmt(spec.max_qty),
                "filterType": "LOT_SIZE",
            },
            {"minNotional": fmt(spec.min_notional), "filterType": "MIN_NOTIONAL"},
            {
                "minAmount": fmt(spec.min_notional),
                "maxAmount": fmt(spec.max_amount),
                "minBuyPrice": "0",
                "marketOrderMinAmount": fmt(spec.min_notional),
                "marketOrderMaxAmount": fmt(spec.max_amount),
                "filterType": "TRADE_AMOUNT",
            },
            {
                "maxSellPrice": "0",
                "buyPriceUpRate": "0.2",
                "sellPriceDownRate": "0.2",
                "maxEntrustNum": 300,
                "filterType": "LIMIT_TRADING",
            },
            {
                "buyPriceUpRate": "0.2",
                "sellPriceDownRate": "0.2",
                "filterType": "MARKET_TRADING",
            },
            {
                "noAllowMarketStartTime": "0",
                "noAllowMarketEndTime": "0",
                "limitOrderStartTime": "0",
                "limitOrderEndTime": "0",
                "limitMinPrice": "0",
                "limitMaxPrice": "0",
                "filterType": "OPEN_QUOTE",
            },
        ],
        "tradeStatus": "TRADABLE",
    }


def coin_row(asset: str) -> dict[str, Any]:
    """Reference, "Get Exchange Information" / "Get Coin Information": one coin."""
    return {
        "orgId": "9001",
        "coinId": asset,
        "coinName": asset,
        "coinFullName": asset,
        "allowWithdraw": True,
        "allowDeposit": True,
        "tokenType": "CHAIN_TOKEN",
        "chainTypes": [
            {
                "chainType": chain,
                "withdrawFee": "0",
                "minWithdrawQuantity": "0",
                "maxWithdrawQuantity": "0",
                "minDepositQuantity": "0",
                "allowDeposit": True,
                "allowWithdraw": True,
            }
            for chain in CHAINS.get(asset, ["ETH"])
        ],
    }
