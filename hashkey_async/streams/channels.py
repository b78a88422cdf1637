"""The two kinds of stream endpoint the supervisor serves: public market data and the private stream.

``PublicChannel`` routes market frames to subscribers by key (one per connection: a sharded
endpoint has one per shard). ``PrivateChannel`` owns the listenKey: it creates it over REST (on
a rate budget of its own, ``Bucket.USER_STREAM``), keeps it alive, renews it when it fails or the
server hangs up, deletes it on close, and tells subscribers about every outage twice: a
``StreamDown`` the moment the link drops and a ``StreamGap`` once it is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any, Final

from ..errors import HashKeyError, RateLimitError, TransportError
from ..models.stream import Control, PrivateEvent, StreamDown, StreamGap, TradeUpdate
from ..rest.user_stream import UserStreamResource
from .connection import Connection, ConnectionStats
from .health import CADENCE, stall_window
from .protocol import (
    PrivateDecoder,
    PublicDecoder,
    StreamKey,
    Version,
    pong_message,
    subscribe_message,
)
from .subscription import Registry, SubscriberQueue

__all__ = [
    "KEEPALIVE_RETRY",
    "LISTEN_KEY_TTL",
    "V1_TRADE_MEMORY",
    "PrivateChannel",
    "PublicChannel",
]

log = logging.getLogger("hashkey_async.streams")

#: A listenKey dies this long after its last keepalive (reference, "Create Listen Key": 60 min).
LISTEN_KEY_TTL: Final = 3600.0
#: V1 trade ids remembered per subscription: well over the 60 a (re)subscription snapshot holds.
V1_TRADE_MEMORY: Final = 1024
#: Seconds before a keepalive that failed for a passing reason (rate limit, 5xx, network) is
#: tried again; the key stays valid for most of its 60 minutes meanwhile, so no renewal.
KEEPALIVE_RETRY: Final = 5.0
_OK_CODES: Final = (None, 0, "0", 200, "200")


class _RecentIds:
    """The last ``size`` trade ids delivered on one V1 trade subscription."""

    __slots__ = ("_ids", "_order")

    def __init__(self, size: int) -> None:
        self._ids: set[int] = set()
        self._order: deque[int] = deque(maxlen=size)

    def fresh(self, trades: list[TradeUpdate]) -> list[TradeUpdate]:
        """The trades not delivered yet, in order; remembers them."""
        ids, order = self._ids, self._order
        out = []
        for trade in trades:
            if trade.id in ids:
                continue
            if len(order) == order.maxlen:
                ids.discard(order[0])
            order.append(trade.id)
            ids.add(trade.id)
            out.append(trade)
        return out


class PublicChannel:
    """A public endpoint: routes market frames to subscribers by ``StreamKey``.

    V1 answers every trade subscription with the latest 60 trades (reference, V1 "Trade"); after
    a reconnect the replayed subscription gets that snapshot again, so V1 trades already
    delivered are skipped by id (and the ones missed during a short outage are recovered).
    """

    def __init__(self, version: Version, url: str) -> None:
        self.name = f"public-v{version}"
        self.version = version
        self._url = url
        self.registry: Registry[tuple[str, str, str], Any] = Registry()
        self._decode = PublicDecoder(version).decode  # bound once: ``handle`` runs per frame
        self._dedupe_trades = version == 1
        self._recent: dict[tuple[str, str, str], _RecentIds] = {}

    async def url(self) -> str:
        """The endpoint's fixed URL."""
        return self._url

    def handle(self, frame: str | bytes, stats: ConnectionStats) -> bytes | None:
        """Decode once and hand the items to every subscriber of the frame's key."""
        msg = self._decode(frame)
        if type(msg) is tuple:
            key, items = msg
            queues = self.registry.get(key)
            if queues is None:
                stats.unrouted += 1
                return None
            if self._dedupe_trades and key[0] == "trade":
                recent = self._recent.get(key)
                if recent is None:
                    recent = self._recent[key] = _RecentIds(V1_TRADE_MEMORY)
                items = recent.fresh(items)
            for queue in queues:
                for item in items:
                    queue.put(item)
            return None
        assert isinstance(msg, Control)
        if msg.pong is not None:
            stats.pongs_received += 1
        elif msg.ping is not None:
            stats.server_pings += 1
            return pong_message(msg.ping)
        elif msg.topic is not None:
            stats.unrouted += 1
            log.debug("stream %s: frame of unknown topic %r skipped", self.name, msg.topic)
        elif msg.code not in _OK_CODES:
            log.warning("stream %s: server error %s: %s", self.name, msg.code, msg.msg)
        return None

    def stall_window(self) -> float | None:
        """The stall window of the subscribed topics with a known cadence (None if none has)."""
        version = self.version
        return stall_window(
            CADENCE[(version, key[0])]
            for key in self.registry.live_keys()
            if (version, key[0]) in CADENCE
        )

    def forget(self, key: tuple[str, str, str]) -> None:
        """``key`` has no subscriber left: a later subscription starts from a fresh snapshot."""
        self._recent.pop(key, None)

    def opened(self, gap: tuple[int, int] | None) -> list[bytes]:
        """Replay every live subscription."""
        return [
            subscribe_message(self.version, StreamKey(*key)) for key in self.registry.live_keys()
        ]

    def dropped(self, reason: str, server_closed: bool) -> None:
        """Nothing to do: the registry survives and is replayed."""

    def failed(self, exc: BaseException) -> None:
        """End every subscriber with the error."""
        for queue in self.registry.queues():
            queue.end(exc)


