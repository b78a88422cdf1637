"""``client.stream``: public topics (V1/V2) and the private listenKey stream over shared connections.

One ``Connection`` per endpoint serves every subscription to it; the first subscriber opens it and
the last one to leave closes it. The private channel creates its listenKey over REST (on a
rate budget of its own, ``Bucket.USER_STREAM``), keeps it alive, renews it when it fails or the
server hangs up, deletes it on close, and tells subscribers about every outage twice: a
``StreamDown`` the moment the link drops and a ``StreamGap`` once it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Hashable
from math import inf
from operator import attrgetter
from typing import Any, Final

import aiohttp

from ..config import ClientConfig
from ..enums import interval_param
from ..errors import (
    HashKeyError,
    InvalidParameterError,
    RateLimitError,
    StreamError,
    TransportError,
)
from ..models.stream import (
    Bbo,
    Control,
    DepthUpdate,
    KlineUpdate,
    PrivateEvent,
    StreamDown,
    StreamGap,
    Ticker,
    TradeUpdate,
)
from ..params import symbol_param
from ..rest.user_stream import UserStreamResource
from .backoff import Backoff
from .connection import Connection, ConnectionState, ConnectionStats, StateListener
from .health import CADENCE, stall_window
from .protocol import (
    PUBLIC_TOPICS,
    PrivateDecoder,
    PublicDecoder,
    StreamKey,
    Version,
    endpoint_path,
    pong_message,
    subscribe_message,
    unsubscribe_message,
)
from .subscription import Policy, Registry, SubscriberQueue, Subscription

__all__ = ["LISTEN_KEY_TTL", "V1_TRADE_MEMORY", "PrivateChannel", "PublicChannel", "StreamManager"]

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


def _queue_size(queue_size: int | None, default: int) -> int:
    if queue_size is None:
        return default
    if not isinstance(queue_size, int) or queue_size < 1:
        raise InvalidParameterError("queue_size", "must be a positive int")
    return queue_size


def _version(version: int) -> Version:
    if version == 1:
        return 1
    if version == 2:
        return 2
    raise InvalidParameterError("version", f"must be 1 or 2, got {version!r}")


_by_time: Final[Callable[[Any], Hashable]] = attrgetter("time")


class StreamManager:
    """``client.stream``: typed subscriptions over one supervised connection per endpoint."""

    def __init__(
        self,
        config: ClientConfig,
        user_stream: UserStreamResource,
        *,
        session: aiohttp.ClientSession | None = None,
        queue_size: int | None = None,
        reconnect_base_delay: float | None = None,
    ) -> None:
        size = config.stream_queue_size if queue_size is None else queue_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InvalidParameterError(
                "stream_queue_size", f"must be a positive int, got {size!r}"
            )
        base = config.reconnect_base_delay if reconnect_base_delay is None else reconnect_base_delay
        if isinstance(base, bool) or not isinstance(base, int | float) or not 0 < base < inf:
            raise InvalidParameterError("reconnect_base_delay", f"must be > 0 s, got {base!r}")
        self._config = config
        self._user_stream = user_stream
        self._session = session
        self._own_session = session is None
        self._queue_size = size
        self._base_delay = float(base)
        self._public: dict[int, tuple[PublicChannel, Connection]] = {}
        self._private: tuple[PrivateChannel, Connection] | None = None
        self._listeners: list[StateListener] = []
        self.stats: dict[str, ConnectionStats] = {}
        self._closed = False

    # --- observability ------------------------------------------------------------------

    def subscribers(self) -> list[SubscriberQueue[Any]]:
        """Every live subscriber's queue, public then private (``client.stats()`` reads them)."""
        queues = [q for channel, _ in self._public.values() for q in channel.registry.queues()]
        if self._private is not None:
            queues.extend(self._private[0].queues)
        return queues

    def add_listener(self, listener: StateListener) -> None:
        """Call ``listener(endpoint, old, new)`` on every connection state change."""
        self._listeners.append(listener)

    def remove_listener(self, listener: StateListener) -> None:
        """Stop calling ``listener``."""
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def state(self, endpoint: str) -> ConnectionState:
        """State of ``"public-v1"``, ``"public-v2"`` or ``"private"`` (CLOSED when unused)."""
        if endpoint == "private":
            entry: tuple[Any, Connection] | None = self._private
        else:
            entry = self._public.get(int(endpoint[-1])) if endpoint.startswith("public-v") else None
        return entry[1].state if entry is not None else ConnectionState.CLOSED

    async def wait_state(self, endpoint: str, state: ConnectionState) -> None:
        """Return once ``endpoint`` is in ``state`` (e.g. the private stream is ``OPEN``)."""
        if self.state(endpoint) is state:
            return
        reached: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def listener(name: str, old: ConnectionState, new: ConnectionState) -> None:
            if name == endpoint and new is state and not reached.done():
                reached.set_result(None)

        self.add_listener(listener)
        try:
            await reached
        finally:
            self.remove_listener(listener)

    @property
    def listen_key(self) -> str | None:
        """The private stream's current listenKey (None when it is not open)."""
        return self._private[0].listen_key if self._private is not None else None

    def restart(self, endpoint: str, reason: str = "restart requested") -> None:
        """Drop and reconnect one endpoint's link (subscriptions are replayed)."""
        if endpoint == "private" and self._private is not None:
            self._private[1].restart(reason)
        elif endpoint.startswith("public-v") and int(endpoint[-1]) in self._public:
            self._public[int(endpoint[-1])][1].restart(reason)

    # --- public topics ------------------------------------------------------------------

    def depth(
        self, symbol: str, *, version: int = 2, queue_size: int | None = None
    ) -> Subscription[DepthUpdate]:
        """Order book snapshots; a slow consumer gets the latest one (conflated)."""
        key = StreamKey("depth", symbol_param(symbol))
        return self._public_sub(key, _version(version), Policy.CONFLATE, None, queue_size)

    def trades(
        self, symbol: str, *, version: int = 2, queue_size: int | None = None
    ) -> Subscription[TradeUpdate]:
        """Every public trade; a consumer past its bound gets ``StreamOverflowError``."""
        key = StreamKey("trade", symbol_param(symbol))
        return self._public_sub(key, _version(version), Policy.RAISE, None, queue_size)

    def klines(
        self, symbol: str, interval: str, *, version: int = 2, queue_size: int | None = None
    ) -> Subscription[KlineUpdate]:
        """Candles of ``interval`` (``1m`` .. ``1M``); conflated to the latest per candle."""
        key = StreamKey("kline", symbol_param(symbol), interval_param(interval))
        return self._public_sub(key, _version(version), Policy.CONFLATE, _by_time, queue_size)

    def ticker(
        self, symbol: str, *, version: int = 2, queue_size: int | None = None
    ) -> Subscription[Ticker]:
        """24h rolling ticker (topic ``realtimes``); conflated."""
        key = StreamKey("realtimes", symbol_param(symbol))
        return self._public_sub(key, _version(version), Policy.CONFLATE, None, queue_size)

    def bbo(
        self, symbol: str, *, version: int = 2, queue_size: int | None = None
    ) -> Subscription[Bbo]:
        """Best bid and offer (V2 only); conflated."""
        key = StreamKey("bbo", symbol_param(symbol))
        return self._public_sub(key, _version(version), Policy.CONFLATE, None, queue_size)

    def _public_sub(
        self,
        key: StreamKey,
        version: Version,
        policy: Policy,
        conflate_key: Callable[[Any], Hashable] | None,
        queue_size: int | None,
    ) -> Subscription[Any]:
        self._check_open()
        if key.topic not in PUBLIC_TOPICS[version]:
            raise InvalidParameterError("version", f"{key.topic} is not on the V{version} stream")
        topic = f"{key.topic}:{key.symbol}" + (f":{key.interval}" if key.interval else "")
        size = _queue_size(queue_size, self._queue_size)
        queue: SubscriberQueue[Any] = SubscriberQueue(topic, policy, size, conflate_key)

        async def attach(q: SubscriberQueue[Any]) -> None:
            self._check_open()
            entry = self._public.get(version)
            if entry is None or entry[1].state is ConnectionState.CLOSED:
                url = self._config.stream_url + endpoint_path(version)
                channel = PublicChannel(version, url)
                entry = (channel, self._connection(channel))
                self._public[version] = entry
            channel, conn = entry
            if channel.registry.add(key, q):
                conn.send(subscribe_message(version, key))

        async def detach(q: SubscriberQueue[Any]) -> None:
            entry = self._public.get(version)
            if entry is None:
                return
            channel, conn = entry
            if not channel.registry.remove(key, q):
                return
            channel.forget(key)
            if len(channel.registry) == 0:
                del self._public[version]
                await conn.close()
            else:
                conn.send(unsubscribe_message(version, key))

        return Subscription(queue, attach, detach)

    # --- private stream -----------------------------------------------------------------

    def user(self, *, queue_size: int | None = None) -> Subscription[PrivateEvent]:
        """Private events (``ExecutionReport``, ``AccountUpdate``, ``TicketInfo``, ``StreamGap``...)."""
        self._check_open()
        size = _queue_size(queue_size, self._queue_size)
        queue: SubscriberQueue[PrivateEvent] = SubscriberQueue("user", Policy.GAP, size)

        async def attach(q: SubscriberQueue[PrivateEvent]) -> None:
            self._check_open()
            if self._private is None or self._private[1].state is ConnectionState.CLOSED:
                channel = PrivateChannel(
                    self._config.stream_url,
                    self._user_stream,
                    self._config.listen_key_keepalive_interval,
                )
                conn = self._connection(channel)
                channel.connection = conn
                self._private = (channel, conn)
            self._private[0].queues.append(q)

        async def detach(q: SubscriberQueue[PrivateEvent]) -> None:
            if self._private is None:
                return
            channel, conn = self._private
            if q not in channel.queues:
                return
            channel.queues.remove(q)
            if not channel.queues:
                self._private = None
                await conn.close()
                await channel.close()

        return Subscription(queue, attach, detach)

    # --- plumbing -----------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StreamError("the client is closed")

    def _connection(self, channel: PublicChannel | PrivateChannel) -> Connection:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        stats = self.stats.setdefault(channel.name, ConnectionStats())
        config = self._config
        backoff = Backoff(
            config.reconnect_max_delay, base=min(self._base_delay, config.reconnect_max_delay)
        )
        conn = Connection(
            channel,
            self._session,
            ping_interval=config.ws_ping_interval,
            backoff=backoff,
            stats=stats,
            listeners=self._listeners,
            proof_by_pong=isinstance(channel, PrivateChannel),
        )
        conn.start()
        return conn

    async def close(self) -> None:
        """Close every connection, cancel every task, delete the listenKey, end every iterator."""
        if self._closed:
            return
        self._closed = True
        public, self._public = list(self._public.values()), {}
        private, self._private = self._private, None
        for channel, conn in public:
            await conn.close()
            for queue in channel.registry.queues():
                queue.end()
        if private is not None:
            channel_p, conn_p = private
            await conn_p.close()
            await channel_p.close()
            for queue_p in channel_p.queues:
                queue_p.end()
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None
