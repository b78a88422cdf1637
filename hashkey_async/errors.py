"""Every exception the SDK raises, and the one place that maps exchange answers onto them.

The tree::

    HashKeyError                   every error carries status, code and endpoint (None where unknown)
    ├── APIError                   the exchange answered with an error (status is the HTTP status)
    │   ├── AuthenticationError    key refused: bad signature, invalid/expired key (0001 sig, 0102, 0103, -1002, 401);
    │   │                          also raised before sending when the client has no key (status None)
    │   ├── PermissionDeniedError  key lacks a permission, IP not whitelisted (0104, 0202, -1005, -3117, -1186, ...)
    │   ├── RateLimitError         429, 0003, -1015, -3145, -1193 (and a bucket suspended after a 429)
    │   │   └── IPBannedError      418: every call fails fast until the ban ends
    │   ├── TimestampError         -1021: request outside recvWindow (the client resyncs and retries once)
    │   ├── BadRequestError        malformed or invalid parameters (0001, -1004, -1130, -1115, ...)
    │   │   └── FilterError        price/quantity/notional outside the symbol's rules (-1132..-1140, 0210, ...)
    │   ├── OrderError             order-state failures
    │   │   ├── OrderNotFoundError         0211, -1143
    │   │   ├── OrderAlreadyFilledError    -1139
    │   │   ├── OrderAlreadyCancelledError -1142
    │   │   ├── OrderCompletedError        0212 (filled, cancelled or missing)
    │   │   ├── DuplicateOrderError        -1141, -1024
    │   │   └── OrderRejectedError         -2010, -1156, -1149, -2011, -1150, ...
    │   ├── InsufficientBalanceError       0401, -4003
    │   ├── WalletError                    withdraw/deposit/address/transfer failures (-1160..-1215, -4xxx, -5xxx)
    │   └── ServerError                    -1000, -1001, unknown codes; a GET still failing 5xx after its retries
    ├── ExecutionStatusUnknown     5xx, -1006, -1007, -1146, timeouts on a call that may have taken effect (not GET)
    │   └── BatchStatusUnknown     some orders of a batch may or may not have been placed
    ├── TransportError             the request never got an answer (connection refused, DNS, reset before send)
    ├── DecodeError                the server answered something we could not decode
    ├── JournalError               the order journal file cannot be used (newer schema, foreign file, I/O)
    └── StreamError                a WebSocket stream failed in a way the supervisor reports to the user
        └── StreamOverflowError    a never-drop subscriber fell behind its bound

    InvalidParameterError (ValueError)   a bad argument; nothing was sent
    └── FilterViolation                  an order breaks the symbol's cached trading rules

    Refused (msgspec.ValidationError)    internal: a message's identifying field is broken
                                         (the decoder drops or keeps it untyped, never raises it)

``except APIError`` catches every refusal the exchange answered with. An uncertain
outcome (``ExecutionStatusUnknown``) sits outside it on purpose: the call may have taken
effect, so it must not be handled like a rejection. ``InvalidParameterError`` is a
``ValueError`` outside the tree, so ``except HashKeyError`` never hides a bug in the caller.

The transport stamps ``method`` and ``path`` (the endpoint, never the query string, which
carries the signature) on every error raised from a request; ``str(error)`` starts with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Generic, TypeVar

import msgspec

__all__ = [
    "AUTH_CODES",
    "BODY_EXCERPT_CHARS",
    "SUCCESS_CODES",
    "UNKNOWN_OUTCOME_CODES",
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "BatchStatusUnknown",
    "DecodeError",
    "DuplicateOrderError",
    "ExecutionStatusUnknown",
    "FilterError",
    "FilterViolation",
    "HashKeyError",
    "IPBannedError",
    "InsufficientBalanceError",
    "InvalidParameterError",
    "JournalError",
    "OrderAlreadyCancelledError",
    "OrderAlreadyFilledError",
    "OrderCompletedError",
    "OrderError",
    "OrderNotFoundError",
    "OrderRejectedError",
    "PermissionDeniedError",
    "RateLimitError",
    "Refused",
    "ServerError",
    "StreamError",
    "StreamOverflowError",
    "TimestampError",
    "TransportError",
    "WalletError",
    "error_for",
    "normalize_code",
]

#: How much of a non-JSON body (an HTML 5xx page, say) an error message keeps.
BODY_EXCERPT_CHARS: Final = 200

#: Codes the exchange uses for success inside a body (after ``normalize_code``).
SUCCESS_CODES: Final = frozenset({"0", "0000", "200"})

OrderT = TypeVar("OrderT")


def normalize_code(code: str | int | None) -> str | None:
    """An exchange code in the error table's spelling: ``211`` -> ``"0211"``, ``-1021`` -> ``"-1021"``.

    Numeric codes 1..9999 are zero-padded to four digits; 0 and 200 (success) stay
    ``"0"`` and ``"200"``; strings are kept as sent.
    """
    if code is None or isinstance(code, str):
        return code
    if 0 < code < 10000 and code != 200:
        return f"{code:04d}"
    return str(code)


def _answer(status: int | None, code: str | None, message: str) -> str:
    """``HTTP 400 code=-1130 Illegal parameter``, leaving out what is not known."""
    parts = [
        f"HTTP {status}" if status is not None else "",
        f"code={code}" if code else "",
        message,
    ]
    return " ".join(part for part in parts if part)


class HashKeyError(Exception):
    """Root of every error the SDK raises about the exchange or the network.

    ``status`` (HTTP) and ``code`` (exchange) say what the answer was, ``method`` and
    ``path`` which endpoint was called; each is ``None`` where there was no such thing.
    """

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        code: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.method = method
        self.path = path

    @property
    def endpoint(self) -> str | None:
        """``"POST /api/v1/spot/order"``: the endpoint the failed call went to, if any."""
        if self.method is None or self.path is None:
            return None
        return f"{self.method} {self.path}"

    def at(self, method: str, path: str) -> None:
        """Record the endpoint unless one is set already (the innermost call knows best)."""
        if self.method is None:
            self.method, self.path = method, path

    @property
    def detail(self) -> str:
        """The message without the endpoint in front."""
        return super().__str__()

    def __str__(self) -> str:
        endpoint = self.endpoint
        return f"{endpoint}: {self.detail}" if endpoint else self.detail


class InvalidParameterError(ValueError):
    """An argument is invalid; nothing was sent. ``field`` names the offending argument."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class FilterViolation(InvalidParameterError):
    """An order breaks one of the symbol's filters; ``filter`` names it (e.g. ``LOT_SIZE``)."""

    def __init__(self, field: str, filter: str, message: str) -> None:
        super().__init__(field, f"{message} ({filter})")
        self.filter = filter


