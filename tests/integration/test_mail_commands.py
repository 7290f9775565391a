"""Commands in a reply to the daily summary, end to end (docs/commands.md): a real
Dovecot, a real aiosmtpd, the real command line, a config file.

Each refusal test checks the effect that matters: the check-in *is* sent (nothing was
done), the refusal is in the evidence log and the next summary reports it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from tests.support.scenario import ACCOUNT, Scenario, client_toml, mail

T0 = datetime(2026, 11, 9, 8, 30, tzinfo=UTC)  # Monday: summary due (08:00), window at 09:00
SENT_AT = T0 - timedelta(days=8)  # our message to Acme: its check-in is due (7 days)
CLIENTS = (
    client_toml("Globex", ["pm@globex.example"])
    + client_toml("Acme Ltd", ["jane@acme.example"])
    + client_toml("Initech", ["bill@initech.example"])
    + '[[clients.invoices]]\nnumber = "INV-2026-031"\namount = "900 EUR"\ndue = "2026-11-30"\n'
)


def summaries(smtp: Any) -> list[EmailMessage]:
    return [m.message for m in smtp.messages if m.message["X-Ghostwatch-Summary"]]


def to(smtp: Any, address: str) -> list[EmailMessage]:
    return [m.message for m in smtp.messages if address in str(m.message["To"])]


def text(msg: EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def events(scenario: Scenario, kind: str) -> list[dict[str, Any]]:
    with scenario.db() as db:
        rows = db.execute("SELECT data FROM event WHERE kind = ? ORDER BY id", (kind,)).fetchall()
    return [json.loads(r[0]) for r in rows]


def setup(scenario: Scenario, imap: Any, summary_extra: str = "") -> None:
    """Acme owes us an answer for 8 days (check-in due); Globex wrote (a reply owed)."""
    scenario.clients = summary_extra + CLIENTS
    sent = mail(ACCOUNT, "jane@acme.example", "Logo drafts", message_id="<o1@studio>", date=SENT_AT)
    imap.append("Sent", sent, internal_date=SENT_AT)
    asked = T0 - timedelta(days=1)
    theirs = mail("pm@globex.example", ACCOUNT, "Budget?", message_id="<g1@globex>", date=asked)
    imap.append("INBOX", theirs, internal_date=asked)


def first_summary(scenario: Scenario, imap: Any, smtp: Any) -> EmailMessage:
    setup(scenario, imap)
    assert scenario.once(T0) == 0
    [summary] = summaries(smtp)
    assert to(smtp, "jane@acme.example") == []  # 08:30: before the send window
    return summary


def key_of(summary: EmailMessage) -> str:
    found = re.findall(r"gw-[a-z0-9]{12}", text(summary))
    assert len(set(found)) == 1
    return found[0]


def reply(
    summary: EmailMessage,
    body: str,
    *,
    sender: str = ACCOUNT,
    message_id: str = "<r1@studio>",
    key: str | None = None,
) -> bytes:
    """The user's reply: the commands, the key (``key``; None: the summary's), then
    the summary quoted below, as mail clients do."""
    quoted = "\n".join(f"> {line}" for line in text(summary).splitlines())
    given = key_of(summary) if key is None else key
    new = f"{body}\n{given}\n" if given else f"{body}\n"
    content = f"{new}\nOn Mon, 9 Nov 2026 at 08:30, ghostwatch wrote:\n{quoted}\n"
    sid = str(summary["Message-ID"])
    return mail(
        sender,
        ACCOUNT,
        f"Re: {summary['Subject']}",
        message_id=message_id,
        date=T0 + timedelta(minutes=5),
        in_reply_to=sid,
        references=[sid],
        body=content,
    )


def deliver(imap: Any, raw: bytes, at: datetime = T0 + timedelta(minutes=5)) -> None:
    imap.append("INBOX", raw, internal_date=at)


# --- the labels ------------------------------------------------------------------------


def test_the_summary_labels_its_actionable_lines_and_prints_a_key(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    summary = first_summary(scenario, imap_server, smtp_server)
    body = text(summary)
    assert "[1] Globex: Reply owed" in body
    assert re.search(r"\[2\] Acme Ltd: check-in \[scheduled\] Mon 9 Nov 09:00", body), body
    assert "[3] Initech: INV-2026-031" in body
    html = summary.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert re.search(r'<span class="cmd"[^>]*>2</span>\s*<span class="client"[^>]*>Acme Ltd', html)
    key = key_of(summary)
    assert key in html
    # the key is stored hashed only: not in the database file's rows, not in events
    with scenario.db() as db:
        rows = db.execute("SELECT token_hash, labels FROM summary_token").fetchall()
        dump = json.dumps([list(map(str, r)) for r in db.execute("SELECT * FROM event")])
    [(hashed, labels)] = rows
    assert key[3:] not in hashed and key[3:] not in dump
    assert json.loads(labels)["2"] == {"client": "Acme Ltd", "kind": "next", "template": "check_in"}


def test_commands_off_prints_no_labels_and_no_key(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    setup(scenario, imap_server, summary_extra="")
    scenario.clients = "commands = false\n" + CLIENTS  # lands in [summary]
    assert scenario.once(T0) == 0
    [summary] = summaries(smtp_server)
    assert "gw-" not in text(summary) and "[2]" not in text(summary)


# --- skip 2 ----------------------------------------------------------------------------


def test_skip_2_stops_the_check_in_and_answers_in_the_thread(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    summary = first_summary(scenario, imap_server, smtp_server)
    deliver(imap_server, reply(summary, "skip 2"))
    assert scenario.once(T0 + timedelta(minutes=40)) == 0  # 09:10: inside the window
    assert to(smtp_server, "jane@acme.example") == []  # the check-in was not sent
    [answer] = [m for m in to(smtp_server, ACCOUNT) if not m["X-Ghostwatch-Summary"]]
    assert answer["In-Reply-To"] == "<r1@studio>"
    assert "<r1@studio>" in str(answer["References"])
    assert "check-in" in text(answer) and "skip 2" in text(answer)
    [done] = events(scenario, "command.done")
    assert done["line"] == "skip 2" and done["sender"] == ACCOUNT
    [skipped] = events(scenario, "nudge.skipped")
    assert (skipped["template"], skipped["by"], skipped["reply"]) == (
        "check_in",
        "mail",
        "<r1@studio>",
    )
    # the user's reply to the summary is not contact with anyone
    with scenario.db() as db:
        assert db.execute("SELECT * FROM message WHERE message_id = '<r1@studio>'").fetchall() == []
    # the key is in no event, even after the reply that carried it was handled
    with scenario.db() as db:
        dump = json.dumps([list(map(str, r)) for r in db.execute("SELECT * FROM event")])
    assert key_of(summary)[3:] not in dump
    # our answer lands in the user's INBOX too, in the summary's thread: not a command
    deliver(imap_server, answer.as_bytes(), at=T0 + timedelta(minutes=45))
    # a later cycle reads nothing again and sends nothing more
    assert scenario.once(T0 + timedelta(hours=2)) == 0
    assert events(scenario, "command.refused") == []
    assert to(smtp_server, "jane@acme.example") == []
    assert len(events(scenario, "command.done")) == 1
    # the ladder goes on later: the same check-in, one interval after the skip
    assert scenario.once(T0 + timedelta(days=7, hours=1)) == 0
    [check_in] = to(smtp_server, "jane@acme.example")
    assert "Logo drafts" in str(check_in["Subject"])


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("გამოტოვე 2", "ka"),
        ("ข้าม 2", "th"),
        ("  SKIP   #2 .", "en"),
    ],
)
def test_skip_in_georgian_thai_and_sloppy_english(
    scenario: Scenario, imap_server: Any, smtp_server: Any, body: str, words: str
) -> None:
    summary = first_summary(scenario, imap_server, smtp_server)
    deliver(imap_server, reply(summary, body))
    assert scenario.once(T0 + timedelta(minutes=40)) == 0
    assert to(smtp_server, "jane@acme.example") == [], words
    assert len(events(scenario, "nudge.skipped")) == 1


# --- refusals ----------------------------------------------------------------------------


def refused(scenario: Scenario, smtp: Any, reason: str) -> None:
    """Nothing was done (the check-in went out), the refusal is recorded, no answer
    went to anyone, and the next day's summary reports it."""
    assert len(to(smtp, "jane@acme.example")) == 1
    assert events(scenario, "nudge.skipped") == []
    assert [e["reason"] for e in events(scenario, "command.refused")] == [reason]
    assert events(scenario, "command.answered") == []
    assert scenario.once(T0 + timedelta(days=1)) == 0
    latest = summaries(smtp)[-1]
    assert "Reply to the summary refused" in text(latest)


