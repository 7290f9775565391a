"""A client's promise to pay, end to end: real Dovecot, real aiosmtpd, a config file and
the real command line, time by --now (docs/promises.md, "In the invoice ladder").

Invoice INV-014 was due Monday 2 November 2026. On Wednesday the 4th, two days later,
Jane writes "I'll pay on Friday" and the user answers. Without the promise, the fixed
deferral would send a payment reminder on Monday the 9th; with it nothing goes out
until Friday's end plus one business day (Tuesday the 10th, 09:00), then ONE
promise reminder that names the day.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from tests.support.scenario import ACCOUNT, Scenario, client_toml, mail, received_nudges

INVOICE = '[{ number = "INV-014", amount = "1,200 GEL", due = "2026-11-02" }]'
ACME = client_toml("Acme Ltd", ["jane@acme.example"], ["acme.example"], invoices=INVOICE)
BANK = 'payment_matchers = [ { from = "^noreply@bank\\\\.example$", subject = "(?i)payment" } ]'
PROMISE = (
    "Hi Nino,\n\nSorry for the delay! I'll pay on Friday.\n"
    "I'll also send the signed contract tomorrow.\n\nBest,\nJane\n"
)


def on(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def promise_and_answer(imap: Any) -> None:
    """Jane's promise (two days after the due date) and the user's answer an hour later."""
    promise = mail(
        "Jane Smith <jane@acme.example>",
        ACCOUNT,
        "Re: Invoice INV-014",
        message_id="<p1@acme>",
        date=on(4),
        body=PROMISE,
    )
    imap.append("INBOX", promise, internal_date=on(4))
    answer = mail(
        ACCOUNT,
        "jane@acme.example",
        "Re: Invoice INV-014",
        message_id="<u1@studio>",
        date=on(4, 11),
        in_reply_to="<p1@acme>",
        body="Thanks Jane, Friday is fine.\n",
    )
    imap.append("Sent", answer, internal_date=on(4, 11))


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_no_reminder_until_the_promised_day_ends_then_one_promise_reminder(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    assert scenario.once(on(3)) == 0
    promise_and_answer(imap_server)
    # Thursday (step 1 was due), Friday, Monday (the fixed deferral's day), Tuesday early
    for now in (on(5), on(6), on(9), on(10, 8)):
        assert scenario.once(now) == 0
    assert received_nudges(smtp_server) == []
    [inv] = scenario.row(on(9), capsys, "Acme Ltd")["invoices"]
    assert (inv["expected_by"], inv["promise"]) == (
        "2026-11-06",
        "I'll pay on Friday.",
    )
    assert inv["next_step"]["template"] == "promise_reminder"
    assert inv["next_step"]["at"] == "2026-11-10T09:00:00Z"

    assert scenario.once(on(10)) == 0
    [reminder] = received_nudges(smtp_server)
    assert str(reminder["Subject"]) == "Re: Invoice INV-014"
    assert str(reminder["In-Reply-To"]) == "<u1@studio>"
    text = " ".join(body(reminder).split())
    assert (
        "you mentioned you'd pay by Friday 6 November; I haven't seen it yet — could you check?"
        in text
    )

    for later in (on(11), on(12)):  # ONE reminder; the ladder's next step is days away
        assert scenario.once(later) == 0
    assert len(received_nudges(smtp_server)) == 1
    with scenario.db() as db:
        rows = db.execute("SELECT template, step, status FROM outbox ORDER BY id").fetchall()
    assert rows == [("promise_reminder", 1, "sent")]
    capsys.readouterr()
    assert scenario.run("history", "Acme Ltd", capsys=capsys) == 0
    history = scenario.runs[-1][2]
    assert (
        'invoice.promise  INV-014 expected by 2026-11-06: "I\'ll pay on Friday." (by <p1@acme>)'
        in history
    )
    # the delivery promise sets nothing (no deadline ladder reads it yet) but is not lost
    assert (
        'client.promise  delivery by 2026-11-05: "I\'ll also send the signed contract tomorrow." '
        "(not applied: a delivery)" in history
    )


def test_a_payment_confirmation_before_then_ends_the_invoice_with_no_reminder(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.account_extra = BANK
    scenario.clients = ACME
    assert scenario.once(on(3)) == 0
    promise_and_answer(imap_server)
    assert scenario.once(on(5)) == 0
    notice = mail(
        "Bank <noreply@bank.example>",
        ACCOUNT,
        "Payment received",
        message_id="<b1@bank>",
        date=on(6, 12),
        body="Incoming transfer\nReference: INV-014\nAmount: 1,200 GEL\n",
    )
    imap_server.append("INBOX", notice, internal_date=on(6, 12))
    for now in (on(9), on(10), on(11), on(20)):
        assert scenario.once(now) == 0
    assert received_nudges(smtp_server) == []
    [inv] = scenario.row(on(20), capsys, "Acme Ltd")["invoices"]
    assert (inv["paid"], inv["next_step"], inv["expected_by"]) == (True, None, None)


def test_expect_corrects_the_day_and_clear_brings_back_the_fixed_deferral(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    assert scenario.once(on(3)) == 0
    promise_and_answer(imap_server)
    assert scenario.once(on(5)) == 0
    # the user knows better: "Friday" meant next week's
    assert (
        scenario.run(
            "expect", "acme ltd", "INV-014", "--by", "2026-11-13", "--now", on(5, 12).isoformat()
        )
        == 0
    )
    assert scenario.run("expect", "Acme Ltd", "INV-999", "--by", "2026-11-13") != 0
    for now in (on(10), on(13), on(16)):
        assert scenario.once(now) == 0
    assert received_nudges(smtp_server) == []
    assert scenario.once(on(17)) == 0  # Friday 13th ends, Monday the 16th of grace
    [reminder] = received_nudges(smtp_server)
    assert "by Friday 13 November" in " ".join(body(reminder).split())

    assert (
        scenario.run("expect", "Acme Ltd", "INV-014", "--clear", "--now", on(17, 12).isoformat())
        == 0
    )
    [inv] = scenario.row(on(17, 12), capsys, "Acme Ltd")["invoices"]
    assert (inv["expected_by"], inv["next_step"]["template"]) == (None, "payment_reminder")


def promise_only(imap: Any, text: str) -> None:
    """Jane's promise, and no answer from the user."""
    promise = mail(
        "Jane Smith <jane@acme.example>",
        ACCOUNT,
        "Re: Invoice INV-014",
        message_id="<p1@acme>",
        date=on(4),
        body=text,
    )
    imap.append("INBOX", promise, internal_date=on(4))


