"""Every ``hashkey-async`` command, run as a subprocess against the offline exchange.

Either ``--offline`` (the exchange inside the CLI's process) or an ``OfflineExchange`` this
test runs on an ephemeral port with ``--base-url`` and the keys in the environment, so the
test can look at the exchange's side too. Output is JSON lines (stdout is a pipe).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from hashkey_async.testing import OfflineExchange

#: Seconds one CLI run may take (a Python start-up plus an exchange on a loaded machine).
RUN_TIMEOUT = 25.0
SECRET = "s3cret-never-printed-0123456789"


@dataclass
class Run:
    code: int
    out: str
    err: str

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines()]


def _env(keys: tuple[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HASHKEY_API_")}
    if keys is not None:
        env["HASHKEY_API_KEY"], env["HASHKEY_API_SECRET"] = keys
    return env


async def cli(*args: str, keys: tuple[str, str] | None = None) -> Run:
    """Run ``python -m hashkey_async ARGS`` to the end."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hashkey_async",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(keys),
    )
    try:
        async with asyncio.timeout(RUN_TIMEOUT):
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())


def at(ex: OfflineExchange) -> tuple[str, ...]:
    return ("--base-url", ex.rest_url)


def keys_of(ex: OfflineExchange) -> tuple[str, str]:
    return (ex.api_key, ex.api_secret)


# --- the three "done when" commands ---------------------------------------------


async def test_ticker_offline_prints_exact_decimal_strings() -> None:
    run = await cli("ticker", "BTCUSDT", "--offline")
    assert run.code == 0, run.err
    [ticker] = run.lines()
    assert ticker["symbol"] == "BTCUSDT"
    assert isinstance(ticker["last_price"], str)
    assert Decimal(ticker["bid_price"]) < Decimal(ticker["ask_price"])


async def test_balances_offline_uses_the_made_up_key() -> None:
    run = await cli("balances", "--offline")
    assert run.code == 0, run.err
    balances = {row["asset"]: row for row in run.lines()}
    assert balances["USDT"]["free"] == "1000000"
    assert balances["BTC"]["locked"] == "0"


async def test_stream_depth_prints_count_json_lines_with_both_sides() -> None:
    run = await cli("stream", "depth", "BTCUSDT", "--offline", "--count", "3", "--json")
    assert run.code == 0, run.err
    books = run.lines()
    assert len(books) == 3
    for book in books:
        assert book["symbol"] == "BTCUSDT"
        assert book["bids"] and book["asks"]
        best_bid, best_ask = Decimal(book["bids"][0][0]), Decimal(book["asks"][0][0])
        assert best_bid < best_ask


async def test_console_script_runs_too() -> None:
    script = Path(sys.executable).with_name("hashkey-async")
    proc = await asyncio.create_subprocess_exec(
        str(script), "rules", "BTCUSDT", "--offline", stdout=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(RUN_TIMEOUT):
        out, _ = await proc.communicate()
    assert proc.returncode == 0
    assert json.loads(out)["tick_size"] == "0.01"


# --- market --------------------------------------------------------------------------


async def test_depth_limit_gives_that_many_levels_a_side_best_first() -> None:
    run = await cli("depth", "BTCUSDT", "--limit", "5", "--offline")
    assert run.code == 0, run.err
    [book] = run.lines()
    assert len(book["bids"]) == len(book["asks"]) == 5
    bids = [Decimal(price) for price, _ in book["bids"]]
    asks = [Decimal(price) for price, _ in book["asks"]]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)
    assert bids[0] < asks[0]


async def test_depth_watch_follows_the_stream_until_count() -> None:
    run = await cli("depth", "BTCUSDT", "--watch", "--count", "2", "--limit", "3", "--offline")
    assert run.code == 0, run.err
    books = run.lines()
    assert len(books) == 2
    assert all(len(b["bids"]) == 3 and len(b["asks"]) == 3 for b in books)


async def test_trades_and_klines_against_a_served_exchange() -> None:
    async with OfflineExchange() as ex:
        trades = await cli("trades", "BTCUSDT", "--limit", "4", *at(ex))
        candles = await cli("klines", "ETHUSDT", "1m", "--limit", "2", *at(ex))
    assert trades.code == 0, trades.err
    assert len(trades.lines()) == 4
    assert all(Decimal(t["price"]) > 0 and Decimal(t["quantity"]) > 0 for t in trades.lines())
    assert candles.code == 0, candles.err
    rows = candles.lines()
    assert len(rows) == 2
    assert all(Decimal(k["low"]) <= Decimal(k["high"]) for k in rows)


# --- account --------------------------------------------------------------------------


async def test_order_place_list_cancel_round_trip() -> None:
    async with OfflineExchange() as ex:
        placed = await cli(
            "order", "place", "BTCUSDT", "BUY", "LIMIT", "--quantity", "0.001",
            "--price", "30000", "--client-order-id", "cli-test-1", *at(ex), keys=keys_of(ex),
        )  # fmt: skip
        assert placed.code == 0, placed.err
        [order] = placed.lines()
        assert (order["status"], order["price"], order["orig_qty"]) == ("NEW", "30000", "0.001")
        assert order["client_order_id"] == "cli-test-1"

        listed = await cli("orders", "--symbol", "BTCUSDT", *at(ex), keys=keys_of(ex))
        assert [o["order_id"] for o in listed.lines()] == [order["order_id"]]

        cancelled = await cli(
            "order", "cancel", "--client-order-id", "cli-test-1", *at(ex), keys=keys_of(ex)
        )
        assert cancelled.code == 0, cancelled.err
        assert cancelled.lines()[0]["status"] == "CANCELED"

        assert (await cli("orders", *at(ex), keys=keys_of(ex))).lines() == []
        history = await cli("orders", "--history", *at(ex), keys=keys_of(ex))
        assert order["order_id"] in [o["order_id"] for o in history.lines()]


