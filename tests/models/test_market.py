"""Market models decode every example of the reference and every captured live market payload."""

from __future__ import annotations

import json
from decimal import Decimal

import msgspec
import pytest
from fixtures import captured_payloads, reference_docs

from hashkey_async.models.market import (
    BookTicker,
    Depth,
    ExchangeInfo,
    Kline,
    LimitTradingFilter,
    LotSizeFilter,
    MarketTradingFilter,
    MinNotionalFilter,
    OpenQuoteFilter,
    PriceFilter,
    ServerTime,
    SymbolInfo,
    Ticker24hr,
    TickerPrice,
    Trade,
    TradeAmountFilter,
)
from hashkey_async.rest import endpoints as E

DOCS = reference_docs()
CAPTURED = captured_payloads()


def reference_example(path: str) -> bytes:
    """The raw JSON text of the first "Response Content" example after ``GET path``."""
    start = DOCS.index(f"\nGET {path}\n")
    body = DOCS.index("Response Content\n", start) + len("Response Content\n")
    _, end = json.JSONDecoder().raw_decode(DOCS, body)
    return DOCS[body:end].encode()


def test_reference_depth() -> None:
    book = E.DEPTH.decoder.decode(reference_example("/quote/v1/depth"))
    assert isinstance(book, Depth) and book.time == 1764059245287
    assert [(lvl.price, lvl.quantity) for lvl in book.bids] == [
        (Decimal("87473.15"), Decimal("0.05805")),
        (Decimal("87473.14"), Decimal("0.01143")),
    ]
    assert book.asks[1].raw_price == "87476.61"


def test_reference_merged_depth() -> None:
    book = E.MERGED_DEPTH.decoder.decode(reference_example("/quote/v1/depth/merged"))
    assert len(book.bids) == 3 and len(book.asks) == 3
    assert book.asks[2].quantity == Decimal("0.1")


def test_reference_trades() -> None:
    trades = E.TRADES.decoder.decode(reference_example("/quote/v1/trades"))
    assert trades[2] == Trade(1764059594244, Decimal("87380.06"), Decimal("0.01"), False)


def test_reference_klines_are_named_fields() -> None:
    klines = E.KLINES.decoder.decode(reference_example("/quote/v1/klines"))
    assert len(klines) == 3
    last = klines[2]
    assert last == Kline(
        open_time=1766718420000,
        open=Decimal("89101.5"),
        high=Decimal("89101.5"),
        low=Decimal("89101.5"),
        close=Decimal("89101.5"),
        volume=Decimal("0.00012"),
        close_time=0,
        quote_volume=Decimal("10.69218"),
        trade_count=1,
        taker_buy_base_volume=Decimal("0.00012"),
        taker_buy_quote_volume=Decimal("10.69218"),
    )


def test_reference_ticker_24hr() -> None:
    [ticker] = E.TICKER_24HR.decoder.decode(reference_example("/quote/v1/ticker/24hr"))
    assert isinstance(ticker, Ticker24hr)
    assert ticker.symbol == "BTCUSDT-PERPETUAL" and ticker.inst_type == "FUTURES"
    assert (ticker.last_price, ticker.open_price, ticker.quote_volume) == (
        Decimal("89164.2"),
        Decimal("87828.6"),
        Decimal("72224.7966"),
    )


def test_reference_ticker_price() -> None:
    assert E.TICKER_PRICE.decoder.decode(reference_example("/quote/v1/ticker/price")) == [
        TickerPrice("USDTUSD", Decimal("0.9992"))
    ]


def test_reference_book_ticker() -> None:
    [top] = E.BOOK_TICKER.decoder.decode(reference_example("/quote/v1/ticker/bookTicker"))
    assert top == BookTicker(
        "BTCUSDT",
        Decimal("89110.8"),
        Decimal("0.00067"),
        Decimal("89110.81"),
        Decimal("0.00067"),
        1766718404772,
    )


def test_reference_server_time_and_ping() -> None:
    assert E.SERVER_TIME.decoder.decode(reference_example("/api/v1/time")) == ServerTime(
        1764229341307
    )
    E.PING.decoder.decode(reference_example("/api/v1/ping"))


def test_reference_exchange_info_symbol_with_every_filter_type() -> None:
    raw = reference_example("/api/v1/exchangeInfo")
    symbol = msgspec.json.decode(raw, type=SymbolInfo, strict=False)
    assert symbol.symbol == "USDTAED" and symbol.site == "UAE" and symbol.quote_ucid == ""
    assert symbol.base_asset_precision == Decimal("0.01")
    assert [type(f) for f in symbol.filters] == [
        PriceFilter,
        LotSizeFilter,
        MinNotionalFilter,
        TradeAmountFilter,
        LimitTradingFilter,
        MarketTradingFilter,
        OpenQuoteFilter,
    ]
    price = symbol.filter(PriceFilter)
    assert price is not None and price.tick_size == Decimal("0.001")
    lot = symbol.filter(LotSizeFilter)
    assert lot is not None and (lot.step_size, lot.market_order_max_qty) == (
        Decimal("0.01"),
        Decimal("100000"),
    )
    limit = symbol.filter(LimitTradingFilter)
    assert limit is not None and limit.max_entrust_num == 300
    # The whole response wraps symbols like this one.
    info = E.EXCHANGE_INFO.decoder.decode(
        b'{"timezone":"UTC","serverTime":"1690084771517","brokerFilters":[],"symbols":['
        + raw
        + b'],"coins":[]}'
    )
    assert isinstance(info, ExchangeInfo) and info.server_time == 1690084771517
    assert info.symbol("USDTAED") == symbol and info.symbol("NOPE") is None


