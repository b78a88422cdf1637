"""The relay's publisher: one client's public streams, every decoded message into Redis Streams.

``run_relay`` subscribes to each topic over the client's shared connections and appends each
message to its topic's stream (``XADD ... MAXLEN ~``), batching what is already queued into one
pipelined round trip. When the relay's own feed had a gap (its connection dropped and healed,
its trade queue overflowed, or the relay restarted), it first appends an outage marker, a
``StreamGap``, so consumers learn about it at the right position.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from ..errors import StreamOverflowError
from ..models.stream import StreamGap
from ..streams.connection import ConnectionState
from ..streams.subscription import Subscription
from .topics import (
    DEFAULT_MAXLEN,
    DEFAULT_PREFIX,
    GAP_FIELD,
    MESSAGE_FIELD,
    Topic,
    encode_gap,
    encode_message,
    entry_ms,
    parse_topic,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from ..client import HashKeyClient

__all__ = ["BATCH", "run_relay"]

log = logging.getLogger("hashkey_async.relay")

#: Most messages appended in one pipelined round trip.
BATCH: Final = 256


def _now_ms() -> int:
    return int(time.time() * 1000)


def _subscribe(client: HashKeyClient, topic: Topic, version: int) -> Subscription[Any]:
    stream = client.stream
    if topic.kind == "depth":
        return stream.depth(topic.symbol, version=version)
    if topic.kind == "trade":
        return stream.trades(topic.symbol, version=version)
    if topic.kind == "kline":
        return stream.klines(topic.symbol, topic.interval, version=version)
    if topic.kind == "bbo":
        return stream.bbo(topic.symbol, version=version)
    return stream.ticker(topic.symbol, version=version)


class _Feed:
    """One topic: its subscription, stream key and the outage markers waiting to be written."""

    def __init__(self, topic: Topic, subscription: Subscription[Any], key: str) -> None:
        self.topic = topic
        self.subscription = subscription
        self.key = key
        self.gaps: list[StreamGap] = []


async def _pump(redis: Redis, feed: _Feed, maxlen: int) -> None:
    """Append every message of ``feed`` (outage markers first) until cancelled."""
    sub = feed.subscription
    task = asyncio.current_task()
    assert task is not None
    async with sub:
        while True:
            if task.cancelling():
                # redis-py can swallow a cancellation that lands inside a pipeline call
                raise asyncio.CancelledError
            try:
                batch = [await sub.get()]
            except StreamOverflowError as exc:
                now = _now_ms()
                feed.gaps.append(StreamGap(now, now, "relay queue overflow", exc.dropped))
                batch = []
            while batch and len(sub.queue) and len(batch) < BATCH:
                batch.append(await sub.get())
            pipe = redis.pipeline(transaction=False)
            gaps, feed.gaps = feed.gaps, []
            for gap in gaps:
                pipe.xadd(feed.key, {GAP_FIELD: encode_gap(gap)}, maxlen=maxlen, approximate=True)
            for item in batch:
                pipe.xadd(
                    feed.key, {MESSAGE_FIELD: encode_message(item)}, maxlen=maxlen, approximate=True
                )
            await pipe.execute()


async def _restart_marker(redis: Redis, feed: _Feed) -> None:
    """If the stream already has entries, what happened since the last one is unknown: mark it."""
    last = await redis.xrevrange(feed.key, count=1)
    if last and last[0][0] is not None:
        feed.gaps.append(StreamGap(entry_ms(last[0][0]), _now_ms(), "relay restarted"))


async def run_relay(
    redis: Redis,
    topics: Sequence[str],
    client: HashKeyClient,
    *,
    maxlen: int = DEFAULT_MAXLEN,
    prefix: str = DEFAULT_PREFIX,
    version: int = 2,
    started: asyncio.Event | None = None,
) -> None:
    """Relay ``topics`` (``depth:BTCUSDT`` ...) from ``client``'s streams into Redis until cancelled.

    ``redis`` and ``client`` stay the caller's to close. ``started`` is set once every topic is
    subscribed. A Redis error ends the relay (raised): run it under a supervisor that restarts
    it; the restart leaves an outage marker in each stream.
    """
    parsed = [parse_topic(spec) for spec in topics]
    feeds = [_Feed(t, _subscribe(client, t, version), t.key(prefix)) for t in parsed]
    endpoint = f"public-v{version}"
    down: dict[str, tuple[int, str]] = {}

    def on_state(name: str, old: ConnectionState, new: ConnectionState) -> None:
        if name != endpoint:
            return
        if old is ConnectionState.OPEN and new is not ConnectionState.OPEN:
            down.setdefault(name, (_now_ms(), f"relay connection {new.value}"))
        elif new is ConnectionState.OPEN and name in down:
            since, reason = down.pop(name)
            for feed in feeds:
                feed.gaps.append(StreamGap(since, _now_ms(), reason))
            log.warning("relay: %s back after %d ms; outage marked", name, _now_ms() - since)

    for feed in feeds:
        await _restart_marker(redis, feed)
    client.stream.add_listener(on_state)
    tasks = [
        asyncio.create_task(_pump(redis, feed, maxlen), name=f"relay-{feed.topic.spec}")
        for feed in feeds
    ]
    try:
        if started is not None:
            await asyncio.wait_for(client.stream.wait_state(endpoint, ConnectionState.OPEN), 30)
            started.set()
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()
    finally:
        client.stream.remove_listener(on_state)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
