"""``client.market``: exact request shapes of all ten public endpoints, typed results, local validation."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from mockrest import BASE, Recorder

from hashkey_async import HashKeyClient, InvalidParameterError, decode_stats
from hashkey_async.models.market import (
    BookTicker,
    Depth,
    ExchangeInfo,
    Kline,
    Ticker24hr,
    TickerPrice,
    Trade,
)
from hashkey_async.ratelimit import Bucket
from hashkey_async.signing import API_KEY_HEADER

BOOK = {"t": 1, "b": [["100.5", "1"]], "a": [["101", "2"]]}


@pytest.fixture
def mocked() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(mocked: Recorder) -> AsyncIterator[HashKeyClient]:
    # With credentials, to show public calls still send neither key nor signature.
    async with HashKeyClient("k" * 16, "s" * 32, base_url=BASE, transport=mocked.transport) as c:
        yield c


Case = tuple[
    Callable[[HashKeyClient], Awaitable[Any]], str, dict[str, str], object, Callable[[Any], bool]
]

CASES: dict[str, Case] = {
    "ping": (lambda c: c.market.ping(), "/api/v1/ping", {}, {}, lambda r: r is None),
    "server_time": (
        lambda c: c.market.server_time(),
        "/api/v1/time",
        {},
        {"serverTime": 1764229341307},
        lambda r: r == 1764229341307,
    ),
    "exchange_info": (
        lambda c: c.market.exchange_info(symbol="BTCUSDT", site="BMU"),
        "/api/v1/exchangeInfo",
        {"symbol": "BTCUSDT", "site": "BMU"},
        {"timezone": "UTC", "serverTime": 1, "symbols": [], "coins": []},
        lambda r: isinstance(r, ExchangeInfo),
    ),
    "exchange_info_all": (
        lambda c: c.market.exchange_info(),
        "/api/v1/exchangeInfo",
        {},
        {"symbols": []},
        lambda r: isinstance(r, ExchangeInfo),
    ),
    "depth": (
        lambda c: c.market.depth("BTCUSDT", limit=200),
        "/quote/v1/depth",
        {"symbol": "BTCUSDT", "limit": "200"},
        BOOK,
        lambda r: isinstance(r, Depth) and r.bids[0].price == Decimal("100.5"),
    ),
    "trades": (
        lambda c: c.market.trades("BTCUSDT", limit=1),
        "/quote/v1/trades",
        {"symbol": "BTCUSDT", "limit": "1"},
        [{"t": 1, "p": "1.5", "q": "2", "ibm": True}],
        lambda r: r == [Trade(1, Decimal("1.5"), Decimal(2), True)],
    ),
    "klines": (
        lambda c: c.market.klines("BTCUSDT", "1h", limit=2, start_time=10, end_time=20),
        "/quote/v1/klines",
        {"symbol": "BTCUSDT", "interval": "1h", "limit": "2", "startTime": "10", "endTime": "20"},
        [[1, "1", "2", "0.5", "1.5", "10", 0, "15", 3, "4", "5"]],
        lambda r: isinstance(r[0], Kline) and r[0].close == Decimal("1.5"),
    ),
    "ticker_24hr": (
        lambda c: c.market.ticker_24hr("BTCUSDT"),
        "/quote/v1/ticker/24hr",
        {"symbol": "BTCUSDT"},
        [{"t": 1, "s": "BTCUSDT", "c": "2"}],
        lambda r: isinstance(r[0], Ticker24hr) and r[0].last_price == 2,
    ),
    "ticker_24hr_all": (
        lambda c: c.market.ticker_24hr(),
        "/quote/v1/ticker/24hr",
        {},
        [],
        lambda r: r == [],
    ),
    "ticker_price": (
        lambda c: c.market.ticker_price("BTCUSDT"),
        "/quote/v1/ticker/price",
        {"symbol": "BTCUSDT"},
        [{"s": "BTCUSDT", "p": "3"}],
        lambda r: r == [TickerPrice("BTCUSDT", Decimal(3))],
    ),
    "book_ticker": (
        lambda c: c.market.book_ticker("BTCUSDT"),
        "/quote/v1/ticker/bookTicker",
        {"symbol": "BTCUSDT"},
        [{"s": "BTCUSDT", "b": "1", "bq": "2", "a": "3", "aq": "4", "t": 5}],
        lambda r: isinstance(r[0], BookTicker) and r[0].ask_quantity == 4,
    ),
    "merged_depth": (
        lambda c: c.market.merged_depth("BTCUSDT", limit=10, scale=0),
        "/quote/v1/depth/merged",
        {"symbol": "BTCUSDT", "limit": "10", "scale": "0"},
        BOOK,
        lambda r: isinstance(r, Depth) and r.asks[0].raw_quantity == "2",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_request_shape_and_typed_result(
    name: str, client: HashKeyClient, mocked: Recorder
) -> None:
    call, path, query, payload, check = CASES[name]
    mocked.on("GET", path, payload=payload)
    result = await call(client)
    assert check(result)
    [sent] = mocked.calls
    assert (sent.method, sent.path, sent.body) == ("GET", path, b"")
    assert list(sent.params.items()) == list(query.items())  # exactly these, in this order
    assert API_KEY_HEADER not in sent.headers and "Content-Type" not in sent.headers


async def test_public_calls_are_not_charged_to_the_key_buckets(
    client: HashKeyClient, mocked: Recorder
) -> None:
    mocked.on("GET", "/quote/v1/depth", payload=BOOK, repeat=True)
    for _ in range(25):  # far beyond 2/s query and 10/s order: no waiting, no sync
        await client.market.depth("BTCUSDT")
    for bucket in (Bucket.ORDER, Bucket.QUERY):
        window = client.limiter.window(bucket)
        assert window is not None and window.used(0.0) == 0
    assert {c.path for c in mocked.calls} == {"/quote/v1/depth"}


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.market.depth(""), "symbol"),
        (lambda c: c.market.depth("BTCUSDT", limit=201), "limit"),
        (lambda c: c.market.depth("BTCUSDT", limit=0), "limit"),
        (lambda c: c.market.trades("BTCUSDT", limit=101), "limit"),
        (lambda c: c.market.klines("BTCUSDT", "2m"), "interval"),
        (lambda c: c.market.klines("BTCUSDT", "1m", limit=1001), "limit"),
        (lambda c: c.market.klines("BTCUSDT", "1m", start_time=-1), "start_time"),
        (lambda c: c.market.merged_depth("BTCUSDT", scale=6), "scale"),
        (lambda c: c.market.book_ticker(None), "symbol"),
        (lambda c: c.market.ticker_price(""), "symbol"),
        (lambda c: c.market.depth("BTCUSDT", limit=True), "limit"),
    ],
)
async def test_bad_arguments_raise_before_any_request(
    call: Callable[[HashKeyClient], Awaitable[Any]],
    field: str,
    client: HashKeyClient,
    mocked: Recorder,
) -> None:
    with pytest.raises(InvalidParameterError) as info:
        await call(client)
    assert info.value.field == field and isinstance(info.value, ValueError)
    assert mocked.calls == []


async def test_exchange_info_survives_a_filter_type_it_does_not_know(
    client: HashKeyClient, mocked: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    symbol = {"symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "quoteAsset": "USDT"}
    filters = [
        {"filterType": "NEW_RULE", "x": 1},
        {"filterType": "LOT_SIZE", "minQty": "1", "maxQty": "9", "stepSize": "1"},
    ]
    mocked.on("GET", "/api/v1/exchangeInfo", payload={"symbols": [{**symbol, "filters": filters}]})
    decode_stats().reset()
    with caplog.at_level(logging.WARNING, logger="hashkey_async.decode"):
        info = await client.market.exchange_info()
    [only] = info.symbols
    assert [type(f).__name__ for f in only.filters] == ["LotSizeFilter"]
    assert only.unknown_filters == [{"filterType": "NEW_RULE", "x": 1}]
    assert decode_stats().snapshot()["fallbacks"] == {("SymbolInfo", "filters"): 1}
    assert [r.getMessage() for r in caplog.records if "SymbolInfo.filters" in r.getMessage()]
