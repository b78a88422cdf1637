"""Every example runs offline as a script, and the behaviour each one teaches holds."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import json
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from hashkey_async import HashKeyClient
from hashkey_async.rules import SymbolRules
from hashkey_async.testing import OfflineExchange

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
WAIT = 15.0


def load(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` as the scripts see it (pytest's ``pythonpath`` has ``_common``)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


class Output(io.StringIO):
    """A text sink a test can wait on: ``await out.wait_for("text")``."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    def write(self, text: str) -> int:
        self.changed.set()
        return super().write(text)

    async def wait_for(self, text: str) -> None:
        while text not in self.getvalue():
            self.changed.clear()
            await self.changed.wait()


async def run_script(name: str, *args: str, cwd: Path) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / f"{name}.py"),
        *args,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(25):
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_every_example_runs_offline_as_a_script(tmp_path: Path) -> None:
    quickstart, maker, logger, recorder = await asyncio.gather(
        run_script("quickstart", cwd=tmp_path),
        run_script("market_maker", "--updates", "6", cwd=tmp_path),
        run_script("user_stream_logger", "--max-events", "6", cwd=tmp_path),
        run_script("depth_recorder", "--out", "book.jsonl", "--max-updates", "4", cwd=tmp_path),
    )
    assert "placed order" in quickstart
    assert "cancelled order" in quickstart
    assert "streamed book" in quickstart
    assert "quote   BUY" in maker
    assert "book_updates=6" in maker
    assert "order   BTCUSDT BUY LIMIT" in logger
    assert "logged 6 events" in logger
    assert "recorded 4 BTCUSDT snapshots" in recorder
    assert len((tmp_path / "book.jsonl").read_text().splitlines()) == 4


@pytest.fixture
async def ex() -> AsyncIterator[OfflineExchange]:
    async with OfflineExchange(market_interval=0.02) as exchange:
        yield exchange


@pytest.fixture
async def client(ex: OfflineExchange) -> AsyncIterator[HashKeyClient]:
    async with ex.client() as client:
        yield client


async def test_depth_recorder_writes_exact_ordered_books(client: HashKeyClient) -> None:
    recorder = load("depth_recorder")
    out = io.StringIO()
    count = await recorder.record(client, "ETHUSDT", out, levels=3, max_updates=5, version=1)
    assert count == 5
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 5
    for line in lines:
        assert line["symbol"] == "ETHUSDT"
        bids = [Decimal(p) for p, _ in line["bids"]]
        asks = [Decimal(p) for p, _ in line["asks"]]
        assert len(bids) == len(asks) == 3
        assert bids == sorted(bids, reverse=True)
        assert asks == sorted(asks)
        assert bids[0] < asks[0]
    assert [line["time"] for line in lines] == sorted(line["time"] for line in lines)


async def test_depth_recorder_stops_after_its_duration(client: HashKeyClient) -> None:
    recorder = load("depth_recorder")
    out = io.StringIO()
    count = await recorder.record(client, "BTCUSDT", out, duration=0.3)
    assert count == len(out.getvalue().splitlines())
    assert count >= 1


async def test_user_stream_logger_logs_orders_fills_balances_and_gaps(
    ex: OfflineExchange, client: HashKeyClient
) -> None:
    logger = load("user_stream_logger")
    out = Output()
    ready = asyncio.Event()
    trader = asyncio.create_task(logger.trade_a_little(client, "BTCUSDT", ready))
    logging = asyncio.create_task(logger.log_events(client, out, ready=ready))
    try:
        async with asyncio.timeout(WAIT):
            await out.wait_for("-> CANCELED")  # one whole round: order, fill, cancel
            assert await ex.drop_connections("private") == 1
            await out.wait_for("GAP")
    finally:
        trader.cancel()
        logging.cancel()
        await asyncio.gather(trader, logging, return_exceptions=True)
    text = out.getvalue()
    assert "order   BTCUSDT BUY LIMIT 0.001" in text
    assert "-> FILLED" in text
    assert "-> CANCELED" in text
    assert "balance spot: " in text
    assert "reconcile orders and balances over REST" in text


async def test_market_maker_quotes_requotes_and_reconciles_after_a_gap(
    ex: OfflineExchange, client: HashKeyClient
) -> None:
    mm = load("market_maker")
    info = (await client.market.exchange_info()).symbol("BTCUSDT")
    assert info is not None
    maker = mm.MarketMaker(
        client,
        SymbolRules.from_symbol(info),
        quantity=Decimal("0.001"),
        spread_bps=Decimal(20),
        requote_bps=Decimal(1),
        verbose=False,
    )
    running = asyncio.create_task(maker.run())
    try:
        async with asyncio.timeout(WAIT):
            await maker.quoting.wait()
            # An order of ours the maker does not know (as after a crash): reconcile cancels it.
            book = await client.market.depth("BTCUSDT", limit=1)
            orphan = await client.spot.create_order(
                "BTCUSDT",
                "SELL",
                "LIMIT",
                quantity="0.001",
                price=book.asks[0].price * 2,
                client_order_id=f"{mm.PREFIX}-orphan",
            )
            assert await ex.drop_connections("private") == 1
            await maker.reconciled.wait()
            await maker.requoted.wait()  # the book moves and the quotes follow
    finally:
        maker.stop()
        stats = await running
    assert stats.reconciles >= 1
    assert stats.orphans_cancelled >= 1
    assert stats.placed >= 2
    assert stats.replaced >= 1
    open_orders = await client.spot.open_orders("BTCUSDT")
    assert orphan.order_id not in {o.order_id for o in open_orders}
    assert open_orders == []  # stopping cancels the quotes
