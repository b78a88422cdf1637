"""Every REST endpoint of the reference as one row of data.

A row says how to call the endpoint (method, path), how to authenticate it (security
type), what it costs (weight and rate bucket) and what comes back (response model).
Resource methods in ``rest/*.py`` are thin typed wrappers that name a row.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Generic, Protocol, TypeVar

import msgspec

from ..decoding import Decoder
from ..models import account, market, trading, user_stream, wallet
from ..models.common import Empty
from ..ratelimit import Bucket

__all__ = ["ENDPOINTS", "Bucket", "Endpoint", "Security"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class _Decodes(Protocol[T_co]):
    """Anything with msgspec's ``decode(bytes) -> T``."""

    def decode(self, buf: bytes, /) -> T_co: ...


class Security(enum.Enum):
    """Reference, "Endpoint security type"."""

    NONE = "NONE"
    TRADE = "TRADE"
    USER_DATA = "USER_DATA"
    USER_STREAM = "USER_STREAM"
    MARKET_DATA = "MARKET_DATA"

    @property
    def signed(self) -> bool:
        """Whether the request carries ``timestamp`` and ``signature``."""
        return self in (Security.TRADE, Security.USER_DATA, Security.USER_STREAM)

    @property
    def needs_key(self) -> bool:
        """Whether the request carries the API key header."""
        return self is not Security.NONE


@dataclass(frozen=True)
class Endpoint(Generic[T]):
    """One REST endpoint. ``decoder`` (strict, fast) and ``tolerant`` are built once from ``model``.

    The strict decoder is lax in msgspec's sense (``strict=False``: ids and times that real
    servers send as strings still decode into ints); where it fails, ``tolerant`` applies the
    one decoding policy (``hashkey_async.decoding``). ``reshape``, if set, normalises answers
    that come in several shapes (exchangeInfo) and makes the tolerant decoder the only one.
    ``aliases`` are other paths the reference's own examples use for the same call: the
    offline exchange serves them too, the client always sends ``path``.
    """

    name: str
    method: str
    path: str
    security: Security
    weight: int
    bucket: Bucket
    model: Any
    reshape: Callable[[Any], Any] | None = field(default=None, repr=False, compare=False)
    aliases: tuple[str, ...] = field(default=(), repr=False, compare=False)
    decoder: _Decodes[T] = field(init=False, repr=False, compare=False)
    tolerant: Decoder[T] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tolerant = Decoder[T](
            self.model,
            reshape=self.reshape,
            secret=self.security is Security.USER_STREAM,
            atomic=self.order_write,
        )
        strict = msgspec.json.Decoder(self.model, strict=False)
        object.__setattr__(self, "tolerant", tolerant)
        object.__setattr__(self, "decoder", tolerant if self.reshape is not None else strict)

    @property
    def order_write(self) -> bool:
        """An order write (create, batch, cancel...): an answer it cannot read means "unknown"."""
        return self.bucket is Bucket.ORDER and self.method != "GET"

    @property
    def idempotent(self) -> bool:
        """Safe to retry automatically: reads only."""
        return self.method == "GET"


_N, _T, _U, _S = Security.NONE, Security.TRADE, Security.USER_DATA, Security.USER_STREAM
_O, _Q, _P, _L = Bucket.ORDER, Bucket.QUERY, Bucket.PUBLIC, Bucket.USER_STREAM