class JournalError(HashKeyError):
    """The journal file cannot be used (a newer schema, another application's file, I/O)."""


class Refused(msgspec.ValidationError):
    """A message whose identifying field is missing or malformed: it cannot be trusted typed."""

    def __init__(self, type_name: str, field: str, why: str, wire: str | int | None = None) -> None:
        sent = f" (sent as {wire!r})" if wire is not None and wire != field else ""
        super().__init__(f"{type_name}.{field}{sent}: {why}")
        self.type_name = type_name
        self.field = field


class TransportError(HashKeyError):
    """The request did not reach the exchange, or no answer came back before sending ended."""


class DecodeError(HashKeyError):
    """The exchange answered with a body that does not fit the expected shape."""


class StreamError(HashKeyError):
    """A stream failed in a way the user must know about (it keeps running unless closed)."""


class StreamOverflowError(StreamError):
    """A subscriber that must not lose messages fell behind its queue bound."""

    def __init__(self, topic: str, dropped: int) -> None:
        super().__init__(f"subscriber for {topic!r} fell behind; {dropped} message(s) dropped")
        self.topic = topic
        self.dropped = dropped


class APIError(HashKeyError):
    """The exchange answered with an error; ``status``, ``code`` and ``message`` say which."""

    def __init__(
        self,
        status: int | None,
        code: str | None,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(
            _answer(status, code, message), status=status, code=code, method=method, path=path
        )
        #: The exchange's own words (``msg`` of the answer).
        self.message = message


class AuthenticationError(APIError):
    """Credentials were refused (or are missing: then ``status`` is None and nothing was sent)."""


class PermissionDeniedError(APIError):
    """The key may not do this (permission, account, IP whitelist, KYC)."""


class RateLimitError(APIError):
    """A rate limit was hit (or is still in force); ``retry_after`` is seconds until it lifts."""

    def __init__(
        self, status: int, code: str | None, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(status, code, message)
        self.retry_after = retry_after


class IPBannedError(RateLimitError):
    """HTTP 418: the IP kept sending after a 429 and is banned for a while."""


class TimestampError(APIError):
    """-1021: the request timestamp fell outside recvWindow of the server clock."""


class ExecutionStatusUnknown(HashKeyError):
    """The call may or may not have taken effect (5xx, -1006, -1007, -1146, timeout).

    ``client_order_id`` is set for order creation so the caller can look the order up.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        client_order_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code, method=method, path=path)
        self.client_order_id = client_order_id


class BatchStatusUnknown(ExecutionStatusUnknown, Generic[OrderT]):
    """Some orders of a batch may or may not have been placed.

    ``client_order_ids`` lists every order of the batch, ``known`` maps those the lookups
    found to their ``Order``, and ``unknown`` lists the rest (each can be looked up later
    with ``client.spot.get_order(client_order_id=...)``). Generic in the order type only
    so this layer-0 module need not import the models.
    """

    def __init__(
        self,
        cause: ExecutionStatusUnknown,
        client_order_ids: list[str],
        known: Mapping[str, OrderT] | None = None,
    ) -> None:
        found = dict(known or {})
        unknown = [cid for cid in client_order_ids if cid not in found]
        super().__init__(
            f"create_orders: outcome unknown for {len(unknown)} of {len(client_order_ids)}"
            f" order(s) ({cause.detail})",
            status=cause.status,
            code=cause.code,
            method=cause.method,
            path=cause.path,
        )
        self.client_order_ids = client_order_ids
        self.known = found
        self.unknown = unknown


class BadRequestError(APIError):
    """The exchange found a parameter missing, malformed or not allowed."""


class FilterError(BadRequestError):
    """Price, quantity or notional is outside the symbol's trading rules."""


class OrderError(APIError):
    """An order operation failed because of the order's state."""


class OrderNotFoundError(OrderError):
    """No such order."""


class OrderAlreadyFilledError(OrderError):
    """The order is already filled, so it cannot be cancelled."""


class OrderAlreadyCancelledError(OrderError):
    """The order is already cancelled."""


class OrderCompletedError(OrderError):
    """The order is completed (filled or cancelled) or does not exist."""


class DuplicateOrderError(OrderError):
    """An order with this client order id already exists."""


class OrderRejectedError(OrderError):
    """The order (or its cancel) was rejected by the matching engine."""


class InsufficientBalanceError(APIError):
    """Not enough balance for the order or withdrawal."""


class WalletError(APIError):
    """A deposit, withdrawal, address or transfer operation failed."""


class ServerError(APIError):
    """The exchange reported an internal or unknown error that did not change state."""


def _codes(*codes: str) -> frozenset[str]:
    return frozenset(codes)


# Families of codes from the reference's "Error Codes" table. Codes absent here
# (and absent from _UNKNOWN_OUTCOME_CODES) fall back to ServerError.
_FAMILIES: Final[tuple[tuple[frozenset[str], type[APIError]], ...]] = (
    (_codes("0003", "-1015", "-3145", "-1193"), RateLimitError),
    (_codes("-1021"), TimestampError),
    (
        _codes("0104", "0202", "-1005", "-1186", "-2016", "-2018", "-2019", "-2020", "-2021")
        | _codes("-2023", "-3117", "-3143", "-3144", "-1155", "-1205", "-1215", "-4006", "-4009"),
        PermissionDeniedError,
    ),
    (_codes("0211", "-1143"), OrderNotFoundError),
    (_codes("0212"), OrderCompletedError),
    (_codes("-1139"), OrderAlreadyFilledError),
    (_codes("-1142"), OrderAlreadyCancelledError),
    (_codes("-1141", "-1024"), DuplicateOrderError),
    (
        _codes("-2010", "-1156", "-1149", "-1150", "-2011", "-1144", "-1145", "-1147", "-1194")
        | _codes("-2017", "-1151"),
        OrderRejectedError,
    ),
    (_codes("0401", "-4003", "-5023"), InsufficientBalanceError),
    (
        _codes("0209", "0210", "-1132", "-1133", "-1135", "-1136", "-1137", "-1140", "-1148")
        | _codes("-1200", "-1201", "-1202", "-1203", "-1206", "-5032", "-5033"),
        FilterError,
    ),
    (
        _codes("0001", "0201", "0206", "0207", "-1004", "-1014", "-1020", "-1101", "-1115")
        | _codes("-1117", "-1123", "-1124", "-1126", "-1129", "-1130", "-1152", "-1153", "-1154")
        | _codes("-2022", "-2026", "-2027", "-2028", "-2029", "-2030", "-5027", "-5030", "-5035")
        | _codes("-5036"),
        BadRequestError,
    ),
    (
        _codes("-1160", "-1161", "-1162", "-1163", "-1164", "-1165", "-1166", "-1167", "-1168")
        | _codes("-1169", "-1170", "-1171", "-1172", "-1173", "-1174", "-1175", "-1176", "-1177")
        | _codes("-1182", "-1204", "-1207", "-1208", "-1209", "-1210", "-1211", "-1212", "-1213")
        | _codes("-1214", "-1300", "-1301", "-1302", "-1303", "-1304", "-1305", "-2024", "-2025")
        | _codes("-4000", "-4001", "-4002", "-4004", "-4005", "-4007", "-4008", "-4010", "-4011")
        | _codes("-4012", "-4013", "-4014", "-4016", "-4017", "-4018", "-4019", "-4020", "-5000")
        | _codes("-5001", "-5002", "-5003", "-5004", "-5005", "-5006", "-5011", "-5012", "-5013")
        | _codes("-5021", "-5022", "-5024", "-5025", "-5026", "-5031", "-5034"),
        WalletError,
    ),
    (_codes("-1000", "-1001"), ServerError),
)

_CODE_TO_CLASS: Final[dict[str, type[APIError]]] = {
    code: cls for codes, cls in _FAMILIES for code in codes
}

#: Codes after which the request may or may not have taken effect.
UNKNOWN_OUTCOME_CODES: Final = _codes("-1006", "-1007", "-1146")

#: Codes that mean the key itself is not accepted.
AUTH_CODES: Final = _codes("0102", "0103", "-1002")

#: Message fragments that tell "0001 Incorrect signature" from "0001 Required field".
_SIGNATURE_HINT: Final = "signature"


def error_for(
    status: int, code: str | None, message: str, *, retry_after: float | None = None
) -> HashKeyError:
    """Map an HTTP status and exchange code to the most specific error of the tree."""
    if status == 418:
        return IPBannedError(status, code, message or "IP banned", retry_after=retry_after)
    if status == 429:
        return RateLimitError(status, code, message or "rate limited", retry_after=retry_after)
    if code in UNKNOWN_OUTCOME_CODES or status >= 500:
        return ExecutionStatusUnknown(_answer(status, code, message), status=status, code=code)
    if (
        status == 401
        or code in AUTH_CODES
        or (code == "0001" and _SIGNATURE_HINT in message.lower())
    ):
        return AuthenticationError(status, code, message)
    cls = _CODE_TO_CLASS.get(code or "", ServerError)
    if cls is RateLimitError:
        return RateLimitError(status, code, message, retry_after=retry_after)
    if status == 403 and cls is ServerError:
        cls = PermissionDeniedError
    return cls(status, code, message)