def test_exchange_info_coins_and_chains() -> None:
    raw = b"""{"symbols": [], "coins": [{"orgId": "9000", "coinId": "BTC", "coinName": "BTC",
      "coinFullName": "Bitcoin", "allowWithdraw": true, "allowDeposit": true, "tokenType": "CHAIN_TOKEN",
      "status": 1, "chainTypes": [{"chainType": "Bitcoin", "withdrawFee": "0.0001",
      "minWithdrawQuantity": "0.001", "maxWithdrawQuantity": 100, "minDepositQuantity": "0.0002",
      "allowDeposit": true, "allowWithdraw": false}]}], "site": "BMU"}"""
    info = E.EXCHANGE_INFO.decoder.decode(raw)
    [coin] = info.coins
    assert coin.org_id == 9000 and coin.coin_full_name == "Bitcoin"
    [chain] = coin.chain_types
    assert chain.withdraw_fee == Decimal("0.0001") and chain.max_withdraw_quantity == Decimal(100)
    assert chain.allow_deposit and not chain.allow_withdraw


# --- captured live payloads: strings for times, missing fields ---------------------

MARKET_ROWS = {
    "GET /quote/v1/depth": E.DEPTH,
    "GET /quote/v1/klines": E.KLINES,
    "GET /quote/v1/ticker/24hr": E.TICKER_24HR,
    "GET /quote/v1/trades": E.TRADES,
}


@pytest.mark.parametrize("key", sorted(MARKET_ROWS))
def test_every_captured_market_payload_decodes(key: str) -> None:
    for payload in CAPTURED[key]:
        decoded = MARKET_ROWS[key].decoder.decode(json.dumps(payload).encode())
        assert decoded


def test_captured_values_are_exact_and_times_are_ints() -> None:
    book = E.DEPTH.decoder.decode(json.dumps(CAPTURED["GET /quote/v1/depth"][0]).encode())
    assert book.time == 1721909189304 and book.bids[1].price == Decimal("64125.18")
    [ticker] = E.TICKER_24HR.decoder.decode(
        json.dumps(CAPTURED["GET /quote/v1/ticker/24hr"][0]).encode()
    )
    assert ticker.time == 1721910147500 and ticker.inst_type == "SPOT"  # "it" absent: default
    assert ticker.quote_volume == Decimal("54553459.3478067")
    klines = E.KLINES.decoder.decode(json.dumps(CAPTURED["GET /quote/v1/klines"][0]).encode())
    assert klines[0].high == Decimal("64319") and klines[0].trade_count == 598
    [trade] = E.TRADES.decoder.decode(json.dumps(CAPTURED["GET /quote/v1/trades"][0]).encode())
    assert trade.time == 1723228261453 and trade.quantity == Decimal("0.00024")


def test_models_accept_numbers_for_strings_and_ignore_unknown_fields() -> None:
    [ticker] = E.TICKER_PRICE.decoder.decode(b'[{"s":"BTCUSDT","p":64000.5,"extra":{"x":1}}]')
    assert ticker.price == Decimal("64000.5")
    [trade] = E.TRADES.decoder.decode(b'[{"t":1,"p":0.1,"q":"3","new":true}]')
    assert trade.price == Decimal("0.1")  # exact, not the binary float nearest 0.1
    [kline] = E.KLINES.decoder.decode(b'[["1","1","2","0.5","1.5","10",2,"15",3,"4","5","future"]]')
    assert kline.open_time == 1 and kline.taker_buy_quote_volume == Decimal(5)
    [short] = E.KLINES.decoder.decode(b'[[1,"1","2","0.5","1.5","10"]]')
    assert short.close_time == 0 and short.trade_count == 0
    [top] = E.BOOK_TICKER.decoder.decode(b'[{"s":"BTCUSDT","t":"5"}]')
    assert top.bid_price is None and top.time == 5


def test_unknown_and_empty_filter_types_are_kept_raw_while_known_ones_decode() -> None:
    raw = (
        b'{"serverTime": 1, "symbols": [{"symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC",'
        b' "quoteAsset": "USDT", "filters": [{"filterType": "PRICE_FILTER", "tickSize": 0.01},'
        b' {"filterType": "ICEBERG_PARTS", "limit": 10}, {"filterType": "", "x": 1.5},'
        b' {"filterType": "MIN_NOTIONAL", "minNotional": "5"}]}]}'
    )
    info = E.EXCHANGE_INFO.decoder.decode(raw)
    symbol = info.symbol("BTCUSDT")
    assert symbol is not None
    assert symbol.filters == [
        PriceFilter(tick_size=Decimal("0.01")),
        MinNotionalFilter(min_notional=Decimal(5)),
    ]
    assert symbol.unknown_filters == [
        {"filterType": "ICEBERG_PARTS", "limit": 10},
        {"filterType": "", "x": Decimal("1.5")},
    ]
    price = symbol.filter(PriceFilter)
    assert price is not None and str(price.tick_size) == "0.01"  # a JSON float, read exactly
