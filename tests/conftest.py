"""Shared fixtures, plus a shim so aioresponses builds responses aiohttp >= 3.14 accepts.

Helper classes live in sibling modules (``fakeclock``, ``mockrest``, ``fixtures``); pytest's
``pythonpath`` setting puts this folder on the import path.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aioresponses import core as _aioresponses_core
from fakeclock import FakeClock


class _DoneWriter:
    """Stands in for the request writer of a request that has already been sent."""

    output_size = 0


class _MockResponse(aiohttp.ClientResponse):
    """aiohttp 3.14 made ``stream_writer`` required; aioresponses 0.7.9 does not pass it."""

    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _DoneWriter())
        super().__init__(method, url, **kwargs)


_original_build = _aioresponses_core.RequestMatch._build_response


def _build_response(self: Any, *args: Any, **kwargs: Any) -> aiohttp.ClientResponse:
    if kwargs.get("response_class") is None:
        kwargs["response_class"] = _MockResponse
    return _original_build(self, *args, **kwargs)  # type: ignore[no-any-return]


_aioresponses_core.RequestMatch._build_response = _build_response  # type: ignore[method-assign]


@pytest.fixture
def fake_clock() -> FakeClock:
    """A fresh fake clock starting at t=1000 s."""
    return FakeClock()
