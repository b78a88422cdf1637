"""Scripted answers for the client's MockTransport: register by method + path, record every request.

The recorded requests are the package's ``MockRequest``: exact URL, query string, headers and
body, as the client would send them. A request nothing was registered for fails the test.
"""

from __future__ import annotations

from dataclasses import dataclass

from hashkey_async import MockRequest, MockResponse, MockTransport

__all__ = ["BASE", "Recorder", "UnexpectedRequest"]

BASE = "http://hk.test"


class UnexpectedRequest(AssertionError):
    """The client sent a request no answer was registered for (not a transport failure)."""


@dataclass
class _Route:
    method: str
    path: str
    response: MockResponse
    repeat: bool
    exception: BaseException | None


class Recorder:
    """A MockTransport (``transport``) answering registered routes in order; keeps ``calls``.

    Routes match on method and path (any query). The first matching route answers; a route
    without ``repeat`` answers once and is then removed.
    """

    def __init__(self, base: str = BASE) -> None:
        self.base = base
        self.calls: list[MockRequest] = []
        self._routes: list[_Route] = []
        self.transport = MockTransport(self._answer)

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
        """Answer the next ``method path`` with this response (or raise ``exception``)."""
        response = MockResponse(
            status,
            json=payload,
            content=body,
            headers={"Content-Type": content_type, **(headers or {})},
        )
        self._routes.append(_Route(method, path, response, repeat, exception))

    def _answer(self, request: MockRequest) -> MockResponse:
        assert request.url.startswith(self.base + request.path), request.url
        self.calls.append(request)
        for route in self._routes:
            if route.method == request.method and route.path == request.path:
                if not route.repeat:
                    self._routes.remove(route)
                if route.exception is not None:
                    raise route.exception
                return route.response
        raise UnexpectedRequest(f"no answer registered for {request.method} {request.path}")

    def paths(self) -> list[str]:
        """``"METHOD /path"`` of every call, in order."""
        return [f"{call.method} {call.path}" for call in self.calls]
