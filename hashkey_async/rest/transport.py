"""The only place that sends HTTP: limits, timestamps, signs, sends, maps errors, decodes.

Request path: rate limiter -> server-clock timestamp -> signing over the exact
encoded bytes -> aiohttp (URL marked as already encoded) -> status/code -> error
tree or msgspec decode into the endpoint's model.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Final, TypeVar

import aiohttp
import msgspec
from yarl import URL

from ..auth import Credentials
from ..clock import ServerClock
from ..config import ClientConfig
from ..errors import (
    BODY_EXCERPT_CHARS,
    AuthenticationError,
    DecodeError,
    ExecutionStatusUnknown,
    HashKeyError,
    TransportError,
    error_for,
)
from ..params import encode_query
from ..ratelimit import RateLimiter
from ..signing import API_KEY_HEADER
from .endpoints import Endpoint

__all__ = ["ErrorBody", "Transport", "normalize_code"]

log = logging.getLogger("hashkey_async.rest")

T = TypeVar("T")

#: Codes the exchange uses for success inside a 200 body.
SUCCESS_CODES: Final = frozenset({"0", "0000", "200"})

_JSON_HEADERS: Final = {"Content-Type": "application/json"}


class ErrorBody(msgspec.Struct):
    """The exchange's error shape: ``{"code": "-1021", "msg": "..."}`` (code as str or int)."""

    code: str | int | None = None
    msg: str = ""


_error_decoder: Final = msgspec.json.Decoder(ErrorBody)
_json_encoder: Final = msgspec.json.Encoder(decimal_format="string")


def normalize_code(code: str | int | None) -> str | None:
    """``-1021`` -> ``"-1021"``, ``1`` -> ``"0001"`` (the table's spelling), strings unchanged."""
    if code is None or isinstance(code, str):
        return code
    if 0 <= code < 10000:
        return f"{code:04d}"
    return str(code)


def _error_from_body(status: int, body: bytes, retry_after: float | None) -> HashKeyError:
    """Map a non-success answer to the error tree, whatever its body holds."""
    try:
        err = _error_decoder.decode(body)
    except msgspec.DecodeError:
        excerpt = body[:BODY_EXCERPT_CHARS].decode("utf-8", "replace")
        return error_for(status, None, f"non-JSON body: {excerpt!r}", retry_after=retry_after)
    return error_for(status, normalize_code(err.code), err.msg, retry_after=retry_after)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class Transport:
    """Sends one endpoint call and returns its decoded model; owns no policy beyond that."""

    def __init__(
        self,
        config: ClientConfig,
        credentials: Credentials | None,
        *,
        session: aiohttp.ClientSession | None = None,
        limiter: RateLimiter | None = None,
        clock: ServerClock | None = None,
    ) -> None:
        self.config = config
        self.credentials = credentials
        self.limiter = limiter or RateLimiter()
        self.clock = clock or ServerClock()
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=config.request_timeout)

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            if not self._owns_session:
                raise TransportError("the caller-owned aiohttp session is closed")
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        """Close the session if this transport created it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

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
        if security.needs_key and self.credentials is None:
            raise AuthenticationError(f"{endpoint.name} needs an API key and secret")
        items = list(params.items()) if params else []
        if security.signed:
            assert self.credentials is not None
            items.append(("recv_window", self.config.recv_window))
            items.append(("timestamp", self.clock.now_ms()))
        query = encode_query(items)
        if security.signed:
            assert self.credentials is not None
            signature = self.credentials.sign(query, body)
            query = f"{query}&signature={signature}" if query else f"signature={signature}"
        if security.needs_key:
            assert self.credentials is not None
            headers[API_KEY_HEADER] = self.credentials.api_key
        return query, body, headers

    async def request(
        self,
        endpoint: Endpoint[T],
        params: Mapping[str, object] | None = None,
        *,
        json_body: object = None,
    ) -> T:
        """Call ``endpoint`` once and return its decoded model, or raise from the error tree."""
        await self.limiter.acquire(endpoint.bucket, endpoint.weight)
        query, body, headers = self.build(endpoint, params, json_body=json_body)
        url = self.config.rest_url + endpoint.path + (f"?{query}" if query else "")
        session = self._get_session()
        try:
            async with session.request(
                endpoint.method,
                URL(url, encoded=True),
                data=body or None,
                headers=headers,
                timeout=self._timeout,
            ) as response:
                status = response.status
                raw = await response.read()
                retry_after = _retry_after(response.headers)
        except aiohttp.ClientConnectorError as exc:
            raise TransportError(f"{endpoint.name}: cannot connect: {exc.os_error}") from exc
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            if endpoint.idempotent:
                raise TransportError(f"{endpoint.name}: {type(exc).__name__}") from exc
            raise ExecutionStatusUnknown(
                f"{endpoint.name}: no answer ({type(exc).__name__}); the call may have taken effect"
            ) from exc
        return self._decode(endpoint, status, raw, retry_after)

    @staticmethod
    def _decode(endpoint: Endpoint[T], status: int, raw: bytes, retry_after: float | None) -> T:
        """Turn status + body into the model, or into the most specific error."""
        if status != 200:
            raise _error_from_body(status, raw, retry_after)
        try:
            return endpoint.decoder.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            try:
                err = _error_decoder.decode(raw)
            except (msgspec.DecodeError, msgspec.ValidationError):
                err = None
            code = normalize_code(err.code) if err is not None else None
            if err is not None and code is not None and code not in SUCCESS_CODES:
                raise error_for(status, code, err.msg) from None
            excerpt = raw[:BODY_EXCERPT_CHARS].decode("utf-8", "replace")
            raise DecodeError(f"{endpoint.name}: {exc}; body starts {excerpt!r}") from exc
