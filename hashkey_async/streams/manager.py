"""``client.stream``: public topics (V1/V2) over sharded connections, and the private stream.

A public endpoint's subscriptions are spread over shards: connections that each carry at most
``stream_max_per_connection`` streams, so a reconnect replays (paced) only one shard's share and
a fault on one connection touches only its streams. The first subscriber of a shard opens it and
the last one to leave closes it. The private stream is one connection (``PrivateChannel``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable, Hashable, Iterator, Mapping
from math import inf
from operator import attrgetter
from typing import Any, Final

import aiohttp

from ..config import ClientConfig
from ..enums import interval_param
from ..errors import InvalidParameterError, StreamError
from ..models.stream import Bbo, DepthUpdate, KlineUpdate, PrivateEvent, Ticker, TradeUpdate
from ..params import symbol_param
from ..rest.user_stream import UserStreamResource
from .backoff import Backoff
from .channels import PrivateChannel, PublicChannel
from .connection import Connection, ConnectionState, ConnectionStats, StateListener
from .protocol import (
    PUBLIC_TOPICS,
    StreamKey,
    Version,
    endpoint_path,
    subscribe_message,
    unsubscribe_message,
)
from .subscription import Policy, SubscriberQueue, Subscription

__all__ = ["DEFAULT_MAX_PER_CONNECTION", "StreamManager", "StreamStats"]

#: Streams one public connection carries at most: its paced replay (burst 10, then 20/s) ends
#: within 2 s. ``HashKeyClient(stream_max_per_connection=...)`` changes it.
DEFAULT_MAX_PER_CONNECTION: Final = 50
#: Endpoint state when its shards disagree: the least healthy one wins.
_STATE_RANK: Final = {
    ConnectionState.RECONNECTING: 0,
    ConnectionState.CONNECTING: 1,
    ConnectionState.OPEN: 2,
    ConnectionState.CLOSED: 3,
}
_COUNTERS: Final = tuple(
    f.name for f in dataclasses.fields(ConnectionStats) if f.type in ("int", int)
)


class StreamStats(Mapping[str, ConnectionStats]):
    """``client.stream.stats[endpoint]``: counters summed over the endpoint's connections.

    Closed shards are folded into one retired total, so churn does not grow memory.
    """

    def __init__(self) -> None:
        self._live: dict[str, list[ConnectionStats]] = {}
        self._retired: dict[str, ConnectionStats] = {}

    def new(self, endpoint: str) -> ConnectionStats:
        """Counters for a new connection of ``endpoint``."""
        stats = ConnectionStats()
        self._live.setdefault(endpoint, []).append(stats)
        self._retired.setdefault(endpoint, ConnectionStats())
        return stats

    def retire(self, endpoint: str, stats: ConnectionStats) -> None:
        """A connection of ``endpoint`` closed for good: fold its counters into the total."""
        live = self._live.get(endpoint, [])
        if stats in live:
            live.remove(stats)
            self._retired[endpoint] = _sum([self._retired[endpoint], stats])

    def __getitem__(self, endpoint: str) -> ConnectionStats:
        return _sum([self._retired[endpoint], *self._live.get(endpoint, [])])

    def __iter__(self) -> Iterator[str]:
        return iter(self._retired)

    def __len__(self) -> int:
        return len(self._retired)


def _sum(parts: list[ConnectionStats]) -> ConnectionStats:
    total = ConnectionStats()
    for name in _COUNTERS:
        setattr(total, name, sum(getattr(part, name) for part in parts))
    last = max(parts, key=attrgetter("last_drop_at"))
    total.last_drop_reason, total.last_drop_at = last.last_drop_reason, last.last_drop_at
    return total


class _Shard:
    """One public connection and the subscriptions it carries."""

    __slots__ = ("channel", "connection")

    def __init__(self, channel: PublicChannel, connection: Connection) -> None:
        self.channel = channel
        self.connection = connection


class _Shards:
    """The connections of one public endpoint; a key lives on exactly one of them."""

    def __init__(self, version: Version, max_streams: int) -> None:
        self.version = version
        self.max_streams = max_streams
        self.shards: list[_Shard] = []
        self.by_key: dict[tuple[str, str, str], _Shard] = {}

    def place(self, key: tuple[str, str, str]) -> _Shard | None:
        """The shard that holds ``key`` or has room for it (None: open a new one)."""
        shard = self.by_key.get(key)
        if shard is not None:
            return shard
        for shard in self.shards:
            if len(shard.channel.registry) < self.max_streams:
                return shard
        return None


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
    """``client.stream``: typed subscriptions over supervised, sharded connections."""

    def __init__(
        self,
        config: ClientConfig,
        user_stream: UserStreamResource,
        *,
        session: aiohttp.ClientSession | None = None,
        queue_size: int | None = None,
        reconnect_base_delay: float | None = None,
    ) -> None:
        max_streams = config.stream_max_per_connection  # validated by ClientConfig
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
        self._public: dict[int, _Shards] = {1: _Shards(1, max_streams), 2: _Shards(2, max_streams)}
        self._private: tuple[PrivateChannel, Connection] | None = None
        self._listeners: list[StateListener] = []
        #: Counters per endpoint (``"public-v2"``...), summed over its connections.
        self.stats = StreamStats()
        self._closed = False

    # --- observability ------------------------------------------------------------------

    def subscribers(self) -> list[SubscriberQueue[Any]]:
        """Every live subscriber's queue, public then private (``client.stats()`` reads them)."""
        queues = [
            q
            for shards in self._public.values()
            for shard in shards.shards
            for q in shard.channel.registry.queues()
        ]
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

    def _connections(self, endpoint: str) -> list[Connection]:
        if endpoint == "private":
            return [self._private[1]] if self._private is not None else []
        shards = self._public.get(int(endpoint[-1])) if endpoint[:-1] == "public-v" else None
        return [shard.connection for shard in shards.shards] if shards is not None else []

    def connections(self, endpoint: str) -> int:
        """How many connections serve ``endpoint`` now (a public endpoint's shards)."""
        return len(self._connections(endpoint))

    def state(self, endpoint: str) -> ConnectionState:
        """State of ``"public-v1"``, ``"public-v2"`` or ``"private"`` (CLOSED when unused).

        For a sharded endpoint, the least healthy of its connections' states.
        """
        states = [conn.state for conn in self._connections(endpoint)]
        return min(states, key=_STATE_RANK.__getitem__, default=ConnectionState.CLOSED)

    async def wait_state(self, endpoint: str, state: ConnectionState) -> None:
        """Return once ``endpoint`` is in ``state`` (e.g. the private stream is ``OPEN``)."""
        if self.state(endpoint) is state:
            return
        reached: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def listener(name: str, old: ConnectionState, new: ConnectionState) -> None:
            if name == endpoint and self.state(endpoint) is state and not reached.done():
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
        """Drop and reconnect an endpoint's links (subscriptions are replayed)."""
        for conn in self._connections(endpoint):
            conn.restart(reason)

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

        shards = self._public[version]

        async def attach(q: SubscriberQueue[Any]) -> None:
            self._check_open()
            shard = shards.place(key)
            if shard is None:
                url = self._config.stream_url + endpoint_path(version)
                channel = PublicChannel(version, url)
                shard = _Shard(channel, self._connection(channel))
                shards.shards.append(shard)
            if shard.channel.registry.add(key, q):
                shards.by_key[key] = shard
                shard.connection.send(subscribe_message(version, key))

        async def detach(q: SubscriberQueue[Any]) -> None:
            shard = shards.by_key.get(key)
            if shard is None or not shard.channel.registry.remove(key, q):
                return
            del shards.by_key[key]
            shard.channel.forget(key)
            if len(shard.channel.registry) == 0:
                shards.shards.remove(shard)
                await self._retire(shard.connection)
            else:
                shard.connection.send(unsubscribe_message(version, key))

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
                await self._retire(conn)
                await channel.close()

        return Subscription(queue, attach, detach)

    # --- plumbing -----------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StreamError("the client is closed")

    def _connection(self, channel: PublicChannel | PrivateChannel) -> Connection:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        stats = self.stats.new(channel.name)
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

    async def _retire(self, conn: Connection) -> None:
        await conn.close()
        self.stats.retire(conn.channel.name, conn.stats)

    async def close(self) -> None:
        """Close every connection, cancel every task, delete the listenKey, end every iterator."""
        if self._closed:
            return
        self._closed = True
        public = [shard for shards in self._public.values() for shard in shards.shards]
        for shards in self._public.values():
            shards.shards, shards.by_key = [], {}
        private, self._private = self._private, None
        for shard in public:
            await self._retire(shard.connection)
            for queue in shard.channel.registry.queues():
                queue.end()
        if private is not None:
            channel_p, conn_p = private
            await self._retire(conn_p)
            await channel_p.close()
            for queue_p in channel_p.queues:
                queue_p.end()
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None
