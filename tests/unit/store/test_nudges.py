"""``ghostwatch.store.nudges``: the nudges as the policy and the adoption count them,
on SQLite and on PostgreSQL.

Proves, beyond tests/unit/store/test_database.py's single-slot rows: the daily cap
counts exactly the nudges that went out or may have (sending, sent, unknown,
drafted), by when they went, from ``since`` on inclusive; a message that holds several
slots gives one record per slot, all with its Message-ID, and leaving that message out
leaves all of them out; a skipped slot's record keeps when the nudge would have gone;
every Message-ID ever planned (cancelled and skipped too) is recognised as our own;
and the nudges the outbox lost are listed once per Message-ID, oldest first, per account.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ghostwatch.core.domain import Direction, Kind, NudgeRecord, OutboxStatus
from ghostwatch.store.database import MessageRow, Store

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
S = OutboxStatus


def plan(store: Store, message_id: str, step: int = 1, **overrides: Any) -> int:
    values: dict[str, Any] = {
        "account": "studio",
        "client": "Acme",
        "ladder": "silence",
        "anchor": "<m1@acme.example>",
        "step": step,
        "template": "check_in",
        "message_id": message_id,
        "to_addr": "jane@acme.example",
        "subject": "Re: logo",
        "raw": b"Subject: Re: logo\r\n\r\nHi",
        "due_at": T0,
        "planned_at": T0,
    } | overrides
    row = store.plan_nudge(**values)
    assert row is not None
    return row.id


def move(store: Store, outbox_id: int, status: OutboxStatus, at: datetime) -> None:
    """Bring a planned nudge to ``status`` the way the courier does, the last move at ``at``."""
    if status is S.CANCELLED:
        store.set_outbox_status(outbox_id, S.CANCELLED, at=at)
        return
    if status is not S.PLANNED:
        assert store.claim_outbox(outbox_id, at=at)
    if status not in (S.PLANNED, S.SENDING):
        store.set_outbox_status(outbox_id, status, at=at)


@pytest.mark.parametrize(
    ("status", "counted"),
    [
        (S.PLANNED, False),
        (S.SENDING, True),
        (S.SENT, True),
        (S.UNKNOWN, True),
        (S.DRAFTED, True),
        (S.FAILED, False),
        (S.CANCELLED, False),
    ],
)
def test_the_daily_cap_counts_what_went_out_or_may_have(
    store: Store, status: OutboxStatus, counted: bool
) -> None:
    move(store, plan(store, "<n1@studio.example>"), status, at=T0 + HOUR)
    assert store.nudges_sent_since("studio", T0 + HOUR) == int(counted)  # inclusive
    assert store.nudges_sent_since("studio", T0 + HOUR + timedelta(seconds=1)) == 0
    assert store.nudges_sent_since("agency", T0) == 0


def test_the_daily_cap_counts_a_sent_nudge_by_when_it_went(store: Store) -> None:
    outbox_id = plan(store, "<n1@studio.example>")
    assert store.claim_outbox(outbox_id, at=T0)
    store.set_outbox_status(outbox_id, S.SENT, at=T0 + 3 * HOUR, sent_at=T0 + HOUR)
    assert store.nudges_sent_since("studio", T0 + HOUR) == 1
    assert store.nudges_sent_since("studio", T0 + 2 * HOUR) == 0  # not by updated_at


def test_a_message_holding_several_slots_gives_a_record_per_slot(store: Store) -> None:
    covers = (("invoice:INV-1", "2026-11-20", 1), ("invoice:INV-2", "2026-11-25", 2))
    plan(store, "<n1@studio.example>", ladder="invoice:INV-3", anchor="2026-11-30", covers=covers)
    plan(store, "<n2@studio.example>", planned_at=T0 + HOUR)
    plan(store, "<n3@studio.example>", client="Beta", anchor="<b1@beta.example>")
    plan(store, "<n4@studio.example>", account="agency")
    records = store.nudge_records("studio")
    assert sorted(records) == ["Acme", "Beta"]
    held = [(r.ladder, r.anchor, r.step, r.message_id) for r in records["Acme"]]
    assert set(held[:3]) == {  # one message's slots: order among them is by step only
        ("invoice:INV-3", "2026-11-30", 1, "<n1@studio.example>"),
        ("invoice:INV-1", "2026-11-20", 1, "<n1@studio.example>"),
        ("invoice:INV-2", "2026-11-25", 2, "<n1@studio.example>"),
    }
    assert held[3:] == [("silence", "<m1@acme.example>", 1, "<n2@studio.example>")]
    left = store.nudge_records("studio", exclude_message_id="<n1@studio.example>")
    assert [r.message_id for r in left["Acme"]] == ["<n2@studio.example>"]


def test_a_cancelled_nudge_holds_no_slot_and_a_skipped_one_keeps_its_due(store: Store) -> None:
    move(store, plan(store, "<n1@studio.example>"), S.CANCELLED, at=T0)
    due = T0 + 48 * HOUR
    store.skip_slots(
        account="studio",
        client="Acme",
        slots=(("silence", "<m1@acme.example>", 2),),
        template="check_in",
        to_addr="jane@acme.example",
        at=T0 + HOUR,
        due=due,
        event={"kind": "nudge.skipped", "at": T0 + HOUR, "account": "studio"},
    )
    [skipped] = store.nudge_records("studio")["Acme"]
    assert skipped == NudgeRecord(
        "silence",
        "<m1@acme.example>",
        2,
        S.SKIPPED,
        T0 + HOUR,
        "check_in",
        skipped.message_id,
        "",
        due,
    )
    ours = store.outbox_message_ids("studio")
    assert ours == {"<n1@studio.example>", skipped.message_id}  # ever planned, cancelled too
    assert store.outbox_message_ids("agency") == set()


def seen(uid: int, message_id: str, **overrides: Any) -> MessageRow:
    values: dict[str, Any] = {
        "account": "studio",
        "folder": "Sent",
        "uidvalidity": 1,
        "uid": uid,
        "message_id": message_id,
        "date": T0 + uid * HOUR,
        "direction": Direction.OUTBOUND,
        "kind": Kind.HUMAN,
        "client": "Acme",
        "counterpart": "jane@acme.example",
        "from_addr": "nino@studio.example",
        "subject": f"Re: logo {uid}",
        "is_nudge": True,
    } | overrides
    return MessageRow(**values)


def test_nudges_the_outbox_lost_are_listed_once_oldest_first(store: Store) -> None:
    plan(store, "<known@studio.example>")
    plan(store, "<agency@studio.example>", account="agency")
    store.record_messages(
        [
            seen(3, "<lost-b@studio.example>", counterpart=None),
            seen(2, "<lost-a@studio.example>"),
            seen(4, "<lost-a@studio.example>", folder="INBOX"),  # the Bcc copy
            seen(1, "<known@studio.example>"),
            seen(5, "<agency@studio.example>"),  # the other account's plan
            seen(6, "<mine@studio.example>", is_nudge=False),
            seen(7, "<nobody@studio.example>", client=None),
            seen(8, "<theirs@studio.example>", account="agency"),
        ],
        seen_at=T0,
    )
    assert store.unadopted_nudges("studio") == [
        ("<lost-a@studio.example>", "Acme", "jane@acme.example", T0 + 2 * HOUR, "Re: logo 2"),
        ("<lost-b@studio.example>", "Acme", "", T0 + 3 * HOUR, "Re: logo 3"),
        ("<agency@studio.example>", "Acme", "jane@acme.example", T0 + 5 * HOUR, "Re: logo 5"),
    ]
