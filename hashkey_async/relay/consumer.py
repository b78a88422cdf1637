"""``RedisStreams``: read the relay's topics with ``client.stream``'s iterators, types and policies.

``RedisStreams(url).depth("BTCUSDT")`` is a ``Subscription[DepthUpdate]`` like
``client.stream.depth("BTCUSDT")``: conflated depth, bbo, ticker and klines (per candle), trades
that raise ``StreamOverflowError`` past the queue bound, and a ``StreamGap`` where the relay
marked an outage or where entries were trimmed (``MAXLEN``) before this consumer read them.

A reader task per subscription follows the topic's Redis Stream from the last entry it read; a
Redis error makes it reconnect and go on from there. With ``name``, the id of the last entry
*delivered* is saved in Redis (with each read and on close), and a later subscription of the
same name and topic resumes right after it: nothing repeated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Hashable
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final

from ..errors import InvalidParameterError, StreamError
from ..models.stream import Bbo, DepthUpdate, KlineUpdate, StreamGap, Ticker, TradeUpdate
from ..streams.subscription import DEFAULT_QUEUE_SIZE, Policy, SubscriberQueue, Subscription
from .topics import DEFAULT_PREFIX, Topic, decode_entry, entry_ms, parse_topic

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["POSITION_TTL", "RedisStreams"]

log = logging.getLogger("hashkey_async.relay")

#: A saved consumer position is forgotten after a week without reads.
POSITION_TTL: Final = 7 * 24 * 3600 * 1000
#: Entries fetched per XREAD.
READ_COUNT: Final = 512

_by_time: Final[Callable[[Any], Hashable]] = attrgetter("time")


class _RelayQueue(SubscriberQueue[Any]):
    """A subscriber queue whose items carry their entry id, so the delivered position is known."""

    __slots__ = ("position",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Id of the last entry handed to the consumer (None before the first).
        self.position: bytes | None = None

    async def get(self) -> Any:
        value = await super().get()
        if type(value) is tuple:
            self.position, value = value
        return value


def _unpaired(key: Callable[[Any], Hashable] | None) -> Callable[[Any], Hashable] | None:
    """Conflation key of an ``(entry id, item)`` pair: the item's."""
    if key is None:
        return None
    return lambda pair: key(pair[1]) if type(pair) is tuple else None


