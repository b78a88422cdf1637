"""``OfflineExchange``: the whole HashKey API on loopback, for tests, examples and the demo.

REST handlers live in ``rest/`` (over the matching engine in ``engine.py``), WebSocket
endpoints in ``streams/`` (over the market generator in ``feeds.py``); this module owns the
aiohttp application, its lifecycle and the fault-injection API, and hands each side only
the parts it uses.
"""

from __future__ import annotations

import time
from dataclasses import replace
from types import TracebackType
from typing import Any, Literal

from aiohttp import web

from ..client import HashKeyClient
from .config import ExchangeConfig
from .engine import Engine
from .faults import CORRUPT_BODY, Faults
from .feeds import MarketFeeds
from .payload_faults import PayloadVariator
from .rest.api import RestApi
from .streams.hub import StreamHub

__all__ = ["ExchangeConfig", "OfflineExchange"]


class OfflineExchange:
    """A running offline exchange on an ephemeral loopback port.

    ``async with OfflineExchange() as ex:`` then point a client at ``ex.rest_url`` and
    ``ex.stream_url`` (or use ``ex.client()``).
    """

    def __init__(
        self,
        config: ExchangeConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        **overrides: Any,
    ) -> None:
        self.config = replace(config or ExchangeConfig(), **overrides)
        self.host = host
        self.port = port
        self.faults = Faults()
        self.engine = Engine(self.config, clock=self.now_ms)
        self.feeds = MarketFeeds(self.config, self.engine, clock=self.now_ms)
        self.app = web.Application()
        parts = (self.config, self.engine, self.feeds, self.faults, self.now_ms)
        self.rest = RestApi(*parts)
        self.hub = StreamHub(*parts)
        self.rest.install(self.app)
        self.hub.install(self.app)
        self._runner: web.AppRunner | None = None

    @property
    def rest_url(self) -> str:
        """REST root, e.g. ``http://127.0.0.1:54321``."""
        return f"http://{self.host}:{self.port}"

    @property
    def stream_url(self) -> str:
        """WebSocket root, e.g. ``ws://127.0.0.1:54321``."""
        return f"ws://{self.host}:{self.port}"

    @property
    def api_key(self) -> str:
        """The made-up key of the default account."""
        return self.config.api_key

    @property
    def api_secret(self) -> str:
        """The made-up secret of the default account."""
        return self.config.api_secret

    def now_ms(self) -> int:
        """The exchange's clock in milliseconds, including any injected skew."""
        return int(time.time() * 1000) + self.faults.clock_skew_ms

    def client(self, **kwargs: Any) -> HashKeyClient:
        """A ``HashKeyClient`` pointed at this exchange with the default account's keys.

        Its rate limiter paces at the exchange's configured per-key rates.
        """
        kwargs.setdefault("api_key", self.api_key)
        kwargs.setdefault("api_secret", self.api_secret)
        kwargs.setdefault("order_rate", self.config.order_rate)
        kwargs.setdefault("query_rate", self.config.query_rate)
        return HashKeyClient(base_url=self.rest_url, stream_url=self.stream_url, **kwargs)

    def add_account(
        self, api_key: str, api_secret: str, balances: dict[str, str] | None = None
    ) -> None:
        """Register another API key (its own user and accounts) holding ``balances``.

        Use ``ex.client(api_key=..., api_secret=...)`` to trade with it, e.g. against the
        default account.
        """
        self.engine.add_user(api_key, api_secret, balances)

    async def start(self) -> None:
        """Bind the port (ephemeral when 0) and start serving and generating market data.

        If that fails (the port is taken, say), whatever was started is closed again.
        """
        self._runner = web.AppRunner(self.app, handle_signals=False)
        await self._runner.setup()
        try:
            site = web.TCPSite(self._runner, self.host, self.port)
            await site.start()
            self.port = int(self._runner.addresses[0][1])
            await self.hub.start()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Stop generating, drop every connection and free the port."""
        try:
            await self.hub.close()
        finally:
            if self._runner is not None:
                runner, self._runner = self._runner, None
                await runner.cleanup()

    async def __aenter__(self) -> OfflineExchange:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- fault injection -------------------------------------------------------
    async def drop_connections(
        self,
        which: Literal["all", "public", "private", "v1", "v2"] = "all",
        *,
        count: int | None = None,
    ) -> int:
        """Abort the oldest ``count`` (default all) matching WebSockets, no close frame; returns how many."""
        return await self.hub.drop(which, count=count)

    async def close_connections(
        self,
        which: Literal["all", "public", "private", "v1", "v2"] = "all",
        *,
        code: int = 1000,
        count: int | None = None,
    ) -> int:
        """Close the oldest ``count`` (default all) matching WebSockets with ``code``; how many."""
        return await self.hub.close_connections(which, code, count=count)

    def reject_upgrades(self, count: int, *, status: int = 503) -> None:
        """Refuse the next ``count`` WebSocket upgrades with HTTP ``status`` (no upgrade)."""
        self.faults.reject_upgrades = count
        self.faults.reject_status = status

    def subscriptions(
        self, which: Literal["all", "public", "private", "v1", "v2"] = "all"
    ) -> list[list[tuple[str, str, str]]]:
        """(topic, symbol, kline interval or "") held per open connection, oldest first."""
        return self.hub.subscriptions(which)

    def stall(self, on: bool = True) -> None:
        """Stop (or resume) sending frames and answering pings on every stream."""
        self.faults.stalled = on

    def fail_next_orders(self, count: int, *, after_effect: bool = True, status: int = 500) -> None:
        """Answer the next ``count`` order calls with ``status``, after or before they take effect."""
        self.faults.fail_orders = count
        self.faults.fail_after_effect = after_effect
        self.faults.fail_status = status

    def corrupt_next_order_answers(self, count: int, *, body: bytes = CORRUPT_BODY) -> None:
        """Let the next ``count`` accepted order calls take effect, then answer 200 with ``body``.

        The default body is not JSON; pass e.g. ``b'{"code": 0}'`` for JSON that lacks the
        order's ids. Calls the engine rejects answer their error and do not count.
        """
        self.faults.corrupt_orders = count
        self.faults.corrupt_body = body

    def vary_payloads(self, rate: float, seed: int = 0) -> PayloadVariator | None:
        """Vary one non-identifying field of a ``rate`` share of answers and frames (seeded).

        See ``Faults.vary_payloads``; ``rate=0`` switches it off.
        """
        return self.faults.vary_payloads(rate, seed)

    def rate_limit_storm(self, count: int) -> None:
        """Answer the next ``count`` signed requests with 429."""
        self.faults.rate_limit_storm = count

    async def send_raw(
        self, frame: str | bytes, which: Literal["all", "public", "private", "v1", "v2"] = "all"
    ) -> int:
        """Send ``frame`` as-is (malformed JSON, unknown events) to matching streams."""
        return await self.hub.send_raw(frame, which)

    async def expire_listen_keys(self) -> None:
        """Expire every listenKey now and close their streams."""
        await self.hub.expire_listen_keys()

    def skew_clock(self, ms: int) -> None:
        """Shift the exchange's clock by ``ms`` milliseconds."""
        self.faults.clock_skew_ms = ms
