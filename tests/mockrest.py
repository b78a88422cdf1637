"""aioresponses helper: register answers by method + path and record every request in order."""

from __future__ import annotations

import re
from typing import Any

from aioresponses import aioresponses
from yarl import URL

__all__ = ["BASE", "Call", "Recorder"]

BASE = "http://hk.test"


class Call:
    """One recorded request: method, URL (aioresponses sorts its query), headers and body."""

    def __init__(self, method: str, url: URL, kwargs: dict[str, Any]) -> None:
        self.method = method
        self.url = url
        self.path = url.path
        self.query = dict(url.query)
        self.headers: dict[str, str] = dict(kwargs.get("headers") or {})
        self.body: bytes | None = kwargs.get("data")


class Recorder:
    """Registers mocked answers on ``mock`` and keeps the calls in arrival order."""

    def __init__(self, mock: aioresponses, base: str = BASE) -> None:
        self.mock = mock
        self.base = base
        self.calls: list[Call] = []

    def on(
        self,
        method: str,
        path: str,
        *,
        status: int = 200,
        payload: object = None,
        body: str | bytes = "",
        headers: dict[str, str] | None = None,
        repeat: bool = False,
        exception: BaseException | None = None,
        content_type: str = "application/json",
    ) -> None:
        """Answer the next ``method path`` (any query) with this response."""

        def record(url: URL, **kwargs: Any) -> None:
            self.calls.append(Call(method, url, kwargs))

        self.mock.add(
            re.compile(rf"^{re.escape(self.base + path)}(\?.*)?$"),
            method=method,
            status=status,
            payload=payload,
            body=body,
            headers=headers,
            repeat=repeat,
            exception=exception,  # type: ignore[arg-type]
            content_type=content_type,
            callback=record,
        )

    def paths(self) -> list[str]:
        """``"METHOD /path"`` of every call, in order."""
        return [f"{call.method} {call.path}" for call in self.calls]
