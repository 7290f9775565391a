"""Migration 0005 and message_key: a reused Message-ID is stored, a copy is not."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ghostwatch.core.domain import Direction, Kind
from ghostwatch.store.database import MessageRow, Store, message_key
from ghostwatch.store.engine import create_engine, upgrade

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def row(uid: int, frm: str, sent: datetime | None, folder: str = "INBOX") -> MessageRow:
    return MessageRow(
        account="studio", folder=folder, uidvalidity=1, uid=uid, message_id="<a@acme>",
        date=T0 + timedelta(hours=uid), direction=Direction.INBOUND, kind=Kind.HUMAN,
        client="Acme", from_addr=frm, message_key=message_key("<a@acme>", frm, sent),
    )  # fmt: skip


def test_record_messages_keeps_a_reused_message_id_and_drops_copies(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path}/gw.db") as store:
        assert store.record_messages([row(1, "jane@acme.example", T0)], seen_at=T0) == 1
        copy = row(1, "jane@acme.example", T0, folder="Archive")
        assert store.record_messages([copy], seen_at=T0) == 0
        later = row(2, "jane@acme.example", T0 + timedelta(days=2))
        other = row(3, "bob@acme.example", T0)
        assert store.record_messages([later, other], seen_at=T0) == 2
        assert store.message_ids_exist("studio", ["<a@acme>"]) == {"<a@acme>"}


def test_upgrade_from_0003_keys_stored_messages(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/gw.db"
    engine, masked = create_engine(url)
    upgrade(engine, masked, "0003_cursor_clients_key")
    engine.dispose()
    with sqlite3.connect(tmp_path / "gw.db") as raw:
        raw.execute(
            "INSERT INTO message (account, folder, uidvalidity, uid, message_id, date,"
            ' direction, kind, from_addr, from_name, to_addrs, subject, "references",'
            " bounced, is_nudge, reason, seen_at) VALUES ('studio', 'INBOX', 1, 1,"
            " '<a@acme>', '2026-11-02 09:00:00.000000', 'inbound', 'human',"
            " 'jane@acme.example', '', '[]', 'old', '', '[]', 0, '',"
            " '2026-11-02 09:00:00.000000')"
        )
    with Store.open(url) as store:  # upgrades to head
        legacy = row(1, "jane@acme.example", None, folder="Archive")
        assert store.record_messages([legacy], seen_at=T0) == 0  # the same message
        assert store.record_messages([row(2, "jane@acme.example", T0)], seen_at=T0) == 1
    with sqlite3.connect(tmp_path / "gw.db") as raw:
        keys = [k for (k,) in raw.execute("SELECT message_key FROM message ORDER BY id")]
    assert keys[0] == message_key("<a@acme>", "jane@acme.example", None)
    assert len(set(keys)) == 2
