"""``RedisRateLimiter``: one rate budget for every process on an API key, counted in Redis.

Each acquire is one Lua script round trip (``lua.ACQUIRE``): a sliding-window log per bucket
in Redis server time, the local limiter's margin rule, a FIFO ticket queue so no process
starves, and the shared suspension, ban and pause keys every process reads. Keys are named
after a hash of the API key (never the key) and all expire.

When Redis is unreachable or slower than ``timeout``, the limiter falls back to a local
``RateLimiter`` at ``fallback_share`` of the limits (after waiting out one window, so grants
counted in Redis cannot add to local ones), logs a WARNING and counts it in ``fallbacks``.
It probes Redis again every ``retry_interval``. The first process back sets a recovery hold
(``retry_interval`` + ``timeout`` + one window) during which every process still grants at its local share
and records those grants in Redis, so the window is whole again when full-rate sharing resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import os
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Final

from ..errors import IPBannedError, RateLimitError
from . import lua
from .base import (
    DEFAULT_BAN_SECONDS,
    DEFAULT_MARGIN,
    DEFAULT_MAX_PAUSE,
    DEFAULT_SUSPEND_SECONDS,
    WEIGHT_PERIOD,
    Bucket,
)
from .local import RateLimiter

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["DEFAULT_PREFIX", "RedisRateLimiter", "key_namespace"]

log = logging.getLogger("hashkey_async.ratelimit")

#: First part of every key this limiter writes.
DEFAULT_PREFIX: Final = "hashkey_async:rl"
#: A queued waiter that stops asking leaves the FIFO queue this long after its expected turn.
QUEUE_GRACE: Final = 2.0
_OK, _WAIT, _SUSPENDED, _BANNED, _RECOVERING = range(5)


def key_namespace(api_key: str | None) -> str:
    """The namespace of ``api_key``'s keys: 16 hex digits of its SHA-256 (``public`` without one)."""
    if api_key is None:
        return "public"
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


def _redis_errors() -> tuple[type[BaseException], ...]:
    from redis.exceptions import RedisError

    return (RedisError, OSError, TimeoutError)


def _connect(url: str, timeout: float) -> Redis:
    try:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "RedisRateLimiter needs redis-py: pip install 'hashkey_async[redis]'"
        ) from exc
    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )


def _share(rate: int, share: float, window: float) -> tuple[int, float]:
    """Limit and window (seconds) granting at most ``share`` of ``rate`` per ``window``.

    Whole requests per window, at least one: below one, the window is stretched instead.
    """
    allowed = rate * share
    if allowed >= 1:
        return math.floor(allowed), window
    return 1, window / allowed