def test_a_promise_that_asks_nothing_gets_its_reminder_without_an_answer(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    # "We'll pay on Friday." needs no answer: the user need not write back for the
    # reminder to come when the day has passed
    scenario.clients = ACME
    assert scenario.once(on(3)) == 0
    promise_only(imap_server, "Hi Nino,\n\nSorry for the delay! I'll pay on Friday.\n\nJane\n")
    for now in (on(5), on(6), on(9), on(10, 8)):
        assert scenario.once(now) == 0
    assert received_nudges(smtp_server) == []
    assert scenario.once(on(10)) == 0
    [reminder] = received_nudges(smtp_server)
    assert str(reminder["To"]).endswith("<jane@acme.example>") or str(reminder["To"]) == (
        "jane@acme.example"
    )
    assert "you mentioned you'd pay by Friday 6 November" in " ".join(body(reminder).split())


def test_a_promise_with_a_question_waits_for_the_users_answer(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    scenario.clients = ACME
    assert scenario.once(on(3)) == 0
    text = "Hi Nino,\n\nI'll pay on Friday. Could you resend the invoice with our VAT number?\n"
    promise_only(imap_server, text)
    for now in (on(6), on(10), on(11), on(13)):
        assert scenario.once(now) == 0
    assert received_nudges(smtp_server) == []  # the user owes Jane an answer: nothing goes out
