"""The store against real databases: every test on a SQLite file and on PostgreSQL
(``store_url``, from tests/support/postgres.py), except the SQLite-only ones that
use ``sqlite_store``."""

from __future__ import annotations

import sqlite3
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ghostwatch.core.domain import Direction, FolderRole, Kind, NudgeRecord, OutboxStatus
from ghostwatch.core.records import ClientFacts, InvoiceItem
from ghostwatch.errors import StoreError
from ghostwatch.store.database import IllegalTransition, MessageRow, Store, UnknownInvoice

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ACCOUNT = "studio"
S = OutboxStatus


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "ghostwatch.db"


@pytest.fixture
def sqlite_store(db_path: Path) -> Any:
    with Store.open(f"sqlite:///{db_path}") as opened:
        yield opened


def raw_sql(url: str, sql: str) -> list[Any]:
    """Run ``sql`` on a connection of our own (not the store's); return its rows."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            result = connection.execute(sa.text(sql))
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def msg(uid: int, message_id: str | None, **overrides: Any) -> MessageRow:
    values: dict[str, Any] = {
        "account": ACCOUNT,
        "folder": "INBOX",
        "uidvalidity": 1,
        "uid": uid,
        "message_id": message_id,
        "date": T0 + timedelta(hours=uid),
        "direction": Direction.INBOUND,
        "kind": Kind.HUMAN,
        "client": "Acme",
        "counterpart": "jane@acme.example",
        "from_addr": "jane@acme.example",
        "subject": f"message {uid}",
    }
    values.update(overrides)
    return MessageRow(**values)


def plan(store: Store, step: int = 1, message_id: str = "<n1@x>", **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "account": ACCOUNT,
        "client": "Acme",
        "ladder": "silence",
        "anchor": "<m1@x>",
        "step": step,
        "template": "check_in",
        "message_id": message_id,
        "to_addr": "jane@acme.example",
        "subject": "Re: logo",
        "raw": b"Subject: Re: logo\r\n\r\nHi",
        "due_at": T0,
        "planned_at": T0,
    }
    values.update(overrides)
    return store.plan_nudge(**values)


# --- opening ------------------------------------------------------------------------


def test_open_creates_private_file_and_directory(sqlite_store: Store, db_path: Path) -> None:
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700


def test_open_expands_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    Store.open("sqlite:///~/.local/state/ghostwatch/g.db").close()
    assert (tmp_path / ".local/state/ghostwatch/g.db").is_file()


def test_open_tightens_an_existing_world_readable_file(db_path: Path) -> None:
    db_path.parent.mkdir()
    db_path.touch()
    db_path.chmod(0o644)
    Store.open(f"sqlite:///{db_path}").close()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_pragmas_are_active_on_store_connections(sqlite_store: Store) -> None:
    assert sqlite_store.sqlite_pragmas() == {
        "journal_mode": "wal",
        "synchronous": "1",  # NORMAL
        "busy_timeout": "5000",
        "foreign_keys": "1",
    }


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+nosuchdriver://nino:s3cret-pw@127.0.0.1:1/gw",
        "not a url with s3cret-pw",
    ],
)
def test_open_errors_never_show_the_password(url: str) -> None:
    with pytest.raises(StoreError) as caught:
        Store.open(url)
    assert "s3cret-pw" not in str(caught.value)


def test_open_reports_an_impossible_location(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file, not a directory")
    with pytest.raises(StoreError, match="cannot create database file"):
        Store.open(f"sqlite:///{tmp_path}/blocker/sub/g.db")


def test_in_memory_database_works() -> None:
    with Store.open("sqlite://") as store:
        assert store.record_messages([msg(1, "<a@x>")], seen_at=T0) == 1
        assert store.message_ids_exist(ACCOUNT, ["<a@x>"]) == {"<a@x>"}


# --- messages -----------------------------------------------------------------------


def test_same_message_id_in_two_folders_is_stored_once(store: Store) -> None:
    assert store.record_messages([msg(1, "<a@x>")], seen_at=T0) == 1
    assert store.record_messages([msg(1, "<a@x>", folder="[Gmail]/All Mail")], seen_at=T0) == 0
    assert store.message_ids_exist(ACCOUNT, ["<a@x>", "<b@x>"]) == {"<a@x>"}


def test_duplicates_within_one_batch_count_once(store: Store) -> None:
    rows = [msg(1, "<a@x>"), msg(2, "<a@x>"), msg(3, None), msg(3, None)]
    assert store.record_messages(rows, seen_at=T0) == 2


def test_a_batch_larger_than_one_insert_statement_counts_each_new_row_once(store: Store) -> None:
    # SQLite's bulk path inserts 256 rows per statement: duplicates across the
    # statements of one batch, and with rows stored before, count once
    store.record_messages([msg(5, "<m5@x>")], seen_at=T0)
    rows = [msg(uid, f"<m{uid}@x>") for uid in range(1, 601)]
    rows += [msg(700 + uid, f"<m{uid}@x>") for uid in (3, 300, 599)]  # same keys again
    assert store.record_messages(rows, seen_at=T0) == 599
    assert store.record_messages(rows, seen_at=T0) == 0


def test_uidvalidity_change_does_not_double_count(store: Store) -> None:
    store.save_cursor(
        ACCOUNT, "INBOX", role=FolderRole.INBOX, uidvalidity=1, last_uid=2, last_sync_at=T0
    )
    assert store.record_messages([msg(1, "<a@x>"), msg(2, "<b@x>")], seen_at=T0) == 2

    store.reset_folder(ACCOUNT, "INBOX", 7)
    cursor = store.get_cursor(ACCOUNT, "INBOX")
    assert cursor is not None
    assert (cursor.uidvalidity, cursor.last_uid, cursor.highest_modseq) == (7, 0, None)
    renumbered = [msg(10, "<a@x>", uidvalidity=7), msg(11, "<c@x>", uidvalidity=7)]
    assert store.record_messages(renumbered, seen_at=T0) == 1
    assert store.client_facts(ACCOUNT)["Acme"].last_inbound == T0 + timedelta(hours=11)


def test_same_message_id_in_another_account_is_kept(store: Store) -> None:
    store.record_messages([msg(1, "<a@x>")], seen_at=T0)
    assert store.record_messages([msg(1, "<a@x>", account="other")], seen_at=T0) == 1


def test_record_messages_accepts_dicts(store: Store) -> None:
    row = {
        "account": ACCOUNT,
        "folder": "Sent",
        "uidvalidity": 3,
        "uid": 9,
        "message_id": "<d@x>",
        "date": T0,
        "direction": "outbound",
        "kind": "human",
        "client": "Acme",
        "references": ("<a@x>", "<b@x>"),
    }
    assert store.record_messages([row], seen_at=T0) == 1
    thread = store.client_facts(ACCOUNT)["Acme"].thread
    assert thread is not None
    assert thread.references == ("<a@x>", "<b@x>")


def test_unknown_keys_are_refused(store: Store) -> None:
    with pytest.raises(TypeError):
        store.record_messages([{"account": ACCOUNT, "colour": "red"}], seen_at=T0)


@pytest.mark.parametrize("fast", [True, False])
def test_unknown_kinds_are_refused(store: Store, fast: bool) -> None:
    store.fast_inserts = fast
    with pytest.raises(StoreError, match="sideways"):
        store.record_messages([msg(1, "<a@x>", direction="sideways")], seen_at=T0)


@pytest.mark.parametrize("fast", [True, False])
def test_naive_datetimes_are_refused(store: Store, fast: bool) -> None:
    store.fast_inserts = fast
    naive = datetime(2026, 11, 2, 9, 0)
    with pytest.raises(StoreError, match="naive"):
        store.record_messages([msg(1, "<a@x>", date=naive)], seen_at=T0)
    with pytest.raises(StoreError, match="naive"):
        store.append_event("x.y", at=naive, account=ACCOUNT)


def test_sqlite_fast_path_stores_what_the_portable_path_stores(
    sqlite_store: Store, db_path: Path
) -> None:
    store = sqlite_store
    full = {
        "date": datetime(2026, 11, 2, 13, 0, 0, 5, tzinfo=timezone(timedelta(hours=4))),
        "internal_date": T0,
        "direction": "outbound",
        "kind": Kind.AUTO_REPLY,
        "from_name": "ნინო",
        "to_addrs": ("a@x", "b@x"),
        "in_reply_to": "<p@x>",
        "references": ("<o@x>", "<p@x>"),
        "away_until": date(2026, 11, 20),
        "bounced": ("c@x",),
        "is_nudge": True,
        "reason": "header Auto-Submitted",
    }
    store.record_messages([msg(1, "<a@x>", **full)], seen_at=T0)
    store.fast_inserts = False
    store.record_messages([msg(1, "<a@x>", account="portable", **full)], seen_at=T0)
    with sqlite3.connect(db_path) as raw:
        raw.row_factory = sqlite3.Row
        fast, portable = (dict(r) for r in raw.execute("SELECT * FROM message ORDER BY id"))
    assert fast.pop("account") == ACCOUNT
    assert portable.pop("account") == "portable"
    assert fast.pop("id") != portable.pop("id")
    assert fast == portable


def test_aware_datetimes_round_trip_as_utc(store: Store) -> None:
    tbilisi = timezone(timedelta(hours=4))
    local = datetime(2026, 11, 2, 13, 0, tzinfo=tbilisi)
    store.record_messages([msg(1, "<a@x>", date=local)], seen_at=T0)
    store.append_event("message.seen", at=local, account=ACCOUNT)
    last = store.client_facts(ACCOUNT)["Acme"].last_inbound
    event_at = store.events()[0].at
    for value in (last, event_at):
        assert value == local
        assert value is not None
        assert value.tzinfo is UTC


@pytest.mark.parametrize("fast", [True, False])
def test_a_failing_batch_stores_nothing(store: Store, fast: bool) -> None:
    store.fast_inserts = fast
    rows = [msg(uid, f"<{uid}@x>") for uid in range(1, 1001)]
    rows.append(msg(5000, "<bad@x>", folder=None))  # NOT NULL: fails inside the database
    with pytest.raises(StoreError, match=r"(?i)not.null"):
        store.record_messages(rows, seen_at=T0)
    assert store.message_ids_exist(ACCOUNT, ["<1@x>", "<1000@x>"]) == set()


def test_20k_messages_in_one_transaction(store: Store) -> None:
    rows = [msg(uid, f"<{uid}@bulk.example>", client=f"c{uid % 1000}") for uid in range(20_000)]
    started = time.perf_counter()
    assert store.record_messages(rows, seen_at=T0) == 20_000
    elapsed = time.perf_counter() - started
    print(f"record_messages: 20,000 rows in {elapsed:.2f}s = {20_000 / elapsed:,.0f} rows/s")
    ids = [f"<{uid}@bulk.example>" for uid in range(20_000)]
    assert len(store.message_ids_exist(ACCOUNT, ids)) == 20_000
    started = time.perf_counter()
    assert len(store.client_facts(ACCOUNT)) == 1000
    print(f"client_facts: 1,000 clients / 20,000 messages in {time.perf_counter() - started:.3f}s")


# --- client facts ---------------------------------------------------------------------


def test_client_facts_count_only_human_contact(store: Store) -> None:
    out = {"direction": Direction.OUTBOUND, "folder": "Sent", "counterpart": "jane@acme.example"}
    rows = [
        msg(1, "<in1@x>"),  # human inbound, T0+1h
        msg(2, "<out1@x>", **out, references=("<in1@x>",), subject="Logo"),  # ours, T0+2h
        msg(3, "<ooo-old@x>", kind=Kind.AUTO_REPLY, away_until=date(2026, 11, 1)),  # before ours
        msg(4, "<nudge@x>", **out, is_nudge=True),  # our nudge: not "our last message"
        msg(5, "<ooo@x>", kind=Kind.AUTO_REPLY, away_until=date(2026, 11, 20)),
        msg(6, "<dsn@x>", kind=Kind.BOUNCE, bounced=("jane@acme.example",)),
        msg(7, "<list@x>", kind=Kind.BULK),
        msg(8, None, **out),  # ours without a Message-ID: contact, but not a thread
        msg(9, "<x@y>", client=None, direction=Direction.UNRELATED),
    ]
    assert store.record_messages(rows, seen_at=T0) == 9
    store.mark_bouncing(ACCOUNT, "jane@acme.example", "Acme", T0, "<dsn@x>", "550 5.1.1")
    store.set_snooze(ACCOUNT, "Acme", T0 + timedelta(days=3), at=T0)

    facts = store.client_facts(ACCOUNT)
    assert set(facts) == {"Acme"}
    acme = facts["Acme"]
    assert acme.last_inbound == T0 + timedelta(hours=1)
    assert acme.last_outbound == T0 + timedelta(hours=8)
    assert acme.thread is not None
    assert (acme.thread.message_id, acme.thread.subject) == ("<out1@x>", "Logo")
    assert acme.thread.references == ("<in1@x>",)
    assert acme.thread.to_addr == "jane@acme.example"
    assert acme.thread.sent_at == T0 + timedelta(hours=2)
    # every auto-reply's return date counts, the latest wins (the policy ignores past ones)
    assert acme.away_until == date(2026, 11, 20)
    assert acme.bouncing == frozenset({"jane@acme.example"})
    assert acme.snoozed_until == T0 + timedelta(days=3)


def test_away_until_is_the_latest_return_date_of_any_auto_reply(store: Store) -> None:
    out = {"direction": Direction.OUTBOUND, "folder": "Sent"}
    store.record_messages(
        [
            # "away until 20 Nov" still holds after we wrote again (message 5)
            msg(1, "<out@x>", **out),
            msg(2, "<ooo1@x>", kind=Kind.AUTO_REPLY, away_until=date(2026, 11, 20)),
            msg(3, "<ooo2@x>", kind=Kind.AUTO_REPLY, away_until=date(2026, 11, 9)),
            msg(4, "<reply@x>"),  # a human reply does not end "away" by itself
            msg(5, "<out2@x>", **out),
        ],
        seen_at=T0,
    )
    assert store.client_facts(ACCOUNT)["Acme"].away_until == date(2026, 11, 20)
    store.set_away(ACCOUNT, "Acme", date(2026, 12, 1), at=T0)
    assert store.client_facts(ACCOUNT)["Acme"].away_until == date(2026, 12, 1)


def test_client_facts_include_state_only_clients(store: Store) -> None:
    store.set_ghosted(ACCOUNT, "Quiet Co", "<anchor@x>", T0)
    assert store.client_facts(ACCOUNT) == {
        "Quiet Co": ClientFacts(client="Quiet Co", ghosted_anchor="<anchor@x>", ghosted_at=T0)
    }
    store.clear_ghosted(ACCOUNT, "Quiet Co", at=T0)
    assert store.client_facts(ACCOUNT)["Quiet Co"].ghosted_anchor is None


# --- outbox --------------------------------------------------------------------------


def test_a_taken_slot_cannot_be_planned_again(store: Store) -> None:
    first = plan(store)
    assert first is not None
    assert first.status is S.PLANNED
    assert plan(store, message_id="<n2@x>") is None
    assert plan(store, step=2, message_id="<n2@x>") is not None


def test_a_cancelled_plan_frees_its_slot(store: Store) -> None:
    first = plan(store)
    store.set_outbox_status(first.id, S.CANCELLED, at=T0)
    again = plan(store, message_id="<n2@x>")
    assert again is not None
    assert [row.status for row in store.outbox_for_client(ACCOUNT, "Acme")] == [
        S.CANCELLED,
        S.PLANNED,
    ]


def test_a_reused_message_id_is_an_error(store: Store) -> None:
    plan(store)
    with pytest.raises(StoreError):
        plan(store, step=2)


@pytest.mark.parametrize(
    "path",
    [
        [S.SENDING, S.SENT],
        [S.SENDING, S.FAILED],
        [S.SENDING, S.DRAFTED],
        [S.SENDING, S.UNKNOWN, S.SENT],
        [S.SENDING, S.UNKNOWN, S.FAILED],
        [S.SENDING, S.PLANNED, S.SENDING, S.SENT],
        [S.CANCELLED],
    ],
)
def test_allowed_transitions(store: Store, path: list[OutboxStatus]) -> None:
    row = plan(store)
    for status in path:
        row = store.set_outbox_status(row.id, status, at=T0)
        assert row.status is status


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([S.SENDING, S.SENT], S.SENDING),
        ([S.SENDING, S.SENT], S.PLANNED),
        ([S.SENDING, S.UNKNOWN], S.PLANNED),  # never resend blindly
        ([S.SENDING, S.UNKNOWN], S.SENDING),
        ([], S.SENT),  # planned -> sent skips sending
        ([S.CANCELLED], S.SENDING),
        ([S.SENDING, S.FAILED], S.SENT),
    ],
)
def test_refused_transitions(store: Store, path: list[OutboxStatus], refused: OutboxStatus) -> None:
    row = plan(store)
    for status in path:
        row = store.set_outbox_status(row.id, status, at=T0)
    with pytest.raises(IllegalTransition, match=f"{row.status} -> {refused}"):
        store.set_outbox_status(row.id, refused, at=T0)
    assert store.outbox_for_client(ACCOUNT, "Acme")[0].status is row.status


def test_retry_bookkeeping(store: Store) -> None:
    row = plan(store)
    store.set_outbox_status(row.id, S.SENDING, at=T0, attempts_inc=True)
    later = T0 + timedelta(minutes=5)
    row = store.set_outbox_status(
        row.id, S.PLANNED, at=T0, error="421 try later", next_attempt_at=later
    )
    assert (row.attempts, row.last_error, row.next_attempt_at) == (1, "421 try later", later)
    assert store.outbox_pending(ACCOUNT) == [row]
    sent = store.set_outbox_status(row.id, S.SENDING, at=later, attempts_inc=True)
    sent = store.set_outbox_status(row.id, S.SENT, at=later)
    assert (sent.attempts, sent.sent_at, sent.next_attempt_at) == (2, later, None)


def test_unknown_status_for_missing_row(store: Store) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        store.set_outbox_status(42, S.SENDING, at=T0)


def test_interrupted_sends_become_unknown(store: Store) -> None:
    row = plan(store)
    store.set_outbox_status(row.id, S.SENDING, at=T0)
    recovered = store.recover_interrupted(ACCOUNT, at=T0 + timedelta(minutes=1))
    assert [r.status for r in recovered] == [S.UNKNOWN]
    assert store.outbox_unknown(ACCOUNT) == recovered
    assert store.outbox_pending(ACCOUNT) == []


def test_nudge_records_and_daily_count(store: Store) -> None:
    sent = plan(store)
    store.set_outbox_status(sent.id, S.SENDING, at=T0)
    store.set_outbox_status(sent.id, S.SENT, at=T0, sent_at=T0 + timedelta(seconds=2))
    cancelled = plan(store, step=2, message_id="<n2@x>")
    store.set_outbox_status(cancelled.id, S.CANCELLED, at=T0)
    plan(store, step=2, message_id="<n3@x>", planned_at=T0 + timedelta(hours=1))

    records = store.nudge_records(ACCOUNT)
    first = (sent.template, sent.message_id, sent.subject)
    third = (sent.template, "<n3@x>", sent.subject)
    assert records == {
        "Acme": (
            NudgeRecord("silence", "<m1@x>", 1, S.SENT, T0 + timedelta(seconds=2), *first),
            NudgeRecord("silence", "<m1@x>", 2, S.PLANNED, T0 + timedelta(hours=1), *third),
        )
    }
    assert store.nudges_sent_since(ACCOUNT, T0) == 1
    assert store.nudges_sent_since(ACCOUNT, T0 + timedelta(seconds=3)) == 0
    assert store.nudges_sent_since("other", T0) == 0


# --- events ---------------------------------------------------------------------------


def test_events_are_ordered_and_carry_json_data(store: Store) -> None:
    store.append_event("nudge.sent", at=T0 + timedelta(1), account=ACCOUNT, client="Acme", step=2)
    store.append_event(
        "message.seen", at=T0, account=ACCOUNT, client="Acme", message_id="<a@x>", until=T0
    )
    store.append_event("client.snoozed", at=T0, account="other", client="Zeta")
    kinds = [e.kind for e in store.events(account=ACCOUNT, client="Acme")]
    assert kinds == ["message.seen", "nudge.sent"]
    assert store.events(client="Acme")[0].data == {"until": "2026-11-02T09:00:00+00:00"}
    assert len(store.events()) == 3


@pytest.mark.parametrize(
    "sql",
    ["UPDATE event SET kind = 'forged'", "DELETE FROM event", "DELETE FROM event WHERE 1 = 1"],
)
def test_events_are_append_only(store: Store, store_url: str, sql: str) -> None:
    store.append_event("nudge.sent", at=T0, account=ACCOUNT)
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        raw_sql(store_url, sql)
    assert [e.kind for e in store.events()] == ["nudge.sent"]
    assert not hasattr(store, "delete_event")


# --- state, bounces, invoices, summary ----------------------------------------------------


def test_account_state(store: Store) -> None:
    assert store.account_state(ACCOUNT) is None
    store.set_sync_error(ACCOUNT, T0, "IMAP login refused")
    store.set_sync_ok(ACCOUNT, T0 + timedelta(minutes=1))
    store.set_paused(ACCOUNT, True)
    store.set_watch_mode(ACCOUNT, "idle")
    state = store.account_state(ACCOUNT)
    assert state is not None
    assert state.paused
    assert state.last_sync_at == T0 + timedelta(minutes=1)
    assert (state.last_error, state.last_error_at) == ("IMAP login refused", T0)
    assert state.watch_mode == "idle"
    store.set_sync_ok("other", T0)
    both = store.account_states([ACCOUNT, "other", "never"])  # one query, what exists
    assert both == {ACCOUNT: state, "other": store.account_state("other")}


def test_change_marks_are_the_cursors_and_the_newest_event(store: Store) -> None:
    assert store.change_marks(ACCOUNT).cursors == {}
    assert store.last_event_id(ACCOUNT) == 0
    store.save_cursor(ACCOUNT, "INBOX", role="inbox", uidvalidity=5, last_uid=9, last_sync_at=T0)
    store.append_event("client.resumed", at=T0, account=ACCOUNT, client="Acme")
    newest = store.last_event_id(ACCOUNT)
    store.append_event("client.resumed", at=T0, account="other", client="Acme")
    marks = store.change_marks(ACCOUNT)
    assert marks.last_event_id == newest == store.last_event_id(ACCOUNT) > 0
    assert marks.cursors["INBOX"].last_uid == 9


def test_cursor_round_trip(store: Store) -> None:
    assert store.get_cursor(ACCOUNT, "Sent") is None
    assert not store.save_cursor_error(ACCOUNT, "Sent", at=T0, error="gone")
    store.save_cursor(
        ACCOUNT, "Sent", role="sent", uidvalidity=5, last_uid=9, last_sync_at=T0, highest_modseq=77
    )
    with pytest.raises(StoreError, match="'junk' is not a valid FolderRole"):
        store.save_cursor(ACCOUNT, "X", role="junk", uidvalidity=1, last_uid=0, last_sync_at=T0)
    assert store.save_cursor_error(ACCOUNT, "Sent", at=T0, error="timeout")
    cursor = store.get_cursor(ACCOUNT, "Sent")
    assert cursor is not None
    assert (cursor.role, cursor.last_uid, cursor.highest_modseq) == (FolderRole.SENT, 9, 77)
    assert (cursor.last_sync_at, cursor.last_error) == (T0, "timeout")
    with pytest.raises(StoreError):
        store.reset_folder(ACCOUNT, "Drafts", 3)


def test_first_bounce_is_kept(store: Store) -> None:
    assert store.mark_bouncing(ACCOUNT, "a@acme.example", "Acme", T0, "<d1@x>", "550")
    assert not store.mark_bouncing(ACCOUNT, "a@acme.example", "Acme", T0, "<d2@x>", "550")


def test_a_batch_of_bounces_marks_each_address_once(store: Store) -> None:
    store.mark_bouncing(ACCOUNT, "a@acme.example", "Acme", T0, "<d1@x>", "550")
    batch = [
        ("b@acme.example", "Acme", T0, "<d2@x>", "550 first"),
        ("a@acme.example", "Acme", T0, "<d3@x>", "550"),  # already bouncing
        ("b@acme.example", "Acme", T0, "<d4@x>", "550 again"),  # twice in the batch
        ("c@globex.example", "Globex", T0, None, "552"),
    ]
    assert store.mark_bouncing_many(ACCOUNT, batch) == ["b@acme.example", "c@globex.example"]
    assert store.mark_bouncing_many(ACCOUNT, batch) == []
    assert store.mark_bouncing_many(ACCOUNT, []) == []


def test_invoices(store: Store) -> None:
    items = [InvoiceItem("INV-1", "100 GEL", date(2026, 12, 1))]
    assert store.upsert_invoices(ACCOUNT, "Acme", items) == 1
    assert store.mark_paid(ACCOUNT, "Acme", "INV-1", T0, "command")
    assert not store.mark_paid(ACCOUNT, "Acme", "INV-1", T0, "payment_matcher")
    changed = [
        InvoiceItem("INV-1", "120 GEL", date(2026, 12, 2)),
        InvoiceItem("R-1", "8", T0.date()),
    ]
    assert store.upsert_invoices(ACCOUNT, "Acme", changed) == 1
    [retainer, inv] = store.invoices(ACCOUNT, "Acme")
    assert (inv.amount, inv.due, inv.paid_at, inv.paid_by) == (
        "120 GEL",
        date(2026, 12, 2),
        T0,
        "command",
    )
    assert retainer.paid_at is None
    with pytest.raises(UnknownInvoice):
        store.mark_paid(ACCOUNT, "Acme", "INV-404", T0, "command")


def test_summary_goes_out_once_per_day(store: Store, store_url: str) -> None:
    day = date(2026, 11, 2)
    assert not store.summary_sent(ACCOUNT, day)
    assert store.record_summary(ACCOUNT, day, T0, "<sum1@x>")
    assert not store.record_summary(ACCOUNT, day, T0 + timedelta(hours=1), "<sum2@x>")
    with Store.open(store_url) as reopened:  # a restart
        assert reopened.summary_sent(ACCOUNT, day)
        assert not reopened.summary_sent(ACCOUNT, date(2026, 11, 3))


def test_two_stores_on_one_database_both_write(store: Store, store_url: str) -> None:
    with Store.open(store_url) as other:
        plan(store)
        assert plan(other) is None
        assert other.record_messages([msg(1, "<a@x>")], seen_at=T0) == 1
        assert store.record_messages([msg(2, "<a@x>")], seen_at=T0) == 0


def test_claim_is_won_once(store: Store) -> None:
    row = plan(store)
    assert store.claim_outbox(row.id, at=T0)
    assert not store.claim_outbox(row.id, at=T0)  # another process got there first
    [claimed] = store.outbox_unresolved(ACCOUNT)
    assert (claimed.status, claimed.attempts) == (S.SENDING, 1)


def test_pending_with_now_respects_due_and_retry_times(store: Store) -> None:
    soon = plan(store, due_at=T0 + timedelta(hours=1))
    retry = plan(store, step=2, message_id="<n2@x>")
    store.claim_outbox(retry.id, at=T0)
    store.set_outbox_status(
        retry.id, S.PLANNED, at=T0, error="421", next_attempt_at=T0 + timedelta(hours=2)
    )
    assert store.outbox_pending(ACCOUNT, T0) == []
    assert [r.id for r in store.outbox_pending(ACCOUNT, T0 + timedelta(hours=1))] == [soon.id]
    assert len(store.outbox_pending(ACCOUNT, T0 + timedelta(hours=2))) == 2
    assert len(store.outbox_pending(ACCOUNT)) == 2


def test_outbox_listings(store: Store) -> None:
    first = plan(store)
    plan(store, step=2, message_id="<n2@x>")
    assert store.outbox_message_ids(ACCOUNT) == {"<n1@x>", "<n2@x>"}
    assert len(store.outbox_all(ACCOUNT)) == 2
    assert [r.step for r in store.nudge_records(ACCOUNT, exclude_message_id="<n2@x>")["Acme"]] == [
        1
    ]
    store.claim_outbox(first.id, at=T0)
    store.set_outbox_status(first.id, S.UNKNOWN)  # without ``at``: updated_at kept
    [unknown] = store.outbox_unresolved(ACCOUNT)
    assert (unknown.status, unknown.updated_at) == (S.UNKNOWN, T0)


def test_sync_style_rows_with_joined_strings(store: Store, store_url: str) -> None:
    row = {
        "account": ACCOUNT,
        "folder": "INBOX",
        "uidvalidity": 1,
        "uid": 1,
        "message_id": "<dsn@x>",
        "date": T0,
        "direction": "inbound",
        "kind": "bounce",
        "to_addrs": "nino@studio.example,boss@studio.example",
        "references": "<a@x> <b@x>",
        "bounced": ["jane@acme.example"],
        "seen_at": T0,
    }
    store.fast_inserts = False
    assert store.record_messages([row], seen_at=T0) == 1
    store.fast_inserts = True
    assert store.record_messages([{**row, "account": "other"}], seen_at=T0) == 1
    stored = raw_sql(store_url, 'SELECT DISTINCT to_addrs, "references", bounced FROM message')
    assert [tuple(r) for r in stored] == [
        (
            '["nino@studio.example", "boss@studio.example"]',
            "<a@x> <b@x>",
            '["jane@acme.example"]',
        )
    ]


@pytest.mark.parametrize("in_memory", [True, False])
def test_worker_threads_share_one_store(db_path: Path, in_memory: bool) -> None:
    """The daemon may call the store through asyncio.to_thread."""
    url = "sqlite://" if in_memory else f"sqlite:///{db_path}"

    def work(store: Store, n: int) -> None:
        for i in range(10):
            store.append_event("t.x", at=T0, account=ACCOUNT, n=n, i=i)
            store.events(account=ACCOUNT)

    with Store.open(url) as store, ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(work, store, n) for n in range(8)]:
            future.result()
        assert len(store.events()) == 80


def test_an_unsupported_backend_is_refused_before_connecting() -> None:
    with pytest.raises(StoreError, match=r"backend 'mysql\+pymysql' is not supported") as caught:
        Store.open("mysql+pymysql://gw:hunter2@127.0.0.1:1/gw")
    assert "hunter2" not in str(caught.value)


def test_a_missing_postgres_driver_names_the_extra() -> None:
    """A fresh interpreter where ``import psycopg`` fails, as on a machine without it."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from ghostwatch.store.database import Store\n"
        "from ghostwatch.errors import StoreError\n"
        "try:\n"
        "    Store.open('postgresql+psycopg://gw:hunter2@127.0.0.1:1/gw')\n"
        "except StoreError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "driver missing (PostgreSQL needs psycopg 3: pip install 'ghostwatch[postgres]')" in (
        done.stdout
    )
    assert "hunter2" not in done.stdout
