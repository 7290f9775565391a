"""payments: recognising payment notices, decoding bodies (the invoice and deadline rows
of ``status`` are tested in test_views.py)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from ghostwatch.config.loader import PaymentMatcher
from ghostwatch.core import payments
from ghostwatch.core.domain import Envelope

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