class RedisRateLimiter:
    """Shares the per-key order/query limits (and an optional weight budget) through Redis.

    ``url_or_client`` is a ``redis://`` URL (the limiter then owns and closes its connection)
    or a ``redis.asyncio.Redis`` (the caller keeps owning it). ``namespace`` defaults to a hash
    of the API key of the first client handed this limiter; clients of another key refuse it.
    Use one per process, shared by every client on the key; ``aclose()`` when done.
    """

    def __init__(
        self,
        url_or_client: str | Redis,
        *,
        namespace: str | None = None,
        order_rate: int = 10,
        query_rate: int = 2,
        weight_budget: int | None = None,
        weight_period: float = WEIGHT_PERIOD,
        margin: float = DEFAULT_MARGIN,
        max_pause: float = DEFAULT_MAX_PAUSE,
        suspend_seconds: float = DEFAULT_SUSPEND_SECONDS,
        ban_seconds: float = DEFAULT_BAN_SECONDS,
        fallback_share: float = 0.25,
        timeout: float = 0.25,
        retry_interval: float = 1.0,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        if not 0 < fallback_share <= 1:
            raise ValueError(f"fallback_share must be in (0, 1], got {fallback_share!r}")
        if timeout <= 0 or retry_interval <= 0:
            raise ValueError("timeout and retry_interval must be > 0 s")
        if isinstance(url_or_client, str):
            self._redis = _connect(url_or_client, timeout)
            self._owns_redis = True
        else:
            self._redis = url_or_client
            self._owns_redis = False
        self._errors = _redis_errors()
        self._acquire = self._redis.register_script(lua.ACQUIRE)
        self._hold = self._redis.register_script(lua.HOLD)
        self._namespace = namespace
        self._explicit_namespace = namespace is not None
        self._prefix = prefix
        self.order_rate, self.query_rate = order_rate, query_rate
        self.weight_budget, self.weight_period = weight_budget, weight_period
        self.period = 1.0 + margin
        self.max_pause = max_pause
        self.suspend_seconds, self.ban_seconds = suspend_seconds, ban_seconds
        self.fallback_share = fallback_share
        self.timeout, self.retry_interval = timeout, retry_interval
        order_f, window = _share(order_rate, fallback_share, 1.0)
        query_f, query_window = _share(query_rate, fallback_share, 1.0)
        self._fallback = RateLimiter(
            order_f,
            query_f,
            weight_budget=(
                max(1, math.floor(weight_budget * fallback_share)) if weight_budget else None
            ),
            weight_period=weight_period,
            margin=margin,
            max_pause=max_pause,
            window=max(window, query_window),
            suspend_seconds=suspend_seconds,
        )
        #: Times Redis was given up for the local fallback (a WARNING is logged each time).
        self.fallbacks = 0
        self._down_since: float | None = None
        self._next_probe = 0.0
        self._token_base = f"{os.getpid()}:{os.urandom(4).hex()}:"
        self._serial = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def __repr__(self) -> str:
        mode = "fallback" if self._down_since is not None else "redis"
        return f"RedisRateLimiter(namespace={self._namespace!r}, mode={mode!r})"

    @property
    def in_fallback(self) -> bool:
        """True while granting from the local fallback instead of Redis."""
        return self._down_since is not None

    @property
    def namespace(self) -> str | None:
        """The key namespace (None until set or bound to a client's key)."""
        return self._namespace

    def bind_key(self, api_key: str | None) -> None:
        """Take the namespace from ``api_key``'s hash; a client of another key is refused."""
        if self._explicit_namespace:
            return
        namespace = key_namespace(api_key)
        if self._namespace is None:
            self._namespace = namespace
        elif self._namespace != namespace:
            raise ValueError("this RedisRateLimiter is already shared by clients of another key")

    def _key(self, name: str) -> str:
        return f"{self._prefix}:{{{self._namespace or 'public'}}}:{name}"

    # --- acquire --------------------------------------------------------------------------

    async def acquire(self, bucket: Bucket, weight: int = 1) -> None:
        """Wait until a request of ``weight`` may go out on ``bucket``, or raise if refused.

        Suspensions and bans (this process's or any other's) raise at once; a full window or
        a pause waits its turn. Without Redis, grants come from the local fallback.
        """
        self._fallback.check(bucket)
        if self._down_since is not None and await self._local_until_probe(bucket, weight):
            return
        self._serial += 1
        token = f"{self._token_base}{self._serial}"
        try:
            while True:
                try:
                    status, value = await self._run(bucket, weight, token, "acquire")
                except self._errors as exc:
                    self._fall_back(exc)
                    await self._fallback.acquire(bucket, weight)
                    return
                if status == _OK:
                    return
                if status == _WAIT:
                    await asyncio.sleep(value / 1e6)
                elif status == _RECOVERING:
                    # Grant at the local share while the hold lasts, and count it in Redis.
                    try:
                        await asyncio.wait_for(self._fallback.acquire(bucket, weight), value / 1000)
                    except TimeoutError:
                        continue  # the hold is over: ask Redis
                    await self._record(bucket, weight, token)
                    return
                else:
                    self._refused(bucket, status, value / 1000)
        except asyncio.CancelledError:
            self._spawn(self._leave_queue(bucket, token))
            raise

    async def _local_until_probe(self, bucket: Bucket, weight: int) -> bool:
        """In fallback: a local grant made before the next probe is due (True), else False.

        Waiting locally stops when the probe is due, so no fallback grant is made after this
        process could have seen Redis back: the recovery hold relies on that.
        """
        remaining = self._next_probe - time.monotonic()
        if remaining <= 0:
            return False
        try:
            await asyncio.wait_for(self._fallback.acquire(bucket, weight), remaining)
        except TimeoutError:
            return False
        return True

    async def _run(self, bucket: Bucket, weight: int, token: str, mode: str) -> tuple[int, int]:
        """One script call with the timeout; leaving fallback sets the recovery hold."""
        per_key = bucket is not Bucket.PUBLIC
        lane = bucket.value
        rate = self.order_rate if bucket is Bucket.ORDER else self.query_rate
        budget = self.weight_budget or 0
        recover = 0
        if self._down_since is not None:
            # Every other process probes within retry_interval (+ a timeout) and makes no
            # local grant after that; those grants leave the window one period later.
            recover = math.ceil((self.retry_interval + self.timeout + self.period) * 1000)
        keys = [
            self._key(f"w:{lane}"),
            self._key(f"q:{lane}"),
            self._key(f"alive:{lane}"),
            self._key("ban"),
            self._key(f"suspend:{lane}"),
            self._key(f"pause:{lane}"),
            self._key("recover"),
            self._key("weight"),
            self._key("weight:total"),
            self._key(f"ticket:{lane}"),
        ]
        args: list[str | int] = [
            token,
            rate if per_key else 0,
            round(self.period * 1e6),
            budget,
            min(max(weight, 1), budget) if budget else 0,
            round((self.weight_period + self.period - 1.0) * 1e6),
            round(QUEUE_GRACE * 1e6),
            mode,
            recover,
        ]
        answer = await asyncio.wait_for(self._acquire(keys=keys, args=args), self.timeout)
        if self._down_since is not None:
            self._recovered()
        return int(answer[0]), int(answer[1])

    def _refused(self, bucket: Bucket, status: int, seconds: float) -> None:
        """Mirror a shared suspension or ban locally (later calls fail fast), then raise."""
        if status == _BANNED:
            self._fallback.ban(seconds)
            raise IPBannedError(
                418, None, f"IP banned for another {seconds:.1f}s", retry_after=seconds
            )
        self._fallback.suspend(bucket, seconds)
        raise RateLimitError(
            429,
            None,
            f"{bucket.value} requests suspended for another {seconds:.1f}s after a 429",
            retry_after=seconds,
        )

    async def _record(self, bucket: Bucket, weight: int, token: str) -> None:
        """Count a grant made locally during the recovery hold in the Redis window."""
        with contextlib.suppress(*self._errors):
            await self._run(bucket, weight, token, "record")

    async def _leave_queue(self, bucket: Bucket, token: str) -> None:
        """A cancelled waiter gives up its place in the FIFO queue."""
        lane = bucket.value
        with contextlib.suppress(*self._errors):
            await asyncio.wait_for(self._redis.zrem(self._key(f"q:{lane}"), token), self.timeout)

    # --- fallback -------------------------------------------------------------------------

    def _fall_back(self, exc: BaseException) -> None:
        now = time.monotonic()
        self._next_probe = now + self.retry_interval
        if self._down_since is not None:
            log.debug("Redis still unreachable: %s", type(exc).__name__)
            return
        self._down_since = now
        self.fallbacks += 1
        log.warning(
            "Redis rate limiter unreachable (%s); limiting locally at %.0f%% of the limits",
            type(exc).__name__,
            self.fallback_share * 100,
        )
        # Grants counted in Redis during the last window are unknown here: wait it out.
        for bucket in Bucket:
            self._fallback.pause(bucket, self.period)

    def _recovered(self) -> None:
        assert self._down_since is not None
        log.warning(
            "Redis rate limiter reachable again after %.1fs; sharing limits through Redis",
            time.monotonic() - self._down_since,
        )
        self._down_since = None

    # --- what the exchange answered -------------------------------------------------------

    def check(self, bucket: Bucket) -> None:
        """Raise at once if a ban or a suspension of ``bucket`` is known to be in force."""
        self._fallback.check(bucket)

    def suspend(self, bucket: Bucket, seconds: float | None = None) -> None:
        """After a 429: suspend ``bucket`` here at once and in Redis for every process."""
        seconds = self.suspend_seconds if seconds is None else seconds
        self._fallback.suspend(bucket, seconds)
        self._spawn(self._set_hold(f"suspend:{bucket.value}", seconds))

    def throttle(self, bucket: Bucket, seconds: float | None = None) -> float:
        """After a 400 rate-limit code: pause (or, past ``max_pause``, suspend) every process."""
        seconds = self._fallback.throttle(bucket, seconds)
        name = "suspend" if seconds > self.max_pause else "pause"
        self._spawn(self._set_hold(f"{name}:{bucket.value}", seconds))
        return seconds

    def ban(self, seconds: float | None = None) -> None:
        """After a 418: refuse every call here and in every process for ``seconds``."""
        seconds = self.ban_seconds if seconds is None else seconds
        self._fallback.ban(seconds)
        self._spawn(self._set_hold("ban", seconds))

    async def _set_hold(self, name: str, seconds: float) -> None:
        try:
            await asyncio.wait_for(
                self._hold(keys=[self._key(name)], args=[max(1, math.ceil(seconds * 1000))]),
                self.timeout,
            )
        except self._errors as exc:
            log.warning("could not share %s in Redis: %s", name, type(exc).__name__)

    # --- lifecycle ------------------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        if self._closed:
            work.close()
            return
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def flush(self) -> None:
        """Wait until the suspensions, bans and grants recorded so far have reached Redis."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def aclose(self) -> None:
        """Finish pending writes (suspensions) and close the connection if this limiter made it."""
        if self._closed:
            return
        self._closed = True
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self.timeout * 2)
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._owns_redis:
            await self._redis.aclose()

    async def __aenter__(self) -> RedisRateLimiter:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
