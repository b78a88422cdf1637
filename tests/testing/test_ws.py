"""The offline exchange's WebSocket side: protocol functions, then a real server and client."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from hashkey_async.testing import OfflineExchange
from hashkey_async.testing.book import EngineOrderRequest
from hashkey_async.testing.feeds import PublicTrade
from hashkey_async.testing.streams.protocol import (
    ERR_BAD_REQUEST,
    ERR_BAD_SYMBOL,
    ERR_BAD_TOPIC,
    Invalid,
    Ping,
    Pong,
    Subscribe,
    TopicSubscription,
    Unsubscribe,
    bbo_data,
    depth_data,
    encode_frame,
    kline_data,
    parse_request,
    realtimes_data,
    trade_data,
    v1_frame,
    v2_frame,
)

SYMBOLS = ("BTCUSDT", "ETHUSDT")
WAIT = 3.0


# --- protocol, no I/O ---------------------------------------------------------------------


def test_v1_subscribe_reads_symbol_topic_and_params() -> None:
    text = json.dumps(
        {
            "symbol": "BTCUSDT",
            "topic": "depth",
            "event": "sub",
            "params": {"binary": False, "limit": "5"},
            "id": 1,
        }
    )
    assert parse_request("v1", text, SYMBOLS) == Subscribe(
        TopicSubscription("v1", "depth", "BTCUSDT", limit=5)
    )


def test_v1_kline_topic_carries_the_interval_and_binary_flag() -> None:
    text = json.dumps(
        {"symbol": "ETHUSDT", "topic": "kline_1m", "event": "sub", "params": {"binary": "true"}}
    )
    request = parse_request("v1", text, SYMBOLS)
    assert request == Subscribe(
        TopicSubscription("v1", "kline", "ETHUSDT", interval="1m", binary=True)
    )


def test_v1_cancel_and_cancel_all() -> None:
    cancel = {"symbol": "BTCUSDT", "topic": "kline_5m", "event": "cancel", "params": {}}
    assert parse_request("v1", json.dumps(cancel), SYMBOLS) == Unsubscribe(
        ("kline", "BTCUSDT", "5m")
    )
    cancel_all = {"symbol": "BTCUSDT", "topic": "trade", "event": "cancel_all"}
    assert parse_request("v1", json.dumps(cancel_all), SYMBOLS) == Unsubscribe(None)


def test_v2_reads_symbol_and_kline_type_from_params() -> None:
    sub = {"topic": "kline", "event": "sub", "params": {"symbol": "BTCUSDT", "klineType": "1h"}}
    assert parse_request("v2", json.dumps(sub), SYMBOLS) == Subscribe(
        TopicSubscription("v2", "kline", "BTCUSDT", interval="1h")
    )
    bbo = {"topic": "bbo", "event": "cancel", "params": {"symbol": "ETHUSDT"}}
    assert parse_request("v2", json.dumps(bbo), SYMBOLS) == Unsubscribe(("bbo", "ETHUSDT", ""))


def test_v1_has_no_bbo_and_v2_has_no_cancel_all() -> None:
    bbo = {"symbol": "BTCUSDT", "topic": "bbo", "event": "sub", "params": {}}
    request = parse_request("v1", json.dumps(bbo), SYMBOLS)
    assert isinstance(request, Invalid)
    assert request.reply["code"] == ERR_BAD_TOPIC
    cancel_all = {"topic": "depth", "event": "cancel_all", "params": {"symbol": "BTCUSDT"}}
    request = parse_request("v2", json.dumps(cancel_all), SYMBOLS)
    assert isinstance(request, Invalid)
    assert request.reply["code"] == ERR_BAD_REQUEST


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", ERR_BAD_REQUEST),
        ("[1, 2]", ERR_BAD_REQUEST),
        ('{"symbol": "BTCUSDT", "topic": "depth", "event": "subscribe"}', ERR_BAD_REQUEST),
        ('{"symbol": "BTCUSDT", "event": "sub"}', ERR_BAD_REQUEST),
        ('{"symbol": "BTCUSDT", "topic": "depth", "event": "sub", "params": 3}', ERR_BAD_REQUEST),
        ('{"symbol": "DOGEUSDT", "topic": "depth", "event": "sub"}', ERR_BAD_SYMBOL),
        ('{"symbol": "BTCUSDT", "topic": "candles", "event": "sub"}', ERR_BAD_TOPIC),
        ('{"symbol": "BTCUSDT", "topic": "kline_7m", "event": "sub"}', ERR_BAD_TOPIC),
    ],
)
def test_bad_requests_get_an_error_reply(text: str, code: str) -> None:
    request = parse_request("v1", text, SYMBOLS)
    assert isinstance(request, Invalid)
    assert request.reply["code"] == code
    assert request.reply["msg"]


def test_error_reply_echoes_the_request() -> None:
    text = json.dumps({"symbol": "X", "topic": "trade", "event": "sub", "params": {}, "id": 9})
    request = parse_request("v1", text, SYMBOLS)
    assert isinstance(request, Invalid)
    assert request.reply == {
        "symbol": "X",
        "topic": "trade",
        "event": "sub",
        "params": {},
        "id": 9,
        "code": ERR_BAD_SYMBOL,
        "msg": "Invalid symbol 'X'",
    }


def test_pings_and_pongs_on_every_stream_other_requests_ignored_on_private() -> None:
    for kind in ("v1", "v2", "private"):
        assert parse_request(kind, '{"ping": 1748503859938}', SYMBOLS) == Ping(1748503859938)
        assert parse_request(kind, '{"pong": 5}', SYMBOLS) == Pong(5)
    sub = '{"symbol": "BTCUSDT", "topic": "trade", "event": "sub", "params": {"binary": false}}'
    assert parse_request("private", sub, SYMBOLS) is None


def test_depth_depth_limit_is_clamped() -> None:
    for raw, expected in (("500", 200), (0, 1), ("x", 100)):
        text = json.dumps(
            {"symbol": "BTCUSDT", "topic": "depth", "event": "sub", "params": {"limit": raw}}
        )
        request = parse_request("v1", text, SYMBOLS)
        assert isinstance(request, Subscribe)
        assert request.sub.limit == expected


BOOK = {
    "t": "1764599292355",
    "b": [["86296.37", "0.00046"], ["86296.29", "0.0006"]],
    "a": [["86296.38", "0.00115"], ["86300.51", "0.00986"]],
}


def test_v1_depth_frame_matches_the_reference_example() -> None:
    sub = TopicSubscription("v1", "depth", "BTCUSDT")
    data = depth_data("v1", "BTCUSDT", BOOK, 100, 538222447)
    frame = v1_frame(sub, [data], first=False, now_ms=1764599292481, channel_id="0ede-1")
    assert frame == {
        "symbol": "BTCUSDT",
        "symbolName": "BTCUSDT",
        "topic": "depth",
        "params": {"realtimeInterval": "24h", "binary": "false"},
        "data": [
            {
                "e": 301,
                "s": "BTCUSDT",
                "t": 1764599292355,
                "v": "538222447_18",
                "b": BOOK["b"],
                "a": BOOK["a"],
                "o": 0,
            }
        ],
        "f": False,
        "sendTime": 1764599292481,
        "channelId": "0ede-1",
        "shared": False,
    }


def test_v2_depth_frame_has_no_exchange_id_and_respects_limit() -> None:
    sub = TopicSubscription("v2", "depth", "BTCUSDT")
    frame = v2_frame(sub, depth_data("v2", "BTCUSDT", BOOK, 1, 7))
    assert frame == {
        "topic": "depth",
        "params": {"symbol": "BTCUSDT"},
        "data": {
            "s": "BTCUSDT",
            "t": 1764599292355,
            "v": "7_18",
            "b": [BOOK["b"][0]],
            "a": [BOOK["a"][0]],
        },
    }


# A REST kline row as captured from the live exchange (captured-payloads.json).
KLINE_ROW = [
    1721909700000,
    "64306.4",
    "64319",
    "64278.5",
    "64280.7",
    "1015",
    0,
    "65258.6407",
    598,
    "513",
    "32983.9999",
]


def test_kline_entries_v1_and_v2() -> None:
    v2 = kline_data("v2", "BTCUSDT", KLINE_ROW)
    assert v2 == {
        "t": 1721909700000,
        "s": "BTCUSDT",
        "sn": "BTCUSDT",
        "c": "64280.7",
        "h": "64319",
        "l": "64278.5",
        "o": "64306.4",
        "v": "1015",
    }
    v1 = kline_data("v1", "BTCUSDT", KLINE_ROW)
    assert v1 == {**v2, "et": 0, "qv": "65258.6407", "td": 598, "tb": "513", "tq": "32983.9999"}
    sub = TopicSubscription("v1", "kline", "BTCUSDT", interval="1m")
    frame = v1_frame(sub, [v1], first=True, now_ms=1, channel_id="c")
    assert frame["topic"] == "kline"
    assert frame["params"] == {"realtimeInterval": "24h", "klineType": "1m", "binary": "false"}
    assert frame["f"] is True
    assert "channelId" not in frame
    v2_sub = TopicSubscription("v2", "kline", "BTCUSDT", interval="1m")
    assert v2_frame(v2_sub, v2)["params"] == {"symbol": "BTCUSDT", "klineType": "1m"}


def test_realtimes_change_ratio_and_fields() -> None:
    ticker = {
        "t": "1721910147500",
        "s": "BTCUSDT",
        "c": "64249.99",
        "h": "67093",
        "l": "63801.27",
        "o": "66418.87",
        "b": "64249.99",
        "a": "64250",
        "v": "840.82448",
        "qv": "54553459.3478067",
    }
    v2 = realtimes_data("v2", "BTCUSDT", ticker)
    assert v2 == {
        "t": 1721910147500,
        "s": "BTCUSDT",
        "o": "66418.87",
        "h": "67093",
        "l": "63801.27",
        "c": "64249.99",
        "v": "840.82448",
        "qv": "54553459.3478067",
        "m": "-0.0327",
    }
    assert realtimes_data("v1", "BTCUSDT", ticker) == {**v2, "sn": "BTCUSDT", "e": 301}


def test_trade_and_bbo_entries() -> None:
    trade = PublicTrade(42, 1723228261453, Decimal("60064.04"), Decimal("0.00024"), True)
    assert trade_data(trade) == {
        "v": "42",
        "t": 1723228261453,
        "p": "60064.04",
        "q": "0.00024",
        "m": True,
    }
    ticker = {"s": "ETHUSDT", "b": "2974.52", "bq": "0.0202", "a": "2974.85", "aq": "0.2838"}
    assert bbo_data("ETHUSDT", ticker, 1766729017183) == {
        "s": "ETHUSDT",
        "b": "2974.52",
        "bz": "0.0202",
        "a": "2974.85",
        "az": "0.2838",
        "t": 1766729017183,
    }


def test_binary_frames_are_gzip_json() -> None:
    frame = {"topic": "trade", "data": [1]}
    raw = encode_frame(frame, binary=True)
    assert isinstance(raw, bytes)
    assert json.loads(gzip.decompress(raw)) == frame
    assert json.loads(encode_frame(frame)) == frame


# --- a real server ------------------------------------------------------------------------


FAST = {"market_interval": 0.02, "private_ping_interval": 0.2}


@pytest.fixture
async def ex() -> AsyncIterator[OfflineExchange]:
    async with OfflineExchange(**FAST) as exchange:
        yield exchange


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def recv(ws: aiohttp.ClientWebSocketResponse) -> Any:
    async with asyncio.timeout(WAIT):
        msg = await ws.receive()
    if msg.type is aiohttp.WSMsgType.BINARY:
        return json.loads(gzip.decompress(msg.data))
    assert msg.type is aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def recv_until(ws: aiohttp.ClientWebSocketResponse, pred: Callable[[Any], bool]) -> Any:
    async with asyncio.timeout(WAIT):
        while True:
            frame = await recv(ws)
            if pred(frame):
                return frame


async def closed(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    """The message that ends the stream (CLOSE with a frame, CLOSED/ERROR without one)."""
    async with asyncio.timeout(WAIT):
        while True:
            msg = await ws.receive()
            if msg.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.ERROR,
            ):
                return msg


def v1_sub(topic: str, symbol: str = "BTCUSDT", **params: Any) -> dict[str, Any]:
    return {"symbol": symbol, "topic": topic, "event": "sub", "params": {"binary": False, **params}}


def v2_sub(topic: str, symbol: str = "BTCUSDT", **params: Any) -> dict[str, Any]:
    return {"topic": topic, "event": "sub", "params": {"symbol": symbol, **params}}


async def test_v1_depth_first_frame_then_periodic_pushes(
    ex: OfflineExchange, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(f"{ex.stream_url}/quote/ws/v1") as ws:
        await ws.send_json(v1_sub("depth", limit=3))
        first = await recv(ws)
        assert first["f"] is True
        assert first["topic"] == "depth"
        assert first["channelId"]
        (entry,) = first["data"]
        assert len(entry["b"]) == len(entry["a"]) == 3
        assert float(entry["b"][0][0]) < float(entry["a"][0][0])
        later = await recv(ws)
        assert later["f"] is False
        assert later["data"][0]["t"] > entry["t"]


async def test_v1_trade_snapshot_then_only_new_trades(
    ex: OfflineExchange, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(f"{ex.stream_url}/quote/ws/v1") as ws:
        await ws.send_json(v1_sub("trade"))
        snapshot = await recv(ws)
        assert snapshot["f"] is True
        assert 1 <= len(snapshot["data"]) <= 60
        seen = {t["v"] for t in snapshot["data"]}
        for _ in range(3):
            update = await recv(ws)
            assert update["f"] is False
            ids = [t["v"] for t in update["data"]]
            assert ids and not seen.intersection(ids)
            seen.update(ids)


async def test_v1_binary_subscription_gets_gzip_frames(
    ex: OfflineExchange, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(f"{ex.stream_url}/quote/ws/v1") as ws:
        await ws.send_json(v1_sub("kline_1m", binary=True))
        async with asyncio.timeout(WAIT):
            msg = await ws.receive()
        assert msg.type is aiohttp.WSMsgType.BINARY
        frame = json.loads(gzip.decompress(msg.data))
        assert frame["params"]["binary"] == "true"
        assert frame["params"]["klineType"] == "1m"


async def test_v2_topics_push_their_shapes(
    ex: OfflineExchange, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(f"{ex.stream_url}/quote/ws/v2") as ws:
        for request in (
            v2_sub("depth"),
            v2_sub("bbo", "ETHUSDT"),
            v2_sub("kline", klineType="1m"),
            v2_sub("realtimes"),
            v2_sub("trade"),
        ):
            await ws.send_json(request)
        keys: dict[str, set[str]] = {}
        async with asyncio.timeout(WAIT):
            while len(keys) < 5:
                frame = await recv(ws)
                assert set(frame) == {"topic", "params", "data"}
                keys[frame["topic"]] = set(frame["data"])
        assert keys["depth"] == {"s", "t", "v", "b", "a"}
        assert keys["bbo"] == {"s", "b", "bz", "a", "az", "t"}
        assert keys["kline"] == {"t", "s", "sn", "c", "h", "l", "o", "v"}
        assert keys["realtimes"] == {"t", "s", "o", "h", "l", "c", "v", "qv", "m"}
        assert keys["trade"] == {"v", "t", "p", "q", "m"}


async def test_cancel_stops_a_topic(ex: OfflineExchange, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(f"{ex.stream_url}/quote/ws/v2") as ws:
        await ws.send_json(v2_sub("trade"))
        await recv_until(ws, lambda f: f["topic"] == "trade")
        await ws.send_json({**v2_sub("trade"), "event": "cancel"})
        await ws.send_json({"ping": 1})
        await recv_until(ws, lambda f: "pong" in f)
        await ws.send_json(v2_sub("depth", "ETHUSDT"))
        for _ in range(10):  # ten market ticks later, still no trade frame
            assert (await recv(ws))["topic"] == "depth"


async def test_public_ping_gets_server_time_and_bad_requests_get_errors(
    ex: OfflineExchange, http: aiohttp.ClientSession
) -> None:
    ex.skew_clock(-3_600_000)
    async with http.ws_connect(f"{ex.stream_url}/quote/ws/v1") as ws:
        await ws.send_json({"ping": 1748503859938})
        pong = await recv(ws)
        assert set(pong) == {"pong"}
        assert abs(pong["pong"] - ex.now_ms()) < 1000
        await ws.send_str("{oops")
        assert (await recv(ws))["code"] == ERR_BAD_REQUEST
        await ws.send_json(v1_sub("depth", "NOPE"))
        reply = await recv(ws)
        assert reply["code"] == ERR_BAD_SYMBOL
        assert reply["symbol"] == "NOPE"


def private_url(ex: OfflineExchange) -> str:
    return f"{ex.stream_url}/api/v1/ws/{ex.engine.listen_keys.create(ex.api_key)}"


async def test_private_stream_refuses_unknown_listen_key(
    ex: OfflineExchange, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await http.ws_connect(f"{ex.stream_url}/api/v1/ws/nope")
    assert info.value.status == 404


async def test_private_events_arrive_as_one_array_frame(
    ex: OfflineExchange, http: aiohttp.ClientSession
) -> None:
    other = ex.engine.add_user("other-key", "other-secret", {"USDT": "1000"})
    async with http.ws_connect(private_url(ex)) as ws:
        order = EngineOrderRequest(
            "BTCUSDT", "BUY", "LIMIT", Decimal("0.01"), price=Decimal("1000")
        )
        ex.engine.place(other, order, ex.now_ms())
        mine = ex.engine.place(ex.engine.user(ex.api_key), order, ex.now_ms())
        frames = [await recv_until(ws, lambda f: isinstance(f, list)) for _ in range(2)]
        (report,), (account,) = frames
        assert report["e"] == "executionReport"
        assert report["i"] == str(mine.order_id)
        assert report["X"] == "NEW"
        assert account["e"] == "outboundAccountInfo"
        assert "USDT" in {b["a"] for b in account["B"]}


async def test_private_server_pings_and_keeps_a_client_that_answers(
    ex: OfflineExchange, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(private_url(ex)) as ws:
        for _ in range(5):  # five intervals: well past the two-interval silence limit
            ping = await recv_until(ws, lambda f: "ping" in f)
            assert set(ping) == {"ping", "channelId"}
            assert len(ping["channelId"].split("-")) == 5
            await ws.send_json({"pong": ping["ping"]})
        assert not ws.closed


async def test_private_server_drops_a_silent_client_without_close_frame(
    ex: OfflineExchange, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(private_url(ex)) as ws:
        msg = await closed(ws)
        assert msg.type is not aiohttp.WSMsgType.CLOSE
        assert ex.hub.connections("private") == []


async def test_drop_aborts_only_the_selected_connections(
    ex: OfflineExchange, http: aiohttp.ClientSession
) -> None:
    v1 = await http.ws_connect(f"{ex.stream_url}/quote/ws/v1")
    v2 = await http.ws_connect(f"{ex.stream_url}/quote/ws/v2")
    private = await http.ws_connect(private_url(ex))
    try:
        assert len(ex.hub.connections()) == 3
        assert await ex.drop_connections("public") == 2
        for ws in (v1, v2):
            msg = await closed(ws)
            assert msg.type is not aiohttp.WSMsgType.CLOSE  # no close frame: abrupt
        await private.send_json({"ping": 1})
        assert "pong" in await recv_until(private, lambda f: "pong" in f)
    finally:
        for ws in (v1, v2, private):
            await ws.close()


async def test_drop_one_connection(ex: OfflineExchange, http: aiohttp.ClientSession) -> None:
    first = await http.ws_connect(f"{ex.stream_url}/quote/ws/v2")
    second = await http.ws_connect(f"{ex.stream_url}/quote/ws/v2")
    try:
        assert await ex.drop_connections("v2", count=1) == 1
        await closed(first)
        await second.send_json({"ping": 2})
        await recv_until(second, lambda f: "pong" in f)
    finally:
        await first.close()
        await second.close()


async def test_stall_stops_frames_and_pongs_until_resumed(
    ex: OfflineExchange, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(f"{ex.stream_url}/quote/ws/v2") as ws:
        await ws.send_json(v2_sub("depth"))
        await recv(ws)
        ex.stall()
        await ws.send_json({"ping": 1})
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):  # 15 market ticks
                while True:
                    frame = await recv(ws)
                    assert "pong" not in frame
                    # frames already on the wire before the stall may still drain
        assert not ws.closed
        ex.stall(False)
        await ws.send_json({"ping": 2})
        await recv_until(ws, lambda f: "pong" in f)
        frame = await recv_until(ws, lambda f: f.get("topic") == "depth")
        assert frame["data"]["b"]


async def test_send_raw_delivers_frames_verbatim(
    ex: OfflineExchange, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(f"{ex.stream_url}/quote/ws/v1") as ws:
        await ws.send_json({"ping": 1})
        await recv(ws)  # connected and registered
        assert await ex.send_raw("{not json", "public") == 1
        async with asyncio.timeout(WAIT):
            msg = await ws.receive()
        assert msg.data == "{not json"
        assert await ex.send_raw(b"\x00\x01", "all") == 1
        async with asyncio.timeout(WAIT):
            msg = await ws.receive()
        assert msg.type is aiohttp.WSMsgType.BINARY
        assert msg.data == b"\x00\x01"
        assert await ex.send_raw('{"e": "mystery"}', "private") == 0


async def test_expire_listen_keys_closes_private_streams_and_refuses_reconnect(
    ex: OfflineExchange, http: aiohttp.ClientSession
) -> None:
    url = private_url(ex)
    async with http.ws_connect(url) as ws:
        await ex.expire_listen_keys()
        msg = await closed(ws)
        assert msg.type is aiohttp.WSMsgType.CLOSE
        assert msg.data == 1008
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await http.ws_connect(url)


async def test_revoked_listen_key_closes_its_stream(
    ex: OfflineExchange, http: aiohttp.ClientSession
) -> None:
    url = private_url(ex)
    async with http.ws_connect(url) as ws:
        assert ex.engine.listen_keys.delete(url.rsplit("/", 1)[1])
        msg = await closed(ws)
        assert msg.type is aiohttp.WSMsgType.CLOSE


async def answer_pings(ws: aiohttp.ClientWebSocketResponse, on_ping: Callable[[], None]) -> None:
    """Answer every server ping on ``ws`` as a well-behaved client does."""
    async for msg in ws:
        frame = json.loads(msg.data)
        if "ping" in frame:
            await ws.send_json({"pong": frame["ping"]})
            on_ping()


async def test_listen_key_expiry_closes_the_stream_unless_kept_alive(
    http: aiohttp.ClientSession,
) -> None:
    async with OfflineExchange(**FAST, listen_key_ttl=0.7) as ex:
        kept = ex.engine.listen_keys.create(ex.api_key)
        pings = asyncio.Queue[None]()

        def keep_alive() -> None:
            assert ex.engine.listen_keys.keepalive(kept)
            pings.put_nowait(None)

        async with (
            http.ws_connect(private_url(ex)) as lapsing,
            http.ws_connect(f"{ex.stream_url}/api/v1/ws/{kept}") as alive,
        ):
            responder = asyncio.create_task(answer_pings(alive, keep_alive))
            async with asyncio.timeout(WAIT):
                msg = await lapsing.receive()
                while msg.type is aiohttp.WSMsgType.TEXT:  # answer pings until the key lapses
                    await lapsing.send_json({"pong": json.loads(msg.data)["ping"]})
                    msg = await lapsing.receive()
                assert msg.type is aiohttp.WSMsgType.CLOSE
                assert msg.data == 1008
                while not pings.empty():
                    pings.get_nowait()
                for _ in range(3):  # the kept-alive stream carries on
                    await pings.get()
            assert not responder.done()
            responder.cancel()


async def test_exchange_close_sends_close_frames(http: aiohttp.ClientSession) -> None:
    exchange = OfflineExchange(**FAST)
    await exchange.start()
    ws = await http.ws_connect(f"{exchange.stream_url}/quote/ws/v2")
    await exchange.close()
    msg = await closed(ws)
    assert msg.type is aiohttp.WSMsgType.CLOSE
    assert msg.data == 1001
    await ws.close()


async def test_depth_cadence_v1_every_third_tick_v2_every_tick(
    ex: OfflineExchange, http: aiohttp.ClientSession
) -> None:
    def tick(entry: dict[str, Any]) -> int:
        return int(entry["v"].split("_")[0])  # depth "v" carries the market tick

    async with (
        http.ws_connect(f"{ex.stream_url}/quote/ws/v1") as v1,
        http.ws_connect(f"{ex.stream_url}/quote/ws/v2") as v2,
    ):
        await v1.send_json(v1_sub("depth"))
        await v2.send_json(v2_sub("depth"))
        await recv(v1)  # the subscription snapshots
        await recv(v2)
        v1_ticks = [tick((await recv(v1))["data"][0]) for _ in range(4)]
        v2_ticks = [tick((await recv(v2))["data"]) for _ in range(4)]
    assert [b - a for a, b in itertools.pairwise(v1_ticks)] == [3, 3, 3]
    assert all(t % 3 == 0 for t in v1_ticks)
    assert [b - a for a, b in itertools.pairwise(v2_ticks)] == [1, 1, 1]


async def test_stall_silences_private_pings_without_dropping_the_client(
    ex: OfflineExchange, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(private_url(ex)) as ws:
        ping = await recv_until(ws, lambda f: "ping" in f)
        await ws.send_json({"pong": ping["ping"]})
        ex.stall()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1.0):  # five ping intervals, twice the silence limit
                await ws.receive()
        ex.stall(False)
        ping = await recv_until(ws, lambda f: "ping" in f)  # still connected, pinging again
        await ws.send_json({"pong": ping["ping"]})
        assert ex.hub.connections("private")


async def test_v1_topics_push_the_reference_keys(
    ex: OfflineExchange, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(f"{ex.stream_url}/quote/ws/v1") as ws:
        for topic in ("depth", "trade", "kline_1m", "realtimes"):
            await ws.send_json(v1_sub(topic, "ETHUSDT"))
        frames: dict[str, dict[str, Any]] = {}
        async with asyncio.timeout(WAIT):
            while len(frames) < 4:
                frame = await recv(ws)
                if frame["data"]:  # a trade snapshot may be empty on a fresh market
                    frames[frame["topic"]] = frame
    envelope = {"symbol", "symbolName", "topic", "params", "data", "f", "sendTime", "shared"}
    for topic, frame in frames.items():
        assert set(frame) == envelope | ({"channelId"} if topic == "depth" else set())
        assert frame["symbol"] == frame["symbolName"] == "ETHUSDT"
    assert set(frames["depth"]["data"][0]) == {"e", "s", "t", "v", "b", "a", "o"}
    assert set(frames["trade"]["data"][0]) == {"v", "t", "p", "q", "m"}
    assert set(frames["kline"]["data"][0]) == {
        *("t", "s", "sn", "c", "h", "l", "o", "v"),
        *("et", "qv", "td", "tb", "tq"),
    }
    assert set(frames["realtimes"]["data"][0]) == {
        *("t", "s", "sn", "c", "h", "l", "o", "v", "qv", "m", "e"),
    }
    assert frames["kline"]["params"]["klineType"] == "1m"


async def test_v1_trade_pushes_never_repeat_a_subscribers_snapshot(
    http: aiohttp.ClientSession,
) -> None:
    # The market only moves when the test steps it, so the tick phase is exact.
    async with (
        OfflineExchange(market_interval=3600.0) as ex,
        http.ws_connect(f"{ex.stream_url}/quote/ws/v1") as early,
        http.ws_connect(f"{ex.stream_url}/quote/ws/v1") as late,
    ):
        await early.send_json(v1_sub("trade"))
        assert (await recv(early))["f"] is True
        while ex.hub.tick % 3 != 0:  # right after a V1 trade push
            ex.hub.step()
        ex.feeds.on_trade("BTCUSDT", Decimal("1"), Decimal("1"), False, ex.now_ms())
        marker = ex.feeds.recent_trades("BTCUSDT", 1)[-1].trade_id
        ex.hub.step()  # the marker waits in the batch for the next cadence tick
        await late.send_json(v1_sub("trade"))
        snapshot = await recv(late)
        seen = {t["v"] for t in snapshot["data"]}
        assert snapshot["f"] is True and str(marker) in seen
        ex.hub.step()
        ex.hub.step()  # a cadence tick: the batch goes out
        assert ex.hub.tick % 3 == 0
        pushed = await recv_until(early, lambda f: str(marker) in {t["v"] for t in f["data"]})
        assert pushed["f"] is False  # the early subscriber gets the marker in the batch
        await late.send_json({"ping": 1})
        frames = []
        while "pong" not in (frame := await recv(late)):
            frames.append(frame)
        for frame in frames:  # the late one only gets trades its snapshot did not hold
            assert frame["f"] is False
            assert not seen.intersection(t["v"] for t in frame["data"])
