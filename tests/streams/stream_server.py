"""The exchange double of the stream tests: real aiohttp REST + WebSocket on 127.0.0.1:0.

The tests decide every frame it sends, when it stops answering pings, when it aborts a
transport, and which listenKeys are valid; it records every message and REST call it sees.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

__all__ = ["ServerConn", "StreamServer"]


@dataclass
class ServerConn:
    """One WebSocket connection as the server sees it."""

    path: str
    ws: web.WebSocketResponse
    request: web.Request
    received: list[Any] = field(default_factory=list)
    closed: bool = False

    async def send(self, frame: Any) -> None:
        """Send a JSON frame (or a raw string as is)."""
        await self.ws.send_str(frame if isinstance(frame, str) else json.dumps(frame))

    def abort(self) -> None:
        """Kill the TCP connection without a close frame (what a crashed proxy does)."""
        transport = self.request.transport
        assert transport is not None
        transport.abort()

    def subs(self) -> list[Any]:
        """Subscribe/cancel requests received, in order."""
        return [m for m in self.received if isinstance(m, dict) and "event" in m]


class StreamServer:
    """The exchange double; see the module docstring."""

    def __init__(self) -> None:
        self.app = web.Application()
        self.app.router.add_get("/quote/ws/v1", self._public)
        self.app.router.add_get("/quote/ws/v2", self._public)
        self.app.router.add_get("/api/v1/ws/{key}", self._private)
        self.app.router.add_route("*", "/api/v1/userDataStream", self._listen_key)
        self.app.router.add_get("/api/v1/time", self._time)
        self.conns: list[ServerConn] = []
        self.answer_pings = True
        self.private_ping_interval: float | None = None
        self.keys: set[str] = set()
        self.rest_calls: list[tuple[str, str | None]] = []
        self.fail_keepalive = False
        self.reject_next = 0
        self.rejected = 0
        #: When set, upgrades wait for this event before answering (a slow handshake).
        self.hold_upgrades: asyncio.Event | None = None
        self.held = 0
        self._key_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._tasks: set[asyncio.Task[None]] = set()
        self.runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """REST root."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """WebSocket root."""
        return f"ws://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on an ephemeral loopback port."""
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        """Close every connection and the listener."""
        for task in self._tasks:
            task.cancel()
        for conn in self.conns:
            if not conn.closed:
                conn.abort()
        assert self.runner is not None
        await self.runner.cleanup()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 3.0) -> None:  # noqa: ASYNC109
        """Wait until ``predicate()`` holds (re-checked after every server-side event)."""
        async with asyncio.timeout(timeout):
            async with self._changed:
                await self._changed.wait_for(predicate)

    def live(self, path: str | None = None) -> list[ServerConn]:
        """Open connections (optionally on one path)."""
        return [c for c in self.conns if not c.closed and (path is None or c.path == path)]

    def on(self, path: str) -> list[ServerConn]:
        """Every connection ever made to a path, oldest first."""
        return [c for c in self.conns if c.path == path]

    async def expire_keys(self) -> None:
        """Invalidate every listenKey and close their sockets, as the exchange does after 60 min."""
        self.keys.clear()
        for conn in self.live():
            if conn.path.startswith("/api/v1/ws/"):
                await conn.ws.close(code=1000, message=b"listenKey expired")

    # --- handlers -------------------------------------------------------------------------

    async def _time(self, request: web.Request) -> web.Response:
        return web.json_response({"serverTime": int(time.time() * 1000)})

    async def _listen_key(self, request: web.Request) -> web.Response:
        key = request.query.get("listenKey")
        self.rest_calls.append((request.method, key))
        await self._notify()
        if request.method == "POST":
            new = f"key{next(self._key_ids)}"
            self.keys.add(new)
            return web.json_response({"listenKey": new})
        if request.method == "PUT" and (self.fail_keepalive or key not in self.keys):
            return web.json_response({"code": -1000, "msg": "listenKey not found"}, status=400)
        if request.method == "DELETE":
            self.keys.discard(key or "")
        return web.json_response({})

    async def _public(self, request: web.Request) -> web.StreamResponse:
        if self.reject_next > 0:  # handshake failure: no upgrade
            self.reject_next -= 1
            self.rejected += 1
            return web.Response(status=503, text="maintenance")
        return await self._serve(request, request.path)

    async def _private(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["key"] not in self.keys:
            return web.json_response({"code": -1000, "msg": "invalid listenKey"}, status=400)
        return await self._serve(request, request.path)

    async def _serve(self, request: web.Request, path: str) -> web.StreamResponse:
        if self.hold_upgrades is not None:
            self.held += 1
            await self._notify()
            await self.hold_upgrades.wait()
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        conn = ServerConn(path, ws, request)
        self.conns.append(conn)
        await self._notify()
        pinger = None
        if path.startswith("/api/v1/ws/") and self.private_ping_interval is not None:
            pinger = asyncio.create_task(self._ping_loop(conn, self.private_ping_interval))
            self._tasks.add(pinger)
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                conn.received.append(data)
                if isinstance(data, dict) and "ping" in data and self.answer_pings:
                    await ws.send_str(json.dumps({"pong": int(time.time() * 1000)}))
                await self._notify()
        finally:
            conn.closed = True
            if pinger is not None:
                pinger.cancel()
                self._tasks.discard(pinger)
            await self._notify()
        return ws

    async def _ping_loop(self, conn: ServerConn, interval: float) -> None:
        for n in itertools.count(1):
            await asyncio.sleep(interval)
            await conn.send({"ping": 1748504490000 + n, "channelId": "chan-1"})
