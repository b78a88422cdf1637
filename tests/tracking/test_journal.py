"""The order journal: schema, durability, recovery, and a bot killed between send and answer."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import textwrap
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from aiohttp import web

from hashkey_async import OrderStatus
from hashkey_async.testing import OfflineExchange
from hashkey_async.tracking import JournalError, OrderJournal, TrackedOrder
from hashkey_async.tracking.journal import APPLICATION_ID, SCHEMA_VERSION
from hashkey_async.tracking.state import NOT_FOUND_REASON

BOT = Path(__file__).with_name("journal_bot.py")
CREATE_PATH = "/api/v1.1/spot/order"


def order(
    cid: str, status: OrderStatus | None = None, revision: int = 1, t: int = 1
) -> TrackedOrder:
    return TrackedOrder(
        client_order_id=cid,
        symbol="BTCUSDT",
        status=status,
        price=Decimal("100.10"),
        sent_at=t,
        updated_at=t,
        revision=revision,
    )


async def test_a_new_journal_is_wal_versioned_and_marked(tmp_path: Path) -> None:
    journal = OrderJournal(tmp_path / "orders.db")
    assert await journal.open() == []
    await journal.close()
    db = sqlite3.connect(tmp_path / "orders.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    db.close()


async def test_it_gives_back_the_orders_that_had_not_ended(tmp_path: Path) -> None:
    journal = OrderJournal(tmp_path / "orders.db")
    await journal.open()
    await journal.write([order("sent"), order("open", OrderStatus.NEW)])
    journal.record(order("done", OrderStatus.FILLED))
    journal.record(order("open", OrderStatus.CANCELED, revision=2))
    await journal.close()
    again = OrderJournal(tmp_path / "orders.db")
    recovered = {o.client_order_id: o for o in await again.open()}
    await again.close()
    assert set(recovered) == {"sent"}
    assert recovered["sent"] == order("sent")  # exact, Decimal included


async def test_an_older_revision_never_overwrites_a_newer_one(tmp_path: Path) -> None:
    journal = OrderJournal(tmp_path / "orders.db")
    await journal.open()
    await journal.write([order("a", OrderStatus.FILLED, revision=3)])
    await journal.write([order("a", OrderStatus.NEW, revision=2)])
    await journal.close()
    again = OrderJournal(tmp_path / "orders.db")
    assert await again.open() == []  # still FILLED
    await again.close()


async def test_final_orders_beyond_the_bound_are_deleted_oldest_first(tmp_path: Path) -> None:
    journal = OrderJournal(tmp_path / "orders.db", keep_final=5)
    await journal.open()
    for i in range(40):
        await journal.write([order(f"o{i}", OrderStatus.FILLED, t=i)])
    await journal.close()
    db = sqlite3.connect(tmp_path / "orders.db")
    kept = [cid for (cid,) in db.execute("SELECT client_order_id FROM orders ORDER BY updated_at")]
    db.close()
    assert len(kept) <= 5 + 1 and kept[-1] == "o39" and "o0" not in kept


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    journal = OrderJournal(tmp_path / "orders.db")
    await journal.open()
    await journal.close()
    db = sqlite3.connect(tmp_path / "orders.db")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    again = OrderJournal(tmp_path / "orders.db")
    with pytest.raises(JournalError, match="newer"):
        await again.open()
    await again.close()


async def test_another_applications_database_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "other.db")
    db.execute("CREATE TABLE things (x)")
    db.close()
    journal = OrderJournal(tmp_path / "other.db")
    with pytest.raises(JournalError, match="not an order journal"):
        await journal.open()
    await journal.close()


WRITER = textwrap.dedent(
    """
    import sys
    from decimal import Decimal
    from hashkey_async.tracking.journal import _Store
    from hashkey_async.tracking import TrackedOrder
    store = _Store(sys.argv[1], 1000)
    store.open()
    print("open", flush=True)
    i = 0
    while True:
        batch = [TrackedOrder(client_order_id=f"o{i}-{j}", symbol="BTCUSDT", revision=1,
                              price=Decimal("1.5"), updated_at=i) for j in range(50)]
        store.write(batch)
        i += 1
        if i == 20:
            print("busy", flush=True)  # and it goes on writing until killed
    """
)


@pytest.mark.timeout(60)  # interpreter start-ups on a loaded 2-core machine
async def test_the_journal_survives_a_kill_in_the_middle_of_writes(tmp_path: Path) -> None:
    path = tmp_path / "orders.db"
    for _ in range(2):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", WRITER, str(path), stdout=asyncio.subprocess.PIPE
        )
        assert proc.stdout is not None
        try:
            async with asyncio.timeout(25):
                assert await proc.stdout.readline() == b"open\n"
                assert await proc.stdout.readline() == b"busy\n"
        finally:
            proc.send_signal(signal.SIGKILL)  # lands inside some write: it never stops writing
            await proc.wait()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    count = db.execute("SELECT count(*) FROM orders").fetchone()[0]
    db.close()
    assert count % 50 == 0 and count > 0  # whole batches only: no torn transaction
    journal = OrderJournal(path)
    assert len(await journal.open()) == count  # every row decodes
    await journal.close()


Hold = Callable[[web.Request, Callable[[web.Request], Awaitable[web.StreamResponse]]], Any]


def holding(arrived: asyncio.Event, release: asyncio.Event) -> Hold:
    """Middleware: the create call runs (the fault API decides its effect), its answer is held."""

    @web.middleware
    async def hold(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.method != "POST" or request.path != CREATE_PATH:
            return await handler(request)
        response = await handler(request)
        arrived.set()
        await release.wait()
        return response

    return hold


async def run_bot(
    mode: str, ex: OfflineExchange, journal: Path, cid: str
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(BOT),
        mode,
        ex.rest_url,
        ex.stream_url,
        str(journal),
        cid,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.mark.timeout(200)  # two interpreter start-ups on a loaded 2-core machine (5 s when idle)
@pytest.mark.parametrize("after_effect", [True, False], ids=["took-effect", "no-effect"])
async def test_a_bot_killed_between_send_and_answer_knows_its_order_after_restart(
    tmp_path: Path, after_effect: bool
) -> None:
    arrived, release = asyncio.Event(), asyncio.Event()
    # The restarted bot shares the key with the killed one and starts within its rolling second:
    # at 2 queries/s its reconcile draws a 429 and sits out the minute's suspension. Sharing one
    # key's budget across processes is RedisRateLimiter's job (tests/redis); here the per-key
    # query limit is raised so the test measures the journal, not the suspension.
    ex = OfflineExchange(market_interval=0.05, query_rate=20)
    ex.app.middlewares.append(holding(arrived, release))
    journal, cid = tmp_path / "orders.db", "bot-order-1"
    bots: list[asyncio.subprocess.Process] = []
    try:
        await _kill_and_recover(ex, journal, cid, after_effect, arrived, release, bots)
    finally:
        for proc in bots:  # a failed run leaves no bot behind
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


async def _kill_and_recover(
    ex: OfflineExchange,
    journal: Path,
    cid: str,
    after_effect: bool,
    arrived: asyncio.Event,
    release: asyncio.Event,
    bots: list[asyncio.subprocess.Process],
) -> None:
    async with ex:
        ex.fail_next_orders(1, after_effect=after_effect)  # what the exchange did before the kill
        bot = await run_bot("place", ex, journal, cid)
        bots.append(bot)
        assert bot.stdout is not None
        async with asyncio.timeout(80):
            assert await bot.stdout.readline() == b"sending\n"
            await arrived.wait()  # the request is at the exchange, its answer held
        bot.send_signal(signal.SIGKILL)
        assert await bot.wait() == -signal.SIGKILL
        release.set()
        on_exchange = [o for o in ex.engine.orders.values() if o.client_order_id == cid]
        assert len(on_exchange) == (1 if after_effect else 0)

        again = await run_bot("recover", ex, journal, cid)
        bots.append(again)
        assert again.stdout is not None
        async with asyncio.timeout(80):
            line = await again.stdout.readline()
            assert await again.wait() == 0
        tracked = msgspec.json.decode(line, type=TrackedOrder)
        assert [o.client_order_id for o in ex.engine.orders.values()].count(cid) == len(on_exchange)
        if after_effect:
            assert tracked.status is OrderStatus.NEW and tracked.placed
            assert tracked.order_id == on_exchange[0].order_id
        else:
            assert tracked.status is OrderStatus.REJECTED and not tracked.placed
            assert tracked.reason == NOT_FOUND_REASON
        assert not tracked.in_doubt