def test_a_reply_from_another_address_does_nothing(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    summary = first_summary(scenario, imap_server, smtp_server)
    deliver(imap_server, reply(summary, "skip 2", sender="mallory@evil.example"))
    assert scenario.once(T0 + timedelta(minutes=40)) == 0
    refused(scenario, smtp_server, "sender")


def test_a_reply_without_the_key_does_nothing_even_if_the_quote_holds_it(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    summary = first_summary(scenario, imap_server, smtp_server)
    raw = reply(summary, "skip 2", key="")
    assert key_of(summary).encode() in raw  # in the quoted summary, below the reply
    deliver(imap_server, raw)
    assert scenario.once(T0 + timedelta(minutes=40)) == 0
    refused(scenario, smtp_server, "no key")


def test_a_key_used_once_cannot_be_used_again(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    summary = first_summary(scenario, imap_server, smtp_server)
    deliver(imap_server, reply(summary, "hold Globex"))
    deliver(imap_server, reply(summary, "skip 2", message_id="<r2@studio>"))
    assert scenario.once(T0 + timedelta(minutes=40)) == 0
    assert len(to(smtp_server, "jane@acme.example")) == 1  # the second reply did nothing
    assert [e["reason"] for e in events(scenario, "command.refused")] == ["used key"]


def test_a_reply_replayed_after_the_next_summary_does_nothing(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    summary = first_summary(scenario, imap_server, smtp_server)
    first = reply(summary, "hold Globex")
    deliver(imap_server, first)
    assert scenario.once(T0 + timedelta(minutes=40)) == 0
    assert len(events(scenario, "command.done")) == 1
    day2 = T0 + timedelta(days=1)
    assert scenario.once(day2) == 0  # the next summary: a new key
    assert len(summaries(smtp_server)) == 2
    # the very same message again, then a new one with the first summary's key
    deliver(imap_server, first, at=day2 + timedelta(minutes=5))
    deliver(imap_server, reply(summary, "skip 2", message_id="<r3@studio>"), at=day2)
    assert scenario.once(day2 + timedelta(minutes=40)) == 0
    reasons = sorted(e["reason"] for e in events(scenario, "command.refused"))
    assert reasons == ["old key", "replay"]
    assert len(events(scenario, "command.done")) == 1
    assert events(scenario, "nudge.skipped") == []
    assert scenario.once(day2 + timedelta(days=1)) == 0
    assert text(summaries(smtp_server)[-1]).count("Reply to the summary refused") == 2


# --- the same effect as the CLI -----------------------------------------------------------


def test_paid_and_snooze_by_mail_match_the_command_line(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    summary = first_summary(scenario, imap_server, smtp_server)
    body = "paid INV-2026-031\nsnooze Acme 2w\nplease and thanks\n"
    deliver(imap_server, reply(summary, body))
    assert scenario.once(T0 + timedelta(minutes=40)) == 0
    assert to(smtp_server, "jane@acme.example") == []  # snoozed
    with scenario.db() as db:
        [(paid_at, paid_by)] = db.execute(
            "SELECT paid_at, paid_by FROM invoice WHERE number = 'INV-2026-031'"
        ).fetchall()
        [(until,)] = db.execute(
            "SELECT snoozed_until FROM client_state WHERE client = 'Acme Ltd'"
        ).fetchall()
    assert paid_at is not None and paid_by == "mail"
    assert str(until).startswith("2026-11-23")  # two weeks on, the client's local day
    [answer] = [m for m in to(smtp_server, ACCOUNT) if not m["X-Ghostwatch-Summary"]]
    assert "please and thanks" in text(answer)  # a line that is no command is reported
    mail_events = {e["invoice"] for e in events(scenario, "invoice.paid")}
    assert mail_events == {"INV-2026-031"}
    assert [e["until"] for e in events(scenario, "client.snoozed")] == ["2026-11-23"]


def test_skip_hold_and_send_now_on_the_command_line_go_through_the_same_actions(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    first_summary(scenario, imap_server, smtp_server)
    at = (T0 + timedelta(minutes=5)).isoformat()
    assert scenario.run("skip", "acme ltd", "--now", at, capsys=capsys) == 0
    assert "Acme Ltd: skipped check_in" in scenario.runs[-1][2]
    assert scenario.once(T0 + timedelta(minutes=40)) == 0
    assert to(smtp_server, "jane@acme.example") == []  # skipped, as `skip 2` by mail
    [skipped] = events(scenario, "nudge.skipped")
    assert (skipped["template"], skipped["by"]) == ("check_in", "command")
    assert scenario.run("hold", "Acme Ltd", "--now", at, capsys=capsys) == 0
    assert len(events(scenario, "client.held")) == 1
    with scenario.db() as db:
        [(until,)] = db.execute(
            "SELECT snoozed_until FROM client_state WHERE client = 'Acme Ltd'"
        ).fetchall()
    assert str(until).startswith("2999-12-31")  # held until resume
    # Globex: the user owes them a reply, so there is nothing to send now
    assert scenario.run("send-now", "Globex", "--now", at, capsys=capsys) != 0


def test_expect_by_mail_matches_the_command_line(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    summary = first_summary(scenario, imap_server, smtp_server)
    deliver(imap_server, reply(summary, "expect Initech INV-2026-031 2026-12-05"))
    assert scenario.once(T0 + timedelta(minutes=40)) == 0
    with scenario.db() as db:
        [(expected, by)] = db.execute(
            "SELECT expected_by, promise_by FROM invoice WHERE number = 'INV-2026-031'"
        ).fetchall()
    assert (str(expected), by) == ("2026-12-05", "command")  # as `ghostwatch expect --by`
    [answer] = [m for m in to(smtp_server, ACCOUNT) if not m["X-Ghostwatch-Summary"]]
    assert "invoice INV-2026-031 of Initech is expected by" in " ".join(text(answer).split())
    assert [e["invoice"] for e in events(scenario, "invoice.promise")] == ["INV-2026-031"]


def test_expect_by_mail_names_a_deadline_by_a_word_of_it(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    # Initech also owes the website texts (the last [[clients]] takes the deadline)
    deadline = '[[clients.deadlines]]\nwhat = "website texts"\ndue = "2026-11-30"\n'
    setup(scenario, imap_server)
    scenario.clients += deadline
    assert scenario.once(T0) == 0
    [summary] = summaries(smtp_server)
    deliver(imap_server, reply(summary, "expect Initech texts 2026-12-05"))
    assert scenario.once(T0 + timedelta(minutes=40)) == 0
    with scenario.db() as db:
        [(key, expected, by)] = db.execute(
            "SELECT deadline, expected_by, promise_by FROM deadline_promise"
        ).fetchall()
    assert (key, str(expected), by) == ("deadline:website texts", "2026-12-05", "command")
    [answer] = [m for m in to(smtp_server, ACCOUNT) if not m["X-Ghostwatch-Summary"]]
    said = " ".join(text(answer).split())
    assert "website texts from Initech is expected by" in said
    assert [e["deadline"] for e in events(scenario, "deadline.promise")] == ["website texts"]


def test_a_reply_copied_to_a_client_is_not_contact_with_them(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    """Were the user's reply (Cc: Acme) taken as our message to Acme, the silence
    ladder would start again and the due check-in would not go out."""
    summary = first_summary(scenario, imap_server, smtp_server)
    raw = reply(summary, "hold Globex").replace(
        b"To: " + ACCOUNT.encode(), b"To: " + ACCOUNT.encode() + b"\nCc: jane@acme.example", 1
    )
    deliver(imap_server, raw)
    assert scenario.once(T0 + timedelta(minutes=40)) == 0
    assert len(events(scenario, "command.done")) == 1
    assert len(to(smtp_server, "jane@acme.example")) == 1  # the check-in went out
    with scenario.db() as db:
        assert db.execute("SELECT * FROM message WHERE message_id = '<r1@studio>'").fetchall() == []


def test_send_2_now_lifts_only_the_send_window(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    summary = first_summary(scenario, imap_server, smtp_server)
    deliver(imap_server, reply(summary, "send 2 now\nsend 1 now"))
    assert scenario.once(T0 + timedelta(minutes=10)) == 0  # 08:40: the window opens at 09:00
    [check_in] = to(smtp_server, "jane@acme.example")
    assert "Logo drafts" in str(check_in["Subject"])
    [answer] = [m for m in to(smtp_server, ACCOUNT) if not m["X-Ghostwatch-Summary"]]
    body = text(answer)
    assert "outside the send window" in body and "min_gap" in body
    # Globex is owed a reply by the user: nothing may go to them, "now" or not
    assert to(smtp_server, "pm@globex.example") == []
    assert "send 1 now: nothing is planned for Globex" in body
    [lift] = events(scenario, "nudge.send_now")
    assert lift["by"] == "mail"


def test_hold_then_resume_with_the_next_summary_s_key(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    summary = first_summary(scenario, imap_server, smtp_server)
    deliver(imap_server, reply(summary, "hold acme"))
    assert scenario.once(T0 + timedelta(minutes=40)) == 0
    assert to(smtp_server, "jane@acme.example") == []
    day2 = T0 + timedelta(days=1)
    assert scenario.once(day2) == 0
    second = summaries(smtp_server)[-1]
    assert "Acme Ltd [held until you resume it]" in text(second)
    deliver(imap_server, reply(second, "resume Acme", message_id="<r2@studio>"), at=day2)
    assert scenario.once(day2 + timedelta(minutes=40)) == 0
    assert len(to(smtp_server, "jane@acme.example")) == 1  # the check-in, at last
    assert [e["by"] for e in events(scenario, "client.resumed")] == ["mail"]
