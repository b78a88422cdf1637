"""The one stream supervisor: connect, heartbeat, watchdog, reconnect with backoff, replay.

Every endpoint (public V1, public V2, private) runs one ``Connection``; what differs between
them (the URL, how frames route, what to replay after a reconnect) is a ``Channel``. The state
machine is ``CONNECTING -> OPEN -> RECONNECTING -> OPEN ... -> CLOSED``; listeners see each
transition, and ``ConnectionStats`` counts reconnects, messages and drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol

import aiohttp

from ..errors import AuthenticationError, PermissionDeniedError
from .backoff import Backoff, Pacer
from .health import DataWatch
from .protocol import Liveness, ping_message

__all__ = [
    "TRANSITIONS",
    "Channel",
    "Connection",
    "ConnectionState",
    "ConnectionStats",
    "StateListener",
]

log = logging.getLogger("hashkey_async.streams")

#: Subscribe messages per second (and burst) after a (re)connect, so a replay is paced.
REPLAY_RATE: Final = 20.0
REPLAY_BURST: Final = 10
#: Longest wait for the opening handshake (TCP + HTTP upgrade) before it counts as failed.
HANDSHAKE_TIMEOUT: Final = 10.0
#: Longest wait for a close handshake before the socket is dropped.
CLOSE_TIMEOUT: Final = 1.0
MAX_MESSAGE_SIZE: Final = 16 * 1024 * 1024
#: Receive TEXT frames as bytes when aiohttp allows it: msgspec decodes bytes directly.
_WS_OPTIONS: Final[dict[str, Any]] = (
    {"decode_text": False}
    if "decode_text" in inspect.signature(aiohttp.ClientSession.ws_connect).parameters
    else {}
)
_DATA_TYPES: Final = (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY)


class ConnectionState(enum.Enum):
    """Lifecycle of one endpoint's connection."""

    CONNECTING = "connecting"
    OPEN = "open"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


#: Every legal transition; anything else is a bug in the supervisor.
TRANSITIONS: Final[dict[ConnectionState, frozenset[ConnectionState]]] = {
    ConnectionState.CONNECTING: frozenset(
        {ConnectionState.OPEN, ConnectionState.RECONNECTING, ConnectionState.CLOSED}
    ),
    ConnectionState.OPEN: frozenset({ConnectionState.RECONNECTING, ConnectionState.CLOSED}),
    ConnectionState.RECONNECTING: frozenset({ConnectionState.OPEN, ConnectionState.CLOSED}),
    ConnectionState.CLOSED: frozenset(),
}

#: ``listener(endpoint_name, old_state, new_state)``.
StateListener = Callable[[str, ConnectionState, ConnectionState], None]


@dataclass(slots=True)
class ConnectionStats:
    """Counters of one endpoint, kept across the connections that serve it."""

    connects: int = 0
    reconnects: int = 0
    connect_failures: int = 0
    drops: int = 0
    messages: int = 0
    decode_errors: int = 0
    unrouted: int = 0
    pings_sent: int = 0
    pongs_received: int = 0
    server_pings: int = 0
    watchdog_kills: int = 0
    last_drop_reason: str = ""
    #: ``time.monotonic()`` of the last drop (orders the reasons of an endpoint's shards).
    last_drop_at: float = 0.0


class Channel(Protocol):
    """What the supervisor needs from an endpoint: its URL, frame handling and replay."""

    name: str

    async def url(self) -> str:
        """The URL to connect to now (the private stream may create a listenKey first)."""
        ...

    def handle(self, frame: str | bytes, stats: ConnectionStats) -> bytes | None:
        """Route one frame; return a reply to send at once (the pong to a server ping)."""
        ...

    def stall_window(self) -> float | None:
        """Seconds without data that mean a stall (``health.stall_window``), None: ping rule only."""
        ...

    def opened(self, gap: tuple[int, int] | None) -> list[bytes]:
        """The link is open (``gap`` = ms since epoch of the outage); return messages to replay."""
        ...

    def dropped(self, reason: str, server_closed: bool) -> None:
        """The link dropped; ``server_closed`` if the server closed it deliberately."""
        ...

    def failed(self, exc: BaseException) -> None:
        """A fatal error (bad credentials): the stream cannot continue."""
        ...


def _fatal(exc: BaseException) -> bool:
    return isinstance(exc, AuthenticationError | PermissionDeniedError)


def _describe(exc: BaseException) -> str:
    """Why a connect failed, without the URL (a private URL carries the listenKey)."""
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"{type(exc).__name__} (HTTP {exc.status})"
    if isinstance(exc, asyncio.TimeoutError):
        return "handshake timed out"
    return f"{type(exc).__name__}: {exc}"


