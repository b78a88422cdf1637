"""WebSocket endpoints of the offline exchange: /quote/ws/v1, /quote/ws/v2, /api/v1/ws/{listenKey}.

The protocol is plain functions over plain values (``parse_request`` turns a client frame
into a request; ``*_data`` and ``v1_frame``/``v2_frame`` turn REST-shaped feed data into
the reference's frames). ``StreamHub`` is the I/O shell: one aiohttp handler and one outbox
writer per connection, one market task that steps the feeds and fans frames out, and the
fault switches (drop, stall, raw frames, listenKey expiry).

Frames follow the reference's "WEBSOCKET API" section. Where the reference is silent the
choices are: a successful subscription is answered by its first data frame (V1 ``"f": true``);
a bad request is answered by an error frame echoing it with ``code``/``msg`` (codes below);
an unknown or expired listenKey is refused at the upgrade with HTTP 404.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final, Literal, cast

import msgspec
from aiohttp import WSMsgType, web

from .engine import ListenKeys, fmt
from .feeds import KLINE_INTERVALS, MarketFeeds, PublicTrade

if TYPE_CHECKING:
    from .exchange import OfflineExchange

__all__ = [
    "ERR_BAD_REQUEST",
    "ERR_BAD_SYMBOL",
    "ERR_BAD_TOPIC",
    "V1_CADENCE",
    "Invalid",
    "Ping",
    "Pong",
    "StreamHub",
    "Subscribe",
    "Subscription",
    "Unsubscribe",
    "bbo_data",
    "depth_data",
    "encode_frame",
    "kline_data",
    "parse_request",
    "realtimes_data",
    "trade_data",
    "v1_frame",
    "v2_frame",
]

Kind = Literal["v1", "v2", "private"]
Which = Literal["all", "public", "private", "v1", "v2"]
SubKey = tuple[str, str, str]  # (topic, symbol, kline interval or "")

#: "Exchange ID" of the reference's depth and realtimes frames.
EXCHANGE_ID: Final = 301
#: V1 push period per topic in base ticks; ``ExchangeConfig.market_interval`` is one tick and
#: stands for the reference's 100 ms (V1: depth/trade/kline 300 ms, realtimes 500 ms; V2 depth
#: every tick, other V2 topics on change, "real-time push").
V1_CADENCE: Final[Mapping[str, int]] = {"depth": 3, "trade": 3, "kline": 3, "realtimes": 5}
V1_TOPICS: Final = frozenset(V1_CADENCE)
V2_TOPICS: Final = frozenset({"depth", "trade", "kline", "realtimes", "bbo"})
#: Reference, V1 "Trade": a new subscriber first gets the most recent 60 trades.
V1_TRADE_SNAPSHOT: Final = 60
#: Depth levels: default and maximum (reference, "Get Order Book": default 100, max 200).
DEPTH_DEFAULT: Final = 100
DEPTH_MAX: Final = 200
#: Frames queued for one client before the server gives up on it and drops the connection.
OUTBOX_LIMIT: Final = 1024
#: Seconds a graceful close waits for the client's close frame.
CLOSE_TIMEOUT: Final = 2.0

#: Error frame codes; the reference documents none for streams, these are the offline exchange's.
ERR_BAD_REQUEST: Final = "-100001"
ERR_BAD_SYMBOL: Final = "-100010"
ERR_BAD_TOPIC: Final = "-100011"

log = logging.getLogger("hashkey_async.testing")

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


# --- requests ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    """One topic a public connection subscribed to."""

    version: Literal["v1", "v2"]
    topic: str
    symbol: str
    interval: str = ""
    limit: int = DEPTH_DEFAULT
    binary: bool = False

    @property
    def key(self) -> SubKey:
        """Identity of the topic on its connection (what ``cancel`` names)."""
        return (self.topic, self.symbol, self.interval)


@dataclass(frozen=True)
class Ping:
    """``{"ping": ts}`` from the client."""

    ts: object


@dataclass(frozen=True)
class Pong:
    """``{"pong": ts}`` from the client (the answer to a private-stream server ping)."""

    ts: object


@dataclass(frozen=True)
class Subscribe:
    """``"event": "sub"``."""

    sub: Subscription


@dataclass(frozen=True)
class Unsubscribe:
    """``"event": "cancel"`` of one topic, or ``"cancel_all"`` (``key`` None)."""

    key: SubKey | None


@dataclass(frozen=True)
class Invalid:
    """A request the server answers with an error frame."""

    reply: dict[str, Any]


Request = Ping | Pong | Subscribe | Unsubscribe | Invalid


def _error(request: Mapping[str, Any], code: str, msg: str) -> Invalid:
    echo = {k: request[k] for k in ("symbol", "topic", "event", "params", "id") if k in request}
    return Invalid({**echo, "code": code, "msg": msg})


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _depth_limit(value: object) -> int:
    try:
        limit = int(cast(Any, value))
    except (TypeError, ValueError):
        return DEPTH_DEFAULT
    return max(1, min(limit, DEPTH_MAX))


def parse_request(kind: Kind, text: str | bytes, symbols: Collection[str]) -> Request | None:
    """Turn one client frame into a request; None means the server ignores it.

    The private stream only knows pings and pongs. V1 puts ``symbol`` at the top level and the
    interval in the topic (``kline_1m``); V2 puts both in ``params`` (``klineType``).
    """
    try:
        obj = _decoder.decode(text)
    except msgspec.DecodeError:
        return Invalid({"code": ERR_BAD_REQUEST, "msg": "Invalid JSON"})
    if not isinstance(obj, dict):
        return Invalid({"code": ERR_BAD_REQUEST, "msg": "Request must be a JSON object"})
    if "ping" in obj:
        return Ping(obj["ping"])
    if "pong" in obj:
        return Pong(obj["pong"])
    if kind == "private":
        return None
    event = obj.get("event")
    if kind == "v1" and event == "cancel_all":
        return Unsubscribe(None)
    if event not in ("sub", "cancel"):
        return _error(obj, ERR_BAD_REQUEST, f"Unknown event {event!r}")
    params = obj.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return _error(obj, ERR_BAD_REQUEST, "params must be an object")
    topic = obj.get("topic")
    if not isinstance(topic, str):
        return _error(obj, ERR_BAD_REQUEST, "Missing topic")
    if kind == "v1":
        symbol = obj.get("symbol")
        topic, _, interval = topic.partition("_") if topic.startswith("kline_") else (topic, "", "")
        topics: frozenset[str] = V1_TOPICS
    else:
        symbol = params.get("symbol")
        interval = params.get("klineType", "") if topic == "kline" else ""
        topics = V2_TOPICS
    if topic not in topics:
        return _error(obj, ERR_BAD_TOPIC, f"Unknown topic {obj['topic']!r}")
    if topic == "kline" and interval not in KLINE_INTERVALS:
        return _error(obj, ERR_BAD_TOPIC, f"Unknown kline interval {interval!r}")
    if symbol not in symbols:
        return _error(obj, ERR_BAD_SYMBOL, f"Invalid symbol {symbol!r}")
    sub = Subscription(
        version=kind,
        topic=topic,
        symbol=cast(str, symbol),
        interval=interval,
        limit=_depth_limit(params.get("limit", DEPTH_DEFAULT)),
        binary=kind == "v1" and _truthy(params.get("binary")),
    )
    return Subscribe(sub) if event == "sub" else Unsubscribe(sub.key)


# --- frames -----------------------------------------------------------------------------


def trade_data(trade: PublicTrade) -> dict[str, Any]:
    """A stream trade: ``v`` id, ``t``, ``p``, ``q``, ``m`` (the buyer is the maker)."""
    return {
        "v": str(trade.trade_id),
        "t": trade.time,
        "p": fmt(trade.price),
        "q": fmt(trade.qty),
        "m": trade.buyer_maker,
    }


def depth_data(
    version: Literal["v1", "v2"], symbol: str, book: Mapping[str, Any], limit: int, seq: int
) -> dict[str, Any]:
    """A depth entry from a REST book (``t``, ``b``, ``a``), cut to ``limit`` levels a side."""
    data: dict[str, Any] = {
        "s": symbol,
        "t": int(book["t"]),
        "v": f"{seq}_18",
        "b": list(book["b"][:limit]),
        "a": list(book["a"][:limit]),
    }
    if version == "v1":
        data = {"e": EXCHANGE_ID, **data, "o": 0}
    return data


def kline_data(version: Literal["v1", "v2"], symbol: str, row: Sequence[Any]) -> dict[str, Any]:
    """A kline entry from a REST kline row ``[t, o, h, l, c, v, et, qv, td, tb, tq]``."""
    data: dict[str, Any] = {
        "t": int(row[0]),
        "s": symbol,
        "sn": symbol,
        "c": row[4],
        "h": row[2],
        "l": row[3],
        "o": row[1],
        "v": row[5],
    }
    if version == "v1":
        data.update(et=0, qv=row[7], td=int(row[8]), tb=row[9], tq=row[10])
    return data


def _change(open_: str, close: str) -> str:
    try:
        o, c = Decimal(open_), Decimal(close)
    except InvalidOperation:
        return "0"
    return "0" if not o else str(((c - o) / o).quantize(Decimal("0.0001")))


def realtimes_data(
    version: Literal["v1", "v2"], symbol: str, ticker: Mapping[str, Any]
) -> dict[str, Any]:
    """A realtimes entry from a REST 24hr ticker (``m`` is the 24h change ratio)."""
    data: dict[str, Any] = {"t": int(ticker["t"]), "s": symbol}
    if version == "v1":
        data["sn"] = symbol
    data.update(
        o=ticker["o"],
        h=ticker["h"],
        l=ticker["l"],
        c=ticker["c"],
        v=ticker["v"],
        qv=ticker["qv"],
        m=_change(ticker["o"], ticker["c"]),
    )
    if version == "v1":
        data["e"] = EXCHANGE_ID
    return data


def bbo_data(symbol: str, book_ticker: Mapping[str, Any], now_ms: int) -> dict[str, Any]:
    """A V2 bbo entry from a REST book ticker (``b``, ``bq``, ``a``, ``aq``)."""
    return {
        "s": symbol,
        "b": book_ticker["b"],
        "bz": book_ticker["bq"],
        "a": book_ticker["a"],
        "az": book_ticker["aq"],
        "t": int(book_ticker.get("t", now_ms)),
    }


def v1_frame(
    sub: Subscription,
    data: list[dict[str, Any]],
    *,
    first: bool,
    now_ms: int,
    channel_id: str,
) -> dict[str, Any]:
    """The V1 envelope: symbol, topic, echoed params, ``data`` array, ``f``, ``sendTime``."""
    params: dict[str, Any] = {"realtimeInterval": "24h"}
    if sub.topic == "kline":
        params["klineType"] = sub.interval
    params["binary"] = "true" if sub.binary else "false"
    frame: dict[str, Any] = {
        "symbol": sub.symbol,
        "symbolName": sub.symbol,
        "topic": sub.topic,
        "params": params,
        "data": data,
        "f": first,
        "sendTime": now_ms,
    }
    if sub.topic == "depth":
        frame["channelId"] = channel_id
    frame["shared"] = False
    return frame


def v2_frame(sub: Subscription, data: dict[str, Any]) -> dict[str, Any]:
    """The V2 envelope: topic, params (``symbol`` and ``klineType``), one ``data`` object."""
    params = {"symbol": sub.symbol}
    if sub.topic == "kline":
        params["klineType"] = sub.interval
    return {"topic": sub.topic, "params": params, "data": data}


def encode_frame(frame: object, *, binary: bool = False) -> str | bytes:
    """JSON text, or gzip-compressed JSON bytes for V1 ``"binary": true`` subscribers."""
    raw = _encoder.encode(frame)
    return gzip.compress(raw) if binary else raw.decode()


def channel_id() -> str:
    """A channel id in the reference's shape (five dash-separated hex groups)."""
    return "-".join(secrets.token_hex(n) for n in (8, 4, 4, 8, 4))


