"""Migrations: upgrades keep data, and the migrated schema is exactly the models'."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from ghostwatch.core.domain import OutboxStatus
from ghostwatch.errors import StoreError
from ghostwatch.store.database import Store
from ghostwatch.store.engine import alembic_config, create_engine, upgrade
from ghostwatch.store.tables import metadata

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/ghostwatch.db"


def _at_revision(url: str, revision: str) -> sa.Engine:
    engine, masked = create_engine(url)
    upgrade(engine, masked, revision)
    return engine


def _schema_diffs(engine: sa.Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))


def test_one_linear_history() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == ["0010_idle"]
    revisions = [r.revision for r in script.walk_revisions()]
    assert revisions == [
        "0010_idle",
        "0009_promise_deadline",
        "0008_mailcmd",
        "0007_promise",
        "0006_account_lease",
        "0005_message_key",
        "0004_outbox_slot",
        "0003_cursor_clients_key",
        "0002_outbox_retry",
        "0001_initial",
    ]


def test_migrated_schema_matches_the_models(store_url: str) -> None:
    Store.open(store_url).close()
    engine, _ = create_engine(store_url)
    try:
        assert _schema_diffs(engine) == []
    finally:
        engine.dispose()


def test_the_comparison_sees_a_missing_migration(url: str) -> None:
    """Guard for the test above: at 0001 the models have columns the DB lacks."""
    engine = _at_revision(url, "0001_initial")
    added = {d[3].name for d in _schema_diffs(engine) if d[0] == "add_column"}
    assert added == {
        "attempts",
        "next_attempt_at",
        "last_error",
        "clients_key",
        "message_key",
        *("expected_by", "promised_at", "promise", "promise_by", "promise_asks"),
    }


def _seed_0001(path: str) -> None:
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO outbox (account, client, ladder, anchor, step, template, message_id,"
            " status, to_addr, subject, raw, reason, due_at, planned_at, updated_at) VALUES"
            " ('studio', 'Acme', 'silence', '<m@x>', 1, 'check_in', '<n@x>', 'planned',"
            " 'jane@acme.example', 'Re: logo', x'6869', '', '2026-11-02 09:00:00.000000',"
            " '2026-11-02 09:00:00.000000', '2026-11-02 09:00:00.000000')"
        )
        raw.execute(
            "INSERT INTO event (at, account, client, kind, data) VALUES"
            " ('2026-11-01 08:00:00.000000', 'studio', 'Acme', 'nudge.planned', '{\"step\": 1}')"
        )


def test_upgrade_keeps_rows_and_adds_columns(url: str, tmp_path: Path) -> None:
    _at_revision(url, "0001_initial").dispose()
    _seed_0001(str(tmp_path / "ghostwatch.db"))

    with Store.open(url) as store:  # open upgrades to head
        [row] = store.outbox_pending("studio")
        assert (row.message_id, row.raw, row.due_at) == ("<n@x>", b"hi", T0)
        assert (row.attempts, row.next_attempt_at, row.last_error) == (0, None, None)
        moved = store.set_outbox_status(row.id, OutboxStatus.SENDING, at=T0, attempts_inc=True)
        assert moved.attempts == 1
        [event] = store.events()
        assert (event.kind, event.data) == ("nudge.planned", {"step": 1})

    raw = sqlite3.connect(tmp_path / "ghostwatch.db")
    with raw, pytest.raises(sqlite3.IntegrityError, match="append-only"):  # triggers survived
        raw.execute("DELETE FROM event")
    raw.close()


def test_downgrade_and_upgrade_again(store_url: str) -> None:
    url = store_url
    engine = _at_revision(url, "head")
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0001_initial")
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("outbox")}
    assert "attempts" not in columns
    engine.dispose()
    Store.open(url).close()


def test_a_database_from_a_newer_ghostwatch_is_refused(url: str, tmp_path: Path) -> None:
    Store.open(url).close()
    with sqlite3.connect(tmp_path / "ghostwatch.db") as raw:
        raw.execute("UPDATE alembic_version SET version_num = '0099_future'")
    with pytest.raises(StoreError, match="cannot migrate"):
        Store.open(url)
