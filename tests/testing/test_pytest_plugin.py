"""The pytest plugin: its fixtures here, and a user's project run through pytest itself."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hashkey_async import HashKeyClient
from hashkey_async.testing import OfflineExchange


async def test_fixtures_give_a_running_exchange_and_a_client_on_it(
    hashkey_exchange: OfflineExchange, hashkey_client: HashKeyClient
) -> None:
    assert hashkey_client.config.rest_url == hashkey_exchange.rest_url
    assert hashkey_client.config.stream_url == hashkey_exchange.stream_url
    assert abs(await hashkey_client.market.server_time() - hashkey_exchange.now_ms()) < 5000
    balances = await hashkey_client.account.balances()
    assert {b.asset for b in balances.balances} == set(hashkey_exchange.config.balances)


@pytest.mark.hashkey_exchange(seed=99, symbols=("ETHUSDT",), query_rate=50)
async def test_marker_overrides_the_exchange_config(hashkey_exchange: OfflineExchange) -> None:
    assert hashkey_exchange.config.seed == 99
    assert hashkey_exchange.feeds.symbols == ("ETHUSDT",)
    assert hashkey_exchange.config.query_rate == 50


def test_importing_the_plugin_does_not_load_the_exchange() -> None:
    code = (
        "import sys, hashkey_async.testing.pytest_plugin as p; "
        "print('hashkey_async.testing.exchange' in sys.modules, p.MARKER)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=20
    )
    assert result.stdout.split() == ["False", "hashkey_exchange"]


def test_a_strict_mode_project_gets_the_fixtures_from_the_entry_point(tmp_path: Path) -> None:
    (tmp_path / "test_bot.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.mark.asyncio
            @pytest.mark.hashkey_exchange(seed=5)
            async def test_buy(hashkey_client, hashkey_exchange):
                order = await hashkey_client.spot.create_order(
                    "BTCUSDT", "BUY", "MARKET", amount="100"
                )
                assert order.status == "FILLED"
                assert hashkey_exchange.config.seed == 5
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--strict-markers",
            "--asyncio-mode=strict",
            str(tmp_path / "test_bot.py"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=25,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