# --- I/O shell --------------------------------------------------------------------------

_conn_ids = itertools.count(1)


@dataclass(eq=False)
class _Conn:
    """One client connection and what the server knows about it."""

    kind: Kind
    request: web.Request
    ws: web.WebSocketResponse
    listen_key: str = ""
    api_key: str = ""
    id: int = field(default_factory=lambda: next(_conn_ids))
    channel_id: str = field(default_factory=channel_id)
    subs: dict[SubKey, Subscription] = field(default_factory=dict)
    outbox: asyncio.Queue[str | bytes] = field(default_factory=lambda: asyncio.Queue(OUTBOX_LIMIT))
    last_heard: float = field(default_factory=time.monotonic)
    #: V1 trade subscriptions: id of the newest trade already sent (in the snapshot), per symbol.
    trade_marks: dict[str, int] = field(default_factory=dict)

    def matches(self, which: Which) -> bool:
        """Whether the fault selector ``which`` names this connection."""
        if which == "all":
            return True
        if which == "public":
            return self.kind != "private"
        return self.kind == which

    def abort(self) -> None:
        """Cut the TCP connection without a close frame."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()


class StreamHub:
    """Serves /quote/ws/v1, /quote/ws/v2 and /api/v1/ws/{listenKey} of one ``OfflineExchange``."""

    def __init__(self, exchange: OfflineExchange) -> None:
        self.exchange = exchange
        self._conns: dict[int, _Conn] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._market: asyncio.Task[None] | None = None
        self._tick = 0
        self._last_v2: dict[SubKey, dict[str, Any]] = {}
        self._v1_trades: dict[str, list[dict[str, Any]]] = defaultdict(list)
        exchange.engine.listeners.append(self._on_private_events)
        exchange.engine.listen_keys.on_revoke.append(self._on_revoke)

    @property
    def _feeds(self) -> MarketFeeds:
        return self.exchange.feeds

    @property
    def _listen_keys(self) -> ListenKeys:
        return self.exchange.engine.listen_keys

    def install(self, app: web.Application) -> None:
        """Add the three WebSocket routes to ``app``."""
        app.router.add_get("/quote/ws/v1", self._v1)
        app.router.add_get("/quote/ws/v2", self._v2)
        app.router.add_get("/api/v1/ws/{listenKey}", self._private)

    @property
    def tick(self) -> int:
        """Market ticks so far (V1 topics push when it is a multiple of their cadence)."""
        return self._tick

    def step(self) -> None:
        """One market tick now: tests with a long ``market_interval`` drive the market by hand."""
        self._step()

    def connections(self, which: Which = "all") -> list[int]:
        """Ids of the open connections ``which`` names, oldest first."""
        return [c.id for c in self._conns.values() if c.matches(which)]

    async def start(self) -> None:
        """Start the market task: step the feeds every ``market_interval`` and push frames."""
        self._market = asyncio.create_task(self._run_market(), name="offline-market")

    async def close(self) -> None:
        """Stop the market task and close every connection with a close frame."""
        if self._market is not None:
            self._market.cancel()
            await asyncio.gather(self._market, return_exceptions=True)
            self._market = None
        await asyncio.gather(
            *(
                self._close(c, code=1001, reason="server shutdown")
                for c in list(self._conns.values())
            )
        )
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- fault injection ----------------------------------------------------------------
    async def drop(self, which: Which, *, count: int | None = None) -> int:
        """Abort the oldest ``count`` (default all) connections ``which`` names; returns how many."""
        victims = [c for c in self._conns.values() if c.matches(which)][:count]
        for conn in victims:
            self._abort(conn)
        return len(victims)

    async def send_raw(self, frame: str | bytes, which: Which) -> int:
        """Queue ``frame`` as-is on every connection ``which`` names; returns how many."""
        targets = [c for c in self._conns.values() if c.matches(which)]
        for conn in targets:
            self._enqueue(conn, frame)
        return len(targets)

    async def expire_listen_keys(self) -> None:
        """Expire every listenKey now; revoking a key closes its streams (``_on_revoke``)."""
        self._listen_keys.expire_all()

    # --- connections ----------------------------------------------------------------------
    async def _v1(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "v1")

    async def _v2(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "v2")

    async def _private(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["listenKey"]
        api_key = self._listen_keys.owner(key, self.exchange.now_ms())
        if api_key is None:
            return web.json_response({"msg": "listenKey does not exist or has expired"}, status=404)
        return await self._serve(request, "private", listen_key=key, api_key=api_key)

    async def _serve(
        self, request: web.Request, kind: Kind, *, listen_key: str = "", api_key: str = ""
    ) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False, timeout=CLOSE_TIMEOUT, max_msg_size=1 << 20)
        await ws.prepare(request)
        conn = _Conn(kind, request, ws, listen_key=listen_key, api_key=api_key)
        self._conns[conn.id] = conn
        helpers = [self._spawn(self._write(conn))]
        if kind == "private":
            helpers.append(self._spawn(self._heartbeat(conn)))
        try:
            async for msg in ws:
                # A stall silences the server, but requests still take effect (a frozen server
                # reads its socket buffer when it resumes): their answers are what is swallowed.
                conn.last_heard = time.monotonic()
                if msg.type is WSMsgType.TEXT or msg.type is WSMsgType.BINARY:
                    self._on_request(conn, msg.data)
                elif msg.type is WSMsgType.PING:
                    await ws.pong(msg.data)
        finally:
            self._conns.pop(conn.id, None)
            for task in helpers:
                task.cancel()
        return ws

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _abort(self, conn: _Conn) -> None:
        self._conns.pop(conn.id, None)
        conn.abort()

    async def _close(self, conn: _Conn, *, code: int, reason: str) -> None:
        self._conns.pop(conn.id, None)
        try:
            await conn.ws.close(code=code, message=reason.encode())
        except (ConnectionError, RuntimeError):
            conn.abort()

    def _enqueue(self, conn: _Conn, frame: str | bytes) -> None:
        if self.exchange.faults.stalled:
            return
        try:
            conn.outbox.put_nowait(frame)
        except asyncio.QueueFull:
            self._abort(conn)

    async def _write(self, conn: _Conn) -> None:
        """Send queued frames in order; a stalled exchange swallows them."""
        while True:
            frame = await conn.outbox.get()
            if self.exchange.faults.stalled:
                continue
            try:
                if isinstance(frame, bytes):
                    await conn.ws.send_bytes(frame)
                else:
                    await conn.ws.send_str(frame)
            except (ConnectionError, RuntimeError):
                return

    def _on_request(self, conn: _Conn, data: str | bytes) -> None:
        request = parse_request(conn.kind, data, self.exchange.config.symbols)
        if isinstance(request, Ping):
            self._enqueue(conn, encode_frame({"pong": self.exchange.now_ms()}))
        elif isinstance(request, Subscribe):
            conn.subs[request.sub.key] = request.sub
            self._push_first(conn, request.sub)
        elif isinstance(request, Unsubscribe):
            if request.key is None:
                conn.subs.clear()
            else:
                conn.subs.pop(request.key, None)
        elif isinstance(request, Invalid):
            self._enqueue(conn, encode_frame(request.reply))

    async def _heartbeat(self, conn: _Conn) -> None:
        """Private stream: ping every interval, drop a client silent for two, drop on expiry."""
        interval = self.exchange.config.private_ping_interval
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            if self.exchange.faults.stalled:
                conn.last_heard = now
                continue
            if self._listen_keys.owner(conn.listen_key, self.exchange.now_ms()) is None:
                return  # expired: the revocation closes the stream
            if now - conn.last_heard > 2 * interval:
                self._abort(conn)
                return
            ping = {"ping": self.exchange.now_ms(), "channelId": conn.channel_id}
            self._enqueue(conn, encode_frame(ping))

    def _on_private_events(self, api_key: str, events: list[dict[str, Any]]) -> None:
        frame = encode_frame(events)
        for conn in list(self._conns.values()):
            if conn.kind == "private" and conn.api_key == api_key:
                self._enqueue(conn, frame)

    def _on_revoke(self, listen_key: str) -> None:
        """A listenKey was deleted or expired: close its streams with a close frame."""
        for conn in list(self._conns.values()):
            if conn.kind == "private" and conn.listen_key == listen_key:
                self._conns.pop(conn.id, None)
                self._spawn(self._close(conn, code=1008, reason="listenKey expired"))

    # --- market data ----------------------------------------------------------------------
    async def _run_market(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self.exchange.config.market_interval
        deadline = loop.time()
        while True:
            deadline += interval
            try:
                self._step()
            except Exception:  # a bug in one tick must not freeze the market for good
                log.exception("offline exchange: market tick failed")
            await asyncio.sleep(max(0.0, deadline - loop.time()))

    def _send(self, conn: _Conn, sub: Subscription, frame: dict[str, Any]) -> None:
        self._enqueue(conn, encode_frame(frame, binary=sub.binary))

    def _data(self, sub: Subscription, now_ms: int) -> dict[str, Any]:
        """The current entry of a snapshot topic (depth, kline, realtimes, bbo)."""
        feeds, symbol = self._feeds, sub.symbol
        if sub.topic == "depth":
            return depth_data(
                sub.version, symbol, feeds.depth(symbol, DEPTH_MAX), DEPTH_MAX, self._tick
            )
        if sub.topic == "kline":
            return kline_data(sub.version, symbol, feeds.klines(symbol, sub.interval, 1)[-1])
        if sub.topic == "realtimes":
            return realtimes_data(sub.version, symbol, feeds.ticker_24hr(symbol))
        return bbo_data(symbol, feeds.book_ticker(symbol), now_ms)

    def _v1_push(
        self, conn: _Conn, sub: Subscription, data: list[dict[str, Any]], *, first: bool
    ) -> None:
        if sub.topic == "depth":
            data = [{**d, "b": d["b"][: sub.limit], "a": d["a"][: sub.limit]} for d in data]
        frame = v1_frame(
            sub, data, first=first, now_ms=self.exchange.now_ms(), channel_id=conn.channel_id
        )
        self._send(conn, sub, frame)

    def _push_first(self, conn: _Conn, sub: Subscription) -> None:
        """Answer a subscription with the topic's current state (V1: ``"f": true``)."""
        now_ms = self.exchange.now_ms()
        if sub.version == "v1":
            if sub.topic == "trade":
                recent = self._feeds.recent_trades(sub.symbol, V1_TRADE_SNAPSHOT)
                data = [trade_data(t) for t in recent]
                # Trades up to here are in the snapshot: later pushes to this connection skip
                # them even if they are still in the batch waiting for the next cadence tick.
                conn.trade_marks[sub.symbol] = recent[-1].trade_id if recent else 0
            else:
                data = [self._data(sub, now_ms)]
            self._v1_push(conn, sub, data, first=True)
        elif sub.topic != "trade":
            self._send(conn, sub, v2_frame(sub, self._data(sub, now_ms)))

    def _step(self) -> None:
        """One market tick: advance the feeds, then push what each subscription is due."""
        now_ms = self.exchange.now_ms()
        tick = self._feeds.step(now_ms)
        self._tick += 1
        targets: dict[tuple[str, SubKey], list[tuple[_Conn, Subscription]]] = defaultdict(list)
        for conn in self._conns.values():
            for sub in conn.subs.values():
                targets[(sub.version, sub.key)].append((conn, sub))
        new_trades = {
            symbol: [trade_data(t) for t in trades] for symbol, trades in tick.trades.items()
        }
        for symbol, trades in new_trades.items():
            if ("v1", ("trade", symbol, "")) in targets:
                self._v1_trades[symbol].extend(trades)
        if self.exchange.faults.stalled:
            self._v1_trades.clear()
            return
        for (version, key), subscribers in targets.items():
            topic, symbol, _ = key
            sample = subscribers[0][1]
            if version == "v2":
                if topic == "trade":
                    frames = [v2_frame(sample, t) for t in new_trades.get(symbol, [])]
                else:
                    data = self._data(sample, now_ms)
                    if topic != "depth" and data == self._last_v2.get(key):
                        continue
                    self._last_v2[key] = data
                    frames = [v2_frame(sample, data)]
                for conn, sub in subscribers:
                    for frame in frames:
                        self._send(conn, sub, frame)
            elif self._tick % V1_CADENCE[topic] == 0:
                if topic != "trade":
                    batch = [self._data(sample, now_ms)]
                    for conn, sub in subscribers:
                        self._v1_push(conn, sub, batch, first=False)
                    continue
                trades = self._v1_trades.pop(symbol, [])
                for conn, sub in subscribers:
                    mark = conn.trade_marks.get(symbol, 0)
                    batch = [t for t in trades if int(t["v"]) > mark]
                    if batch:
                        conn.trade_marks[symbol] = int(batch[-1]["v"])
                        self._v1_push(conn, sub, batch, first=False)