# fmt: off
# --- Public Market Data + Miscellaneous -------------------------------------
PING: Final = Endpoint[Empty]("ping", "GET", "/api/v1/ping", _N, 1, _P, Empty)
SERVER_TIME: Final = Endpoint[market.ServerTime]("server_time", "GET", "/api/v1/time", _N, 1, _P, market.ServerTime)
EXCHANGE_INFO: Final = Endpoint[market.ExchangeInfo]("exchange_info", "GET", "/api/v1/exchangeInfo", _N, 1, _P, market.ExchangeInfo, market.reshape_exchange_info)
DEPTH: Final = Endpoint[market.Depth]("depth", "GET", "/quote/v1/depth", _N, 1, _P, market.Depth)
TRADES: Final = Endpoint[list[market.Trade]]("trades", "GET", "/quote/v1/trades", _N, 1, _P, list[market.Trade])
KLINES: Final = Endpoint[list[market.Kline]]("klines", "GET", "/quote/v1/klines", _N, 1, _P, list[market.Kline])
TICKER_24HR: Final = Endpoint[list[market.Ticker24hr]]("ticker_24hr", "GET", "/quote/v1/ticker/24hr", _N, 1, _P, list[market.Ticker24hr])
TICKER_PRICE: Final = Endpoint[list[market.TickerPrice]]("ticker_price", "GET", "/quote/v1/ticker/price", _N, 1, _P, list[market.TickerPrice])
BOOK_TICKER: Final = Endpoint[list[market.BookTicker]]("book_ticker", "GET", "/quote/v1/ticker/bookTicker", _N, 1, _P, list[market.BookTicker])
MERGED_DEPTH: Final = Endpoint[market.Depth]("merged_depth", "GET", "/quote/v1/depth/merged", _N, 1, _P, market.Depth)

# --- Spot Trading ------------------------------------------------------------
TEST_ORDER: Final = Endpoint[Empty]("test_order", "POST", "/api/v1/spot/orderTest", _T, 1, _O, Empty)
# The reference's "Signature Authentication" curl examples post orders to these two paths.
CREATE_ORDER: Final = Endpoint[trading.Order]("create_order", "POST", "/api/v1.1/spot/order", _T, 1, _O, trading.Order, aliases=("/api/v1/spot/order", "/openapi/v1/order"))
CREATE_ORDERS: Final = Endpoint[trading.BatchOrderResponse]("create_orders", "POST", "/api/v1.1/spot/batchOrders", _T, 1, _O, trading.BatchOrderResponse)
CANCEL_ORDER: Final = Endpoint[trading.Order]("cancel_order", "DELETE", "/api/v1/spot/order", _T, 1, _O, trading.Order)
CANCEL_OPEN_ORDERS: Final = Endpoint[trading.SuccessResponse]("cancel_open_orders", "DELETE", "/api/v1/spot/openOrders", _T, 1, _O, trading.SuccessResponse)
CANCEL_ALL_OPEN_ORDERS: Final = Endpoint[trading.CancelAllResponse]("cancel_all_open_orders", "DELETE", "/api/v1/spot/cancelAllOpenOrders", _T, 1, _O, trading.CancelAllResponse)
CANCEL_ORDERS_BY_IDS: Final = Endpoint[trading.CancelByIdsResponse]("cancel_orders_by_ids", "DELETE", "/api/v1/spot/cancelOrderByIds", _T, 1, _O, trading.CancelByIdsResponse)
GET_ORDER: Final = Endpoint[trading.Order]("get_order", "GET", "/api/v1/spot/order", _U, 1, _Q, trading.Order)
OPEN_ORDERS: Final = Endpoint[list[trading.Order]]("open_orders", "GET", "/api/v1/spot/openOrders", _U, 1, _Q, list[trading.Order])
TRADE_ORDERS: Final = Endpoint[list[trading.Order]]("trade_orders", "GET", "/api/v1/spot/tradeOrders", _U, 5, _Q, list[trading.Order])

