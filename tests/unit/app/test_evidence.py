"""evidence: building the log from a real (file) store, ordering, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from ghostwatch.app import evidence
from ghostwatch.core.domain import Direction, Kind, OutboxStatus
from ghostwatch.store.database import MessageRow, Store

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
KA, TH = "ნინო სტუდია", "บริษัท สยาม"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'gw.db'}") as opened:
        yield opened


def message(uid: int, client: str, at: datetime, subject: str, **kw: object) -> MessageRow:
    values: dict[str, object] = {
        "account": "studio",
        "folder": "INBOX",
        "uidvalidity": 1,
        "uid": uid,
        "message_id": f"<{uid}@x>",
        "date": at,
        "direction": Direction.INBOUND,
        "kind": Kind.HUMAN,
        "client": client,
        "from_addr": "gela@example.ge",
        "subject": subject,
        **kw,
    }
    return MessageRow(**values)  # type: ignore[arg-type]


def plan(store: Store, client: str, at: datetime, message_id: str, text: str) -> int:
    msg = EmailMessage()
    msg["From"] = "Nino Beridze <me@studio.example>"
    msg["Subject"] = "Re: ლოგო"
    msg.set_content(text)
    row = store.plan_nudge(
        account="studio",
        client=client,
        ladder="silence",
        anchor="<m1@x>",
        step=1,
        template="check_in",
        message_id=message_id,
        to_addr="gela@example.ge",
        subject="Re: ლოგო",
        raw=msg.as_bytes(),
        due_at=at,
        planned_at=at,
    )
    assert row is not None
    store.claim_outbox(row.id, at=at)
    store.set_outbox_status(row.id, OutboxStatus.SENT, at=at, sent_at=at)
    return row.id


def fill(store: Store) -> None:
    store.record_messages(
        [
            message(1, KA, T0, "ლოგო", direction=Direction.OUTBOUND, folder="Sent"),
            message(2, TH, T0, "=1+1 สวัสดี"),  # same instant, higher row id
            message(
                3,
                KA,
                T0 + timedelta(days=7),
                "Re: ლოგო",
                folder="Sent",
                message_id="<n1@studio>",
                is_nudge=True,
                direction=Direction.OUTBOUND,
            ),
        ],
        seen_at=T0,
    )
    plan(store, KA, T0 + timedelta(days=7), "<n1@studio>", "გამარჯობა, ნინო!\n- line two\n")
    store.append_event("client.snoozed", at=T0, account="studio", client=KA, until="2026-12-01")
    store.append_event("account.paused", at=T0 + timedelta(days=1), account="studio")
    store.append_event(
        "nudge.sent",
        at=T0 + timedelta(days=7),
        account="studio",
        client=KA,
        message_id="<n1@studio>",
        step=1,
    )


def test_history_of_one_client_in_order_with_the_nudge_once(store: Store) -> None:
    fill(store)
    entries = evidence.history(store, "studio", KA)
    assert [e.id for e in entries] == ["message:1", "event:1", "nudge:1", "event:3"]
    nudge = entries[2]
    assert (nudge.status, nudge.template, nudge.step) == ("sent", "check_in", 1)
    assert nudge.text == "გამარჯობა, ნინო!\n- line two\n"
    assert nudge.sender == "Nino Beridze <me@studio.example>"
    assert nudge.detail["seen_in"] == "Sent"  # its Sent copy (message 3) is folded in
    assert [e.kind for e in entries if e.type == "event"] == ["client.snoozed", "nudge.sent"]


def test_export_has_every_client_and_account_events_sorted(store: Store) -> None:
    fill(store)
    entries = evidence.export_log(store)
    ids = [e.id for e in entries]
    # same instant: message before nudge before event, then by row number
    assert ids[:3] == ["message:1", "message:2", "event:1"]
    assert "event:2" in ids and entries[ids.index("event:2")].client is None
    assert [e.sort_key() for e in entries] == sorted(e.sort_key() for e in entries)
    assert store.client_names() == sorted([("studio", KA), ("studio", TH)])


def test_csv_has_a_bom_round_trips_and_guards_formulas(store: Store) -> None:
    fill(store)
    data = evidence.to_csv(evidence.export_log(store))
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") >= 6
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == list(evidence.CSV_COLUMNS)
    by_id = {r["id"]: r for r in rows}
    assert by_id["message:2"]["subject"] == "'=1+1 สวัสดี"
    assert by_id["message:2"]["client"] == TH
    assert by_id["nudge:1"]["text"] == "გამარჯობა, ნინო!\n- line two\n"  # multi-line, intact
    assert by_id["nudge:1"]["step"] == "1"
    assert json.loads(by_id["event:1"]["detail"]) == {"until": "2026-12-01"}
    assert by_id["event:2"]["client"] == ""
    assert evidence.to_csv(evidence.export_log(store)) == data  # stable


def test_json_is_utf8_and_unguarded(store: Store) -> None:
    fill(store)
    text = evidence.to_json(evidence.export_log(store))
    assert KA in text and "\\u" not in text
    entries = json.loads(text)
    assert entries[1]["subject"] == "=1+1 สวัสดี"
    assert entries[0]["at"] == "2026-11-02T10:00:00Z"
    assert entries[0]["to"] == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+7 555", "'+7 555"),
        ("-20% off", "'-20% off"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("<id@x>", "<id@x>"),
        ("", ""),
        ("ლოგო", "ლოგო"),
    ],
)
def test_csv_safe(value: str, expected: str) -> None:
    assert evidence.csv_safe(value) == expected


def test_text_history_leaves_out_nudge_events(store: Store) -> None:
    fill(store)
    text = evidence.format_history(KA, evidence.history(store, "studio", KA))
    assert text.splitlines()[0] == f"{KA}: 3 entries (times in UTC)"
    assert "check_in (step 1) to gela@example.ge" in text
    assert "    | გამარჯობა, ნინო!" in text
    assert "client.snoozed" in text and "nudge.sent" not in text


@pytest.mark.parametrize(
    ("kind", "direction", "reason", "words"),
    [
        ("human", "inbound", "no automation signs", "human reply"),
        ("human", "outbound", "no automation signs", "your own message"),
        (
            "auto_reply",
            "inbound",
            "header Auto-Submitted: auto-replied",
            "automatic reply (its headers say so: Auto-Submitted: auto-replied)",
        ),
        (
            "auto_reply",
            "inbound",
            "subject 'Out of office'",
            "automatic reply (its subject says so: 'Out of office')",
        ),
        (
            "bounce",
            "inbound",
            "From mailer-daemon@x.example",
            "bounce (the mail could not be delivered) (sent by mailer-daemon@x.example)",
        ),
        (
            "bulk",
            "inbound",
            "header List-Id",
            "newsletter, list or notification (its headers say so: List-Id)",
        ),
        (
            "human",
            "inbound",
            "no automation signs; draft (never sent)",
            "human reply, a draft (never sent)",
        ),
    ],
)
def test_the_classifiers_reasons_in_plain_words(
    kind: str, direction: str, reason: str, words: str
) -> None:
    assert evidence.plain_reason(kind, direction, reason) == words


def test_the_csv_says_human_reply_and_json_keeps_the_diagnostic(store: Store) -> None:
    store.record_messages(
        [
            message(1, KA, T0, "ლოგო", reason="no automation signs"),
            message(2, KA, T0, "Away", kind=Kind.AUTO_REPLY, reason="header X-Autoreply"),
        ],
        seen_at=T0,
    )
    entries = evidence.export_log(store)
    rows = list(csv.DictReader(io.StringIO(evidence.to_csv(entries).decode("utf-8-sig"))))
    details = [json.loads(r["detail"])["classified"] for r in rows]
    assert details == ["human reply", "automatic reply (its headers say so: X-Autoreply)"]
    assert "no automation signs" not in evidence.to_csv(entries).decode("utf-8-sig")
    assert json.loads(evidence.to_json(entries))[0]["detail"]["classified"] == (
        "no automation signs"
    )
