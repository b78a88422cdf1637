"""Every code of the reference's "Error Codes" table maps to a named family of the error tree."""

from __future__ import annotations

import re

import aiohttp
import pytest
from fixtures import reference_docs

from hashkey_async import HashKeyClient, MockRequest, MockResponse, MockTransport, errors
from hashkey_async.errors import (
    _CODE_TO_CLASS,
    AUTH_CODES,
    SUCCESS_CODES,
    UNKNOWN_OUTCOME_CODES,
    APIError,
    AuthenticationError,
    BadRequestError,
    BatchStatusUnknown,
    DecodeError,
    DuplicateOrderError,
    ExecutionStatusUnknown,
    FilterError,
    FilterViolation,
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
    StreamError,
    TimestampError,
    TransportError,
    WalletError,
    error_for,
)
from hashkey_async.testing import OfflineExchange

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


FAMILY_CASES: list[tuple[int, str | None, str, type[HashKeyError]]] = [
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
]


@pytest.mark.parametrize(("status", "code", "message", "cls"), FAMILY_CASES)
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


def _drawn_tree() -> dict[str, str]:
    """class name -> parent name, read from the tree drawn in the errors module docstring."""
    doc = errors.__doc__ or ""
    drawing = doc[doc.index("The tree::") : doc.index("``except APIError``")]
    parents: dict[str, str] = {}
    stack: list[str] = []
    for line in drawing.splitlines()[1:]:
        match = re.match(r"^(\s*(?:[│ ]   )*)(?:[├└]── )?([A-Z]\w+)", line)
        if not match:
            continue
        depth = (len(match.group(1)) - 4) // 4 + (1 if "──" in line[: match.end(1) + 4] else 0)
        name = match.group(2)
        if depth == 0:  # a root: its base is drawn in parentheses, or it is Exception
            base = re.search(r"\(([\w.]+)\)", line)
            parents[name] = base.group(1).rpartition(".")[2] if base else "Exception"
        else:
            parents[name] = stack[depth - 1]
        del stack[depth:]
        stack.append(name)
    return parents


def test_the_tree_is_as_the_module_docstring_draws_it() -> None:
    drawn = _drawn_tree()
    classes = {
        name: obj
        for name in errors.__all__
        if isinstance(obj := getattr(errors, name), type) and issubclass(obj, BaseException)
    }
    assert set(drawn) == set(classes)  # every exception class is drawn, nothing else
    for name, cls in classes.items():
        assert cls.__bases__[0].__name__ == drawn[name], name


def test_every_answer_of_the_exchange_is_an_api_error_except_an_uncertain_one() -> None:
    assert issubclass(AuthenticationError, APIError)
    assert not issubclass(ExecutionStatusUnknown, APIError)
    assert issubclass(BatchStatusUnknown, ExecutionStatusUnknown)
    assert issubclass(FilterViolation, InvalidParameterError)
    for status, code, message, _ in FAMILY_CASES:
        error = error_for(status, code, message)
        assert isinstance(error, APIError) != isinstance(error, ExecutionStatusUnknown)


def test_every_error_carries_status_code_and_endpoint() -> None:
    error = error_for(400, "-1130", "Illegal parameter 'symbol'")
    assert (error.status, error.code, error.endpoint) == (400, "-1130", None)
    assert str(error) == "HTTP 400 code=-1130 Illegal parameter 'symbol'"
    error.at("POST", "/api/v1/spot/order")
    error.at("GET", "/api/v1/time")  # the first (innermost) stamp wins
    assert (error.method, error.path) == ("POST", "/api/v1/spot/order")
    assert error.endpoint == "POST /api/v1/spot/order"
    assert str(error) == "POST /api/v1/spot/order: HTTP 400 code=-1130 Illegal parameter 'symbol'"
    assert error.detail == "HTTP 400 code=-1130 Illegal parameter 'symbol'"
    for plain in (TransportError("refused"), DecodeError("bad body"), StreamError("down")):
        assert (plain.status, plain.code, plain.endpoint) == (None, None, None)
        assert str(plain) == plain.detail


def test_a_batch_error_keeps_its_cause_answer_and_endpoint() -> None:
    cause = ExecutionStatusUnknown(
        "HTTP 503", status=503, method="POST", path="/api/v1/spot/batchOrders"
    )
    error: BatchStatusUnknown[str] = BatchStatusUnknown(cause, ["a", "b"], {"a": "order-a"})
    assert (error.status, error.endpoint) == (503, "POST /api/v1/spot/batchOrders")
    assert error.known == {"a": "order-a"} and error.unknown == ["b"]
    assert str(error).count("/api/v1/spot/batchOrders") == 1


# --- the transport stamps the endpoint on what a real exchange answers --------------


async def test_an_exchange_answer_carries_its_endpoint_but_no_query(
    hashkey_exchange: OfflineExchange,
) -> None:
    async with hashkey_exchange.client() as client:
        with pytest.raises(APIError) as info:
            await client.spot.get_order(client_order_id="never-placed")
    error = info.value
    assert isinstance(error, OrderNotFoundError) and error.status == 400
    assert (error.method, error.path, error.code) == ("GET", "/api/v1/spot/order", "0211")
    assert str(error).startswith("GET /api/v1/spot/order: HTTP 400 code=0211")
    assert "signature" not in str(error) and "never-placed" not in str(error)


async def test_a_refused_key_is_an_api_error_with_its_endpoint(
    hashkey_exchange: OfflineExchange,
) -> None:
    secret = "made-up-wrong-secret"
    async with HashKeyClient(
        hashkey_exchange.api_key, secret, base_url=hashkey_exchange.rest_url
    ) as client:
        with pytest.raises(APIError) as info:
            await client.account.balances()
    assert isinstance(info.value, AuthenticationError)
    assert info.value.endpoint == "GET /api/v1/account" and info.value.status is not None
    assert secret not in str(info.value) and "signature=" not in str(info.value)


async def test_an_error_raised_before_sending_still_names_the_endpoint() -> None:
    async with HashKeyClient(base_url="http://127.0.0.1:9") as client:
        with pytest.raises(AuthenticationError) as info:
            await client.account.balances()
    assert info.value.endpoint == "GET /api/v1/account" and info.value.status is None


async def test_errors_raised_without_an_answer_name_their_endpoint_too() -> None:
    """A ban enforced by the limiter and a read that never got an answer both name the call."""
    answers = [MockResponse(418, headers={"Retry-After": "30"})]

    def handler(request: MockRequest) -> MockResponse:
        if answers:
            return answers.pop()
        raise aiohttp.ServerDisconnectedError()

    async with HashKeyClient(transport=MockTransport(handler), max_retries=0) as client:
        with pytest.raises(IPBannedError) as banned:
            await client.market.depth("BTCUSDT")
        assert banned.value.endpoint == "GET /quote/v1/depth" and banned.value.status == 418
        with pytest.raises(IPBannedError) as refused:  # the limiter refuses before sending
            await client.market.trades("BTCUSDT")
        assert refused.value.endpoint == "GET /quote/v1/trades"
    async with HashKeyClient(transport=MockTransport(handler), max_retries=0) as client:
        with pytest.raises(TransportError) as lost:
            await client.market.ticker_price("BTCUSDT")
        assert lost.value.endpoint == "GET /quote/v1/ticker/price" and lost.value.status is None