def _passing(exc: BaseException) -> bool:
    """A failure that says nothing about the key: network, rate limit, or a 5xx."""
    if isinstance(exc, TransportError | RateLimitError):
        return True
    return isinstance(exc, HashKeyError) and exc.status is not None and exc.status >= 500


class PrivateChannel:
    """The private endpoint: listenKey lifecycle, server-ping answers, gap events."""

    name = "private"

    def __init__(
        self, stream_url: str, user_stream: UserStreamResource, keepalive_interval: float
    ) -> None:
        self.queues: list[SubscriberQueue[PrivateEvent]] = []
        self.connection: Connection | None = None
        self.listen_key: str | None = None
        self._stream_url = stream_url
        self._user_stream = user_stream
        self._keepalive_interval = keepalive_interval
        self._renew = True
        self._key_ok_at = 0.0
        self._last_reason = ""
        #: Whether a link was up since the last drop (a ``StreamDown`` is owed when it drops).
        self._up = False
        self._keepalive_task: asyncio.Task[None] | None = None
        self._closed = False
        self._decoder = PrivateDecoder()

    async def url(self) -> str:
        """Create a fresh listenKey when there is none or the last one is suspect."""
        if self.listen_key is None or self._renew:
            self.listen_key = await self._user_stream.create()
            self._renew = False
            self._key_ok_at = time.monotonic()
        return f"{self._stream_url}/api/v1/ws/{self.listen_key}"

    def handle(self, frame: str | bytes, stats: ConnectionStats) -> bytes | None:
        """Deliver events to every subscriber; answer server pings with the same timestamp."""
        msg = self._decoder.decode(frame)
        if isinstance(msg, list):
            for queue in self.queues:
                queue.put_many(msg)
            return None
        if msg.ping is not None:
            stats.server_pings += 1
            return pong_message(msg.ping)
        if msg.pong is not None:
            stats.pongs_received += 1
        elif msg.code not in _OK_CODES:
            log.warning("stream private: server error %s: %s", msg.code, msg.msg)
        return None

    def stall_window(self) -> float | None:
        """Private events have no cadence: only the ping rule applies."""
        return None

    def opened(self, gap: tuple[int, int] | None) -> list[bytes]:
        """Start the keepalive schedule; after an outage tell every subscriber about the gap."""
        self._up = True
        if self._keepalive_task is None and not self._closed:
            self._keepalive_task = asyncio.get_running_loop().create_task(
                self._keepalive(), name="hashkey-listen-key-keepalive"
            )
        if gap is not None:
            event = StreamGap(gap[0], gap[1], self._last_reason)
            for queue in self.queues:
                queue.put_event(event)
        return []

    def dropped(self, reason: str, server_closed: bool) -> None:
        """Tell subscribers at once (``StreamDown``, once per outage); remember why.

        A server hang-up or a failed handshake means a new listenKey.
        """
        self._last_reason = reason
        if server_closed:
            self._renew = True
        if self._up:
            self._up = False
            event = StreamDown(int(time.time() * 1000), reason)
            for queue in self.queues:
                queue.put_event(event)

    def failed(self, exc: BaseException) -> None:
        """End every subscriber with the error (bad credentials cannot heal by retrying)."""
        for queue in self.queues:
            queue.end(exc)

    async def _keepalive(self) -> None:
        """Extend the key every interval; renew and reconnect when the key is refused or expired.

        A keepalive that fails for a passing reason is retried after ``KEEPALIVE_RETRY`` s.
        """
        wait = self._keepalive_interval
        while not self._closed:  # the flag also ends a loop whose cancellation got swallowed
            await asyncio.sleep(wait)
            wait = self._keepalive_interval
            if self._closed:
                return
            key = self.listen_key
            if key is None or self._renew:
                continue
            if time.monotonic() - self._key_ok_at >= LISTEN_KEY_TTL:
                self._renew_now("listenKey expired")
                continue
            try:
                await self._user_stream.keepalive(key)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not _passing(exc):
                    self._renew_now(f"listenKey keepalive failed: {type(exc).__name__}: {exc}")
                    continue
                log.warning("stream private: listenKey keepalive failed, retrying: %s", exc)
                wait = min(wait, KEEPALIVE_RETRY)
            else:
                if key == self.listen_key:
                    self._key_ok_at = time.monotonic()

    def _renew_now(self, reason: str) -> None:
        log.warning("stream private: %s; renewing", reason)
        self._renew = True
        if self.connection is not None:
            self.connection.restart(reason)

    async def close(self) -> None:
        """Stop the keepalive schedule and delete the listenKey (best effort)."""
        self._closed = True
        task, self._keepalive_task = self._keepalive_task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task})  # a cancellation of the caller still propagates
            if not task.cancelled() and task.exception() is not None:
                log.error("stream private: keepalive failed", exc_info=task.exception())
        key, self.listen_key = self.listen_key, None
        if key is not None:
            try:
                await self._user_stream.delete(key)
            except Exception as exc:
                log.debug("stream private: listenKey delete failed: %s", type(exc).__name__)
