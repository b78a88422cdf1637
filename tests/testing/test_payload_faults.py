"""The ``vary_payloads`` fault: pure variator first, then the real offline exchange."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from hashkey_async import ExecutionReport, HashKeyClient
from hashkey_async.decoding import decode_stats
from hashkey_async.models import account, trading
from hashkey_async.params import encode_query
from hashkey_async.signing import sign
from hashkey_async.testing import OfflineExchange
from hashkey_async.testing.payload_faults import PRIVATE_FRAME, PayloadVariator
from hashkey_async.testing.variations import sites

FAST = {"order_rate": 1000, "query_rate": 1000}
ORDER_ROW: dict[str, Any] = {
    "accountId": "1700000000000000002",
    "exchangeId": "301",
    "symbol": "BTCUSDT",
    "clientOrderId": "c1",
    "orderId": "2000000000000000001",
    "price": "50000",
    "origQty": "0.01",
    "executedQty": "0",
    "status": "NEW",
    "timeInForce": "GTC",
    "type": "LIMIT",
    "side": "BUY",
    "time": "1700000000000",
    "updateTime": "1700000000000",
}


def _fields(payload: Any, model: Any) -> dict[tuple[Any, ...], Any]:
    return {site.path: site.value for site in sites(payload, model)}


# --- the variator, pure ---------------------------------------------------------------------


def test_a_variation_changes_exactly_one_non_identifying_field_of_a_copy() -> None:
    variator = PayloadVariator(1.0, seed=5)
    before = json.dumps(ORDER_ROW)
    identifying = {s.path for s in sites(ORDER_ROW, trading.Order) if s.identifying}
    assert {("orderId",), ("symbol",)} <= identifying
    for _ in range(50):
        variation = variator.vary("rest", ORDER_ROW, trading.Order)
        assert variation is not None
        assert json.dumps(ORDER_ROW) == before  # the original is untouched
        old, new = _fields(ORDER_ROW, trading.Order), _fields(variation.payload, trading.Order)
        changed = {p for p in old.keys() | new.keys() if old.get(p, ...) != new.get(p, ...)}
        assert changed == {variation.site.path}
        assert variation.site.path not in identifying
    assert variator.counts["rest"] == 50 and len(variator.recent) == 50


def test_the_same_seed_gives_the_same_variations_per_channel() -> None:
    def run(seed: int, noise: bool) -> list[tuple[Any, str]]:
        variator = PayloadVariator(0.5, seed=seed)
        out = []
        for _ in range(60):
            if noise:  # traffic on another channel does not shift this one
                variator.vary("private", [{"e": "ticketInfo", "s": "BTCUSDT"}], PRIVATE_FRAME)
            v = variator.vary("rest", ORDER_ROW, trading.Order)
            out.append((v.site.path, v.kind) if v else (None, ""))
        return out

    first = run(11, noise=False)
    assert first == run(11, noise=True)
    assert first != run(12, noise=False)
    varied = sum(path is not None for path, _ in first)
    assert 0 < varied < 60  # rate 0.5 varies some and spares some


def test_rate_must_be_a_share_and_zero_switches_the_fault_off() -> None:
    with pytest.raises(ValueError, match="rate"):
        PayloadVariator(1.5, seed=0)
    exchange = OfflineExchange()
    assert exchange.vary_payloads(0.3, seed=1) is exchange.faults.variator is not None
    assert exchange.vary_payloads(0) is None and exchange.faults.variator is None


def test_a_message_with_only_identifying_fields_is_sent_as_it_is() -> None:
    variator = PayloadVariator(1.0, seed=0)
    assert variator.vary("rest", {"listenKey": "abc"}, Any) is None
    assert variator.counts["rest"] == 0


# --- the real offline exchange ----------------------------------------------------------------


@pytest.fixture
async def exchange() -> AsyncIterator[OfflineExchange]:
    async with OfflineExchange(**FAST, market_interval=0.02) as ex:
        yield ex


async def _raw_balances(ex: OfflineExchange, session: aiohttp.ClientSession) -> bytes:
    query = encode_query({"timestamp": ex.now_ms()})
    url = f"{ex.rest_url}/api/v1/account?{query}&signature={sign(ex.api_secret, query, b'')}"
    headers = {"X-HK-APIKEY": ex.api_key}
    async with session.get(aiohttp.client.URL(url, encoded=True), headers=headers) as resp:
        assert resp.status == 200
        return await resp.read()


async def test_rest_answers_vary_reproducibly_on_the_real_exchange() -> None:
    bodies: list[list[bytes]] = []
    async with aiohttp.ClientSession() as session:
        for seed in (21, 21, None):
            async with OfflineExchange(**FAST) as ex:
                if seed is not None:
                    ex.vary_payloads(1.0, seed=seed)
                bodies.append([await _raw_balances(ex, session) for _ in range(6)])
    first, again, plain = bodies
    assert first == again  # same seed, same calls: byte-identical answers
    assert len(set(plain)) == 1  # the balances answer itself does not change
    assert all(body != plain[0] for body in first)  # rate 1.0: every answer varied
    model = account.AccountBalances
    for body in first:  # identifying fields (each balance's asset) are intact
        assets = {s.value for s in sites(json.loads(body), model) if s.field == "asset"}
        assert assets == {"BTC", "ETH", "USDT"}


async def test_the_client_still_trades_and_reads_through_varied_answers(
    exchange: OfflineExchange,
) -> None:
    variator = exchange.vary_payloads(1.0, seed=3)
    assert variator is not None
    async with exchange.client() as client:
        placed = await client.spot.create_order(
            "BTCUSDT", "BUY", "LIMIT", quantity="0.01", price="50000"
        )
        engine_order = exchange.engine.orders[placed.order_id]
        assert (placed.symbol, engine_order.price) == ("BTCUSDT", Decimal("50000"))
        fetched = await client.spot.get_order(order_id=placed.order_id)
        assert (fetched.order_id, fetched.symbol) == (placed.order_id, "BTCUSDT")
        assert [o.order_id for o in await client.spot.open_orders()] == [placed.order_id]
        held = {b.asset for b in (await client.account.balances()).balances}
        assert held == {"BTC", "ETH", "USDT"}
        book = await client.market.depth("BTCUSDT", limit=5)
        assert book is not None
    assert variator.counts["rest"] >= 4
    assert all(not v.site.identifying for _, v in variator.recent)


async def _collect(sub: Any, count: int) -> list[Any]:
    got = []
    async for message in sub:
        got.append(message)
        if len(got) >= count:
            return got
    return got


async def test_stream_frames_vary_and_still_route_public_and_private(
    exchange: OfflineExchange,
) -> None:
    variator = exchange.vary_payloads(1.0, seed=8)
    assert variator is not None
    refused_before = dict(decode_stats().refusals)
    async with (
        exchange.client() as client,
        client.stream.depth("BTCUSDT") as books,
        client.stream.user() as user,
    ):
        got = await asyncio.wait_for(_collect(books, 10), timeout=10)
        assert {book.symbol for book in got} == {"BTCUSDT"}
        placed = await _place_after_user_stream_is_up(client, exchange)
        reports = await asyncio.wait_for(_reports_for(user, placed), timeout=10)
        assert [r.order_id for r in reports] == [placed]
    channels = {channel for channel, _ in variator.recent}
    assert "private" in channels and channels & {"v1", "v2"}
    assert all(not v.site.identifying for _, v in variator.recent)
    # every varied frame decoded: none was refused for a broken identifying field
    assert decode_stats().refusals == refused_before


async def _place_after_user_stream_is_up(client: HashKeyClient, ex: OfflineExchange) -> int:
    deadline = asyncio.get_running_loop().time() + 10
    while not ex.hub.connections("private"):
        assert asyncio.get_running_loop().time() < deadline, "private stream never connected"
        await asyncio.sleep(0.01)
    order = await client.spot.create_order(
        "BTCUSDT", "BUY", "LIMIT", quantity="0.01", price="50000"
    )
    return order.order_id


async def _reports_for(user: Any, order_id: int) -> list[ExecutionReport]:
    async for event in user:
        if isinstance(event, ExecutionReport) and event.order_id == order_id:
            return [event]
    return []