async def test_dry_run_validates_without_placing() -> None:
    async with OfflineExchange() as ex:
        run = await cli(
            "order", "place", "BTCUSDT", "SELL", "LIMIT", "--quantity", "0.5",
            "--price", "90000", "--dry-run", *at(ex), keys=keys_of(ex),
        )  # fmt: skip
        assert run.code == 0, run.err
        assert run.lines()[0]["dry_run"] is True
        async with ex.client() as client:
            assert await client.spot.open_orders() == []


async def test_cancel_all_needs_yes_then_cancels_only_that_symbol() -> None:
    async with OfflineExchange() as ex:
        async with ex.client() as client:
            for symbol, price in (("BTCUSDT", "30000"), ("ETHUSDT", "1000")):
                await client.spot.create_order(symbol, "BUY", "LIMIT", quantity="0.01", price=price)
        refused = await cli("cancel-all", "--symbol", "BTCUSDT", *at(ex), keys=keys_of(ex))
        assert refused.code == 2
        assert "--yes" in refused.err
        async with ex.client() as client:
            assert len(await client.spot.open_orders()) == 2
        done = await cli("cancel-all", "--symbol", "BTCUSDT", "--yes", *at(ex), keys=keys_of(ex))
        assert done.code == 0, done.err
        async with ex.client() as client:
            assert [o.symbol for o in await client.spot.open_orders()] == ["ETHUSDT"]


async def test_stream_user_prints_the_accounts_events() -> None:
    async with OfflineExchange() as ex, ex.client() as client:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hashkey_async", "stream", "user", "--count", "1", *at(ex),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=_env(keys_of(ex)),
        )  # fmt: skip
        assert proc.stdout is not None
        try:
            async with asyncio.timeout(RUN_TIMEOUT):
                line = b""
                # The CLI says nothing until it sees an event: place orders until one shows.
                while not line:
                    await client.spot.create_order(
                        "BTCUSDT", "BUY", "LIMIT", quantity="0.001", price="30000"
                    )
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(1.0):
                            line = await proc.stdout.readline()
                await proc.wait()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    event = json.loads(line)
    assert event["event"] in ("ExecutionReport", "AccountUpdate")
    assert proc.returncode == 0


# --- failures, exit codes, secrets, Ctrl-C ------------------------------------------------


async def test_exchange_error_exits_1_with_code_and_advice() -> None:
    run = await cli("order", "cancel", "--order-id", "12345", "--offline")
    assert run.code == 1
    assert "exchange code 0211" in run.err
    assert "what to do:" in run.err
    assert "Traceback" not in run.err
    assert run.out == ""


async def test_usage_errors_exit_2_and_send_nothing() -> None:
    missing = await cli("order", "place", "BTCUSDT", "BUY", "LIMIT", "--offline")
    assert missing.code == 2 and "--quantity" in missing.err
    unknown = await cli("ticker", "--offline")
    assert unknown.code == 2
    async with OfflineExchange() as ex:
        no_price = await cli(
            "order", "place", "BTCUSDT", "BUY", "LIMIT", "--quantity", "0.001",
            *at(ex), keys=keys_of(ex),
        )  # fmt: skip
        assert no_price.code == 2
        assert "price" in no_price.err and "Traceback" not in no_price.err
        async with ex.client() as client:
            assert await client.spot.open_orders() == []


async def test_account_commands_without_keys_say_which_variables() -> None:
    async with OfflineExchange() as ex:
        run = await cli("balances", *at(ex))
    assert run.code == 2
    assert "$HASHKEY_API_KEY" in run.err and "$HASHKEY_API_SECRET" in run.err


async def test_a_refused_key_exits_1_and_never_prints_the_secret() -> None:
    async with OfflineExchange() as ex:
        run = await cli("balances", *at(ex), keys=(ex.api_key, SECRET))
    assert run.code == 1
    assert "AuthenticationError" in run.err and "what to do:" in run.err
    assert SECRET not in run.err + run.out


async def test_offline_output_never_shows_the_made_up_secret() -> None:
    run = await cli("orders", "--offline")
    assert run.code == 0, run.err
    assert "offline-api-secret" not in run.out + run.err


@pytest.mark.parametrize(
    "command",
    [("stream", "trade", "BTCUSDT"), ("depth", "BTCUSDT", "--watch")],
    ids=["stream", "watch"],
)
async def test_ctrl_c_ends_an_endless_command_cleanly(command: tuple[str, ...]) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hashkey_async", *command, "--offline",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=_env(None),
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(RUN_TIMEOUT):
            first = await proc.stdout.readline()
            assert json.loads(first)
            proc.send_signal(signal.SIGINT)
            _, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0
    assert err == b""


async def test_a_closed_pipe_ends_the_stream_quietly() -> None:
    # `| head -n 1` closes the pipe after one line; the stream must stop, exit 0, say nothing.
    pipeline = (
        '"$0" -m hashkey_async stream depth BTCUSDT --offline | head -n 1; exit ${PIPESTATUS[0]}'
    )
    proc = await asyncio.create_subprocess_exec(
        "bash", "-c", pipeline, sys.executable,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=_env(None),
    )  # fmt: skip
    try:
        async with asyncio.timeout(RUN_TIMEOUT):
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert json.loads(out)["bids"]
    assert proc.returncode == 0
    assert err == b""
