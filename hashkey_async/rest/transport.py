"""The only place that sends HTTP: limits, timestamps, signs, sends, maps errors, decodes.

Request path: rate limiter -> server-clock timestamp -> signing over the exact
encoded bytes -> aiohttp (URL marked as already encoded) -> status/code -> error
tree or msgspec decode into the endpoint's model.

Policy (reference, "General API Information" and "Access Restrictions"):

* 5xx, -1006, -1007 on a call that may have taken effect -> ``ExecutionStatusUnknown``;
  only idempotent calls (GET) are retried, with full-jitter backoff.
* 429 suspends the endpoint's bucket (Retry-After or 60 s); 418 bans every call; a
  400 with a rate-limit code (0003, -1015, -3145) pauses the bucket (``RateLimiter.throttle``).
* -1021 (timestamp outside recvWindow) -> resync the clock once and resend once: the
  exchange rejected the request before it could take effect.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, TypeVar

import aiohttp
import msgspec
from yarl import URL

from ..auth import Credentials
from ..backoff import full_jitter
from ..clock import ServerClock
from ..config import ClientConfig
from ..decoding import exact_json
from ..errors import (
    BODY_EXCERPT_CHARS,
    SUCCESS_CODES,
    AuthenticationError,
    DecodeError,
    ExecutionStatusUnknown,
    HashKeyError,
    InvalidParameterError,
    IPBannedError,
    RateLimitError,
    ServerError,
    TimestampError,
    TransportError,
    error_for,
    normalize_code,
)
from ..params import encode_query
from ..ratelimit import THROTTLE_CODES, Bucket, Limiter, RateLimiter
from ..signing import API_KEY_HEADER
from ..stats import RequestRecorder
from .endpoints import SERVER_TIME, Endpoint, Security
from .mock_transport import MockTransport

__all__ = ["ErrorBody", "Transport"]

log = logging.getLogger("hashkey_async.rest")

T = TypeVar("T")

_JSON_HEADERS: Final = {"Content-Type": "application/json"}

#: A 200 body starting like this may be an error in disguise: check its code.
_CODE_PREFIX: Final = b'{"code"'
#: A limiter acquire longer than this (seconds) counts as a wait; a free slot takes microseconds.
_WAITED: Final = 1e-3


class ErrorBody(msgspec.Struct):
    """The exchange's error shape: ``{"code": "-1021", "msg": "..."}`` (code as str or int)."""

    code: str | int | None = None
    msg: str = ""


_error_decoder: Final = msgspec.json.Decoder(ErrorBody)
_json_encoder: Final = msgspec.json.Encoder(decimal_format="string")


def _excerpt(body: bytes) -> str:
    return body[:BODY_EXCERPT_CHARS].decode("utf-8", "replace")


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class _Retryable(Exception):
    """Internal: a GET failed in a way worth another try; ``error`` is what to raise otherwise."""

    def __init__(self, error: HashKeyError) -> None:
        super().__init__(str(error))
        self.error = error


