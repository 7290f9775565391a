"""Invoices, recurring payments, deadlines, snooze and pause end to end: real Dovecot,
real aiosmtpd, the real command line, time by --now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

from tests.support.scenario import ACCOUNT, Scenario, client_toml, mail

DAY = timedelta(days=1)
NOV = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)  # Sunday 1 November, 10:00 UTC
INVOICE = '[{ number = "INV-014", amount = "1,200 GEL", due = "2026-11-01" }]'
ACME = client_toml("Acme Ltd", ["jane@acme.example"], ["acme.example"], invoices=INVOICE)
BANK = 'payment_matchers = [ { from = "^noreply@bank\\\\.example$", subject = "(?i)payment" } ]'


def on(day: int, hour: int = 10, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def received(smtp: Any) -> list[Any]:
    """The nudges the SMTP server received (the daily summary, to ourselves, left out)."""
    return [
        message_from_bytes(m.raw, policy=policy.default)
        for m in smtp.messages
        if m.rcpt_tos != [ACCOUNT]
    ]


def subjects(smtp: Any) -> list[str]:
    """The Subject of every message the SMTP server received, in order."""
    return [str(m["Subject"]) for m in received(smtp)]


def outbox(scenario: Scenario) -> list[tuple[str, str, int, str]]:
    with scenario.db() as db:
        query = "SELECT ladder, template, step, status FROM outbox ORDER BY id"
        return db.execute(query).fetchall()


def events(scenario: Scenario, kind: str) -> list[tuple[str, str | None, str]]:
    with scenario.db() as db:
        query = "SELECT client, message_id, data FROM event WHERE kind = ? ORDER BY id"
        return db.execute(query, (kind,)).fetchall()


def invoice(scenario: Scenario, now: datetime, capsys: Any, number: str) -> dict[str, Any]:
    row = scenario.row(now, capsys, "Acme Ltd")
    return next(i for i in row["invoices"] if i["number"] == number)


def test_an_unpaid_invoice_gets_a_reminder_then_the_work_paused_notice(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    for now in (on(1), on(3), on(4, 8)):  # due day, day 2, day 3 before the window
        assert scenario.once(now) == 0
    assert received(smtp_server) == []
    assert (
        invoice(scenario, on(4, 8), capsys, "INV-014")["next_step"]["at"] == "2026-11-04T09:00:00Z"
    )

    assert scenario.once(on(4)) == 0  # Wednesday the 4th, inside the window
    [reminder] = received(smtp_server)
    assert reminder["To"] == "jane@acme.example"
    assert reminder["Subject"] == "Invoice INV-014"
    assert "INV-014" in reminder.get_content()
    assert "1,200 GEL" in reminder.get_content()

    assert scenario.once(on(10)) == 0
    assert len(received(smtp_server)) == 1
    assert scenario.once(on(11)) == 0  # a week after the reminder
    assert len(received(smtp_server)) == 2
    assert "paused" in received(smtp_server)[1].get_content().lower()
    for later in (on(18), on(2, month=12), on(20, month=12)):
        assert scenario.once(later) == 0
    assert len(received(smtp_server)) == 2
    assert outbox(scenario) == [
        ("invoice:INV-014", "payment_reminder", 1, "sent"),
        ("invoice:INV-014", "work_paused", 2, "sent"),
    ]
    row = invoice(scenario, on(18), capsys, "INV-014")
    assert (row["paid"], row["steps_sent"], row["next_step"]) == (False, 2, None)


def test_paid_ends_the_ladder(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    assert scenario.once(on(4)) == 0
    assert len(received(smtp_server)) == 1
    assert scenario.run("paid", "acme ltd", "INV-014") == 0
    assert scenario.run("paid", "Acme Ltd", "INV-014") == 2  # already paid: said so
    assert scenario.run("paid", "Acme Ltd", "INV-999") == 2  # unknown invoice: bad usage
    for later in (on(11), on(12), on(25)):
        assert scenario.once(later) == 0
    assert len(received(smtp_server)) == 1
    row = invoice(scenario, on(25), capsys, "INV-014")
    assert (row["paid"], row["next_step"], row["note"]) == (True, None, None)
    [(client, _, data)] = events(scenario, "invoice.paid")
    assert client == "Acme Ltd"
    assert '"by": "command"' in data


def test_a_recurring_payment_has_one_ladder_per_month(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    recurring = '[{ name = "retainer", amount = "800 GEL", day = 1, start = "2026-11-01" }]'
    scenario.clients = client_toml("Acme Ltd", ["jane@acme.example"], recurring=recurring)
    assert scenario.once(on(4)) == 0
    assert subjects(smtp_server) == ["Invoice retainer 2026-11"]
    assert scenario.run("paid", "Acme Ltd", "retainer 2026-11") == 0
    for later in (on(11), on(1, month=12), on(3, month=12)):
        assert scenario.once(later) == 0
    assert len(received(smtp_server)) == 1  # November paid: no work-paused notice

    assert scenario.once(on(4, month=12)) == 0  # December: its own ladder
    assert subjects(smtp_server) == ["Invoice retainer 2026-11", "Invoice retainer 2026-12"]
    assert scenario.once(on(11, month=12)) == 0
    assert len(received(smtp_server)) == 3
    assert "paused" in received(smtp_server)[2].get_content().lower()
    assert [(ladder, step) for ladder, _, step, _ in outbox(scenario)] == [
        ("invoice:retainer 2026-11", 1),
        ("invoice:retainer 2026-12", 1),
        ("invoice:retainer 2026-12", 2),
    ]


def bank_mail(imap: Any, at: datetime, mid: str, subject: str, body: str, sender: str) -> None:
    raw = mail(sender, ACCOUNT, subject, message_id=mid, date=at, body=body)
    imap.append("INBOX", raw, internal_date=at)


def test_a_payment_confirmation_marks_the_invoice_paid(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.account_extra = BANK
    scenario.clients = ACME
    body = "Incoming transfer\nReference: {}\nAmount: 1,200 GEL\n"
    # Not a payment of INV-014: another number; a sender that is not the bank.
    bank_mail(
        imap_server,
        on(2),
        "<b1@bank>",
        "Payment received",
        body.format("INV-0140"),
        "noreply@bank.example",
    )
    bank_mail(
        imap_server,
        on(2),
        "<x1@evil>",
        "Payment received",
        body.format("INV-014"),
        "noreply@bank.example.evil.test",
    )
    assert scenario.once(on(3)) == 0
    assert invoice(scenario, on(3), capsys, "INV-014")["paid"] is False

    # The bank names the invoice only in the body.
    bank_mail(
        imap_server,
        on(3, 12),
        "<b2@bank>",
        "Payment received",
        body.format("INV-014"),
        "Bank <noreply@bank.example>",
    )
    for later in (on(4), on(11), on(20)):
        assert scenario.once(later) == 0
    assert received(smtp_server) == []
    row = invoice(scenario, on(20), capsys, "INV-014")
    assert (row["paid"], row["next_step"]) == (True, None)
    [(client, message_id, data)] = events(scenario, "invoice.paid")
    assert (client, message_id) == ("Acme Ltd", "<b2@bank>")
    assert '"by": "<b2@bank>"' in data
    with scenario.db() as db:
        paid = db.execute("SELECT paid_by, paid_at FROM invoice").fetchall()
    assert paid == [("<b2@bank>", "2026-11-03 12:00:00.000000")]


def test_a_client_reply_after_the_due_date_defers_the_next_step(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    assert scenario.once(on(4)) == 0
    [reminder] = received(smtp_server)
    answer = mail(
        "Jane <jane@acme.example>",
        ACCOUNT,
        "Re: Invoice INV-014",
        message_id="<r1@acme>",
        date=on(9),
        in_reply_to=reminder["Message-ID"],
    )
    imap_server.append("INBOX", answer, internal_date=on(9))
    assert scenario.once(on(9, 11)) == 0
    row = scenario.row(on(9, 11), capsys, "Acme Ltd")
    [inv] = row["invoices"]
    assert inv["replied_at"] == "2026-11-09T10:00:00Z"
    assert inv["note"] == "Acme Ltd replied about INV-014 — check"
    assert row["waiting_on"] == "you"
    assert inv["next_step"]["action"] == "hold"  # the user owes a reply first

    ours = mail(
        ACCOUNT,
        "jane@acme.example",
        "Re: Invoice INV-014",
        message_id="<u1@studio>",
        date=on(10),
        in_reply_to="<r1@acme>",
    )
    imap_server.append("Sent", ours, internal_date=on(10))
    assert scenario.once(on(11)) == 0  # the work-paused step was due today: deferred
    assert len(received(smtp_server)) == 1
    inv = invoice(scenario, on(11), capsys, "INV-014")
    assert inv["next_step"]["at"] == "2026-11-12T10:00:00Z"  # reply + 3 days
    assert "deferred: Acme Ltd replied" in inv["next_step"]["reason"]
    assert scenario.once(on(12)) == 0
    assert [str(m["In-Reply-To"]) for m in received(smtp_server)][1] == "<u1@studio>"
    assert outbox(scenario)[-1] == ("invoice:INV-014", "work_paused", 2, "sent")


def test_a_deadline_reminder_and_a_deadline_met_by_a_reply(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    deadline = '[{ what = "feedback on the logo drafts", due = "2026-11-03" }]'
    scenario.clients = client_toml(
        "Acme Ltd", ["jane@acme.example"], deadlines=deadline
    ) + client_toml("Beta", ["bo@beta.example"], deadlines=deadline)
    for who in ("jane@acme.example", "bo@beta.example"):
        sent = mail(ACCOUNT, who, "Logo drafts", message_id=f"<d-{who}>", date=on(2, 9))
        imap_server.append("Sent", sent, internal_date=on(2, 9))
    feedback = mail(
        "bo@beta.example",
        ACCOUNT,
        "Re: Logo drafts",
        message_id="<fb@beta>",
        date=on(3, 9),
        in_reply_to="<d-bo@beta.example>",
    )
    imap_server.append("INBOX", feedback, internal_date=on(3, 9))
    thanks = mail(
        ACCOUNT,
        "bo@beta.example",
        "Re: Logo drafts",
        message_id="<t@studio>",
        date=on(3, 11),
        in_reply_to="<fb@beta>",
    )
    imap_server.append("Sent", thanks, internal_date=on(3, 11))

    assert scenario.once(on(4)) == 0
    assert received(smtp_server) == []
    assert scenario.once(on(5)) == 0  # due + 2 days
    [reminder] = received(smtp_server)
    assert (reminder["To"], reminder["Subject"]) == ("jane@acme.example", "Re: Logo drafts")
    assert scenario.once(on(12)) == 0  # the silence ladders' check-ins, no more reminders
    assert [t for _, t, _, _ in outbox(scenario)] == ["deadline_reminder", "check_in", "check_in"]
    rows = {r["client"]: r for r in scenario.status(on(12), capsys)}
    assert rows["Beta"]["deadlines"][0]["met"] is True
    assert rows["Beta"]["deadlines"][0]["next_step"] is None
    assert rows["Acme Ltd"]["deadlines"][0]["steps_sent"] == 1


THREAD = client_toml("Acme Ltd", ["jane@acme.example"], ["acme.example"])


def start_thread(imap: Any) -> None:
    raw = mail(ACCOUNT, "jane@acme.example", "Logo drafts", message_id="<m1@studio>", date=on(2))
    imap.append("Sent", raw, internal_date=on(2))


def test_snooze_holds_nudges_until_the_date_then_the_next_window(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = THREAD
    start_thread(imap_server)
    assert scenario.once(on(3)) == 0
    # --now: at the scenario's time (a snooze to a day before today is refused)
    assert (
        scenario.run("snooze", "Acme Ltd", "--until", "2026-11-12", "--now", on(3).isoformat()) == 0
    )
    row = scenario.row(on(9), capsys, "Acme Ltd")  # the check-in is due on Monday the 9th
    assert (row["state"], row["snoozed_until"]) == ("snoozed", "2026-11-12T00:00:00Z")
    assert row["next_action"]["at"] == "2026-11-12T09:00:00Z"
    for now in (on(9), on(10), on(11, 16), on(12, 8)):
        assert scenario.once(now) == 0
    assert received(smtp_server) == []
    assert scenario.once(on(12, 9) + timedelta(minutes=5)) == 0
    assert len(received(smtp_server)) == 1
    assert scenario.row(on(12, 10), capsys, "Acme Ltd")["state"] == "nudged"


def test_resume_pause_and_unpause_persist_and_show_in_status(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = THREAD
    start_thread(imap_server)
    assert scenario.once(on(3)) == 0
    assert (
        scenario.run("snooze", "Acme Ltd", "--until", "2026-12-01", "--now", on(3).isoformat()) == 0
    )
    assert scenario.row(on(9), capsys, "Acme Ltd")["state"] == "snoozed"
    assert scenario.run("resume", "Acme Ltd") == 0
    assert scenario.row(on(9), capsys, "Acme Ltd")["state"] == "waiting"
    assert scenario.run("pause") == 0
    assert scenario.once(on(9)) == 0
    assert received(smtp_server) == []
    row = scenario.row(on(9), capsys, "Acme Ltd")
    assert any("account paused" in reason for reason in row["held"])
    assert scenario.run("unpause") == 0
    assert scenario.once(on(9, 11)) == 0
    assert len(received(smtp_server)) == 1
    kinds = [
        k
        for k in ("client.snoozed", "client.resumed", "account.paused", "account.unpaused")
        if events(scenario, k)
    ]
    assert len(kinds) == 4
