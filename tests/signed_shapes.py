"""Helpers for exact request-shape tests of signed endpoints (aioresponses + mockrest)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import quote

from aioresponses import aioresponses
from mockrest import BASE, Call, Recorder

from hashkey_async import HashKeyClient
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


@contextmanager
def _recorder() -> Iterator[Recorder]:
    with aioresponses() as mock:
        yield Recorder(mock)


@asynccontextmanager
async def mocked_client() -> AsyncIterator[tuple[HashKeyClient, Recorder]]:
    """A signed client on the mocked base URL (no time sync), and the request recorder."""
    with _recorder() as rec:
        async with HashKeyClient(KEY, SECRET, base_url=BASE, time_sync_interval=None) as client:
            yield client, rec


def assert_signed(call: Call, expected: list[tuple[str, str]], body: bytes = b"") -> None:
    """``call`` carries exactly ``expected`` (+ recvWindow, timestamp, signature), signed in that order."""
    assert call.headers[API_KEY_HEADER] == KEY
    query = dict(call.query)
    signature = query.pop("signature")
    timestamp = query.pop("timestamp")
    recv_window = query.pop("recvWindow")
    assert query == dict(expected)
    assert recv_window == "5000"
    assert timestamp.isdigit()
    ordered = [*expected, ("recvWindow", recv_window), ("timestamp", timestamp)]
    text = "&".join(f"{key}={quote(value, safe='-_.~,')}" for key, value in ordered)
    assert signature == sign(SECRET, text, body)


async def run_case(case: Case) -> None:
    """Run ``case``: exactly one signed request of that shape, no body, a typed answer."""
    call, method, path, expected, payload, check = case
    async with mocked_client() as (client, rec):
        rec.on(method, path, payload=payload)
        result = await call(client)
    assert rec.paths() == [f"{method} {path}"]
    assert rec.calls[0].body in (None, b"")
    assert_signed(rec.calls[0], expected)
    assert check(result), result
