"""payments: recognising payment notices, decoding bodies, invoice and deadline rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from ghostwatch.config.loader import PaymentMatcher
from ghostwatch.core import payments, policy
from ghostwatch.core.domain import (
    AccountState,
    ClientState,
    Deadline,
    Envelope,
    Invoice,
    LadderStep,
    NudgeRecord,
    OutboxStatus,
    Rules,
    SendWindow,
)

BANK = PaymentMatcher.model_validate(
    {"from": r"^noreply@bank\.example$", "subject": "(?i)payment received"}
)
BANK_BODY = PaymentMatcher.model_validate(
    {"from": "@bank2\\.example$", "subject": ".", "body": "(?i)credited"}
)
BY_NAME = PaymentMatcher.model_validate({"from": "^TBC Bank <", "subject": "(?i)transfer"})
OPEN = ["INV-014", "INV-1", "retainer 2026-11", "ინვ-7"]


def env(sender: str, subject: str, name: str = "") -> Envelope:
    return Envelope("<p@bank>", None, sender, name, subject=subject)


@pytest.mark.parametrize(
    ("matchers", "envelope", "body", "expected"),
    [
        # the bank names the invoice in the subject, or only in the body
        ([BANK], env("noreply@bank.example", "Payment received: INV-014"), "", ["INV-014"]),
        ([BANK], env("noreply@bank.example", "Payment received"), "Ref INV-014.", ["INV-014"]),
        # several invoices named; order of the open list, no duplicates
        (
            [BANK],
            env("noreply@bank.example", "Payment received INV-1"),
            "INV-014 INV-1",
            ["INV-014", "INV-1"],
        ),
        # white space and case are not significant; Unicode numbers work
        (
            [BANK],
            env("noreply@bank.example", "PAYMENT RECEIVED"),
            "RETAINER  2026-11",
            ["retainer 2026-11"],
        ),
        ([BANK], env("noreply@bank.example", "payment received"), "ანგარიში ინვ-7", ["ინვ-7"]),
        # a longer number is not a shorter one, on either side
        (
            [BANK],
            env("noreply@bank.example", "Payment received"),
            "INV-0140 XINV-014 INV-014-2",
            [],
        ),
        # the sender must match; a look-alike domain does not
        ([BANK], env("noreply@bank.example.evil", "Payment received"), "INV-014", []),
        ([BANK], env("jane@acme.example", "Payment received INV-014"), "", []),
        # the subject must match
        ([BANK], env("noreply@bank.example", "Statement for INV-014"), "INV-014", []),
        # a body regex must match too
        ([BANK_BODY], env("alerts@bank2.example", "Notice"), "INV-014 credited", ["INV-014"]),
        ([BANK_BODY], env("alerts@bank2.example", "Notice"), "INV-014 pending", []),
        # a matcher may name the display name; one of several matchers is enough
        ([BANK, BY_NAME], env("x@tbc.example", "Transfer INV-1", "TBC Bank"), "", ["INV-1"]),
        # a payment notice that names no open invoice pays nothing
        ([BANK], env("noreply@bank.example", "Payment received"), "thank you", []),
        ([], env("noreply@bank.example", "Payment received INV-014"), "", []),
        ([BANK], env("", "Payment received INV-014"), "", []),
    ],
)
def test_match_payment(
    matchers: list[PaymentMatcher], envelope: Envelope, body: str, expected: list[str]
) -> None:
    assert payments.match_payment(matchers, envelope, body, OPEN) == expected


@pytest.mark.parametrize(
    ("sender", "name", "expected"),
    [
        ("noreply@bank.example", "", True),
        ("x@tbc.example", "TBC Bank", True),  # matched through the display name
        ("x@tbc.example", "", False),
        ("", "", False),
    ],
)
def test_sender_matches_decides_whether_to_fetch_the_body(
    sender: str, name: str, expected: bool
) -> None:
    assert payments.sender_matches([BANK, BY_NAME], env(sender, "", name)) is expected


@pytest.mark.parametrize(
    ("number", "text", "expected"),
    [
        ("INV-14", "paid INV-14.", True),
        ("INV-14", "paid (inv-14)", True),
        ("INV-14", "paid INV-141", False),
        ("INV-14", "paid INV-14-2", False),
        ("INV-14", "paid 2-INV-14", False),
        ("14", "invoice 14, thanks", True),
        ("14", "invoice 2014", False),
        ("", "anything", False),
        ("a.b", "axb", False),  # regex characters in numbers are literal
    ],
)
def test_names_invoice(number: str, text: str, expected: bool) -> None:
    assert payments.names_invoice(number, text) is expected


def _mime(**parts: str) -> bytes:
    msg = EmailMessage()
    msg["Subject"] = "x"
    if "plain" in parts:
        msg.set_content(parts["plain"])
    if "html" in parts:
        if "plain" in parts:
            msg.add_alternative(parts["html"], subtype="html")
        else:
            msg.set_content(parts["html"], subtype="html")
    if "attachment" in parts:
        msg.add_attachment(parts["attachment"], filename="a.txt")
    return msg.as_bytes()


def test_message_text_decodes_the_plain_part_first() -> None:
    raw = _mime(plain="გადახდა ინვ-7 ✓\n", html="<p>other</p>")
    assert payments.message_text(raw) == "გადახდა ინვ-7 ✓\n"


def test_message_text_falls_back_to_html_without_tags() -> None:
    raw = _mime(html="<p>Paid <b>INV-14</b> &amp; thanks</p>")
    assert payments.message_text(raw).split() == ["Paid", "INV-14", "&", "thanks"]
    assert payments.message_text(raw, html_fallback=False) == ""


def test_message_text_skips_attachments_and_survives_bad_input() -> None:
    assert payments.message_text(_mime(html="<i>x</i>", attachment="INV-14")).strip() == "x"
    assert payments.message_text(b"") == ""
    odd = b"Content-Type: text/plain; charset=x-unknown\r\n\r\nINV-14 \xff\r\n"
    assert payments.message_text(odd).startswith("INV-14 ")


# --- status rows -------------------------------------------------------------------------

DAY = timedelta(days=1)
RULES = Rules(
    timezone="UTC",
    ladder=(LadderStep(7 * DAY, "check_in"),),
    give_up_after=7 * DAY,
    send_window=SendWindow(time(9), time(17)),
    business_days=True,
    holidays_country="",
    invoice_ladder=(LadderStep(3 * DAY, "payment_reminder"), LadderStep(7 * DAY, "work_paused")),
    deadline_ladder=(LadderStep(2 * DAY, "deadline_reminder"),),
)
DUE = date(2026, 11, 2)
INV = Invoice("invoice:INV-014", "INV-014", "1,200 GEL", DUE)
REMINDED = NudgeRecord(
    "invoice:INV-014", "2026-11-02", 1, OutboxStatus.SENT, datetime(2026, 11, 5, 9, tzinfo=UTC)
)


def acme(**kw: Any) -> ClientState:
    base = ClientState(name="Acme", account="studio", rules=RULES, emails=("jane@a.example",))
    return replace(base, **kw)


def rows(client: ClientState, now: datetime) -> list[dict[str, Any]]:
    acct = AccountState("studio", "me@s.example", "Me", "UTC", False, now, DAY, 20)
    other = replace(client, name="Other")  # same invoice number, another client
    return payments.invoice_rows(client, policy.decide(acct, [client, other], now))


def test_invoice_rows_show_the_next_step() -> None:
    now = datetime(2026, 11, 6, 10, tzinfo=UTC)
    [row] = rows(acme(invoices=(INV,), nudges=(REMINDED,)), now)
    assert row == {
        "number": "INV-014",
        "amount": "1,200 GEL",
        "due": "2026-11-02",
        "paid": False,
        "replied_at": None,
        "steps_sent": 1,
        "next_step": {
            "template": "work_paused",
            "step": 2,
            "action": "wait",
            "at": "2026-11-12T09:00:00Z",
            "reason": row["next_step"]["reason"],
        },
        "note": None,
        "paused_since": None,
        "expected_by": None,
        "promise": None,
    }


def test_a_promise_on_record_is_quoted_in_the_row_until_paid() -> None:
    now = datetime(2026, 11, 10, 10, tzinfo=UTC)
    said = "I'll pay on Friday."
    promised = replace(
        INV,
        replied_at=datetime(2026, 11, 9, 8, tzinfo=UTC),
        expected_by=date(2026, 11, 13),
        promised_at=datetime(2026, 11, 9, 8, tzinfo=UTC),
        promise=said,
    )
    [row] = rows(acme(invoices=(promised,), nudges=(REMINDED,)), now)
    assert (row["expected_by"], row["promise"]) == ("2026-11-13", said)
    assert row["note"] == "Acme: 'I'll pay on Friday.' → expected by Fri 13 Nov"
    assert row["next_step"]["template"] == "promise_reminder"
    [paid] = rows(acme(invoices=(replace(promised, paid=True),)), now)
    assert (paid["expected_by"], paid["note"]) == (None, None)


def test_a_paused_invoice_has_no_next_step_and_says_since_when() -> None:
    paused = (REMINDED, replace(REMINDED, step=2, at=datetime(2026, 11, 12, 9, tzinfo=UTC)))
    [row] = rows(acme(invoices=(INV,), nudges=paused), datetime(2026, 11, 20, 10, tzinfo=UTC))
    assert (row["next_step"], row["paused_since"]) == (None, "2026-11-12T09:00:00Z")


def test_a_reply_since_the_due_date_is_a_note_until_paid() -> None:
    now = datetime(2026, 11, 10, 10, tzinfo=UTC)
    replied = replace(INV, replied_at=datetime(2026, 11, 9, 8, tzinfo=UTC))
    [row] = rows(acme(invoices=(replied,), nudges=(REMINDED,)), now)
    assert row["note"] == "Acme replied about INV-014 — check"
    assert row["replied_at"] == "2026-11-09T08:00:00Z"
    assert row["next_step"]["at"] == "2026-11-12T09:00:00Z"  # reminder + 7d, as reply + 3d
    [paid] = rows(acme(invoices=(replace(replied, paid=True),)), now)
    assert (paid["paid"], paid["note"], paid["next_step"]) == (True, None, None)


def test_deadline_rows() -> None:
    now = datetime(2026, 11, 3, 10, tzinfo=UTC)
    open_ = Deadline("deadline:logo", "logo", DUE)
    met = Deadline("deadline:copy", "copy", date(2026, 11, 1), met=True)
    client = acme(deadlines=(open_, met))
    acct = AccountState("studio", "me@s.example", "Me", "UTC", False, now, DAY, 20)
    found = payments.deadline_rows(client, policy.decide(acct, [client], now))
    assert [(r["what"], r["met"]) for r in found] == [("copy", True), ("logo", False)]
    assert found[0]["next_step"] is None
    assert found[1]["next_step"]["at"] == "2026-11-04T09:00:00Z"