async def _close_quietly(ws: aiohttp.ClientWebSocketResponse[bool]) -> None:
    """Close handshake bounded by ``CLOSE_TIMEOUT``; the socket is released either way."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(ws.close(), CLOSE_TIMEOUT)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _data_frames(stats: ConnectionStats) -> int:
    """Frames that were neither a pong nor a server ping (market data, events, acks)."""
    return stats.messages - stats.pongs_received - stats.server_pings


class Connection:
    """Keeps one endpoint connected until ``close()``; owns every task and socket it makes."""

    def __init__(
        self,
        channel: Channel,
        session: aiohttp.ClientSession,
        *,
        ping_interval: float,
        backoff: Backoff,
        stats: ConnectionStats,
        listeners: list[StateListener],
        replay_rate: float = REPLAY_RATE,
        replay_burst: int = REPLAY_BURST,
        proof_by_pong: bool = False,
    ) -> None:
        self.channel = channel
        self.stats = stats
        self.state = ConnectionState.CONNECTING
        self._session = session
        self._ping_interval = ping_interval
        self._backoff = backoff
        self._listeners = listeners
        self._replay_rate = replay_rate
        self._replay_burst = replay_burst
        #: The private stream has nothing to replay and may carry no data for minutes: a pong
        #: to our first ping proves its link. Public links prove themselves with data.
        self._proof_by_pong = proof_by_pong
        #: Proof count (``_proof_frames``) once the replay went out; None while it is going out.
        self._proof_base: int | None = None
        self._outbox: asyncio.Queue[tuple[bytes, bool]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._kick: asyncio.Event = asyncio.Event()
        self._kick_reason = ""
        self._closing = False

    # --- control ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the supervisor task (idempotent)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"hashkey-stream-{self.channel.name}"
            )

    def send(self, message: bytes) -> None:
        """Queue a subscribe/unsubscribe message; dropped if the link is down (replay covers it)."""
        if self.state is ConnectionState.OPEN:
            self._outbox.put_nowait((message, True))

    def restart(self, reason: str) -> None:
        """Drop the current link and reconnect (listenKey renewal, caller's request)."""
        self._kick_reason = reason
        self._kick.set()

    async def close(self) -> None:
        """Cancel the supervisor and close the socket; returns when nothing is left running.

        ``_closing`` and the kick also stop a supervisor whose cancellation was swallowed
        (``asyncio.wait_for`` before 3.12 returns the result instead of raising when the
        handshake completes in the same loop step as the cancel). Waiting with
        ``asyncio.wait`` lets a cancellation of the caller itself propagate.
        """
        self._closing = True
        self._kick_reason = "client closed"
        self._kick.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task})
            if not task.cancelled() and task.exception() is not None:
                log.error(
                    "stream %s: supervisor failed", self.channel.name, exc_info=task.exception()
                )
        self._set_state(ConnectionState.CLOSED)

    # --- the loop -----------------------------------------------------------------------

    def _set_state(self, state: ConnectionState) -> None:
        old = self.state
        if old is state:
            return
        if state not in TRANSITIONS[old]:
            raise RuntimeError(f"stream {self.channel.name}: illegal transition {old} -> {state}")
        self.state = state
        log.debug("stream %s: %s -> %s", self.channel.name, old.value, state.value)
        for listener in list(self._listeners):
            try:
                listener(self.channel.name, old, state)
            except Exception:
                log.exception("stream state listener failed")

    async def _run(self) -> None:
        first = True
        gap_started: int | None = None
        try:
            while not self._closing:
                proven = False
                self._kick.clear()  # a restart asked for during the handshake applies to this link
                self._backoff.connecting(time.monotonic())
                try:
                    url = await self.channel.url()
                    if self._closing:  # close() arrived while the URL (listenKey) was made
                        return
                    ws = await asyncio.wait_for(
                        self._session.ws_connect(
                            url, autoping=True, max_msg_size=MAX_MESSAGE_SIZE, **_WS_OPTIONS
                        ),
                        HANDSHAKE_TIMEOUT,
                    )
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if _fatal(exc):
                        self.channel.failed(exc)
                        return
                    self.stats.connect_failures += 1
                    reason = f"connect failed: {_describe(exc)}"
                    log.warning("stream %s: %s", self.channel.name, reason)
                    self.channel.dropped(reason, server_closed=True)
                else:
                    if self._closing:  # close() raced the handshake and its cancel was lost
                        await _close_quietly(ws)
                        return
                    if first:
                        self.stats.connects += 1
                    else:
                        self.stats.reconnects += 1
                    gap = None if gap_started is None else (gap_started, _now_ms())
                    gap_started = None
                    self._outbox = asyncio.Queue()
                    replay = self.channel.opened(gap)
                    self._set_state(ConnectionState.OPEN)
                    first = False
                    try:
                        reason, server_closed = await self._serve(ws, replay)
                    finally:
                        await _close_quietly(ws)
                    proven = (
                        self._proof_base is not None and self._proof_frames() > self._proof_base
                    )
                    self.stats.drops += 1
                    self.stats.last_drop_reason = reason
                    self.stats.last_drop_at = time.monotonic()
                    log.warning("stream %s dropped: %s", self.channel.name, reason)
                    self.channel.dropped(reason, server_closed)
                if gap_started is None and not first:
                    gap_started = _now_ms()
                if self._closing:
                    return
                self._set_state(ConnectionState.RECONNECTING)
                await asyncio.sleep(self._backoff.next_delay(time.monotonic(), proven=proven))
        finally:
            self._set_state(ConnectionState.CLOSED)

    async def _serve(
        self, ws: aiohttp.ClientWebSocketResponse[bool], replay: list[bytes]
    ) -> tuple[str, bool]:
        """Run one open link until it drops; return why, and whether the server closed it."""
        liveness = Liveness(self._ping_interval, time.monotonic())
        self._proof_base = None
        reader = asyncio.ensure_future(self._read(ws, liveness))
        writer = asyncio.ensure_future(self._write(ws, replay))
        watchdog = asyncio.ensure_future(self._heartbeat(ws, liveness))
        kicked = asyncio.ensure_future(self._kick.wait())
        tasks = {reader, writer, watchdog, kicked}
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if reader in done and not reader.cancelled() and reader.exception() is None:
            return reader.result()
        if watchdog in done and not watchdog.cancelled() and watchdog.exception() is None:
            self.stats.watchdog_kills += 1
            return watchdog.result(), False
        if kicked in done:
            return self._kick_reason or "restart requested", True
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                exc = task.exception()
                return f"{type(exc).__name__}: {exc}", False
        return "link ended", False

    async def _read(
        self, ws: aiohttp.ClientWebSocketResponse[bool], liveness: Liveness
    ) -> tuple[str, bool]:
        stats = self.stats
        handle = self.channel.handle
        name = self.channel.name
        clock = time.monotonic
        receive = ws.receive
        while True:
            msg = await receive()
            if msg.type in _DATA_TYPES:
                stats.messages += 1
                liveness.last_received = clock()
                try:
                    reply = handle(msg.data, stats)
                except Exception as exc:
                    stats.decode_errors += 1
                    log.warning("stream %s: malformed frame skipped: %s", name, exc)
                    continue
                if reply is not None:
                    liveness.server_pinged(liveness.last_received)
                    self._outbox.put_nowait((reply, False))
                continue
            if msg.type is aiohttp.WSMsgType.CLOSE:
                return f"closed by server (code {msg.data})", True
            if msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return f"connection closed (code {ws.close_code})", False
            if msg.type is aiohttp.WSMsgType.ERROR:
                return f"transport error: {msg.data!r}", False

    def _proof_frames(self) -> int:
        stats = self.stats
        return stats.messages - stats.server_pings if self._proof_by_pong else _data_frames(stats)

    async def _write(self, ws: aiohttp.ClientWebSocketResponse[bool], replay: list[bytes]) -> None:
        """Send the replay (paced), note where proof of the new link starts, then the outbox."""
        pacer = Pacer(self._replay_rate, self._replay_burst, time.monotonic())
        for message in replay:
            delay = pacer.delay(time.monotonic())
            if delay > 0:
                await asyncio.sleep(delay)
            await ws.send_str(message.decode())
        self._proof_base = self._proof_frames()
        while True:
            message, paced = await self._outbox.get()
            if paced:
                delay = pacer.delay(time.monotonic())
                if delay > 0:
                    await asyncio.sleep(delay)
            await ws.send_str(message.decode())

    async def _heartbeat(
        self, ws: aiohttp.ClientWebSocketResponse[bool], liveness: Liveness
    ) -> str:
        """Ping every interval (reference, "Heartbeat check"); declare the link dead when silent.

        Two rules: no frame at all for two ping intervals (``Liveness``), and, while the link
        carries a topic with a known cadence, no data for its stall window (``DataWatch``, which
        arms on steady data after the replay went out).
        """
        interval = self._ping_interval
        stats = self.stats
        next_ping = time.monotonic()
        pongs_before = stats.pongs_received
        watch = DataWatch(next_ping, _data_frames(stats))
        stall_window = self.channel.stall_window
        while True:
            now = time.monotonic()
            if stats.pongs_received != pongs_before:
                liveness.pong_seen = True  # the server answers our pings: the plain window holds
            if liveness.is_dead(now):
                return f"watchdog: no frame for {now - liveness.last_received:.2f}s"
            window = stall_window()
            if self._proof_base is None:  # answers to the replay going out are no cadence
                watch = DataWatch(now, _data_frames(stats))
            if watch.stalled(now, _data_frames(stats), window):
                return f"watchdog: no data for {watch.silence(now):.2f}s (stall window {window}s)"
            if now >= next_ping:
                await ws.send_str(ping_message(_now_ms()).decode())
                stats.pings_sent += 1
                next_ping = now + interval
            wake = min(next_ping, liveness.deadline(), watch.next_sample(now, window))
            await asyncio.sleep(max(0.0, wake - time.monotonic()))