# --- Account -----------------------------------------------------------------
VIP_INFO: Final = Endpoint[account.VipInfo]("vip_info", "GET", "/api/v1/account/vipInfo", _U, 5, _Q, account.VipInfo)
BALANCES: Final = Endpoint[account.AccountBalances]("balances", "GET", "/api/v1/account", _U, 5, _Q, account.AccountBalances)
ACCOUNT_TRADES: Final = Endpoint[list[account.AccountTrade]]("trades", "GET", "/api/v1/account/trades", _U, 5, _Q, list[account.AccountTrade])
ACCOUNT_TYPES: Final = Endpoint[list[account.AccountType]]("types", "GET", "/api/v1/account/type", _U, 5, _Q, list[account.AccountType])
TRANSFER: Final = Endpoint[account.TransferResult]("transfer", "POST", "/api/v1/account/assetTransfer", _U, 1, _Q, account.TransferResult)
API_KEY_TYPE: Final = Endpoint[account.ApiKeyType]("api_key_type", "GET", "/api/v1/account/checkApiKey", _U, 1, _Q, account.ApiKeyType)
FIAT_HISTORY: Final = Endpoint[list[account.FiatRecord]]("fiat_history", "GET", "/api/v1/account/fiat/history", _U, 5, _Q, list[account.FiatRecord])
BALANCE_FLOW: Final = Endpoint[list[account.BalanceFlow]]("balance_flow", "GET", "/api/v1/account/balanceFlow", _U, 5, _Q, list[account.BalanceFlow])
CHAIN_TYPES: Final = Endpoint[list[account.ChainType]]("chain_types", "GET", "/api/v1/account/chainType", _U, 1, _Q, list[account.ChainType])
COIN_INFO: Final = Endpoint[account.CoinInfo]("coin_info", "GET", "/api/v1/coinInfo", _U, 1, _Q, account.CoinInfo)

# --- Sub Account -------------------------------------------------------------
SUB_OPEN_ORDERS: Final = Endpoint[list[trading.Order]]("open_orders", "GET", "/api/v1/spot/subAccount/openOrders", _U, 1, _Q, list[trading.Order])
SUB_TRADE_ORDERS: Final = Endpoint[list[trading.Order]]("trade_orders", "GET", "/api/v1/spot/subAccount/tradeOrders", _U, 5, _Q, list[trading.Order])
SUB_TRADES: Final = Endpoint[list[account.AccountTrade]]("trades", "GET", "/api/v1/subAccount/trades", _U, 5, _Q, list[account.AccountTrade])

# --- Wallet ------------------------------------------------------------------
DEPOSIT_ADDRESS: Final = Endpoint[wallet.DepositAddress]("deposit_address", "GET", "/api/v1/account/deposit/address", _U, 1, _Q, wallet.DepositAddress)
DEPOSITS: Final = Endpoint[list[wallet.Deposit]]("deposits", "GET", "/api/v1/account/depositOrders", _U, 5, _Q, list[wallet.Deposit])
AUTHENTICATE_ADDRESS: Final = Endpoint[wallet.AuthAddressResult]("authenticate_address", "POST", "/api/v1/account/authAddress", _U, 1, _Q, wallet.AuthAddressResult)
WITHDRAW: Final = Endpoint[wallet.WithdrawResult]("withdraw", "POST", "/api/v1/account/withdraw", _U, 1, _Q, wallet.WithdrawResult)
WITHDRAWALS: Final = Endpoint[list[wallet.Withdrawal]]("withdrawals", "GET", "/api/v1/account/withdrawOrders", _U, 5, _Q, list[wallet.Withdrawal])

# --- User data stream (Miscellaneous) ----------------------------------------
CREATE_LISTEN_KEY: Final = Endpoint[user_stream.ListenKey]("create", "POST", "/api/v1/userDataStream", _S, 1, _L, user_stream.ListenKey)
KEEPALIVE_LISTEN_KEY: Final = Endpoint[Empty]("keepalive", "PUT", "/api/v1/userDataStream", _S, 1, _L, Empty)
DELETE_LISTEN_KEY: Final = Endpoint[Empty]("delete", "DELETE", "/api/v1/userDataStream", _S, 1, _L, Empty)
# fmt: on

#: All rows, keyed by (method, path): the offline exchange serves exactly these (and their aliases).
ENDPOINTS: Final[dict[tuple[str, str], Endpoint[Any]]] = {
    (row.method, row.path): row for row in globals().values() if isinstance(row, Endpoint)
}
