"""``HashKeyClient``: owns the HTTP session, limiter, clock, resources and stream manager."""

from __future__ import annotations

from os import PathLike
from types import TracebackType
from typing import Unpack

import aiohttp

from .auth import credentials_from, mask
from .clock import ServerClock
from .config import ClientConfig, ClientOptions, config_with
from .decoding import decode_stats
from .ratelimit import Limiter
from .rest.account import AccountResource
from .rest.market import MarketResource
from .rest.mock_transport import MockTransport
from .rest.spot import SpotResource
from .rest.subaccount import SubAccountResource
from .rest.transport import Transport
from .rest.user_stream import UserStreamResource
from .rest.wallet import WalletResource
from .stats import ClientStats, ConnectionSnapshot, SubscriptionStats
from .streams.manager import StreamManager
from .tracking import OrderJournal, OrderTracker

__all__ = ["HashKeyClient"]


class HashKeyClient:
    """Async client for HashKey's REST and WebSocket APIs.

    Use as ``async with HashKeyClient(key, secret) as client:``; ``close()`` is
    idempotent and releases every socket and task the client started.
    ``transport=MockTransport(handler)`` answers the REST calls with a function instead of
    the network (for tests: the handler sees the exact signed request).
    """

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        *,
        config: ClientConfig | None = None,
        session: aiohttp.ClientSession | None = None,
        transport: MockTransport | None = None,
        rate_limiter: Limiter | None = None,
        journal: str | PathLike[str] | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        """Build the client; nothing connects until the first call.

        Settings come from ``config`` (or ``ClientConfig``'s defaults) with ``options``
        (any ``ClientConfig`` field by name; ``base_url`` for ``rest_url``) applied on top.
        A value out of range raises ``InvalidParameterError`` naming it. ``session`` is
        used as is and left open by ``close()``; ``transport`` answers REST calls in place
        of the network (tests: ``MockTransport``). ``rate_limiter`` (e.g. a ``RedisRateLimiter``
        shared by several clients or processes) replaces the client's own and is left open by
        ``close()``. ``journal`` (a file path) makes ``client.orders`` crash-safe: orders are
        journalled in SQLite and recovered on start.
        """
        self.config = config_with(config, options)
        self._credentials = credentials_from(api_key, api_secret)
        self.clock = ServerClock()
        if rate_limiter is not None:
            rate_limiter.bind_key(self._credentials.api_key if self._credentials else None)
        self._transport = Transport(
            self.config,
            self._credentials,
            session=session,
            limiter=rate_limiter,
            clock=self.clock,
            mock=transport,
        )
        self.limiter = self._transport.limiter
        self.market = MarketResource(self._transport)
        self.spot = SpotResource(self._transport)
        self.account = AccountResource(self._transport)
        self.subaccount = SubAccountResource(self._transport)
        self.wallet = WalletResource(self._transport)
        self.user_stream = UserStreamResource(self._transport)
        self.stream = StreamManager(self.config, self.user_stream, session=session)
        #: Order tracker (``tracking/tracker.py``); ``journal`` makes it crash-safe.
        self.orders = OrderTracker(
            self.spot,
            self.stream,
            recv_window_ms=self.config.recv_window,
            journal=OrderJournal(journal) if journal is not None else None,
        )
        self._closed = False

    def stats(self) -> ClientStats:
        """A snapshot of what this client counted: requests, latency, limits, streams, decoding.

        Cheap enough to call on every scrape (``hashkey_async.metrics.PrometheusCollector``);
        the counters it reads are kept anyway, so not calling it costs nothing.
        """
        recorder = self._transport.stats
        decoding = decode_stats().snapshot()
        return ClientStats(
            endpoints=recorder.endpoints(),
            latency=recorder.overall_latency(),
            rate_limited=recorder.rate_limited,
            banned=recorder.banned,
            retries=recorder.retries,
            in_doubt_orders=len(self.spot.in_doubt),
            limiter_wait_seconds=recorder.limiter_wait,
            limiter_waits=recorder.limiter_waits,
            connections={
                name: ConnectionSnapshot(
                    state=self.stream.state(name).value,
                    connects=counters.connects,
                    reconnects=counters.reconnects,
                    drops=counters.drops,
                    messages=counters.messages,
                    decode_errors=counters.decode_errors,
                )
                for name, counters in self.stream.stats.items()
            },
            subscriptions=tuple(
                SubscriptionStats(
                    topic=q.topic,
                    policy=q.policy.value,
                    received=q.delivered + len(q) + q.conflated + q.dropped,
                    delivered=q.delivered,
                    queued=len(q),
                    conflated=q.conflated,
                    dropped=q.dropped,
                )
                for q in self.stream.subscribers()
            ),
            decode_fallbacks=decoding["fallbacks"],
            decode_refusals=decoding["refusals"],
        )

    def __repr__(self) -> str:
        key = mask(self._credentials.api_key) if self._credentials else None
        return f"HashKeyClient(api_key={key!r}, rest_url={self.config.rest_url!r})"

    async def __aenter__(self) -> HashKeyClient:
        """With a ``journal``: recover and reconcile its orders before the block runs."""
        if self.orders.journaled:
            try:
                await self.orders.start()
            except BaseException:
                await self.close()
                raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop every stream and task, then close the HTTP session if the client created it."""
        if self._closed:
            return
        self._closed = True
        try:
            try:
                await self.orders.close()
            finally:
                await self.stream.close()
        finally:
            # Even if closing the streams failed or was cancelled (it may wait on a
            # listenKey DELETE): a second close() returns early, so this is the last chance.
            await self._transport.close()