class RedisStreams:
    """Typed subscriptions to the relay's topics in Redis (``hashkey_async[redis]``).

    ``url_or_client``: a ``redis://`` URL (this object owns the connection and ``aclose()``
    closes it) or a ``redis.asyncio.Redis`` (left open). ``prefix`` must match the relay's.
    """

    def __init__(
        self,
        url_or_client: str | Redis,
        *,
        name: str | None = None,
        prefix: str = DEFAULT_PREFIX,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        block_ms: int = 1000,
        retry_delay: float = 0.5,
    ) -> None:
        if isinstance(url_or_client, str):
            try:
                from redis.asyncio import Redis as _Redis
            except ImportError as exc:  # pragma: no cover - depends on the environment
                raise ImportError(
                    "RedisStreams needs redis-py: pip install 'hashkey_async[redis]'"
                ) from exc
            # Reads block up to block_ms: the socket timeout leaves room for that.
            self._redis = _Redis.from_url(url_or_client, socket_timeout=block_ms / 1000 + 5)
            self._owns_redis = True
        else:
            self._redis = url_or_client
            self._owns_redis = False
        if not isinstance(queue_size, int) or queue_size < 1:
            raise InvalidParameterError("queue_size", "must be a positive int")
        self.name = name
        self._prefix = prefix
        self._queue_size = queue_size
        self._block_ms = block_ms
        self._retry_delay = retry_delay
        self._readers: dict[_RelayQueue, tuple[Topic, asyncio.Task[None]]] = {}
        self._closed = False

    # --- topics, as client.stream names them ----------------------------------------------

    def depth(self, symbol: str, *, queue_size: int | None = None) -> Subscription[DepthUpdate]:
        """Order book snapshots; a slow consumer gets the latest one (conflated)."""
        return self._subscribe(f"depth:{symbol}", Policy.CONFLATE, None, queue_size)

    def trades(self, symbol: str, *, queue_size: int | None = None) -> Subscription[TradeUpdate]:
        """Every public trade; a consumer past its bound gets ``StreamOverflowError``."""
        return self._subscribe(f"trade:{symbol}", Policy.RAISE, None, queue_size)

    def klines(
        self, symbol: str, interval: str, *, queue_size: int | None = None
    ) -> Subscription[KlineUpdate]:
        """Candles of ``interval``; conflated to the latest per candle."""
        return self._subscribe(f"kline:{symbol}:{interval}", Policy.CONFLATE, _by_time, queue_size)

    def ticker(self, symbol: str, *, queue_size: int | None = None) -> Subscription[Ticker]:
        """24h rolling ticker; conflated."""
        return self._subscribe(f"ticker:{symbol}", Policy.CONFLATE, None, queue_size)

    def bbo(self, symbol: str, *, queue_size: int | None = None) -> Subscription[Bbo]:
        """Best bid and offer; conflated."""
        return self._subscribe(f"bbo:{symbol}", Policy.CONFLATE, None, queue_size)

    # --- plumbing -------------------------------------------------------------------------

    def _subscribe(
        self,
        spec: str,
        policy: Policy,
        conflate_key: Callable[[Any], Hashable] | None,
        queue_size: int | None,
    ) -> Subscription[Any]:
        if self._closed:
            raise StreamError("RedisStreams is closed")
        topic = parse_topic(spec)
        size = self._queue_size if queue_size is None else queue_size
        if not isinstance(size, int) or size < 1:
            raise InvalidParameterError("queue_size", "must be a positive int")
        queue = _RelayQueue(spec, policy, size, _unpaired(conflate_key))

        async def attach(q: SubscriberQueue[Any]) -> None:
            if self._closed:
                raise StreamError("RedisStreams is closed")
            assert isinstance(q, _RelayQueue)
            task = asyncio.create_task(
                self._read(topic, q, policy is Policy.CONFLATE), name=f"relay-read-{spec}"
            )
            self._readers[q] = (topic, task)

        async def detach(q: SubscriberQueue[Any]) -> None:
            assert isinstance(q, _RelayQueue)
            entry = self._readers.pop(q, None)
            if entry is not None:
                entry[1].cancel()
                await asyncio.gather(entry[1], return_exceptions=True)
                await self._save(topic, q)

        return Subscription(queue, attach, detach)

    def _position_key(self, topic: Topic) -> str:
        return f"{self._prefix}:pos:{self.name}:{topic.spec}"

    async def _save(self, topic: Topic, queue: _RelayQueue) -> None:
        """Remember where a named consumer stopped (best effort: Redis may be down)."""
        if self.name is None or queue.position is None:
            return
        with contextlib.suppress(Exception):
            await self._redis.set(self._position_key(topic), queue.position, px=POSITION_TTL)

    async def _start(self, topic: Topic, key: str, latest: bool) -> bytes:
        """Where a new subscription starts: the saved position, else now (snapshots: the latest)."""
        if self.name is not None:
            saved = await self._redis.get(self._position_key(topic))
            if saved is not None:
                return _as_bytes(saved)
        last = await self._redis.xrevrange(key, count=1)
        if not last or last[0][0] is None:
            return b"0-0"
        entry_id = _as_bytes(last[0][0])
        # A snapshot topic starts with the current state, as a fresh exchange subscription does.
        return _before(entry_id) if latest else entry_id

    async def _trimmed(self, key: str, after: bytes, queue: _RelayQueue) -> None:
        """Mark a gap if entries after ``after`` were trimmed before this consumer read them."""
        info = await self._redis.xinfo_stream(key)
        deleted = info.get("max-deleted-entry-id")
        if deleted is not None and _id_tuple(deleted) > _id_tuple(after) != (0, 0):
            gap = StreamGap(entry_ms(after), entry_ms(deleted), "relay entries trimmed (MAXLEN)")
            queue.put_event((deleted, gap))

    async def _read(self, topic: Topic, queue: _RelayQueue, latest: bool) -> None:
        """Follow the topic's stream into ``queue``, reconnecting after Redis errors."""
        key = topic.key(self._prefix)
        position: bytes | None = None
        check_trim = self.name is not None
        saved: bytes | None = None
        task = asyncio.current_task()
        assert task is not None
        while not queue.ended:
            if task.cancelling():
                # redis-py can swallow a cancellation that lands inside a blocking read
                raise asyncio.CancelledError
            try:
                if position is None:
                    position = await self._start(topic, key, latest)
                if check_trim:
                    await self._trimmed(key, position, queue)
                    check_trim = False
                pipe = self._redis.pipeline(transaction=False)
                if self.name is not None and queue.position not in (None, saved):
                    saved = queue.position
                    pipe.set(self._position_key(topic), saved, px=POSITION_TTL)
                pipe.xread({key: position}, count=READ_COUNT, block=self._block_ms)
                answer = (await pipe.execute())[-1]
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # redis errors, a dropped connection
                log.warning(
                    "relay consumer %s: %s: %s; reconnecting", topic.spec, type(exc).__name__, exc
                )
                check_trim = position is not None
                await asyncio.sleep(self._retry_delay)
                continue
            for _key, entries in answer or ():
                for entry_id, fields in entries:
                    value = decode_entry(topic.kind, fields)
                    if type(value) is StreamGap:
                        queue.put_event((entry_id, value))
                    else:
                        queue.put((entry_id, value))
                    position = entry_id

    async def aclose(self) -> None:
        """Stop every reader (saving named positions), end every iterator, close owned Redis."""
        if self._closed:
            return
        self._closed = True
        for queue, (topic, task) in list(self._readers.items()):
            queue.end()  # the reader stops even if its cancellation is swallowed
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await self._save(topic, queue)
        self._readers.clear()
        if self._owns_redis:
            await self._redis.aclose()

    async def __aenter__(self) -> RedisStreams:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _as_bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


def _id_tuple(entry_id: bytes | str) -> tuple[int, int]:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def _before(entry_id: bytes) -> bytes:
    """The largest id below ``entry_id`` (XREAD returns entries after the id it is given)."""
    ms, seq = _id_tuple(entry_id)
    if seq > 0:
        return f"{ms}-{seq - 1}".encode()
    return f"{ms - 1}-{2**64 - 1}".encode()