class Transport:
    """Sends endpoint calls and returns decoded models; owns retry, limits and time-sync policy."""

    def __init__(
        self,
        config: ClientConfig,
        credentials: Credentials | None,
        *,
        session: aiohttp.ClientSession | None = None,
        limiter: Limiter | None = None,
        clock: ServerClock | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        mock: MockTransport | None = None,
    ) -> None:
        if mock is not None and session is not None:
            raise InvalidParameterError("transport", "give a MockTransport or a session, not both")
        self.config = config
        self.credentials = credentials
        self.limiter: Limiter = limiter or RateLimiter(
            config.order_rate,
            config.query_rate,
            weight_budget=config.weight_budget,
            margin=config.rate_limit_margin,
            max_pause=config.rate_limit_max_pause,
        )
        self.clock = clock or ServerClock()
        self._session = session
        self._owns_session = session is None
        self._mock = mock
        self._closed = False
        self._timeout = aiohttp.ClientTimeout(total=config.request_timeout)
        self._sleep = sleep
        self._rand = rand
        self._sync_lock = asyncio.Lock()
        #: Attempts by endpoint and outcome, latencies, 429/418s, retries, limiter waits.
        self.stats = RequestRecorder()

    def _get_session(self) -> aiohttp.ClientSession:
        session = self._session
        if session is None or session.closed:
            if self._closed:
                raise TransportError("the client is closed")
            if not self._owns_session:
                raise TransportError("the caller-owned aiohttp session is closed")
            session = self._session = aiohttp.ClientSession()
        return session

    async def close(self) -> None:
        """Close the session if this transport created it; later calls raise TransportError."""
        self._closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _credentials_for(self, endpoint: Endpoint[Any]) -> Credentials | None:
        """The credentials ``endpoint`` needs, or AuthenticationError when it needs absent ones."""
        if endpoint.security.needs_key and self.credentials is None:
            raise AuthenticationError(None, None, f"{endpoint.name} needs an API key and secret")
        return self.credentials

    def build(
        self,
        endpoint: Endpoint[Any],
        params: Mapping[str, object] | None = None,
        *,
        json_body: object = None,
    ) -> tuple[str, bytes, dict[str, str]]:
        """Encode a call once: (query string, body bytes, headers), signed if the row says so."""
        security = endpoint.security
        headers: dict[str, str] = {}
        body = b""
        if json_body is not None:
            body = _json_encoder.encode(json_body)
            headers.update(_JSON_HEADERS)
        credentials = self._credentials_for(endpoint)
        if not security.signed:
            query = encode_query(params) if params else ""
        else:
            assert credentials is not None
            items = list(params.items()) if params else []
            items.append(("recv_window", self.config.recv_window))
            items.append(("timestamp", self.clock.now_ms()))
            query = encode_query(items)
            query = f"{query}&signature={credentials.sign(query, body)}"
        if credentials is not None and security.needs_key:
            headers[API_KEY_HEADER] = credentials.api_key
        return query, body, headers

    async def sync_time(self, *, force: bool = False) -> None:
        """Measure the server clock offset from ``/api/v1/time`` (RTT midpoint).

        Concurrent callers share one measurement. A failed sync is logged and leaves the
        previous estimate in place: signing then uses it, and a -1021 will resync again.
        """
        clock = self.clock
        async with self._sync_lock:
            if not force and not clock.stale(self.config.time_sync_interval):
                return
            sent = clock.local_ms()
            try:
                answer = await self.request(SERVER_TIME)
            except HashKeyError as exc:
                clock.mark_attempt()
                log.warning("server time sync failed: %s", type(exc).__name__)
                return
            clock.update(sent, answer.server_time, clock.local_ms())
            log.debug("server clock offset %d ms (rtt %s ms)", clock.offset_ms, clock.rtt_ms)

    async def request(
        self,
        endpoint: Endpoint[T],
        params: Mapping[str, object] | None = None,
        *,
        json_body: object = None,
    ) -> T:
        """Call ``endpoint`` and return its decoded model, or raise from the error tree.

        GETs are retried on 5xx / transport failures; a -1021 answer resyncs and resends once.
        Every error raised carries the endpoint (``error.method``, ``error.path``).
        """
        try:
            self._credentials_for(endpoint)
            signed = endpoint.security.signed
            if signed and self.clock.stale(self.config.time_sync_interval):
                await self.sync_time()
            attempt = 0
            resynced = False
            while True:
                try:
                    return await self._once(endpoint, params, json_body)
                except TimestampError:
                    if not signed or resynced:
                        raise
                    resynced = True
                    self.stats.retries += 1
                    log.info("%s: -1021 timestamp outside recvWindow; resyncing", endpoint.name)
                    await self.sync_time(force=True)
                except _Retryable as retry:
                    if attempt >= self.config.max_retries:
                        raise retry.error from retry.__cause__
                    config = self.config
                    delay = full_jitter(
                        attempt, config.retry_base_delay, config.retry_max_delay, self._rand
                    )
                    attempt += 1
                    self.stats.retries += 1
                    log.info(
                        "%s: %s; retry %d in %.3fs", endpoint.name, retry.error, attempt, delay
                    )
                    await self._sleep(delay)
        except HashKeyError as error:
            # The one place every error of a request passes: name the endpoint, never the query.
            error.at(endpoint.method, endpoint.path)
            raise

    async def _once(
        self, endpoint: Endpoint[T], params: Mapping[str, object] | None, json_body: object
    ) -> T:
        """One limited, signed, sent and decoded attempt, counted in ``stats``."""
        queued = time.perf_counter()
        await self.limiter.acquire(endpoint.bucket, endpoint.weight)
        sent = time.perf_counter()
        if sent - queued > _WAITED:
            self.stats.waited(sent - queued)
        outcome = "ok"
        try:
            query, body, headers = self.build(endpoint, params, json_body=json_body)
            url = (
                f"{self.config.rest_url}{endpoint.path}?{query}"
                if query
                else self.config.rest_url + endpoint.path
            )
            try:
                if self._mock is not None:
                    status, raw, retry_after = await self._mocked(
                        self._mock, endpoint, url, headers, body
                    )
                else:
                    async with self._get_session().request(
                        endpoint.method,
                        URL(url, encoded=True),
                        data=body or None,
                        headers=headers or None,
                        timeout=self._timeout,
                    ) as response:
                        status = response.status
                        raw = await response.read()
                        retry_after = _retry_after(response.headers) if status != 200 else None
            except aiohttp.ClientConnectorError as exc:
                error: HashKeyError = TransportError(
                    f"{endpoint.name}: cannot connect: {exc.os_error}"
                )
                if endpoint.idempotent:
                    raise _Retryable(error) from exc
                raise error from exc
            except (TimeoutError, aiohttp.ClientError) as exc:
                if endpoint.idempotent:
                    raise _Retryable(
                        TransportError(f"{endpoint.name}: {type(exc).__name__}: {exc}")
                    ) from exc
                raise ExecutionStatusUnknown(
                    f"{endpoint.name}: no answer ({type(exc).__name__}); the call may have taken effect",
                    client_order_id=_client_order_id(params),
                ) from exc
            if status == 200 and raw[:7] != _CODE_PREFIX:
                try:
                    return endpoint.decoder.decode(raw)
                except (msgspec.DecodeError, msgspec.ValidationError):
                    return _decode_again(endpoint, params, raw)
            return self._failure(endpoint, params, status, raw, retry_after)
        except BaseException as exc:
            outcome = _outcome(exc)
            raise
        finally:
            self.stats.request(endpoint.name, outcome, time.perf_counter() - sent)

    async def _mocked(
        self,
        mock: MockTransport,
        endpoint: Endpoint[Any],
        url: str,
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, bytes, float | None]:
        """The seam: the MockTransport answers the exact request, within the request timeout."""
        if self._closed:
            raise TransportError("the client is closed")
        async with asyncio.timeout(self.config.request_timeout):
            response = await mock.handle(endpoint.method, url, headers, body)
        status = response.status
        return status, response.content, _retry_after(response.headers) if status != 200 else None

    def _failure(
        self,
        endpoint: Endpoint[T],
        params: Mapping[str, object] | None,
        status: int,
        raw: bytes,
        retry_after: float | None,
    ) -> T:
        """Decode a 200 that starts with a code, or raise the error a failure maps to."""
        try:
            err = _error_decoder.decode(raw)
            code, message = normalize_code(err.code), err.msg
        except (msgspec.DecodeError, msgspec.ValidationError):
            code, message = None, f"non-JSON body: {_excerpt(raw)!r}"
        if status == 200 and (code is None or code in SUCCESS_CODES):
            try:
                return endpoint.decoder.decode(raw)
            except (msgspec.DecodeError, msgspec.ValidationError):
                return _decode_again(endpoint, params, raw)
        error = error_for(status, code, message, retry_after=retry_after)
        log.debug(
            "%s %s -> HTTP %d %s", endpoint.method, endpoint.path, status, type(error).__name__
        )
        if status == 429:
            self.stats.rate_limited += 1
        elif status == 418:
            self.stats.banned += 1
        if isinstance(error, IPBannedError):
            self.limiter.ban(retry_after if retry_after is not None else self.config.ip_ban_seconds)
        elif isinstance(error, RateLimitError):
            if status == 429 and endpoint.bucket is not Bucket.USER_STREAM:
                self.limiter.suspend(endpoint.bucket, retry_after)
            elif code in THROTTLE_CODES or status == 429:
                # listenKey calls: a 429 pauses their bucket 1 s, doubling on repeats up to the
                # reference's minute, so one stray 429 cannot keep the private stream down.
                self.limiter.throttle(endpoint.bucket, retry_after)
        elif isinstance(error, ExecutionStatusUnknown):
            if endpoint.idempotent:
                # A read cannot have taken effect: report a server error, after retries.
                raise _Retryable(ServerError(status, code, message))
            error.client_order_id = _client_order_id(params)
        raise error


