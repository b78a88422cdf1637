"""``HashKeyClient``: owns the HTTP session, limiter, clock, resources and stream manager."""

from __future__ import annotations

from types import TracebackType

import aiohttp

from .auth import credentials_from, mask
from .clock import ServerClock
from .config import ENVIRONMENTS, ClientConfig, Environment
from .ratelimit import Limiter, RateLimiter
from .rest.account import AccountResource
from .rest.market import MarketResource
from .rest.mock_transport import MockTransport
from .rest.spot import SpotResource
from .rest.subaccount import SubAccountResource
from .rest.transport import Transport
from .rest.user_stream import UserStreamResource
from .rest.wallet import WalletResource
from .streams.manager import StreamManager

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
        environment: Environment = "production",
        base_url: str | None = None,
        stream_url: str | None = None,
        recv_window: int = 5000,
        session: aiohttp.ClientSession | None = None,
        request_timeout: float = 10.0,
        order_rate: int = 10,
        query_rate: int = 2,
        weight_budget: int | None = None,
        rate_limit_margin: float = 0.05,
        max_retries: int = 2,
        time_sync_interval: float | None = 300.0,
        ws_ping_interval: float = 10.0,
        listen_key_keepalive_interval: float = 1800.0,
        reconnect_max_delay: float = 30.0,
        reconnect_base_delay: float = 0.5,
        stream_queue_size: int = 1024,
        transport: MockTransport | None = None,
        rate_limiter: Limiter | None = None,
    ) -> None:
        if environment not in ENVIRONMENTS:
            raise ValueError(
                f"environment must be one of {sorted(ENVIRONMENTS)}, got {environment!r}"
            )
        urls = ENVIRONMENTS[environment]
        self.config = ClientConfig(
            rest_url=(base_url or urls.rest).rstrip("/"),
            stream_url=(stream_url or urls.stream).rstrip("/"),
            recv_window=recv_window,
            request_timeout=request_timeout,
            order_rate=order_rate,
            query_rate=query_rate,
            weight_budget=weight_budget,
            rate_limit_margin=rate_limit_margin,
            max_retries=max_retries,
            time_sync_interval=time_sync_interval,
            ws_ping_interval=ws_ping_interval,
            listen_key_keepalive_interval=listen_key_keepalive_interval,
            reconnect_max_delay=reconnect_max_delay,
            reconnect_base_delay=reconnect_base_delay,
            stream_queue_size=stream_queue_size,
        )
        self._credentials = credentials_from(api_key, api_secret)
        self.clock = ServerClock()
        # A limiter handed in (e.g. a RedisRateLimiter shared by several clients) stays the
        # caller's: close() leaves it open.
        self.limiter: Limiter = (
            rate_limiter
            if rate_limiter is not None
            else RateLimiter(
                order_rate, query_rate, weight_budget=weight_budget, margin=rate_limit_margin
            )
        )
        self.limiter.bind_key(self._credentials.api_key if self._credentials else None)
        self._transport = Transport(
            self.config,
            self._credentials,
            session=session,
            limiter=self.limiter,
            clock=self.clock,
            mock=transport,
        )
        self.market = MarketResource(self._transport)
        self.spot = SpotResource(self._transport)
        self.account = AccountResource(self._transport)
        self.subaccount = SubAccountResource(self._transport)
        self.wallet = WalletResource(self._transport)
        self.user_stream = UserStreamResource(self._transport)
        self.stream = StreamManager(self.config, self.user_stream)
        self._closed = False

    def __repr__(self) -> str:
        key = mask(self._credentials.api_key) if self._credentials else None
        return f"HashKeyClient(api_key={key!r}, rest_url={self.config.rest_url!r})"

    async def __aenter__(self) -> HashKeyClient:
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
            await self.stream.close()
        finally:
            # Even if closing the streams failed or was cancelled (it may wait on a
            # listenKey DELETE): a second close() returns early, so this is the last chance.
            await self._transport.close()
