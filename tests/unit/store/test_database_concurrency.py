"""Several processes on one database at the same instant, on SQLite and PostgreSQL.

Each test starts its writers together (a barrier) on connections of their own, the
way several ``ghostwatch`` processes meet the database. The races they prove were
real: an update-then-insert upsert failed with a duplicate key on PostgreSQL, and
two first starts on an empty database raced in the migration.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa

from ghostwatch.core.domain import FolderRole
from ghostwatch.store.database import Store
from ghostwatch.store.engine import create_engine

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WRITERS = 8
R = TypeVar("R")


def together(work: Callable[[int], R], n: int = WRITERS) -> list[R]:
    """Run ``work(i)`` for i < n in n threads released at the same instant; return
    the results (an exception in any thread is raised here)."""
    barrier = threading.Barrier(n)

    def run(i: int) -> R:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return [f.result() for f in [pool.submit(run, i) for i in range(n)]]


def test_first_starts_on_an_empty_database_all_succeed(store_url: str) -> None:
    """Migrations are serialized: every opener succeeds, the schema is at head once."""
    stores = together(lambda _i: Store.open(store_url))
    for store in stores:
        store.close()
    engine, _ = create_engine(store_url)
    try:
        with engine.connect() as connection:
            versions = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            assert [v for (v,) in versions] == ["0010_idle"]
    finally:
        engine.dispose()


def _stores(url: str, n: int = WRITERS) -> list[Store]:
    Store.open(url).close()  # migrated once, so the race below is the writers' own
    return [Store.open(url) for _ in range(n)]


def test_concurrent_cursor_upserts_all_succeed(store_url: str) -> None:
    stores = _stores(store_url)
    try:

        def save(i: int) -> None:
            stores[i].save_cursor(
                "studio", "INBOX", role=FolderRole.INBOX, uidvalidity=7, last_uid=i, last_sync_at=T0
            )

        together(save)
        cursor = stores[0].get_cursor("studio", "INBOX")
        assert cursor is not None and cursor.last_uid in range(WRITERS)
    finally:
        for store in stores:
            store.close()


def test_concurrent_account_and_client_state_upserts_all_succeed(store_url: str) -> None:
    stores = _stores(store_url)
    try:

        def write(i: int) -> None:
            stores[i].set_sync_ok("studio", T0)
            stores[i].set_snooze("studio", "Acme", None, at=T0)

        together(write)
        row = stores[0].account_state("studio")
        assert row is not None and row.last_sync_at == T0 and not row.paused
    finally:
        for store in stores:
            store.close()


def test_the_daily_summary_is_recorded_by_exactly_one(store_url: str) -> None:
    stores = _stores(store_url)
    try:
        won: list[Any] = together(
            lambda i: stores[i].record_summary("studio", date(2026, 11, 2), T0, f"<s{i}@x>")
        )
        assert won.count(True) == 1
        assert won.count(False) == WRITERS - 1
    finally:
        for store in stores:
            store.close()


def test_concurrent_invoice_upserts_count_each_invoice_once(store_url: str) -> None:
    from ghostwatch.core.records import InvoiceItem

    stores = _stores(store_url)
    items = [InvoiceItem("INV-1", "100 GEL", date(2026, 11, 1), "config")]
    try:
        new = together(lambda i: stores[i].upsert_invoices("studio", "Acme", items))
        assert sum(new) == 1
        assert [i.number for i in stores[0].invoices("studio")] == ["INV-1"]
    finally:
        for store in stores:
            store.close()


def test_an_account_state_write_is_one_statement(store_url: str) -> None:
    """``set_watch_mode`` and friends are one ``INSERT ... ON CONFLICT``: no read first
    that a concurrent writer could make stale."""
    [store] = _stores(store_url, 1)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "PRAGMA")):
            statements.append(statement)

    sa.event.listen(store._engine, "before_cursor_execute", seen)
    try:
        store.set_watch_mode("studio", "idle")  # a new row
        store.set_paused("studio", True)
        store.set_sync_ok("studio", T0)  # an existing row keeps paused
        assert len(statements) == 3, statements
        assert all("ON CONFLICT" in s.upper() for s in statements), statements
        row = store.account_state("studio")
        assert row is not None and row.paused and row.watch_mode == "idle"
    finally:
        sa.event.remove(store._engine, "before_cursor_execute", seen)
        store.close()


def test_a_pause_is_never_undone_by_a_concurrent_first_write(store_url: str) -> None:
    """One writer pauses a new account while the others record its sync: the pause
    holds (a read-then-upsert wrote ``paused = False`` over it on PostgreSQL)."""
    stores = _stores(store_url)
    try:
        for round_ in range(12):
            account = f"fresh{round_}"

            def write(i: int, account: str = account) -> None:
                if i == 0:
                    stores[i].set_paused(account, True)
                else:
                    stores[i].set_sync_ok(account, T0)

            together(write)
            row = stores[0].account_state(account)
            assert row is not None and row.paused and row.last_sync_at == T0, account
    finally:
        for store in stores:
            store.close()
