"""Every code of the reference's "Error Codes" table maps to a named family of the error tree."""

from __future__ import annotations

import re

import pytest
from fixtures import reference_docs

from hashkey_async.errors import (
    _CODE_TO_CLASS,
    AUTH_CODES,
    SUCCESS_CODES,
    UNKNOWN_OUTCOME_CODES,
    APIError,
    AuthenticationError,
    BadRequestError,
    DuplicateOrderError,
    ExecutionStatusUnknown,
    FilterError,
    HashKeyError,
    InsufficientBalanceError,
    InvalidParameterError,
    IPBannedError,
    OrderAlreadyCancelledError,
    OrderAlreadyFilledError,
    OrderCompletedError,
    OrderNotFoundError,
    OrderRejectedError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TimestampError,
    WalletError,
    error_for,
)

_ROW = re.compile(r"^\| (-?\d{3,4}) \| (\d{3}) \| ([^|\n]*)")


def reference_codes() -> list[tuple[str, int, str]]:
    """(code, HTTP status, message) of every row of the reference's error table."""
    text = reference_docs()
    section = text[text.index("\nError Codes\n") : text.index("\nCancel Reject Reasons\n")]
    rows = [m.groups() for m in map(_ROW.match, section.splitlines()) if m]
    return [(code, int(status), message.strip()) for code, status, message in rows]


ROWS = reference_codes()


def test_the_table_was_read() -> None:
    codes = {code for code, _, _ in ROWS}
    assert len(ROWS) > 150
    assert {"0000", "0001", "-1021", "-5036"} <= codes


@pytest.mark.parametrize(
    ("code", "status", "message"), ROWS, ids=[f"{c}:{m[:30]}" for c, _, m in ROWS]
)
def test_every_reference_code_has_a_named_family(code: str, status: int, message: str) -> None:
    if code in SUCCESS_CODES:
        return
    assert code in _CODE_TO_CLASS or code in UNKNOWN_OUTCOME_CODES or code in AUTH_CODES
    error = error_for(status, code, message)
    assert isinstance(error, HashKeyError)
    assert type(error) is not APIError
    if type(error) is ServerError:
        assert code in {"-1000", "-1001"}  # the only codes that genuinely mean "server error"
    assert getattr(error, "code", None) == code
    assert getattr(error, "status", None) == status


def test_mapped_codes_all_come_from_the_reference() -> None:
    assert set(_CODE_TO_CLASS) <= {code for code, _, _ in ROWS}


@pytest.mark.parametrize(
    ("status", "code", "message", "cls"),
    [
        (400, "0001", "Incorrect signature", AuthenticationError),
        (400, "0001", "Required field quantity missing or invalid", BadRequestError),
        (400, "0102", "Invalid APIKey", AuthenticationError),
        (400, "-1002", "Unauthorized operation", AuthenticationError),
        (401, None, "", AuthenticationError),
        (400, "0202", "Invalid IP", PermissionDeniedError),
        (400, "0003", "Rate limit exceeded", RateLimitError),
        (400, "-1015", "Too many new orders", RateLimitError),
        (400, "-3145", "Please DO NOT submit request too frequently", RateLimitError),
        (429, None, "", RateLimitError),
        (418, None, "", IPBannedError),
        (400, "-1021", "outside of the recvWindow", TimestampError),
        (400, "-1006", "Execution status unknown", ExecutionStatusUnknown),
        (400, "-1007", "Timeout waiting for response", ExecutionStatusUnknown),
        (400, "-1146", "Order creation timeout", ExecutionStatusUnknown),
        (500, None, "Internal Server Error", ExecutionStatusUnknown),
        (503, "-1130", "", ExecutionStatusUnknown),
        (400, "0211", "Order not found", OrderNotFoundError),
        (400, "-1143", "Order not found on order book", OrderNotFoundError),
        (400, "0212", "completed", OrderCompletedError),
        (400, "-1139", "Order has been filled", OrderAlreadyFilledError),
        (400, "-1142", "Order has been cancelled", OrderAlreadyCancelledError),
        (400, "-1141", "Duplicate order", DuplicateOrderError),
        (400, "-2010", "Limit maker order rejected", OrderRejectedError),
        (400, "0401", "Insufficient asset", InsufficientBalanceError),
        (400, "-4003", "Insufficient Balance", InsufficientBalanceError),
        (400, "-1136", "Order quantity lower than the minimum", FilterError),
        (400, "-1130", "Illegal parameter 'symbol'", BadRequestError),
        (400, "-1164", "Withdraw failed", WalletError),
        (400, "-1000", "An unknown error occurred", ServerError),
        (400, "-7777", "a code the table does not know", ServerError),
        (403, None, "Forbidden", PermissionDeniedError),
    ],
)
def test_families(status: int, code: str | None, message: str, cls: type[HashKeyError]) -> None:
    assert type(error_for(status, code, message)) is cls


def test_rate_limit_errors_carry_retry_after() -> None:
    error = error_for(429, "-1015", "slow down", retry_after=12.0)
    assert isinstance(error, RateLimitError) and error.retry_after == 12.0
    ban = error_for(418, None, "", retry_after=300.0)
    assert isinstance(ban, IPBannedError) and ban.retry_after == 300.0


def test_invalid_parameter_is_a_value_error_outside_the_tree() -> None:
    error = InvalidParameterError("price", "must be positive")
    assert isinstance(error, ValueError) and not isinstance(error, HashKeyError)
    assert error.field == "price" and "price" in str(error)


def test_the_tree_is_as_the_module_docstring_draws_it() -> None:
    for cls in (
        PermissionDeniedError,
        RateLimitError,
        TimestampError,
        BadRequestError,
        ServerError,
        WalletError,
    ):
        assert issubclass(cls, APIError)
    assert issubclass(IPBannedError, RateLimitError) and issubclass(FilterError, BadRequestError)
    for cls in (AuthenticationError, ExecutionStatusUnknown):
        assert issubclass(cls, HashKeyError) and not issubclass(cls, APIError)
