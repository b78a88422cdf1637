"""Helpers for exact request-shape tests of signed endpoints (the client's MockTransport)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

from mockrest import BASE, Recorder

from hashkey_async import HashKeyClient, MockRequest
from hashkey_async.signing import API_KEY_HEADER, sign

__all__ = ["KEY", "SECRET", "Case", "assert_signed", "mocked_client", "run_case"]

KEY = "test-api-key-0123456789"
SECRET = "test-api-secret-abcdefghijklmnopqrstuvwxyz"

#: (call, HTTP method, path, expected params in the order they must be signed, answer, check)
Case = tuple[
    Callable[[HashKeyClient], Awaitable[Any]],
    str,
    str,
    list[tuple[str, str]],
    object,
    Callable[[Any], bool],
]


@asynccontextmanager
async def mocked_client() -> AsyncIterator[tuple[HashKeyClient, Recorder]]:
    """A signed client answered by a fresh Recorder's MockTransport (no time sync)."""
    rec = Recorder()
    async with HashKeyClient(
        KEY, SECRET, base_url=BASE, time_sync_interval=None, transport=rec.transport
    ) as client:
        yield client, rec


def assert_signed(call: MockRequest, expected: list[tuple[str, str]], body: bytes = b"") -> None:
    """``call`` sends exactly ``expected``, then recvWindow, timestamp and signature, in that order.

    The query is compared as sent, byte for byte, and the signature recomputed over it + body.
    """
    assert call.headers[API_KEY_HEADER] == KEY
    assert call.headers.get("Content-Type") == ("application/json" if body else None)
    assert call.body == body
    params = call.params
    timestamp = params["timestamp"]
    assert timestamp.isdigit()
    ordered = [*expected, ("recvWindow", "5000"), ("timestamp", timestamp)]
    text = "&".join(f"{key}={quote(value, safe='-_.~,')}" for key, value in ordered)
    assert call.query == f"{text}&signature={sign(SECRET, text, body)}"


async def run_case(case: Case) -> None:
    """Run ``case``: exactly one signed request of that shape, no body, a typed answer."""
    call, method, path, expected, payload, check = case
    async with mocked_client() as (client, rec):
        rec.on(method, path, payload=payload)
        result = await call(client)
    assert rec.paths() == [f"{method} {path}"]
    assert_signed(rec.calls[0], expected)
    assert check(result), result
