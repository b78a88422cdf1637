"""The offline exchange's REST side: the gate (pure), then a real server and real requests."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any, Final

import aiohttp
import pytest

from hashkey_async import (
    AuthenticationError,
    ExecutionStatusUnknown,
    HashKeyClient,
    OrderNotFoundError,
    RateLimitError,
)
from hashkey_async.models.stream import ExecutionReport, TicketInfo
from hashkey_async.params import encode_query
from hashkey_async.rest.endpoints import ENDPOINTS, Bucket
from hashkey_async.signing import sign
from hashkey_async.testing import ExchangeConfig, OfflineExchange
from hashkey_async.testing.rest.call import strip_signature
from hashkey_async.testing.rest.gate import RateGate

D = Decimal
FAST = {"order_rate": 1000, "query_rate": 1000}
#: A valid BTCUSDT limit buy well below the market (it rests).
LIMIT_ORDER: Final = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "quantity": "0.01",
    "price": "50000",
}

# --- pure pieces ------------------------------------------------------------------------


def test_strip_signature_keeps_everything_else_in_order() -> None:
    assert strip_signature("a=1&signature=ab&b=2") == ("a=1&b=2", "ab")
    assert strip_signature("a=1&b=2") == ("a=1&b=2", None)
    assert strip_signature("") == ("", None)


def test_gate_allows_the_reference_rates_then_429s_and_suspends() -> None:
    gate = RateGate(ExchangeConfig(suspend_seconds=60.0))
    assert all(gate.check("ip", "k", Bucket.ORDER, 10.0 + i / 100) is None for i in range(10))
    verdict = gate.check("ip", "k", Bucket.ORDER, 10.5)
    assert verdict is not None and (verdict.status, verdict.code) == (429, "-1015")
    assert verdict.retry_after == 60.0
    # the queries bucket is separate: 2 per second, then 0003
    assert gate.check("ip", "k", Bucket.QUERY, 10.5) is None
    assert gate.check("ip", "k", Bucket.QUERY, 10.6) is None
    verdict = gate.check("ip", "k", Bucket.QUERY, 10.7)
    assert verdict is not None and (verdict.status, verdict.code) == (429, "0003")
    # another key has its own buckets; public calls are never counted per key
    assert gate.check("ip", "other", Bucket.ORDER, 10.7) is None
    assert all(gate.check("ip", "k", Bucket.PUBLIC, 10.7) is None for _ in range(50))
    # the suspended bucket stays closed after the window rolls, until the minute is over
    verdict = gate.check("ip", "k", Bucket.ORDER, 30.0)
    assert verdict is not None and verdict.status == 429
    assert verdict.retry_after == pytest.approx(40.5)
    assert gate.check("ip", "k", Bucket.ORDER, 70.6) is None


def test_gate_bans_the_ip_after_ban_after_429s_in_a_row() -> None:
    gate = RateGate(ExchangeConfig(ban_after=3, ban_seconds=120.0, suspend_seconds=1.0))
    for i in range(2):
        assert gate.check("ip", "k", Bucket.QUERY, i / 10) is None
    statuses = []
    for _ in range(4):
        verdict = gate.check("ip", "k", Bucket.QUERY, 0.5)
        assert verdict is not None
        statuses.append(verdict)
    assert [v.status for v in statuses] == [429, 429, 429, 418]
    banned = gate.banned("ip", 100.0)
    assert banned is not None and banned.status == 418
    assert banned.retry_after == pytest.approx(20.5)
    assert gate.banned("other-ip", 100.0) is None
    assert gate.banned("ip", 120.6) is None


def test_gate_can_be_switched_off() -> None:
    gate = RateGate(ExchangeConfig(enforce_rate_limits=False))
    assert all(gate.check("ip", "k", Bucket.ORDER, 1.0) is None for _ in range(100))


def test_every_endpoint_row_has_a_route() -> None:
    exchange = OfflineExchange()
    routes = {
        (route.method, route.resource.canonical)
        for route in exchange.app.router.routes()
        if route.resource is not None
    }
    assert set(ENDPOINTS) <= routes
    aliases = {(row.method, alias) for row in ENDPOINTS.values() for alias in row.aliases}
    assert ("POST", "/api/v1/spot/order") in aliases
    assert aliases <= routes


# --- a real server, raw requests ----------------------------------------------------------


class Raw:
    """Signs and sends requests by hand, so tests control every byte."""

    def __init__(self, exchange: OfflineExchange, session: aiohttp.ClientSession) -> None:
        self.ex = exchange
        self.session = session

    def query(self, params: dict[str, Any], *, timestamp: int | None = None) -> str:
        items = dict(params)
        items.setdefault("timestamp", self.ex.now_ms() if timestamp is None else timestamp)
        return encode_query(items)

    async def send(
        self,
        method: str,
        path: str,
        query: str = "",
        body: bytes = b"",
        *,
        key: str | None = None,
        content_type: str | None = None,
        key_header: str = "X-HK-APIKEY",
    ) -> tuple[int, Any, dict[str, str]]:
        headers = {key_header: key or self.ex.api_key}
        if content_type:
            headers["Content-Type"] = content_type
        url = self.ex.rest_url + path + (f"?{query}" if query else "")
        async with self.session.request(
            method, aiohttp.client.URL(url, encoded=True), data=body or None, headers=headers
        ) as response:
            return response.status, await response.json(), dict(response.headers)

    async def signed(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        secret: str | None = None,
        json_body: Any = None,
        timestamp: int | None = None,
        key_header: str = "X-HK-APIKEY",
    ) -> tuple[int, Any]:
        query = self.query(params or {}, timestamp=timestamp)
        body = json.dumps(json_body).encode() if json_body is not None else b""
        signature = sign(secret or self.ex.api_secret, query, body)
        status, data, _ = await self.send(
            method,
            path,
            f"{query}&signature={signature}",
            body,
            content_type="application/json" if json_body is not None else None,
            key_header=key_header,
        )
        return status, data


@pytest.fixture
async def raw_exchange(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[OfflineExchange, Raw]]:
    overrides = getattr(request, "param", FAST)
    async with OfflineExchange(**overrides) as exchange, aiohttp.ClientSession() as session:
        yield exchange, Raw(exchange, session)


async def test_unknown_or_missing_key_is_refused(raw_exchange: tuple[OfflineExchange, Raw]) -> None:
    ex, raw = raw_exchange
    status, data, _ = await raw.send("GET", "/api/v1/account", raw.query({}), key="nope")
    assert (status, data["code"]) == (400, "0102")
    # public endpoints need no key at all
    async with raw.session.get(ex.rest_url + "/api/v1/time") as response:
        assert response.status == 200
        assert abs((await response.json())["serverTime"] - ex.now_ms()) < 5000


async def test_the_key_may_come_in_x_apikey_as_the_reference_table_names_it(
    raw_exchange: tuple[OfflineExchange, Raw],
) -> None:
    ex, raw = raw_exchange
    status, data = await raw.signed("GET", "/api/v1/account", key_header="X-APIKEY")
    assert status == 200
    assert {b["asset"] for b in data["balances"]} == set(ex.config.balances)
    status, placed = await raw.signed(
        "POST", "/api/v1.1/spot/order", LIMIT_ORDER, key_header="X-APIKEY"
    )
    assert (status, placed["status"]) == (200, "NEW")
    # the header is still checked: an unknown key under either name is refused
    for header in ("X-APIKEY", "X-HK-APIKEY"):
        status, data, _ = await raw.send(
            "GET", "/api/v1/account", raw.query({}), key="nope", key_header=header
        )
        assert (status, data["code"]) == (400, "0102")


@pytest.mark.parametrize(
    "path", ["/api/v1.1/spot/order", "/api/v1/spot/order", "/openapi/v1/order"]
)
async def test_orders_are_created_on_every_path_the_reference_examples_use(
    raw_exchange: tuple[OfflineExchange, Raw], path: str
) -> None:
    _, raw = raw_exchange
    status, placed = await raw.signed("POST", path, {**LIMIT_ORDER, "newClientOrderId": "p1"})
    assert (status, placed["clientOrderId"], placed["status"]) == (200, "p1", "NEW")
    _, open_orders = await raw.signed("GET", "/api/v1/spot/openOrders")
    assert [o["orderId"] for o in open_orders] == [placed["orderId"]]
    # an alias runs the same checks as the canonical path
    status, data = await raw.signed("POST", path, {**LIMIT_ORDER, "newClientOrderId": "p1"})
    assert (status, data["code"]) == (400, "-1141")


async def test_wrong_secret_and_tampered_query_fail_the_signature(
    raw_exchange: tuple[OfflineExchange, Raw],
) -> None:
    ex, raw = raw_exchange
    status, data = await raw.signed("GET", "/api/v1/account", secret="wrong")
    assert (status, data["code"], data["msg"]) == (400, "0001", "Incorrect signature")
    query = raw.query({"symbol": "BTCUSDT"})
    signature = sign(ex.api_secret, query, b"")
    tampered = query.replace("BTCUSDT", "ETHUSDT") + f"&signature={signature}"
    status, data, _ = await raw.send("GET", "/api/v1/spot/openOrders", tampered)
    assert (status, data["code"]) == (400, "0001")
    missing = await raw.send("GET", "/api/v1/spot/openOrders", query)
    assert (missing[0], missing[1]["code"]) == (400, "0001")
    # and the same request, correctly signed, passes
    status, data, _ = await raw.send(
        "GET", "/api/v1/spot/openOrders", f"{query}&signature={signature}"
    )
    assert (status, data) == (200, [])


# The reference's worked examples ("Signature Authentication"), with its key and secret.
REF_KEY = "tAQfOrPIZAhym0qHISRt8EFvxPemdBm5j5WMlkm3Ke9aFp0EGWC2CGM8GHV4kCYW"
REF_SECRET = "lH3ELTNiFxCQTmi9pPcWWikhsjO04Yoqw3euoHUuOLC3GYBW64ZqzQsiOEHXQS76"
REF_PARAMS = "symbol=ETHBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
REF_TAIL = "recvWindow=5000&timestamp=1538323200000"
REF_SIG_1 = "5f2750ad7589d1d40757a55342e621a44037dad23b5128cc70e18ec1d1c3f4c6"
REF_SIG_3 = "885c9e3dd89ccd13408b25e6d54c2330703759d7494bea6dd5a3d1fd16ba3afa"


@pytest.mark.parametrize(
    ("query", "body"),
    [
        (f"{REF_PARAMS}&{REF_TAIL}&signature={REF_SIG_1}", ""),  # example 1: query string
        ("", f"{REF_PARAMS}&{REF_TAIL}&signature={REF_SIG_1}"),  # example 2: form body
        (  # example 3: the first four parameters in the query, the rest in the body
            "symbol=ETHBTC&side=BUY&type=LIMIT&timeInForce=GTC",
            f"quantity=1&price=0.1&{REF_TAIL}&signature={REF_SIG_3}",
        ),
    ],
    ids=["query", "body", "mixed"],
)
async def test_reference_signature_examples_are_accepted(
    raw_exchange: tuple[OfflineExchange, Raw], query: str, body: str
) -> None:
    ex, raw = raw_exchange
    ex.engine.add_user(REF_KEY, REF_SECRET)
    ex.skew_clock(1538323200000 + 10 - int(time.time() * 1000))
    status, data, _ = await raw.send(
        "POST",
        "/api/v1.1/spot/order",
        query,
        body.encode(),
        key=REF_KEY,
        content_type="application/x-www-form-urlencoded" if body else None,
    )
    # signature and timestamp pass; only the symbol (not listed offline) is refused
    assert (status, data["code"]) == (400, "0201")


async def test_timestamp_outside_recv_window_is_minus_1021(
    raw_exchange: tuple[OfflineExchange, Raw],
) -> None:
    ex, raw = raw_exchange
    now = ex.now_ms()
    for stamp, params, ok in [
        (now - 6000, {}, False),  # older than the default 5000 ms window
        (now - 6000, {"recvWindow": 10000}, True),  # a wider window admits it
        (now + 1500, {}, False),  # more than 1 s ahead of the server
        (now + 500, {}, True),
        (now - 100, {"recvWindow": 50}, False),
    ]:
        status, data = await raw.signed("GET", "/api/v1/account", params, timestamp=stamp)
        if ok:
            assert status == 200, data
        else:
            assert (status, data["code"]) == (400, "-1021"), (stamp - now, params)


async def test_clock_skew_fault_shifts_the_window(
    raw_exchange: tuple[OfflineExchange, Raw],
) -> None:
    ex, raw = raw_exchange
    ex.skew_clock(-30_000)
    status, data = await raw.signed("GET", "/api/v1/account", timestamp=int(time.time() * 1000))
    assert (status, data["code"]) == (400, "-1021")
    status, _ = await raw.signed("GET", "/api/v1/account")  # stamped with the server's clock
    assert status == 200


@pytest.mark.parametrize(
    "raw_exchange", [{"ban_after": 3, "ban_seconds": 60.0, "suspend_seconds": 60.0}], indirect=True
)
async def test_queries_beyond_2_per_second_get_429_then_418(
    raw_exchange: tuple[OfflineExchange, Raw],
) -> None:
    ex, raw = raw_exchange
    ex.rest.monotonic = lambda: 1000.0  # every request inside one second, however slow the box
    statuses = []
    codes = []
    for _ in range(6):
        status, data = await raw.signed("GET", "/api/v1/account")
        statuses.append(status)
        codes.append(data.get("code") if isinstance(data, dict) and status != 200 else None)
    assert statuses == [200, 200, 429, 429, 429, 418]
    assert codes[2] == "0003"
    _, _, headers = await raw.send("GET", "/api/v1/ping")
    status, data, headers = await raw.send("GET", "/api/v1/ping")
    assert status == 418  # the ban covers the whole IP, public calls included
    assert float(headers["Retry-After"]) == pytest.approx(60.0)


@pytest.mark.parametrize(
    "raw_exchange", [{"ban_after": 100, "suspend_seconds": 60.0}], indirect=True
)
async def test_orders_beyond_10_per_second_get_429_with_minus_1015(
    raw_exchange: tuple[OfflineExchange, Raw],
) -> None:
    ex, raw = raw_exchange
    ex.rest.monotonic = lambda: 5.0
    order = {**LIMIT_ORDER, "quantity": "0.001"}
    results = [await raw.signed("POST", "/api/v1.1/spot/order", order) for _ in range(11)]
    assert [s for s, _ in results] == [200] * 10 + [429]
    assert results[-1][1]["code"] == "-1015"
    ex.rest.monotonic = lambda: 64.9  # still inside the minute of suspension
    assert (await raw.signed("POST", "/api/v1.1/spot/order", order))[0] == 429
    ex.rest.monotonic = lambda: 65.0  # suspension over, the window has rolled
    assert (await raw.signed("POST", "/api/v1.1/spot/order", order))[0] == 200


async def test_order_validation_uses_the_reference_codes(
    raw_exchange: tuple[OfflineExchange, Raw],
) -> None:
    _, raw = raw_exchange
    base = LIMIT_ORDER
    cases: list[tuple[dict[str, Any], str]] = [
        ({"symbol": None}, "0001"),
        ({"symbol": "NOPE"}, "0201"),
        ({"side": "HOLD"}, "-1117"),
        ({"type": "STOP"}, "0206"),
        ({"timeInForce": "DAY"}, "-1115"),
        ({"type": "MARKET", "timeInForce": "GTC", "price": None}, "-1115"),
        ({"price": None}, "0001"),
        ({"price": "-1"}, "-1124"),
        ({"price": "50000.001"}, "0209"),
        ({"quantity": "0.000001"}, "-1137"),
        ({"quantity": "abc"}, "-1126"),
        ({"quantity": "1000"}, "-1135"),
        ({"price": "0.01"}, "-1140"),
        ({"type": "MARKET", "price": None, "amount": "100"}, "-1129"),
        ({"stpMode": "NEVER"}, "-1130"),
        ({"newClientOrderId": "x" * 256}, "-1123"),
        ({"quantity": "100", "price": "60000"}, "0401"),
        ({"type": "LIMIT_MAKER", "price": "90000"}, "-1156"),
    ]
    for change, code in cases:
        params = {k: v for k, v in {**base, **change}.items() if v is not None}
        status, data = await raw.signed("POST", "/api/v1.1/spot/order", params)
        assert (status, data.get("code")) == (400, code), change
        status, data = await raw.signed("POST", "/api/v1/spot/orderTest", params)
        if code not in ("0401", "-1156"):  # the test endpoint only validates parameters
            assert (status, data.get("code")) == (400, code), change
    status, data = await raw.signed("POST", "/api/v1/spot/orderTest", base)
    assert (status, data) == (200, {})


async def test_batch_orders_take_a_json_array_with_per_item_results(
    raw_exchange: tuple[OfflineExchange, Raw],
) -> None:
    _, raw = raw_exchange
    good = LIMIT_ORDER
    bad = {**good, "quantity": "-1"}
    status, data = await raw.signed("POST", "/api/v1.1/spot/batchOrders", json_body=[good, bad])
    assert status == 200 and data["code"] == 0
    assert data["result"][0]["code"] == "0000" and data["result"][0]["order"]["status"] == "NEW"
    assert data["result"][1]["code"] == "-1126"
    status, data = await raw.signed("POST", "/api/v1.1/spot/batchOrders", json_body=[good] * 21)
    assert (status, data["code"]) == (400, "-2022")
    eth = {**good, "symbol": "ETHUSDT", "price": "2000"}
    status, data = await raw.signed("POST", "/api/v1.1/spot/batchOrders", json_body=[good, eth])
    assert (status, data["code"]) == (400, "-1130")
    _, open_orders = await raw.signed("GET", "/api/v1/spot/openOrders")
    assert len(open_orders) == 1


async def test_batch_numbers_are_read_exactly_not_as_floats(
    raw_exchange: tuple[OfflineExchange, Raw],
) -> None:
    ex, raw = raw_exchange
    # As a float, 50000.000000000000001 would be 50000.0: on the tick grid, and accepted.
    body = (
        b'[{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":0.01,"price":50000.01},'
        b'{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":0.01,'
        b'"price":50000.000000000000001}]'
    )
    query = raw.query({})
    status, data, _ = await raw.send(
        "POST",
        "/api/v1.1/spot/batchOrders",
        f"{query}&signature={sign(ex.api_secret, query, body)}",
        body,
        content_type="application/json",
    )
    assert status == 200
    first, second = data["result"]
    assert first["code"] == "0000" and first["order"]["price"] == "50000.01"
    assert first["order"]["origQty"] == "0.01"
    assert second["code"] == "0209"


async def test_cancel_paths_reflect_engine_state(raw_exchange: tuple[OfflineExchange, Raw]) -> None:
    _, raw = raw_exchange
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01"}
    ids = []
    for price in ("50000", "50001", "50002", "50003"):
        _, data = await raw.signed("POST", "/api/v1.1/spot/order", {**order, "price": price})
        ids.append(data["orderId"])
    status, data = await raw.signed("DELETE", "/api/v1/spot/order", {"orderId": ids[0]})
    assert (status, data["status"]) == (200, "CANCELED")
    status, data = await raw.signed("DELETE", "/api/v1/spot/order", {"orderId": ids[0]})
    assert (status, data["code"]) == (400, "-1142")
    status, data = await raw.signed("DELETE", "/api/v1/spot/order", {"orderId": "12345"})
    assert (status, data["code"]) == (400, "0211")
    status, data = await raw.signed("DELETE", "/api/v1/spot/order", {})
    assert (status, data["code"]) == (400, "0001")
    status, data = await raw.signed(
        "DELETE", "/api/v1/spot/cancelOrderByIds", {"ids": f"{ids[1]},{ids[0]},999"}
    )
    assert data == {
        "code": "0000",
        "result": [{"orderId": ids[0], "code": "0212"}, {"orderId": "999", "code": "0211"}],
    }
    status, data = await raw.signed("DELETE", "/api/v1/spot/cancelAllOpenOrders", {"limit": 1})
    assert data["code"] == "0000" and str(data["lastOrderId"]) == ids[3]
    status, data = await raw.signed("DELETE", "/api/v1/spot/openOrders", {"symbol": "BTCUSDT"})
    assert data == {"success": True}
    _, open_orders = await raw.signed("GET", "/api/v1/spot/openOrders")
    assert open_orders == []
    _, history = await raw.signed("GET", "/api/v1/spot/tradeOrders", {"limit": 2})
    assert [o["orderId"] for o in history] == [ids[3], ids[2]]
    _, page = await raw.signed("GET", "/api/v1/spot/tradeOrders", {"fromOrderId": ids[2]})
    assert [o["orderId"] for o in page] == [ids[1], ids[0]]


async def test_public_parameters_are_checked(raw_exchange: tuple[OfflineExchange, Raw]) -> None:
    _, raw = raw_exchange
    cases = [
        ("/quote/v1/depth", "", "0001"),
        ("/quote/v1/depth", "symbol=NOPE", "0201"),
        ("/quote/v1/depth", "symbol=BTCUSDT&limit=abc", "-1130"),
        ("/quote/v1/depth/merged", "symbol=BTCUSDT&scale=9", "-1130"),
        ("/quote/v1/klines", "symbol=BTCUSDT", "0001"),
        ("/quote/v1/klines", "symbol=BTCUSDT&interval=7m", "-1130"),
        ("/quote/v1/trades", "symbol=BTCUSDT&limit=0", "-1130"),
    ]
    for path, query, code in cases:
        status, data, _ = await raw.send("GET", path, query)
        assert (status, data["code"]) == (400, code), (path, query)
    status, data, _ = await raw.send("GET", "/quote/v1/depth", "symbol=BTCUSDT&limit=500")
    assert status == 200 and len(data["b"]) == len(data["a"]) == 200  # capped at the maximum
    status, data, _ = await raw.send("GET", "/quote/v1/trades", "symbol=ETHUSDT")
    assert status == 200 and len(data) >= 60  # a minute of history before start


async def test_listen_key_calls_check_ownership_and_expiry(
    raw_exchange: tuple[OfflineExchange, Raw],
) -> None:
    ex, raw = raw_exchange
    status, data = await raw.signed("POST", "/api/v1/userDataStream")
    key = data["listenKey"]
    assert status == 200 and len(key) == 64
    assert (await raw.signed("PUT", "/api/v1/userDataStream", {"listenKey": key})) == (200, {})
    status, data = await raw.signed("PUT", "/api/v1/userDataStream", {"listenKey": "nope"})
    assert (status, data["code"]) == (400, "-1130")
    status, data = await raw.signed("PUT", "/api/v1/userDataStream")
    assert (status, data["code"]) == (400, "0001")
    ex.add_account("eve", "eve-secret")
    query = raw.query({"listenKey": key})
    signature = sign("eve-secret", query, b"")
    status, data, _ = await raw.send(
        "DELETE", "/api/v1/userDataStream", f"{query}&signature={signature}", key="eve"
    )
    assert (status, data["code"]) == (400, "-1130")  # not eve's key
    ex.skew_clock(int(ex.config.listen_key_ttl * 1000))
    status, data = await raw.signed("PUT", "/api/v1/userDataStream", {"listenKey": key})
    assert (status, data["code"]) == (400, "-1130")  # expired after the TTL
    assert key not in ex.engine.listen_keys


# --- fault switches -----------------------------------------------------------------------


async def test_fail_next_orders_after_effect_answers_5xx_but_the_order_exists(
    raw_exchange: tuple[OfflineExchange, Raw],
) -> None:
    ex, raw = raw_exchange
    order = LIMIT_ORDER
    ex.fail_next_orders(2, after_effect=True, status=503)
    for client_id in ("a1", "a2"):
        status, _ = await raw.signed(
            "POST", "/api/v1.1/spot/order", {**order, "newClientOrderId": client_id}
        )
        assert status == 503
    status, _ = await raw.signed(
        "POST", "/api/v1.1/spot/order", {**order, "newClientOrderId": "a3"}
    )
    assert status == 200  # the switch counts down
    _, open_orders = await raw.signed("GET", "/api/v1/spot/openOrders")
    assert sorted(o["clientOrderId"] for o in open_orders) == ["a1", "a2", "a3"]


async def test_fail_next_orders_before_effect_answers_5xx_and_nothing_happens(
    raw_exchange: tuple[OfflineExchange, Raw],
) -> None:
    ex, raw = raw_exchange
    order = LIMIT_ORDER
    _, placed = await raw.signed("POST", "/api/v1.1/spot/order", order)
    ex.fail_next_orders(2, after_effect=False)
    status, _ = await raw.signed("DELETE", "/api/v1/spot/order", {"orderId": placed["orderId"]})
    assert status == 500
    status, _ = await raw.signed("POST", "/api/v1.1/spot/batchOrders", json_body=[order])
    assert status == 500
    status, _ = await raw.signed("GET", "/api/v1/spot/openOrders")  # queries are not order calls
    _, open_orders = await raw.signed("GET", "/api/v1/spot/openOrders")
    assert [o["orderId"] for o in open_orders] == [placed["orderId"]]


async def _post_order_raw(raw: Raw, params: dict[str, Any]) -> tuple[int, bytes]:
    """POST a signed order and return the status and the undecoded body."""
    query = raw.query(params)
    url = f"{raw.ex.rest_url}/api/v1.1/spot/order?{query}&signature={sign(raw.ex.api_secret, query, b'')}"
    headers = {"X-HK-APIKEY": raw.ex.api_key}
    async with raw.session.post(aiohttp.client.URL(url, encoded=True), headers=headers) as resp:
        return resp.status, await resp.read()


async def test_corrupt_next_order_answers_takes_effect_and_answers_an_undecodable_200(
    raw_exchange: tuple[OfflineExchange, Raw],
) -> None:
    ex, raw = raw_exchange
    ex.corrupt_next_order_answers(1)
    # a call the engine rejects answers its error and does not use the fault up
    status, body = await _post_order_raw(raw, {**LIMIT_ORDER, "price": "50000.001"})
    assert (status, json.loads(body)["code"]) == (400, "0209")
    status, body = await _post_order_raw(raw, {**LIMIT_ORDER, "newClientOrderId": "c1"})
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(body)
    status, body = await _post_order_raw(raw, {**LIMIT_ORDER, "newClientOrderId": "c2"})
    assert (status, json.loads(body)["clientOrderId"]) == (200, "c2")  # the switch counts down
    _, open_orders = await raw.signed("GET", "/api/v1/spot/openOrders")
    assert sorted(o["clientOrderId"] for o in open_orders) == ["c1", "c2"]


async def test_corrupt_next_order_answers_can_send_json_without_the_order_ids(
    raw_exchange: tuple[OfflineExchange, Raw],
) -> None:
    ex, raw = raw_exchange
    ex.corrupt_next_order_answers(2, body=b'{"code": 0}')
    status, body = await _post_order_raw(raw, {**LIMIT_ORDER, "newClientOrderId": "j1"})
    assert (status, json.loads(body)) == (200, {"code": 0})
    _, open_orders = await raw.signed("GET", "/api/v1/spot/openOrders")
    [order] = open_orders
    status, data = await raw.signed("DELETE", "/api/v1/spot/order", {"orderId": order["orderId"]})
    assert (status, data) == (200, {"code": 0})  # cancels are order calls too
    _, after = await raw.signed("GET", "/api/v1/spot/order", {"orderId": order["orderId"]})
    assert after["status"] == "CANCELED"
    assert ex.faults.corrupt_orders == 0


async def test_a_second_account_trades_against_the_default_one(
    client_exchange: tuple[OfflineExchange, HashKeyClient],
) -> None:
    ex, alice = client_exchange
    ex.add_account("bob-key", "bob-secret", {"BTC": "1"})
    async with ex.client(api_key="bob-key", api_secret="bob-secret") as bob:
        ask = ex.feeds.book("BTCUSDT", "SELL")[0][0] - D("0.01")
        sell = await bob.spot.create_order(
            "BTCUSDT", "SELL", "LIMIT", quantity="0.5", price=str(ask)
        )
        buy = await alice.spot.create_order(
            "BTCUSDT", "BUY", "LIMIT", quantity="0.2", price=str(ask + 100)
        )
        assert (buy.status, buy.executed_qty) == ("FILLED", D("0.2"))
        mine = await bob.spot.get_order(order_id=sell.order_id)
        assert (mine.status, mine.executed_qty) == ("PARTIALLY_FILLED", D("0.2"))
        with pytest.raises(OrderNotFoundError):  # alice cannot see bob's order
            await alice.spot.get_order(order_id=sell.order_id)
        fills = await bob.account.trades()
        assert [(f.price, f.quantity, f.is_maker) for f in fills] == [(ask, D("0.2"), True)]
        held = {b.asset: b for b in (await bob.account.balances()).balances}
        assert (held["BTC"].free, held["BTC"].locked) == (D("0.5"), D("0.3"))
        assert held["USDT"].free == ask * D("0.2") * (1 - D("0.0012"))


async def test_rate_limit_storm_answers_429_to_signed_calls_only(
    raw_exchange: tuple[OfflineExchange, Raw],
) -> None:
    ex, raw = raw_exchange
    ex.rate_limit_storm(3)
    assert (await raw.send("GET", "/api/v1/ping"))[0] == 200
    results = [await raw.signed("GET", "/api/v1/account") for _ in range(4)]
    assert [s for s, _ in results] == [429, 429, 429, 200]
    assert results[0][1]["code"] == "0003"
    assert ex.faults.rate_limit_storm == 0


# --- through the SDK client ---------------------------------------------------------------


@pytest.fixture
async def client_exchange() -> AsyncIterator[tuple[OfflineExchange, HashKeyClient]]:
    async with OfflineExchange(**FAST) as exchange, exchange.client() as client:
        yield exchange, client


async def test_every_endpoint_answers_what_the_sdk_models_decode(
    client_exchange: tuple[OfflineExchange, HashKeyClient],
) -> None:
    ex, client = client_exchange
    now = ex.now_ms()
    await client.market.ping()
    assert abs(await client.market.server_time() - now) < 5000
    info = await client.market.exchange_info()
    assert {s.symbol for s in info.symbols} == set(ex.config.symbols)
    book = await client.market.depth("BTCUSDT", limit=5)
    assert len(book.bids) == 5
    await client.market.trades("BTCUSDT", limit=10)
    await client.market.klines("BTCUSDT", "1m", limit=3)
    assert len(await client.market.ticker_24hr()) == 2
    await client.market.ticker_price("ETHUSDT")
    top = (await client.market.book_ticker("BTCUSDT"))[0]
    await client.market.merged_depth("BTCUSDT", limit=3, scale=1)

    await client.spot.test_order("BTCUSDT", "BUY", "LIMIT", quantity="0.01", price="50000")
    resting = await client.spot.create_order(
        "BTCUSDT", "BUY", "LIMIT", quantity="0.01", price="50000"
    )
    assert resting.status == "NEW" and resting.price == D(50000)
    taker = await client.spot.create_order("BTCUSDT", "BUY", "MARKET", amount="100")
    assert taker.status == "FILLED"
    batch = await client.spot.create_orders(
        [
            {
                "symbol": "BTCUSDT",
                "side": "SELL",
                "type": "LIMIT",
                "quantity": "0.01",
                "price": "90000",
            },
        ]
    )
    assert batch is not None
    got = await client.spot.get_order(order_id=resting.order_id)
    assert got.order_id == resting.order_id
    assert len(await client.spot.open_orders()) == 2
    assert len(await client.spot.trade_orders()) == 3
    cancelled = await client.spot.cancel_order(order_id=resting.order_id)
    assert cancelled.status == "CANCELED"
    with pytest.raises(OrderNotFoundError):
        await client.spot.get_order(order_id=1)
    await client.spot.cancel_orders_by_ids([resting.order_id])
    await client.spot.cancel_all_open_orders()
    await client.spot.cancel_open_orders("BTCUSDT")

    trades = await client.account.trades()
    assert trades and all(t.order_id == taker.order_id for t in trades)
    assert sum(t.quantity for t in trades) == taker.executed_qty
    vip = await client.account.vip_info()
    assert vip.trade_vol_30_day == sum(t.price * t.quantity for t in trades)
    assert {f.symbol for f in vip.data} == set(ex.config.symbols)
    held = {b.asset: b for b in (await client.account.balances()).balances}
    bought = taker.executed_qty - sum(t.commission for t in trades)
    assert held["BTC"].free == D(10) + bought and held["BTC"].locked == 0
    types = await client.account.types()
    custody = next(t for t in types if t.account_type == 5)
    main = next(t for t in types if t.account_type == 1 and t.account_index == 0)
    sub = next(t for t in types if t.account_index == 1)
    await client.account.transfer(main.account_id, custody.account_id, "USDT", "25")
    assert (await client.account.api_key_type()).account_type == "Master Account"
    assert await client.account.fiat_history("deposit", now - 1000, now + 60_000) == []
    flows = await client.account.balance_flow(now - 1000, now + 60_000)
    assert len(flows) == 2
    await client.account.chain_types("USDT")
    await client.account.coin_info("USDT")

    await client.subaccount.open_orders(sub.account_id)
    await client.subaccount.trade_orders(sub.account_id)
    await client.subaccount.trades(sub_account_id=sub.account_id)

    await client.wallet.deposit_address("USDT", "ETH")
    assert await client.wallet.deposits() == []
    await client.wallet.authenticate_address(
        "0xabc", "OKX", sender_first_name="A", sender_last_name="B"
    )
    await client.wallet.withdraw("USDT", "0x" + "1" * 40, "10", "ETH", client_order_id="w1")
    withdrawals = await client.wallet.withdrawals()
    assert len(withdrawals) == 1

    key = await client.user_stream.create()
    await client.user_stream.keepalive(key)
    await client.user_stream.delete(key)
    assert ex.engine.listen_keys.owner(key) is None
    assert top is not None


async def test_client_sees_signature_errors_and_injected_5xx_as_the_right_errors(
    client_exchange: tuple[OfflineExchange, HashKeyClient],
) -> None:
    ex, _ = client_exchange
    async with HashKeyClient(ex.api_key, "wrong-secret", base_url=ex.rest_url) as bad:
        with pytest.raises(AuthenticationError):
            await bad.account.balances()
    async with ex.client() as client:
        # after effect: the SDK's create_order reconciles by client order id and finds it
        ex.fail_next_orders(1, after_effect=True)
        order = await client.spot.create_order(
            "BTCUSDT", "BUY", "LIMIT", quantity="0.01", price="50000", client_order_id="f1"
        )
        assert (order.client_order_id, order.status) == ("f1", "NEW")
        # before effect: nothing to find, so the outcome stays unknown to the caller
        ex.fail_next_orders(1, after_effect=False)
        with pytest.raises(ExecutionStatusUnknown):
            await client.spot.cancel_order(order_id=order.order_id)
        assert ex.engine.orders[order.order_id].status == "NEW"
        ex.rate_limit_storm(100)
        with pytest.raises(RateLimitError):
            await client.account.balances()


async def test_crossing_limit_order_fills_and_the_private_stream_reports_it(
    client_exchange: tuple[OfflineExchange, HashKeyClient],
) -> None:
    ex, client = client_exchange
    seen: list[Any] = []
    async with client.stream.user() as events:
        async with asyncio.timeout(10):
            await _wait_connected(ex)
            ask = ex.feeds.book("BTCUSDT", "SELL")[0][0]
            order = await client.spot.create_order(
                "BTCUSDT", "BUY", "LIMIT", quantity="0.001", price=str(ask)
            )
            async for event in events:
                seen.append(event)
                if isinstance(event, TicketInfo):
                    break
    assert order.status == "FILLED"
    report = next(e for e in seen if isinstance(e, ExecutionReport) and e.status == "FILLED")
    assert (report.order_id, report.last_executed_price) == (order.order_id, ask)
    tickets = [e for e in seen if isinstance(e, TicketInfo)]
    assert tickets and tickets[0].order_id == order.order_id


async def _wait_connected(ex: OfflineExchange) -> None:
    """Wait (under the caller's timeout) until the hub holds a private connection.

    The hub exposes no event for this, so poll its connection list.
    """
    while not ex.hub.connections("private"):  # noqa: ASYNC110
        await asyncio.sleep(0.005)
