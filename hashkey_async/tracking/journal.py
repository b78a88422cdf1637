"""A crash-safe journal of orders: SQLite (stdlib ``sqlite3``) run on one thread off the event loop.

``HashKeyClient(..., journal="orders.db")`` writes every order intent *before* the request is
sent (awaited, committed with ``synchronous=FULL``), then each change of the order's state as
answers and events arrive (coalesced per order and committed in the background, in order). A
restarted process reads back every order that had not ended and reconciles it.

Durability: WAL mode, one transaction per batch, so a crash mid-write leaves the last committed
state (SQLite's own recovery). The schema is versioned with ``PRAGMA user_version`` and the file
is marked with an ``application_id``: a newer schema or another application's file is refused.
Final orders beyond ``keep_final`` are deleted, oldest first.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from os import PathLike
from typing import Final, TypeVar

import msgspec

from ..errors import JournalError
from .ledger import DEFAULT_KEEP_FINAL
from .state import TrackedOrder

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "JournalError", "OrderJournal"]

log = logging.getLogger("hashkey_async.tracking")

#: ``PRAGMA application_id`` of a journal file ("HKAJ").
APPLICATION_ID: Final = 0x484B414A
#: ``PRAGMA user_version`` this code writes; migrations from older versions go in ``_MIGRATIONS``.
SCHEMA_VERSION: Final = 1

_SCHEMA_V1: Final = """
CREATE TABLE orders (
    client_order_id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    final INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    state BLOB NOT NULL
);
CREATE INDEX orders_final ON orders (final, updated_at);
"""
#: Schema version -> the script that brings a file at that version to the next one.
_MIGRATIONS: Final[dict[int, str]] = {0: _SCHEMA_V1}

_UPSERT: Final = """
INSERT INTO orders (client_order_id, revision, final, updated_at, state) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (client_order_id) DO UPDATE SET
    revision = excluded.revision, final = excluded.final,
    updated_at = excluded.updated_at, state = excluded.state
WHERE excluded.revision >= orders.revision
"""
_PRUNE: Final = """
DELETE FROM orders WHERE final = 1 AND client_order_id NOT IN (
    SELECT client_order_id FROM orders WHERE final = 1 ORDER BY updated_at DESC LIMIT ?
)
"""

T = TypeVar("T")

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(TrackedOrder).decode


def _row(order: TrackedOrder) -> tuple[str, int, int, int, bytes]:
    return (
        order.client_order_id,
        order.revision,
        int(order.is_final),
        order.updated_at,
        _encode(order),
    )


class _Store:
    """The synchronous part: one sqlite3 connection, used only on the journal's thread."""

    def __init__(self, path: str, keep_final: int) -> None:
        self._path = path
        self._keep_final = keep_final
        self._db: sqlite3.Connection | None = None
        self._finals_since_prune = 0

    def open(self) -> list[TrackedOrder]:
        db = sqlite3.connect(self._path, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            self._migrate(db)
            rows = db.execute("SELECT state FROM orders WHERE final = 0").fetchall()
        except BaseException:
            db.close()
            raise
        self._db = db
        return [_decode(state) for (state,) in rows]

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        (app,) = db.execute("PRAGMA application_id").fetchone()
        (version,) = db.execute("PRAGMA user_version").fetchone()
        if version == 0 and app == 0:
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise JournalError("not an order journal (a database with other tables)")
        elif app != APPLICATION_ID:
            raise JournalError(f"not an order journal (application_id {app:#x})")
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"journal schema {version} is newer than this version understands ({SCHEMA_VERSION})"
            )
        while version < SCHEMA_VERSION:
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _MIGRATIONS[version].split(";"):
                    if statement.strip():
                        db.execute(statement)
                version += 1
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                db.execute(f"PRAGMA user_version = {version}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def write(self, orders: Sequence[TrackedOrder]) -> None:
        db = self._db
        if db is None:
            raise JournalError("the journal is not open")
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(_UPSERT, [_row(order) for order in orders])
            self._finals_since_prune += sum(order.is_final for order in orders)
            if self._finals_since_prune > max(1, self._keep_final // 10):
                db.execute(_PRUNE, (self._keep_final,))
                self._finals_since_prune = 0
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            db.close()


class OrderJournal:
    """The asyncio face of the journal: awaited intent writes, coalesced background updates."""

    def __init__(self, path: str | PathLike[str], *, keep_final: int = DEFAULT_KEEP_FINAL) -> None:
        self.path = os.fspath(path)
        self._store = _Store(self.path, keep_final)
        self._executor: ThreadPoolExecutor | None = None
        self._pending: dict[str, TrackedOrder] = {}
        self._inflight: asyncio.Future[None] | None = None
        #: Background batches whose commit failed (each is logged at ERROR).
        self.failures = 0

    def __repr__(self) -> str:
        return f"OrderJournal({self.path!r})"

    async def open(self) -> list[TrackedOrder]:
        """Open (creating or migrating) the file; the orders that had not ended."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="hashkey-journal")
        try:
            return await self._run(self._store.open)
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open the order journal {self.path}: {exc}") from exc

    async def write(self, orders: Sequence[TrackedOrder]) -> None:
        """Commit ``orders`` now (after every batch recorded before); returns once durable."""
        for order in orders:
            self._pending.pop(order.client_order_id, None)
        try:
            await self._run(self._store.write, list(orders))
        except sqlite3.Error as exc:
            raise JournalError(f"order journal write failed: {exc}") from exc

    def record(self, order: TrackedOrder) -> None:
        """Queue ``order``'s new state; committed in the background (latest state per order)."""
        self._pending[order.client_order_id] = order
        if self._inflight is None:
            self._flush_next()

    def _flush_next(self) -> None:
        if not self._pending or self._executor is None:
            self._inflight = None
            return
        batch, self._pending = list(self._pending.values()), {}
        future = asyncio.get_running_loop().run_in_executor(
            self._executor, self._store.write, batch
        )
        self._inflight = future
        future.add_done_callback(self._flushed)

    def _flushed(self, future: asyncio.Future[None]) -> None:
        if not future.cancelled() and (exc := future.exception()) is not None:
            self.failures += 1
            log.error("order journal: background write failed: %s", exc)
        self._flush_next()

    async def flush(self) -> None:
        """Wait until every recorded state is committed."""
        while self._inflight is not None:
            await asyncio.shield(self._inflight)

    async def close(self) -> None:
        """Commit what is queued, close the file and stop the thread (idempotent)."""
        if self._executor is None:
            return
        try:
            await self.flush()
        except Exception as exc:  # already counted and logged by _flushed
            log.debug("order journal: last flush failed: %s", exc)
        executor, self._executor = self._executor, None
        try:
            await asyncio.wrap_future(executor.submit(self._store.close))
        finally:
            executor.shutdown(wait=True)

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        if self._executor is None:
            raise JournalError("the journal is closed")
        future: Future[T] = self._executor.submit(fn, *args)
        return await asyncio.wrap_future(future)
