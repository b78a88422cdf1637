"""REST side of the offline exchange: every row of ``rest.endpoints.ENDPOINTS``.

Each request goes through the checks of the reference, in this order: IP ban (418), API
key (``X-HK-APIKEY`` as the reference's samples send it, or ``X-APIKEY`` as its "Endpoint
Security Types" table names it), injected 429 storm, per-key rate buckets ("Order Rate Limiting":
10 orders/s, 2 queries/s -> 429, then 418 after ``ban_after`` 429s in a row), signature
over the raw query string + raw body ("Signature Authentication"), timestamp window
("Time-base security requirement", -1021), then the endpoint's own parameter checks.
Errors answer ``{"code": "<code>", "msg": "..."}`` with the reference's codes.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl

import msgspec
from aiohttp import web

from ..rest.endpoints import ENDPOINTS, Bucket, Endpoint
from ..signing import API_KEY_HEADER, verify
from .engine import (
    ORDER_TYPES,
    SIDES,
    STP_MODES,
    TIME_IN_FORCE,
    Account,
    EngineError,
    Order,
    OrderRequest,
    User,
    fmt,
)

if TYPE_CHECKING:
    from .exchange import ExchangeConfig, OfflineExchange

__all__ = ["Call", "RateGate", "RateVerdict", "RestApi", "strip_signature"]

#: Reference, "Time-base security requirement": default recvWindow and allowed lead.
DEFAULT_RECV_WINDOW: Final = 5000
MAX_AHEAD_MS: Final = 1000
#: Reference, batch limits ("Upper Limit").
MAX_BATCH_ORDERS: Final = 20
MAX_CANCEL_IDS: Final = 100
MAX_CANCEL_ALL: Final = 200
#: Codes of a 429 per bucket: "-1015 Too many new orders" and "0003 Rate limit exceeded".
_LIMIT_CODES: Final = {
    Bucket.ORDER: "-1015",
    Bucket.QUERY: "0003",
    Bucket.PUBLIC: "0003",
    Bucket.USER_STREAM: "0003",
}
#: Order calls that the ``fail_next_orders`` fault answers with a 5xx.
_ORDER_CALLS: Final = frozenset(
    {
        ("POST", "/api/v1.1/spot/order"),
        ("POST", "/api/v1.1/spot/batchOrders"),
        ("DELETE", "/api/v1/spot/order"),
        ("DELETE", "/api/v1/spot/openOrders"),
        ("DELETE", "/api/v1/spot/cancelAllOpenOrders"),
        ("DELETE", "/api/v1/spot/cancelOrderByIds"),
    }
)
#: Headers that may carry the API key, tried in this order.
_KEY_HEADERS: Final = (API_KEY_HEADER, "X-APIKEY")
_CHAINS: Final = {"BTC": ["Bitcoin"], "ETH": ["ETH"], "USDT": ["ETH", "Tron"], "USDC": ["ETH"]}
#: Batch bodies: JSON numbers (prices, quantities) are read as exact Decimals, never floats.
_json_decoder: Final = msgspec.json.Decoder(float_hook=Decimal)

Handler = Callable[["Call"], Any]


def strip_signature(raw: str) -> tuple[str, str | None]:
    """Split ``a=1&signature=ab&b=2`` into the signed text ``a=1&b=2`` and the signature."""
    kept: list[str] = []
    signature: str | None = None
    for part in raw.split("&") if raw else []:
        if part.startswith("signature="):
            signature = part[len("signature=") :]
        else:
            kept.append(part)
    return "&".join(kept), signature


@dataclass(frozen=True)
class RateVerdict:
    """A refusal by ``RateGate``: HTTP status, code, message and seconds until it lifts."""

    status: int
    code: str
    msg: str
    retry_after: float | None


class RateGate:
    """Per-key rolling one-second buckets, suspension after a 429, IP ban after repeated 429s.

    Pure bookkeeping over the times it is given (seconds), so tests drive it directly.
    """

    def __init__(self, config: ExchangeConfig) -> None:
        self.config = config
        self._windows: dict[tuple[str, Bucket], deque[float]] = {}
        self._suspended: dict[tuple[str, Bucket], float] = {}
        self._strikes: dict[str, int] = {}
        self._banned: dict[str, float] = {}

    def banned(self, ip: str, now: float) -> RateVerdict | None:
        """418 while ``ip`` is banned."""
        until = self._banned.get(ip, 0.0)
        if now < until:
            return RateVerdict(418, "0003", "IP banned after repeated 429s", until - now)
        return None

    def check(self, ip: str, api_key: str, bucket: Bucket, now: float) -> RateVerdict | None:
        """Admit one request of ``api_key`` on ``bucket`` or say why not (429 or 418)."""
        if bucket is Bucket.PUBLIC or not self.config.enforce_rate_limits:
            return None
        slot = (api_key, bucket)
        rate = self.config.order_rate if bucket is Bucket.ORDER else self.config.query_rate
        until = self._suspended.get(slot, 0.0)
        if now < until:
            return self._strike(ip, bucket, until - now, now)
        window = self._windows.setdefault(slot, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= rate:
            self._suspended[slot] = now + self.config.suspend_seconds
            return self._strike(ip, bucket, self.config.suspend_seconds, now)
        window.append(now)
        self._strikes[ip] = 0
        return None

    def _strike(self, ip: str, bucket: Bucket, wait: float, now: float) -> RateVerdict:
        strikes = self._strikes.get(ip, 0) + 1
        self._strikes[ip] = strikes
        if strikes > self.config.ban_after:
            self._strikes[ip] = 0
            self._banned[ip] = now + self.config.ban_seconds
            return RateVerdict(
                418, "0003", "IP banned after repeated 429s", self.config.ban_seconds
            )
        noun = "orders" if bucket is Bucket.ORDER else "requests"
        rate = self.config.order_rate if bucket is Bucket.ORDER else self.config.query_rate
        msg = f"Too many {noun}, current limit is {rate} {noun} per second"
        return RateVerdict(429, _LIMIT_CODES[bucket], msg, wait)


@dataclass
class Call:
    """One admitted request: merged parameters, the caller, the exchange time and the body."""

    params: dict[str, str]
    user: User | None
    now: int
    body: bytes

    def caller(self) -> User:
        """The authenticated user (every signed route has one)."""
        if self.user is None:
            raise EngineError("-1002", "Unauthorized operation")
        return self.user

    def text(self, name: str, *, required: bool = False) -> str | None:
        """A string parameter; 0001 when required and missing or empty."""
        value = self.params.get(name)
        if value in (None, ""):
            if required:
                raise EngineError("0001", f"Required field {name} missing or invalid")
            return None
        return value

    def need(self, name: str) -> str:
        """A required string parameter."""
        value = self.text(name, required=True)
        assert value is not None
        return value

    def integer(
        self,
        name: str,
        default: int | None = None,
        *,
        low: int | None = None,
        high: int | None = None,
    ) -> int | None:
        """An integer parameter clamped to ``high``; -1130 when it is not an integer or < low."""
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise EngineError("-1130", f"Illegal parameter '{name}'") from None
        if low is not None and value < low:
            raise EngineError("-1130", f"Illegal parameter '{name}'")
        return min(value, high) if high is not None else value

    def limit(self, default: int, high: int) -> int:
        """The ``limit`` parameter: ``default`` when absent, at least 1, clamped to ``high``."""
        value = self.integer("limit", low=1, high=high)
        return default if value is None else value

    def decimal(self, name: str, code: str, *, required: bool = False) -> Decimal | None:
        """A positive exact decimal; ``code`` when it is not one."""
        raw = self.text(name, required=required)
        if raw is None:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise EngineError(code, f"Invalid {name}") from None
        if not value.is_finite() or value <= 0:
            raise EngineError(code, f"Invalid {name}")
        return value

    def choice(
        self, name: str, choices: Iterable[str], code: str, *, required: bool = False
    ) -> str | None:
        """An enum parameter; ``code`` when it is not one of ``choices``."""
        raw = self.text(name, required=required)
        if raw is not None and raw not in choices:
            raise EngineError(code, f"Illegal parameter '{name}': {raw}")
        return raw


def _error(status: int, code: str, msg: str, retry_after: float | None = None) -> web.Response:
    headers = {"Retry-After": f"{retry_after:.3f}"} if retry_after is not None else None
    return web.json_response({"code": code, "msg": msg}, status=status, headers=headers)


class RestApi:
    """Serves every REST endpoint of the reference over the engine and the feeds."""

    def __init__(self, exchange: OfflineExchange) -> None:
        self.exchange = exchange
        self.engine = exchange.engine
        self.feeds = exchange.feeds
        self.gate = RateGate(exchange.config)
        #: Seconds clock of the rate buckets (monotonic; injectable for tests).
        self.monotonic: Callable[[], float] = time.monotonic
        self._routes: dict[tuple[str, str], Handler] = {
            ("GET", "/api/v1/ping"): lambda call: {},
            ("GET", "/api/v1/time"): lambda call: {"serverTime": call.now},
            ("GET", "/api/v1/exchangeInfo"): self.exchange_info,
            ("GET", "/quote/v1/depth"): self.depth,
            ("GET", "/quote/v1/trades"): self.trades,
            ("GET", "/quote/v1/klines"): self.klines,
            ("GET", "/quote/v1/ticker/24hr"): self.ticker_24hr,
            ("GET", "/quote/v1/ticker/price"): self.ticker_price,
            ("GET", "/quote/v1/ticker/bookTicker"): self.book_ticker,
            ("GET", "/quote/v1/depth/merged"): self.merged_depth,
            ("POST", "/api/v1/spot/orderTest"): self.test_order,
            ("POST", "/api/v1.1/spot/order"): self.create_order,
            ("POST", "/api/v1.1/spot/batchOrders"): self.create_orders,
            ("DELETE", "/api/v1/spot/order"): self.cancel_order,
            ("DELETE", "/api/v1/spot/openOrders"): self.cancel_open_orders,
            ("DELETE", "/api/v1/spot/cancelAllOpenOrders"): self.cancel_all_open_orders,
            ("DELETE", "/api/v1/spot/cancelOrderByIds"): self.cancel_orders_by_ids,
            ("GET", "/api/v1/spot/order"): self.get_order,
            ("GET", "/api/v1/spot/openOrders"): self.open_orders,
            ("GET", "/api/v1/spot/tradeOrders"): self.trade_orders,
            ("GET", "/api/v1/account/vipInfo"): self.vip_info,
            ("GET", "/api/v1/account"): self.balances,
            ("GET", "/api/v1/account/trades"): self.account_trades,
            ("GET", "/api/v1/account/type"): self.account_types,
            ("POST", "/api/v1/account/assetTransfer"): self.transfer,
            ("GET", "/api/v1/account/checkApiKey"): lambda call: {"accountType": "Master Account"},
            ("GET", "/api/v1/account/fiat/history"): self.fiat_history,
            ("GET", "/api/v1/account/balanceFlow"): self.balance_flow,
            ("GET", "/api/v1/account/chainType"): self.chain_types,
            ("GET", "/api/v1/coinInfo"): self.coin_info,
            ("GET", "/api/v1/spot/subAccount/openOrders"): self.sub_open_orders,
            ("GET", "/api/v1/spot/subAccount/tradeOrders"): self.sub_trade_orders,
            ("GET", "/api/v1/subAccount/trades"): self.sub_trades,
            ("GET", "/api/v1/account/deposit/address"): self.deposit_address,
            ("GET", "/api/v1/account/depositOrders"): self.deposits,
            ("POST", "/api/v1/account/authAddress"): self.authenticate_address,
            ("POST", "/api/v1/account/withdraw"): self.withdraw,
            ("GET", "/api/v1/account/withdrawOrders"): self.withdrawals,
            ("POST", "/api/v1/userDataStream"): self.create_listen_key,
            ("PUT", "/api/v1/userDataStream"): self.keepalive_listen_key,
            ("DELETE", "/api/v1/userDataStream"): self.delete_listen_key,
        }

    def install(self, app: web.Application) -> None:
        """Add one route per path (and alias) of each row of ``ENDPOINTS``; a row without a
        handler is a bug."""
        missing = sorted(set(ENDPOINTS) - set(self._routes))
        if missing:
            raise RuntimeError(f"offline exchange has no handler for {missing}")
        for endpoint in ENDPOINTS.values():
            handle = self._make_handler(endpoint)
            for path in (endpoint.path, *endpoint.aliases):
                app.router.add_route(endpoint.method, path, handle)

    def _make_handler(self, endpoint: Endpoint[Any]) -> Callable[[web.Request], Any]:
        handler = self._routes[(endpoint.method, endpoint.path)]

        async def handle(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            return self.serve(endpoint, handler, request, body)

        return handle

    # --- the request pipeline ---------------------------------------------------
    def serve(
        self, endpoint: Endpoint[Any], handler: Handler, request: web.Request, body: bytes
    ) -> web.Response:
        """Run every check of the reference, then the handler; faults apply here."""
        faults = self.exchange.faults
        try:
            user = self._admit(endpoint, request)
            call = self._parse(endpoint, request, body, user)
            order_call = (endpoint.method, endpoint.path) in _ORDER_CALLS
            if order_call and faults.fail_orders > 0:
                faults.fail_orders -= 1
                if faults.fail_after_effect:
                    with contextlib.suppress(EngineError):
                        handler(call)
                return _error(faults.fail_status, "-1001", "Internal error")
            answer = handler(call)
            if order_call and faults.corrupt_orders > 0:
                faults.corrupt_orders -= 1
                return web.Response(body=faults.corrupt_body, content_type="application/json")
            return web.json_response(answer)
        except EngineError as exc:
            return _error(exc.status, exc.code, exc.msg, exc.retry_after)

    def _admit(self, endpoint: Endpoint[Any], request: web.Request) -> User | None:
        """IP ban, API key, injected 429 storm and the key's rate bucket; the caller or None."""
        ip = request.remote or "?"
        now = self.monotonic()
        _refuse(self.gate.banned(ip, now))
        if not endpoint.security.needs_key:
            return None
        api_key = next((request.headers[h] for h in _KEY_HEADERS if h in request.headers), "")
        user = self.engine.users.get(api_key)
        if user is None:
            raise EngineError("0102", "Invalid APIKey")
        faults = self.exchange.faults
        if endpoint.security.signed and faults.rate_limit_storm > 0:
            faults.rate_limit_storm -= 1
            raise EngineError(_LIMIT_CODES[endpoint.bucket], "Rate limit exceeded", 429)
        _refuse(self.gate.check(ip, user.api_key, endpoint.bucket, now))
        return user

    def _parse(
        self, endpoint: Endpoint[Any], request: web.Request, body: bytes, user: User | None
    ) -> Call:
        """Merge query and form parameters (the query wins); check signature and timestamp.

        The signature covers the raw query string and the raw body exactly as received,
        each without its ``signature`` parameter (reference, "Signature Authentication").
        """
        is_json = request.content_type == "application/json"
        query, query_sig = strip_signature(request.raw_path.partition("?")[2])
        form, body_sig = ("", None) if is_json else strip_signature(body.decode("latin-1"))
        params = dict(parse_qsl(form, keep_blank_values=True)) if form else {}
        params.update(parse_qsl(query, keep_blank_values=True))
        now = self.exchange.now_ms()
        if endpoint.security.signed and user is not None:
            signature = query_sig or body_sig
            signed_body = body if is_json else form.encode("latin-1")
            if not signature or not verify(user.api_secret, query, signed_body, signature):
                raise EngineError("0001", "Incorrect signature")
            _check_timestamp(params, now)
        return Call(params, user, now, body)

    # --- public market data -----------------------------------------------------
    def _symbol(self, call: Call) -> str | None:
        """The optional ``symbol`` parameter; 0201 when it names no listed symbol."""
        symbol = call.text("symbol")
        if symbol is not None:
            self.engine.spec(symbol)
        return symbol

    def _need_symbol(self, call: Call) -> str:
        """The required ``symbol`` parameter; 0001 when missing, 0201 when not listed."""
        symbol = call.need("symbol")
        self.engine.spec(symbol)
        return symbol

    def _symbols(self, call: Call) -> list[str]:
        symbol = self._symbol(call)
        return [symbol] if symbol else list(self.feeds.symbols)

    def exchange_info(self, call: Call) -> dict[str, Any]:
        """Reference, "Get Exchange Information"."""
        symbols = self._symbols(call)
        assets = sorted(
            {a for s in symbols for a in (self.engine.specs[s].base, self.engine.specs[s].quote)}
        )
        return {
            "timezone": "UTC",
            "serverTime": call.now,
            "brokerFilters": [],
            "symbols": [self._symbol_info(s) for s in symbols],
            "options": [],
            "contracts": [],
            "coins": [self._coin(a) for a in assets],
            "site": call.text("site") or "BMU",
        }

    def _symbol_info(self, symbol: str) -> dict[str, Any]:
        spec = self.engine.specs[symbol]
        return {
            "symbol": symbol,
            "symbolName": symbol,
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

    @staticmethod
    def _coin(asset: str) -> dict[str, Any]:
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
                for chain in _CHAINS.get(asset, ["ETH"])
            ],
        }

    def depth(self, call: Call) -> dict[str, Any]:
        """Reference, "Get Order book" (limit default 100, max 200)."""
        symbol = self._need_symbol(call)
        return self.feeds.depth(symbol, call.limit(100, 200))

    def merged_depth(self, call: Call) -> dict[str, Any]:
        """Reference, "Get Merge Depth" (scale 0..5 merges 10**scale ticks)."""
        symbol = self._need_symbol(call)
        limit = call.limit(100, 200)
        scale = call.integer("scale", 0, low=0)
        if scale is None or scale > 5:
            raise EngineError("-1130", "Illegal parameter 'scale'")
        return self.feeds.depth(symbol, limit, scale)

    def trades(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Recent Trade List" (limit default and max 100)."""
        symbol = self._need_symbol(call)
        return self.feeds.trades(symbol, call.limit(100, 100))

    def klines(self, call: Call) -> list[list[Any]]:
        """Reference, "Get Kline" (limit max 1000)."""
        symbol = self._need_symbol(call)
        return self.feeds.klines(
            symbol,
            call.need("interval"),
            call.limit(1000, 1000),
            call.integer("startTime"),
            call.integer("endTime"),
        )

    def ticker_24hr(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get 24hr Ticker Price Change" (every symbol when none is given)."""
        return [self.feeds.ticker_24hr(s) for s in self._symbols(call)]

    def ticker_price(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Symbol Price Ticker"."""
        return [self.feeds.ticker_price(s) for s in self._symbols(call)]

    def book_ticker(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Symbol current Top of book"."""
        return [self.feeds.book_ticker(s) for s in self._symbols(call)]

    # --- spot trading -----------------------------------------------------------
    def _order_request(self, fields: dict[str, str]) -> OrderRequest:
        """Validate a new order's fields (reference, "Create Order v1.1") into a request."""
        call = Call(fields, None, 0, b"")
        symbol = call.need("symbol")
        spec = self.engine.spec(symbol)
        side = call.choice("side", SIDES, "-1117", required=True)
        kind = call.choice("type", ORDER_TYPES, "0206", required=True)
        assert side is not None and kind is not None
        tif = call.choice("timeInForce", TIME_IN_FORCE, "-1115")
        if tif is not None and (
            (kind == "MARKET" and tif != "IOC") or (kind == "LIMIT_MAKER" and tif != "GTC")
        ):
            raise EngineError("-1115", "Invalid timeInForce")
        stp = call.choice("stpMode", STP_MODES, "-1130") or "EXPIRE_TAKER"
        client_id = call.text("newClientOrderId")
        if client_id is not None and len(client_id) > 255:
            raise EngineError("-1123", "Invalid client order id")
        quantity = call.decimal("quantity", "-1126")
        amount = call.decimal("amount", "-1130")
        price = call.decimal("price", "-1124")
        if kind == "MARKET":
            if quantity is not None and amount is not None:
                raise EngineError(
                    "-1129",
                    "Invalid parameters, quantity and amount are not allowed to be sent at the same time.",
                )
            if quantity is None and amount is None:
                raise EngineError("0001", "Required field quantity missing or invalid")
            price = None
        else:
            if quantity is None:
                raise EngineError("0001", "Required field quantity missing or invalid")
            if price is None:
                raise EngineError("0001", "Required field price missing or invalid")
            if amount is not None:
                raise EngineError("-1130", "Illegal parameter 'amount'")
        if price is not None and price % spec.tick_size:
            raise EngineError("0209", "Invalid price precision")
        if quantity is not None:
            if quantity % spec.step_size:
                raise EngineError("-1137", "Order quantity precision too large")
            if quantity < spec.min_qty:
                raise EngineError("-1136", "Order quantity lower than the minimum")
            if quantity > spec.max_qty:
                raise EngineError("-1135", "Order quantity greater than the maximum")
        notional = amount if amount is not None else (quantity or 0) * (price or 0)
        if (amount is not None or price is not None) and notional < spec.min_notional:
            raise EngineError("-1140", "Order amount lower than the minimum")
        if notional > spec.max_amount:
            raise EngineError("-1206", "Order amount greater than the maximum")
        return OrderRequest(symbol, side, kind, quantity, amount, price, client_id, tif, stp)

    def test_order(self, call: Call) -> dict[str, Any]:
        """Reference, "Test New Order": validate only."""
        self._order_request(call.params)
        return {}

    def create_order(self, call: Call) -> dict[str, Any]:
        """Reference, "Create Order v1.1"."""
        order = self.engine.place(call.caller(), self._order_request(call.params), call.now)
        return order.ack()

    def create_orders(self, call: Call) -> dict[str, Any]:
        """Reference, "Create Multiple orders by Symbol v1.1": JSON array body, up to 20."""
        try:
            items = _json_decoder.decode(call.body) if call.body else None
        except msgspec.DecodeError:
            items = None
        if not isinstance(items, list) or not items:
            raise EngineError("0001", "Required field orders missing or invalid")
        if len(items) > MAX_BATCH_ORDERS:
            raise EngineError("-2022", "Order batch size exceeds the limit")
        if len({item.get("symbol") for item in items if isinstance(item, dict)}) > 1:
            raise EngineError("-1130", "Illegal parameter 'symbol': one symbol per batch")
        user = call.caller()
        result: list[dict[str, Any]] = []
        for item in items:
            try:
                if not isinstance(item, dict):
                    raise EngineError("-1130", "Illegal parameter 'order'")
                fields = {str(k): _text(v) for k, v in item.items()}
                order = self.engine.place(user, self._order_request(fields), call.now)
            except EngineError as exc:
                result.append({"code": exc.code, "msg": exc.msg})
            else:
                result.append({"code": "0000", "order": order.ack()})
        return {"code": 0, "result": result, "concentration": ""}

    def cancel_order(self, call: Call) -> dict[str, Any]:
        """Reference, "Cancel Order": by orderId or clientOrderId."""
        user = call.caller()
        order = self._find(call, user, "clientOrderId")
        return self.engine.cancel(user, order, call.now).cancel_ack()

    def _find(self, call: Call, user: User, client_field: str) -> Order:
        order_id = call.integer("orderId")
        client_id = call.text(client_field)
        if order_id is None and client_id is None:
            raise EngineError("0001", "Required field orderId missing or invalid")
        return self.engine.find_order(user, order_id, client_id)

    def cancel_open_orders(self, call: Call) -> dict[str, Any]:
        """Reference, "Cancel All Open Orders by Symbol"."""
        symbol = self._need_symbol(call)
        side = call.choice("side", SIDES, "-1117")
        self.engine.cancel_many(call.caller(), call.now, symbol, side)
        return {"success": True}

    def cancel_all_open_orders(self, call: Call) -> dict[str, Any]:
        """Reference, "Cancel All Open Spot Orders" (up to 200 per request)."""
        user = call.caller()
        symbol = self._symbol(call)
        side = call.choice("side", SIDES, "-1117")
        from_id = call.integer("fromOrderId")
        limit = call.limit(100, MAX_CANCEL_ALL)
        orders = [
            o
            for o in self.engine.account_orders(user.main)
            if o.is_open
            and symbol in (None, o.symbol)
            and side in (None, o.side)
            and (from_id is None or o.order_id < from_id)
        ][:limit]
        for order in orders:
            self.engine.cancel(user, order, call.now)
        return {
            "code": "0000",
            "message": "success",
            "timestamp": call.now,
            "lastOrderId": orders[-1].order_id if orders else 0,
        }

    def cancel_orders_by_ids(self, call: Call) -> dict[str, Any]:
        """Reference, "Cancel Multiple Orders By OrderId" (up to 100)."""
        user = call.caller()
        ids = [i for i in call.need("ids").split(",") if i]
        if len(ids) > MAX_CANCEL_IDS:
            raise EngineError("-2022", "Order batch size exceeds the limit")
        failed: list[dict[str, str]] = []
        for raw in ids:
            try:
                order = self.engine.find_order(user, int(raw))
                if not order.is_open:
                    raise EngineError("0212", "Order has already been completed")
                self.engine.cancel(user, order, call.now)
            except ValueError:
                failed.append({"orderId": raw, "code": "0211"})
            except EngineError as exc:
                failed.append({"orderId": raw, "code": exc.code})
        return {"code": "0000", "result": failed}

    def get_order(self, call: Call) -> dict[str, Any]:
        """Reference, "Query Order": by orderId or origClientOrderId."""
        return self._find(call, call.caller(), "origClientOrderId").rest()

    def _order_list(
        self, call: Call, account: Account, *, open_only: bool, high: int = 1000
    ) -> list[dict[str, Any]]:
        symbol = self._symbol(call)
        side = call.choice("side", SIDES, "-1117")
        from_id = call.integer("fromOrderId")
        start = call.integer("startTime")
        end = call.integer("endTime")
        limit = call.limit(500, high)
        rows: list[dict[str, Any]] = []
        for order in self.engine.account_orders(account):
            if len(rows) >= limit:
                break
            if (
                (open_only and not order.is_open)
                or symbol not in (None, order.symbol)
                or side not in (None, order.side)
                or (from_id is not None and order.order_id >= from_id)
                or (start is not None and order.time < start)
                or (end is not None and order.time > end)
            ):
                continue
            rows.append(order.rest())
        return rows

    def open_orders(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Current Open Orders" (newest first)."""
        return self._order_list(call, call.caller().main, open_only=True)

    def trade_orders(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get All Traded Orders" (newest first; fromOrderId pages back)."""
        return self._order_list(call, call.caller().main, open_only=False)

    # --- account ----------------------------------------------------------------
    def _account(self, call: Call, field: str, *, required: bool = False) -> Account:
        """The account named by ``field`` (default: main trading); 0104 if not the caller's."""
        user = call.caller()
        call.text(field, required=required)
        account_id = call.integer(field)
        if account_id is None:
            return user.main
        account = user.account(account_id)
        if account is None:
            raise EngineError("0104", "accountId is not allowed")
        return account

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
        account = self._account(call, "accountId")
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

    def _fills(self, call: Call, account: Account) -> list[dict[str, Any]]:
        symbol = self._symbol(call)
        client_id = call.text("clientOrderId")
        start, end = call.integer("startTime"), call.integer("endTime")
        from_id, to_id = call.integer("fromId"), call.integer("toId")
        limit = call.limit(500, 1000)
        rows: list[dict[str, Any]] = []
        for fill in self.engine.account_fills(account):
            if len(rows) >= limit:
                break
            if (
                symbol not in (None, fill.symbol)
                or client_id not in (None, fill.client_order_id)
                or (start is not None and fill.time < start)
                or (end is not None and fill.time > end)
                or (from_id is not None and fill.trade_id <= from_id)
                or (to_id is not None and fill.trade_id >= to_id)
            ):
                continue
            rows.append(fill.rest())
        return rows

    def account_trades(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Account Trade List" (newest first)."""
        return self._fills(call, self._account(call, "accountId"))

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
        source = user.account(_int(source_id, "-1172", "Invalid from account id"))
        if source is None:
            raise EngineError("-1172", "Invalid from account id")
        target = user.account(_int(target_id, "-1173", "Invalid to account id"))
        if target is None:
            raise EngineError("-1173", "Invalid to account id")
        if source is target:
            raise EngineError("-1174", "Transfer not allowed between the same account")
        balance = source.balance(coin)
        if balance.free < quantity:
            raise EngineError("0401", "Insufficient asset")
        balance.free -= quantity
        target.balance(coin).free += quantity
        transfer_id = self.engine.record_transfer(source, target, coin, quantity, call.now)
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
        for flow in reversed(self.engine.flows):
            account = ids.get(int(flow["accountId"]))
            if account is None or len(rows) >= limit:
                continue
            created = int(flow["created"])
            if (
                (start is not None and created < start)
                or (end is not None and created > end)
                or flow_type not in (None, flow["flowTypeValue"])
                or account_type not in (None, account.account_type)
            ):
                continue
            rows.append(flow)
        return rows

    def chain_types(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get ChainType"."""
        coin = call.need("coinId")
        return [{"coinId": coin, "coinName": coin, "chainTypeList": _CHAINS.get(coin, ["ETH"])}]

    def coin_info(self, call: Call) -> dict[str, Any]:
        """Reference, "Get Coin Information"."""
        return {
            "timezone": "UTC",
            "serverTime": call.now,
            "coins": [self._coin(call.need("coinId"))],
        }

    # --- sub account ------------------------------------------------------------
    def sub_open_orders(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Sub Account Open Orders"."""
        account = self._account(call, "subAccountId", required=True)
        return self._order_list(call, account, open_only=True, high=500)

    def sub_trade_orders(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Sub Account Trade Orders"."""
        account = self._account(call, "subAccountId", required=True)
        return self._order_list(call, account, open_only=False, high=500)

    def sub_trades(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Sub Account Trades"."""
        return self._fills(call, self._account(call, "subAccountId"))

    # --- wallet -----------------------------------------------------------------
    def deposit_address(self, call: Call) -> dict[str, Any]:
        """Reference, "Get Deposit Address": a stable made-up address per key, coin and chain."""
        user = call.caller()
        coin, chain = call.need("coin"), call.need("chainType")
        digest = f"{user.user_id:x}{sum(map(ord, coin + chain)):x}".rjust(40, "0")[-40:]
        return {
            "canDeposit": True,
            "address": f"0x{digest}",
            "addressExt": "",
            "minQuantity": "0.001",
            "needAddressTag": False,
            "requiredConfirmTimes": 10,
            "canWithdrawConfirmTimes": 10,
            "coinType": "CHAIN_TOKEN" if coin in ("BTC", "ETH") else "ERC20_TOKEN",
        }

    def deposits(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Deposit History": no deposits happen offline."""
        call.limit(500, 1000)
        return []

    def authenticate_address(self, call: Call) -> dict[str, Any]:
        """Reference, "Authenticate Deposit Address"."""
        call.need("txid")
        call.need("exchangeName")
        if call.need("isAddressOwner") != "true":
            raise EngineError("-1130", "Illegal parameter 'isAddressOwner'")
        if not call.text("institutionalName") and not (
            call.text("senderFirstName") and call.text("senderLastName")
        ):
            raise EngineError("0001", "Required field senderFirstName missing or invalid")
        return {"success": True, "msg": "", "timestamp": str(call.now)}

    def withdraw(self, call: Call) -> dict[str, Any]:
        """Reference, "Withdraw VA": from the custody account, settled at once."""
        user = call.caller()
        coin = call.need("coin")
        client_id = call.need("clientOrderId")
        address = call.need("address")
        call.need("chainType")
        quantity = call.decimal("quantity", "-1168", required=True)
        assert quantity is not None
        if any(
            w.client_order_id == client_id and w.user_id == user.user_id
            for w in self.engine.withdrawals
        ):
            raise EngineError("-4013", "Withdraw repeatedly")
        custody = next(a for a in user.accounts if a.account_type == 5)
        balance = custody.balance(coin)
        if balance.free < quantity:
            raise EngineError("-4003", "Insufficient Balance")
        balance.free -= quantity
        record = self.engine.record_withdrawal(
            custody,
            coin,
            quantity,
            address,
            client_id,
            call.now,
            platform=call.text("platform") or "",
            memo=call.text("memo") or "",
        ).record
        return {
            "success": True,
            "id": "0",
            "orderId": record["id"],
            "accountId": str(custody.account_id),
        }

    def withdrawals(self, call: Call) -> list[dict[str, Any]]:
        """Reference, "Get Withdraw History" (newest first)."""
        user = call.caller()
        coin = call.text("coin")
        start, end = call.integer("startTime"), call.integer("endTime")
        limit = call.limit(500, 1000)
        rows: list[dict[str, Any]] = []
        for w in reversed(self.engine.withdrawals):
            t = int(w.record["time"])
            if (
                w.user_id != user.user_id
                or coin not in (None, w.record["coin"])
                or (start is not None and t < start)
                or (end is not None and t > end)
            ):
                continue
            rows.append(w.record)
        return rows[:limit]

    # --- user data stream -------------------------------------------------------
    def create_listen_key(self, call: Call) -> dict[str, Any]:
        """Reference, "Create Listen Key"."""
        return {"listenKey": self.engine.listen_keys.create(call.caller().api_key, call.now)}

    def keepalive_listen_key(self, call: Call) -> dict[str, Any]:
        """Reference, "Reset Listen Key"."""
        key = self._own_listen_key(call)
        self.engine.listen_keys.keepalive(key, call.now)
        return {}

    def delete_listen_key(self, call: Call) -> dict[str, Any]:
        """Reference, "Delete Listen Key"."""
        self.engine.listen_keys.delete(self._own_listen_key(call))
        return {}

    def _own_listen_key(self, call: Call) -> str:
        key = call.need("listenKey")
        if self.engine.listen_keys.owner(key, call.now) != call.caller().api_key:
            raise EngineError("-1130", "Illegal parameter 'listenKey'")
        return key


def _refuse(verdict: RateVerdict | None) -> None:
    """Raise the rate gate's refusal, if any."""
    if verdict is not None:
        raise EngineError(verdict.code, verdict.msg, verdict.status, verdict.retry_after)


def _check_timestamp(params: dict[str, str], now: int) -> None:
    """Reference, "Time-base security requirement": -1021 outside the window."""
    try:
        timestamp = int(params["timestamp"])
    except (KeyError, ValueError):
        raise EngineError("0001", "Required field timestamp missing or invalid") from None
    try:
        window = int(params.get("recvWindow") or DEFAULT_RECV_WINDOW)
    except ValueError:
        raise EngineError("-1130", "Illegal parameter 'recvWindow'") from None
    if not (timestamp < now + MAX_AHEAD_MS and now - timestamp <= window):
        raise EngineError("-1021", "Timestamp for this request is outside of the recvWindow")


def _int(raw: str, code: str, msg: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise EngineError(code, msg) from None


def _text(value: object) -> str:
    """A JSON batch field as the text a form field would carry."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
