"""How a failed command explains itself: the exchange's code, and what the operator should do.

Exit codes: ``EXIT_OK`` (0), ``EXIT_EXCHANGE`` (1: the exchange or the network refused),
``EXIT_USAGE`` (2: bad arguments or set-up; nothing was sent), ``EXIT_INTERRUPTED`` (130).
"""

from __future__ import annotations

from typing import Final

from .. import (
    APIError,
    AuthenticationError,
    BadRequestError,
    DecodeError,
    DuplicateOrderError,
    ExecutionStatusUnknown,
    FilterError,
    HashKeyError,
    InsufficientBalanceError,
    IPBannedError,
    OrderAlreadyCancelledError,
    OrderAlreadyFilledError,
    OrderCompletedError,
    OrderNotFoundError,
    OrderRejectedError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    StreamError,
    StreamOverflowError,
    TimestampError,
    TransportError,
    WalletError,
)

__all__ = [
    "EXIT_EXCHANGE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CommandError",
    "explain",
]

EXIT_OK: Final = 0
EXIT_EXCHANGE: Final = 1
EXIT_USAGE: Final = 2
#: 128 + SIGINT: a command that was stopped before it finished (not a watch or a stream).
EXIT_INTERRUPTED: Final = 130


class CommandError(Exception):
    """A usage or set-up problem found by the CLI itself; ``exit_code`` says how to leave."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# Most specific first: the first class the error is an instance of gives the advice.
_ADVICE: Final[tuple[tuple[type[HashKeyError], str], ...]] = (
    (
        IPBannedError,
        "this IP is banned for calling on after a 429: make no call until the ban ends",
    ),
    (RateLimitError, "too many requests: wait and retry, and space the calls out"),
    (
        AuthenticationError,
        "check $HASHKEY_API_KEY / $HASHKEY_API_SECRET, and that the key belongs to this "
        "environment (--sandbox for sandbox keys)",
    ),
    (
        PermissionDeniedError,
        "the key lacks this permission or this IP is not on its whitelist: check the key's "
        "settings on the exchange",
    ),
    (TimestampError, "the machine's clock is off: sync it (NTP) and retry"),
    (
        FilterError,
        "price, quantity or notional is outside the symbol's rules: see "
        "`hashkey-async rules SYMBOL` for tick size, step size and minimums",
    ),
    (BadRequestError, "the exchange refused a parameter: check the values given"),
    (
        OrderNotFoundError,
        "no such order: list them with `hashkey-async orders` (or `--history`)",
    ),
    (OrderAlreadyFilledError, "the order is already filled: nothing left to cancel"),
    (OrderAlreadyCancelledError, "the order is already cancelled: nothing to do"),
    (OrderCompletedError, "the order is filled, cancelled or unknown: see `hashkey-async orders`"),
    (
        DuplicateOrderError,
        "an order with this client order id exists: look it up with `hashkey-async orders` "
        "or choose a new id",
    ),
    (OrderRejectedError, "the matching engine refused it: check the order against the book"),
    (InsufficientBalanceError, "not enough funds: see `hashkey-async balances`"),
    (WalletError, "the wallet operation failed: check the asset, chain and address"),
    (ServerError, "the exchange reported an internal error: retry later"),
    (APIError, "the exchange refused the request: see its message"),
    (
        ExecutionStatusUnknown,
        "it is unknown whether this took effect: look the order up with "
        "`hashkey-async orders --symbol SYMBOL` before sending it again",
    ),
    (
        TransportError,
        "the exchange could not be reached: check the network, --base-url and --sandbox",
    ),
    (
        DecodeError,
        "the exchange answered in an unexpected shape: report it with the command you ran",
    ),
    (
        StreamOverflowError,
        "this output fell behind the stream: pipe it somewhere faster or use --count",
    ),
    (StreamError, "the stream failed: run the command again"),
)


def _advice(exc: HashKeyError) -> str:
    for cls, advice in _ADVICE:
        if isinstance(exc, cls):
            return advice
    return "see the message above"


def explain(exc: HashKeyError) -> str:
    """Two lines for stderr: what failed (exchange code, HTTP status, endpoint) and what to do."""
    labels = [f"exchange code {exc.code}"] if exc.code else []
    if exc.status:
        labels.append(f"HTTP {exc.status}")
    if exc.endpoint:
        labels.append(exc.endpoint)
    detail = exc.message if isinstance(exc, APIError) else exc.detail
    head = f"error: {type(exc).__name__}"
    if labels:
        head += f" ({', '.join(labels)})"
    head += f": {detail}" if detail else ""
    advice = _advice(exc)
    if isinstance(exc, RateLimitError) and exc.retry_after:
        advice += f" (retry after {exc.retry_after:.0f} s)"
    if isinstance(exc, ExecutionStatusUnknown) and exc.client_order_id:
        advice += f"; its client order id is {exc.client_order_id}"
    return f"{head}\nwhat to do: {advice}"
