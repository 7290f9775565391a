"""The evidence log end to end: `history` and `export` after real mail and real nudges
(Dovecot, aiosmtpd, the command line, time by --now)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.scenario import ACCOUNT, Scenario, client_toml, mail

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # Monday
DAY = timedelta(days=1)
KA = ("ნინო სტუდია", "gela@example.ge", "ლოგოს ესკიზები")
TH = ("บริษัท สยาม", "somchai@example.co.th", "แบบร่างโลโก้ รอบที่สอง")
INVOICE = '[{ number = "ინვ-7", amount = "500 ₾", due = "2026-11-02" }]'


def build(scenario: Scenario, imap: Any) -> None:
    """Two threads (Georgian, Thai), a check-in to each, a Thai reply with a subject a
    spreadsheet would run as a formula, an invoice reminder and a payment by command."""
    scenario.clients = client_toml(KA[0], [KA[1]], language='"ka"', invoices=INVOICE)
    scenario.clients += client_toml(TH[0], [TH[1]], language='"th"')
    for i, (_, address, subject) in enumerate((KA, TH)):
        raw = mail(ACCOUNT, address, subject, message_id=f"<m{i}@studio>", date=T0)
        imap.append("Sent", raw, internal_date=T0)
    # one voice: the Georgian client's invoice reminder stands for its check-in too
    assert scenario.once(T0 + 7 * DAY) == 0  # an invoice reminder, a Thai check-in
    reply = mail(
        f"Somchai <{TH[1]}>",
        ACCOUNT,
        '=HYPERLINK("http://x")',
        message_id="<r@th>",
        date=T0 + 8 * DAY,
        in_reply_to="<m1@studio>",
    )
    imap.append("INBOX", reply, internal_date=T0 + 8 * DAY)
    assert scenario.once(T0 + 9 * DAY) == 0
    assert scenario.run("paid", KA[0], "ინვ-7") == 0


def db_ids(scenario: Scenario) -> tuple[set[str], set[str]]:
    """(Message-IDs of client messages that are not our nudges, nudge Message-IDs)."""
    with scenario.db() as db:
        nudges = {r[0] for r in db.execute("SELECT message_id FROM outbox")}
        query = "SELECT message_id FROM message WHERE client IS NOT NULL"
        messages = {r[0] for r in db.execute(query)} - nudges
    return messages, nudges


def test_export_csv_round_trips_with_every_message_and_nudge(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    build(scenario, imap_server)
    out = scenario.directory / "evidence.csv"
    assert scenario.run("export", "--format", "csv", "--out", str(out)) == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the file as UTF-8
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))

    messages, nudges = db_ids(scenario)
    assert len(messages) == 3 and len(nudges) == 2
    assert {r["message_id"] for r in rows if r["type"] == "message"} == messages
    assert {r["message_id"] for r in rows if r["type"] == "nudge"} == nudges
    assert {r["client"] for r in rows if r["client"]} == {KA[0], TH[0]}
    subjects = {r["subject"] for r in rows}
    assert {KA[2], TH[2], '\'=HYPERLINK("http://x")'} <= subjects  # intact; formula guarded
    ka_nudges = [r for r in rows if r["type"] == "nudge" and r["client"] == KA[0]]
    assert {r["template"] for r in ka_nudges} == {"payment_reminder"}
    assert all(r["status"] == "sent" and "ინვ-7" in r["text"] for r in ka_nudges)
    assert {r["from"] for r in ka_nudges} == {f"Nino Beridze <{ACCOUNT}>"}
    paid = [r for r in rows if r["kind"] == "invoice.paid"]
    assert [(r["client"], json.loads(r["detail"])["invoice"]) for r in paid] == [(KA[0], "ინვ-7")]
    keys = [(r["at"], r["id"]) for r in rows]
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)
    assert len(set(keys)) == len(keys)

    again = scenario.directory / "again.csv"
    assert scenario.run("export", "--out", str(again)) == 0  # csv is the default
    assert again.read_bytes() == data  # stable


def test_export_json_to_stdout_matches_the_csv(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    build(scenario, imap_server)
    capsys.readouterr()
    assert scenario.run("export", "--format", "json", capsys=capsys) == 0
    entries = json.loads(scenario.runs[-1][2])
    assert scenario.run("export", "--format", "csv", capsys=capsys) == 0
    text = scenario.runs[-1][2].removeprefix("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [e["id"] for e in entries] == [r["id"] for r in rows]
    subjects = [e["subject"] for e in entries]
    assert '=HYPERLINK("http://x")' in subjects  # JSON carries the value unguarded


def test_history_lists_contacts_nudges_and_events_of_one_client(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    build(scenario, imap_server)
    capsys.readouterr()
    assert scenario.run("history", KA[0], "--json", capsys=capsys) == 0
    entries = json.loads(scenario.runs[-1][2])
    assert {e["client"] for e in entries} == {KA[0]}
    assert entries[0]["type"] == "message"
    [ours] = [e for e in entries if e["type"] == "message"]
    assert (ours["direction"], ours["kind"], ours["subject"]) == ("outbound", "human", KA[2])
    nudges = [e for e in entries if e["type"] == "nudge"]
    assert all(e["detail"]["seen_in"] == "Sent" for e in nudges)  # filed copy, not repeated
    assert {e["kind"] for e in entries if e["type"] == "event"} >= {"nudge.sent", "invoice.paid"}

    assert scenario.run("history", KA[0].upper(), capsys=capsys) == 0  # any case
    text = scenario.runs[-1][2]
    assert text.startswith(f"{KA[0]}: ")
    assert "payment_reminder (step 1) to gela@example.ge" in text
    assert "    | " in text and "ინვოისი: ინვ-7" in text  # the exact text of the nudge
    assert "invoice.paid" in text and "nudge.sent" not in text


@pytest.mark.parametrize("argv", [["history", "Nobody"], ["export", "--format", "xml"]])
def test_bad_usage_exits_2(scenario: Scenario, imap_server: Any, argv: list[str]) -> None:
    scenario.clients = client_toml(KA[0], [KA[1]])
    assert scenario.run(*argv) == 2


def test_export_of_an_empty_database_is_a_header_only(scenario: Scenario, tmp_path: Path) -> None:
    scenario.clients = client_toml(KA[0], [KA[1]])
    out = tmp_path / "e.csv"
    assert scenario.run("export", "--out", str(out)) == 0
    assert out.read_bytes().decode("utf-8-sig").splitlines() == [
        "at,id,account,client,type,direction,kind,from,to,subject,message_id,"
        "template,step,status,text,detail"
    ]
