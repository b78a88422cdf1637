"""``MockTransport``: answer the client's HTTP requests with a function, as httpx's does.

``HashKeyClient(..., transport=MockTransport(handler))`` hands every REST request to
``handler`` instead of aiohttp. The seam sits below encoding and signing, so the handler sees
the exact method, URL, query string, headers and body bytes the client would put on the wire,
and its answer goes through the same status/code mapping, retries, limits and decoding as a
real one. The WebSocket streams are not affected: use the offline exchange for those.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias
from urllib.parse import parse_qsl, urlsplit

import msgspec
from multidict import CIMultiDict, CIMultiDictProxy

__all__ = ["MockHandler", "MockRequest", "MockResponse", "MockTransport"]

_json_encoder = msgspec.json.Encoder(decimal_format="string")


@dataclass(frozen=True, slots=True)
class MockRequest:
    """One request as the client would send it: ``url`` and ``body`` are the bytes on the wire.

    ``headers`` are the ones the client sets (``X-HK-APIKEY``, ``Content-Type``); aiohttp adds
    only its standard ones (Host, User-Agent, Accept, Content-Length) to a real request.
    """

    method: str
    url: str
    headers: CIMultiDictProxy[str]
    body: bytes = b""

    @property
    def path(self) -> str:
        """The URL's path, e.g. ``/api/v1.1/spot/order``."""
        return urlsplit(self.url).path

    @property
    def query(self) -> str:
        """The query string exactly as sent (percent-encoding kept, signature last when signed)."""
        return urlsplit(self.url).query

    @property
    def params(self) -> dict[str, str]:
        """The query decoded, in the order it was sent (``query`` keeps the raw string)."""
        return dict(parse_qsl(self.query, keep_blank_values=True, strict_parsing=True))

    def json(self) -> Any:
        """The body decoded as JSON (``batchOrders`` sends its orders this way)."""
        return msgspec.json.decode(self.body)


@dataclass(frozen=True, slots=True, init=False)
class MockResponse:
    """What the handler answers: a status, headers and a body (raw bytes/text, or ``json=``)."""

    status: int
    headers: CIMultiDictProxy[str]
    content: bytes

    def __init__(
        self,
        status: int = 200,
        *,
        json: object = None,
        content: bytes | str = b"",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if json is not None and content:
            raise ValueError("give json= or content=, not both")
        if json is not None:
            body = _json_encoder.encode(json)
        elif isinstance(content, str):
            body = content.encode()
        else:
            body = content
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "headers", CIMultiDictProxy(CIMultiDict(headers or {})))
        object.__setattr__(self, "content", body)


#: A function from request to response, plain or ``async``. To simulate a failed exchange it
#: raises what aiohttp would: ``TimeoutError`` or an ``aiohttp.ClientError`` subclass.
MockHandler: TypeAlias = Callable[[MockRequest], MockResponse | Awaitable[MockResponse]]


class MockTransport:
    """Hands each request to ``handler`` instead of sending it; pass it as ``transport=``."""

    def __init__(self, handler: MockHandler) -> None:
        self.handler = handler

    def __repr__(self) -> str:
        return f"MockTransport({self.handler!r})"

    async def handle(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> MockResponse:
        """Build the request, call the handler (awaiting it if it is async), check its answer."""
        request = MockRequest(method, url, CIMultiDictProxy(CIMultiDict(headers)), body)
        response = self.handler(request)
        if inspect.isawaitable(response):
            response = await response
        if not isinstance(response, MockResponse):
            raise TypeError(
                f"the MockTransport handler returned {type(response).__name__}, not MockResponse"
            )
        return response
