"""Store.change_marks: what a quiet poll compares, the account's sync cursors and its
newest event id, each account's own (ghostwatch/store/marks.py). On the store the suite
runs on (SQLite, or PostgreSQL with GHOSTWATCH_TEST_DB)."""

from __future__ import annotations

from datetime import UTC, datetime

from ghostwatch.core.domain import FolderRole
from ghostwatch.store.database import Store

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_an_account_never_read_has_no_cursor_and_no_event(store: Store) -> None:
    marks = store.change_marks("studio")
    assert marks.cursors == {}
    assert marks.last_event_id == 0
    assert store.last_event_id("studio") == 0


def test_the_marks_hold_every_folder_cursor_as_saved(store: Store) -> None:
    for folder, role, uid in (("INBOX", FolderRole.INBOX, 41), ("Sent", FolderRole.SENT, 7)):
        store.save_cursor(
            "studio", folder, role=role, uidvalidity=3, last_uid=uid, last_sync_at=NOW
        )
    marks = store.change_marks("studio")
    assert sorted(marks.cursors) == ["INBOX", "Sent"]
    assert marks.cursors["INBOX"].last_uid == 41
    assert marks.cursors["Sent"] == store.get_cursor("studio", "Sent")


def test_each_new_event_moves_the_mark_and_only_its_accounts(store: Store) -> None:
    first = store.append_event("client.snoozed", at=NOW, account="studio", client="Acme")
    assert store.change_marks("studio").last_event_id == first
    other = store.append_event("client.paused", at=NOW, account="agency", client="Beta")
    assert store.change_marks("studio").last_event_id == first  # another account's
    assert store.last_event_id("agency") == other
    later = store.append_event("invoice.paid", at=NOW, account="studio", client="Acme")
    assert later > first
    assert store.change_marks("studio").last_event_id == later
    assert store.last_event_id("studio") == later


def test_another_accounts_cursor_is_not_in_the_marks(store: Store) -> None:
    store.save_cursor(
        "agency", "INBOX", role=FolderRole.INBOX, uidvalidity=1, last_uid=5, last_sync_at=NOW
    )
    assert store.change_marks("studio").cursors == {}