def _outcome(exc: BaseException) -> str:
    """How an attempt ended, for the counters: the error's class name (a retry's underlying one)."""
    if isinstance(exc, _Retryable):
        exc = exc.error
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    return type(exc).__name__


def _decode_again(endpoint: Endpoint[T], params: Mapping[str, object] | None, raw: bytes) -> T:
    """The strict decode failed: apply the tolerant policy; what it cannot read either raises.

    A 2xx to an order write that cannot be read may still have taken effect: that is
    ``ExecutionStatusUnknown`` (as for a 5xx), never a ``DecodeError`` a bot would retry on.
    """
    try:
        return endpoint.tolerant.convert(exact_json.decode(raw), raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        error = exc
    # listenKey answers carry a credential for the private stream: never quote them.
    body = "" if endpoint.security is Security.USER_STREAM else f"; body starts {_excerpt(raw)!r}"
    if endpoint.order_write:
        raise ExecutionStatusUnknown(
            f"{endpoint.name}: the answer cannot be read ({error}){body}; the call may have"
            " taken effect",
            status=200,
            client_order_id=_client_order_id(params),
        ) from error
    raise DecodeError(f"{endpoint.name}: {error}{body}") from error


def _client_order_id(params: Mapping[str, object] | None) -> str | None:
    """The caller's client order id, so an uncertain order creation can be looked up."""
    if not params:
        return None
    value = params.get("client_order_id", params.get("newClientOrderId"))
    return str(value) if value is not None else None
