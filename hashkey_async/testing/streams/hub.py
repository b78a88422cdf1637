"""WebSocket endpoints of the offline exchange: /quote/ws/v1, /quote/ws/v2, /api/v1/ws/{listenKey}.

``StreamHub`` is the I/O shell around ``protocol.py``: one aiohttp handler and one outbox
writer per connection, one market task that steps the feeds and fans frames out, and the
fault switches (drop, stall, raw frames, listenKey expiry). An unknown or expired
listenKey is refused at the upgrade with HTTP 404.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import WSMsgType, web

from ..config import ExchangeConfig
from ..engine import Engine
from ..events import EngineEvent, private_event
from ..faults import Faults
from ..feeds import MarketFeeds
from ..listen_keys import ListenKeys
from ..payload_faults import PRIVATE_FRAME, PUBLIC_FRAME
from .protocol import (
    DEPTH_MAX,
    V1_CADENCE,
    V1_TRADE_SNAPSHOT,
    Invalid,
    Kind,
    Ping,
    SubKey,
    Subscribe,
    TopicSubscription,
    Unsubscribe,
    Which,
    bbo_data,
    channel_id,
    depth_data,
    encode_frame,
    kline_data,
    parse_request,
    realtimes_data,
    trade_data,
    v1_frame,
    v2_frame,
)

__all__ = ["CLOSE_TIMEOUT", "OUTBOX_LIMIT", "StreamHub"]

#: Frames queued for one client before the server gives up on it and drops the connection.
OUTBOX_LIMIT: Final = 1024
#: Seconds a graceful close waits for the client's close frame.
CLOSE_TIMEOUT: Final = 2.0

log = logging.getLogger("hashkey_async.testing")

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
    subs: dict[SubKey, TopicSubscription] = field(default_factory=dict)
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
    """Serves /quote/ws/v1, /quote/ws/v2 and /api/v1/ws/{listenKey}.

    It is handed only what it uses: the configuration, the engine (listenKeys and private
    events), the feeds, the fault switches and the exchange clock.
    """

    def __init__(
        self,
        config: ExchangeConfig,
        engine: Engine,
        feeds: MarketFeeds,
        faults: Faults,
        clock: Callable[[], int],
    ) -> None:
        self.config = config
        self.faults = faults
        self.clock = clock
        self._feeds = feeds
        self._listen_keys: ListenKeys = engine.listen_keys
        self._conns: dict[int, _Conn] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._market: asyncio.Task[None] | None = None
        self._tick = 0
        self._last_v2: dict[SubKey, dict[str, Any]] = {}
        self._v1_trades: dict[str, list[dict[str, Any]]] = defaultdict(list)
        engine.listeners.append(self._on_private_event)
        self._listen_keys.on_revoke.append(self._on_revoke)

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

    def subscriptions(self, which: Which = "all") -> list[list[SubKey]]:
        """The topics each open connection ``which`` names holds, oldest connection first."""
        return [list(c.subs) for c in self._conns.values() if c.matches(which)]

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

    async def close_connections(self, which: Which, code: int, *, count: int | None = None) -> int:
        """Close the oldest ``count`` (default all) connections with a close frame and ``code``."""
        victims = [c for c in self._conns.values() if c.matches(which)][:count]
        await asyncio.gather(*(self._close(c, code=code, reason="closed by test") for c in victims))
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
        api_key = self._listen_keys.owner(key, self.clock())
        if api_key is None:
            return web.json_response({"msg": "listenKey does not exist or has expired"}, status=404)
        return await self._serve(request, "private", listen_key=key, api_key=api_key)

    async def _serve(
        self, request: web.Request, kind: Kind, *, listen_key: str = "", api_key: str = ""
    ) -> web.StreamResponse:
        if self.faults.reject_upgrades > 0:  # a handshake failure: no upgrade
            self.faults.reject_upgrades -= 1
            return web.Response(status=self.faults.reject_status, text="upgrade refused")
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
        if self.faults.stalled:
            return
        try:
            conn.outbox.put_nowait(frame)
        except asyncio.QueueFull:
            self._abort(conn)

    async def _write(self, conn: _Conn) -> None:
        """Send queued frames in order; a stalled exchange swallows them."""
        while True:
            frame = await conn.outbox.get()
            if self.faults.stalled:
                continue
            try:
                if isinstance(frame, bytes):
                    await conn.ws.send_bytes(frame)
                else:
                    await conn.ws.send_str(frame)
            except (ConnectionError, RuntimeError):
                return

    def _on_request(self, conn: _Conn, data: str | bytes) -> None:
        request = parse_request(conn.kind, data, self.config.symbols)
        if isinstance(request, Ping):
            self._enqueue(conn, encode_frame({"pong": self.clock()}))
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
        interval = self.config.private_ping_interval
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            if self.faults.stalled:
                conn.last_heard = now
                continue
            if self._listen_keys.owner(conn.listen_key, self.clock()) is None:
                return  # expired: the revocation closes the stream
            if now - conn.last_heard > 2 * interval:
                self._abort(conn)
                return
            ping = {"ping": self.clock(), "channelId": conn.channel_id}
            self._enqueue(conn, encode_frame(ping))

    def _on_private_event(self, api_key: str, event: EngineEvent) -> None:
        """Send one engine event, as a one-element array frame, to the key's private streams."""
        payload = [private_event(event)]
        variator = self.faults.variator
        if variator is not None:
            variation = variator.vary("private", payload, PRIVATE_FRAME)
            if variation is not None:
                payload = variation.payload
        frame = encode_frame(payload)
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
        interval = self.config.market_interval
        deadline = loop.time()
        while True:
            deadline += interval
            try:
                self._step()
            except Exception:  # a bug in one tick must not freeze the market for good
                log.exception("offline exchange: market tick failed")
            await asyncio.sleep(max(0.0, deadline - loop.time()))

    def _send(self, conn: _Conn, sub: TopicSubscription, frame: dict[str, Any]) -> None:
        variator = self.faults.variator
        if variator is not None:
            variation = variator.vary(sub.version, frame, PUBLIC_FRAME[sub.version])
            if variation is not None:
                frame = variation.payload
        self._enqueue(conn, encode_frame(frame, binary=sub.binary))

    def _data(self, sub: TopicSubscription, now_ms: int) -> dict[str, Any]:
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
        self, conn: _Conn, sub: TopicSubscription, data: list[dict[str, Any]], *, first: bool
    ) -> None:
        if sub.topic == "depth":
            data = [{**d, "b": d["b"][: sub.limit], "a": d["a"][: sub.limit]} for d in data]
        frame = v1_frame(sub, data, first=first, now_ms=self.clock(), channel_id=conn.channel_id)
        self._send(conn, sub, frame)

    def _push_first(self, conn: _Conn, sub: TopicSubscription) -> None:
        """Answer a subscription with the topic's current state (V1: ``"f": true``)."""
        now_ms = self.clock()
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
        now_ms = self.clock()
        tick = self._feeds.step(now_ms)
        self._tick += 1
        targets: dict[tuple[str, SubKey], list[tuple[_Conn, TopicSubscription]]] = defaultdict(list)
        for conn in self._conns.values():
            for sub in conn.subs.values():
                targets[(sub.version, sub.key)].append((conn, sub))
        new_trades = {
            symbol: [trade_data(t) for t in trades] for symbol, trades in tick.trades.items()
        }
        for symbol, trades in new_trades.items():
            if ("v1", ("trade", symbol, "")) in targets:
                self._v1_trades[symbol].extend(trades)
        if self.faults.stalled:
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
