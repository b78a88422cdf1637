"""The REST request pipeline of the offline exchange, in front of the endpoint sections.

Each request goes through the checks of the reference, in this order: IP ban (418), API
key (``X-HK-APIKEY`` as the reference's samples send it, or ``X-APIKEY`` as its "Endpoint
Security Types" table names it), injected 429 storm, per-key rate buckets ("Order Rate
Limiting": 10 orders/s, 2 queries/s -> 429, then 418 after ``ban_after`` 429s in a row),
signature over the raw query string + raw body ("Signature Authentication"), timestamp
window ("Time-base security requirement", -1021), then the endpoint's own parameter checks.
Errors answer ``{"code": "<code>", "msg": "..."}`` with the reference's codes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import parse_qsl

from aiohttp import web

from ...rest.endpoints import ENDPOINTS, Endpoint
from ...signing import API_KEY_HEADER, verify
from ..accounts import User
from ..config import ExchangeConfig
from ..engine import Engine
from ..errors import EngineError
from ..faults import Faults
from ..feeds import MarketFeeds
from ..variations import encode
from .account import AccountSection
from .call import Call, Handler, check_timestamp, strip_signature
from .gate import LIMIT_CODES, RateGate, RateVerdict
from .market import MarketSection
from .spot import ORDER_CALLS, SpotSection
from .subaccount import SubAccountSection
from .user_stream import UserStreamSection
from .wallet import WalletSection

__all__ = ["RestApi"]

_JSON: Final = "application/json"
#: Headers that may carry the API key, tried in this order.
KEY_HEADERS: Final = (API_KEY_HEADER, "X-APIKEY")
_SECTIONS: Final = (
    MarketSection,
    SpotSection,
    AccountSection,
    SubAccountSection,
    WalletSection,
    UserStreamSection,
)


def _error(status: int, code: str, msg: str, retry_after: float | None = None) -> web.Response:
    headers = {"Retry-After": f"{retry_after:.3f}"} if retry_after is not None else None
    return web.json_response({"code": code, "msg": msg}, status=status, headers=headers)


def _refuse(verdict: RateVerdict | None) -> None:
    """Raise the rate gate's refusal, if any."""
    if verdict is not None:
        raise EngineError(verdict.code, verdict.msg, verdict.status, verdict.retry_after)


class RestApi:
    """Serves every REST endpoint of the reference over the engine and the feeds.

    It is handed only what it uses: the configuration, the engine, the feeds, the fault
    switches and the exchange clock (milliseconds, skew included).
    """

    def __init__(
        self,
        config: ExchangeConfig,
        engine: Engine,
        feeds: MarketFeeds,
        faults: Faults,
        clock: Callable[[], int],
    ) -> None:
        self.engine = engine
        self.faults = faults
        self.clock = clock
        self.gate = RateGate(config)
        #: Seconds clock of the rate buckets (monotonic; injectable for tests).
        self.monotonic: Callable[[], float] = time.monotonic
        self.routes: dict[Endpoint[Any], Handler] = {}
        for section in _SECTIONS:
            self.routes.update(section(engine, feeds).routes())

    def install(self, app: web.Application) -> None:
        """Add one route per path (and alias) of each row of ``ENDPOINTS``; a row without a
        handler is a bug."""
        missing = sorted(row.name for row in ENDPOINTS.values() if row not in self.routes)
        if missing:
            raise RuntimeError(f"offline exchange has no handler for {missing}")
        for endpoint in ENDPOINTS.values():
            handle = self._make_handler(endpoint)
            for path in (endpoint.path, *endpoint.aliases):
                app.router.add_route(endpoint.method, path, handle)

    def _make_handler(self, endpoint: Endpoint[Any]) -> Callable[[web.Request], Any]:
        handler = self.routes[endpoint]

        async def handle(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            return self.serve(endpoint, handler, request, body)

        return handle

    def serve(
        self, endpoint: Endpoint[Any], handler: Handler, request: web.Request, body: bytes
    ) -> web.Response:
        """Run every check of the reference, then the handler; faults apply here."""
        faults = self.faults
        try:
            user = self._admit(endpoint, request)
            call = self._parse(endpoint, request, body, user)
            order_call = endpoint in ORDER_CALLS
            if order_call and faults.fail_orders > 0:
                faults.fail_orders -= 1
                if faults.fail_after_effect:
                    with contextlib.suppress(EngineError):
                        handler(call)
                return _error(faults.fail_status, "-1001", "Internal error")
            answer = handler(call)
            if order_call and faults.corrupt_orders > 0:
                faults.corrupt_orders -= 1
                return web.Response(body=faults.corrupt_body, content_type=_JSON)
            variator = faults.variator
            if variator is not None:
                variation = variator.vary("rest", answer, endpoint.model)
                if variation is not None:
                    return web.Response(body=encode(variation.payload), content_type=_JSON)
            return web.json_response(answer)
        except EngineError as exc:
            return _error(exc.status, exc.code, exc.msg, exc.retry_after)

    def _admit(self, endpoint: Endpoint[Any], request: web.Request) -> User | None:
        """IP ban, API key, injected 429 storm and the key's rate bucket; the caller or None."""
        ip = request.remote or "?"
        now = self.monotonic()
        _refuse(self.gate.banned(ip, now))
        if not endpoint.security.needs_key:
            return None
        api_key = next((request.headers[h] for h in KEY_HEADERS if h in request.headers), "")
        user = self.engine.users.get(api_key)
        if user is None:
            raise EngineError("0102", "Invalid APIKey")
        if endpoint.security.signed and self.faults.rate_limit_storm > 0:
            self.faults.rate_limit_storm -= 1
            raise EngineError(LIMIT_CODES[endpoint.bucket], "Rate limit exceeded", 429)
        _refuse(self.gate.check(ip, user.api_key, endpoint.bucket, now))
        return user

    def _parse(
        self, endpoint: Endpoint[Any], request: web.Request, body: bytes, user: User | None
    ) -> Call:
        """Merge query and form parameters (the query wins); check signature and timestamp.

        The signature covers the raw query string and the raw body exactly as received,
        each without its ``signature`` parameter (reference, "Signature Authentication").
        """
        is_json = request.content_type == "application/json"
        query, query_sig = strip_signature(request.raw_path.partition("?")[2])
        form, body_sig = ("", None) if is_json else strip_signature(body.decode("latin-1"))
        params = dict(parse_qsl(form, keep_blank_values=True)) if form else {}
        params.update(parse_qsl(query, keep_blank_values=True))
        now = self.clock()
        if endpoint.security.signed and user is not None:
            signature = query_sig or body_sig
            signed_body = body if is_json else form.encode("latin-1")
            if not signature or not verify(user.api_secret, query, signed_body, signature):
                raise EngineError("0001", "Incorrect signature")
            check_timestamp(params, now)
        return Call(params, user, now, body)
