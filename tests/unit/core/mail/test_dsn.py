"""dsn.refine: the body's word on a bounce or an auto-reply (the rules of
ghostwatch/core/mail/dsn.py). Pure: literal messages, no servers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ghostwatch.core.domain import Classification, Direction, Envelope, Kind
from ghostwatch.core.mail.dsn import message_body, refine

SENT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
ENV = Envelope(message_id="<n@mx>", date=SENT, from_addr="mailer-daemon@mx.example", from_name="")


def first(kind: Kind, **kw: object) -> Classification:
    """What the headers concluded, before the body is read."""
    values: dict[str, object] = {
        "kind": kind,
        "direction": Direction.INBOUND,
        "client": "Acme",
        "counterpart": "jane@acme.example",
        "reason": "headers",
        "needs_body": True,
    }
    values.update(kw)
    return Classification(**values)  # type: ignore[arg-type]


def report(*blocks: str, report_type: str = "delivery-status") -> bytes:
    """A multipart/report whose machine part holds ``blocks`` (RFC 3464 per-recipient
    fields, or an ARF feedback report)."""
    part = (
        "message/delivery-status" if report_type == "delivery-status" else "message/feedback-report"
    )
    fields = "\n\n".join(["Reporting-MTA: dns; mx.example", *blocks])
    return f"""\
From: Mail Delivery System <mailer-daemon@mx.example>
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type={report_type}; boundary="b"

--b
Content-Type: text/plain

Your message could not be delivered.

--b
Content-Type: {part}

{fields}

--b--
""".encode()


def recipient(address: str, action: str, status: str | None) -> str:
    lines = [f"Final-Recipient: rfc822; {address}", f"Action: {action}"]
    if status is not None:
        lines.append(f"Status: {status}")
    return "\n".join(lines)


def test_a_failed_5_1_1_is_a_permanent_bounce_of_that_address() -> None:
    done = refine(
        report(recipient("Jane@Acme.example", "failed", "5.1.1")), first(Kind.BOUNCE), ENV
    )
    assert done.kind is Kind.BOUNCE
    assert done.bounced == ("jane@acme.example",)
    assert not done.needs_body


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("failed", "5.2.2"),  # mailbox full: it clears
        ("failed", "5.3.1"),  # mail system full
        ("failed", "4.4.7"),  # a 4.x.x is temporary
        ("delayed", "4.4.1"),
        ("delivered", "2.0.0"),
    ],
)
def test_only_permanent_failures_mark_an_address(action: str, status: str) -> None:
    done = refine(report(recipient("jane@acme.example", action, status)), first(Kind.BOUNCE), ENV)
    assert done.kind is Kind.BOUNCE
    assert done.bounced == ()
    assert "0 permanent, 1 other" in done.reason


def test_a_failed_block_without_a_status_is_permanent() -> None:
    done = refine(report(recipient("jane@acme.example", "failed", None)), first(Kind.BOUNCE), ENV)
    assert done.bounced == ("jane@acme.example",)


def test_each_recipient_of_a_dsn_is_judged_on_its_own() -> None:
    raw = report(
        recipient("jane@acme.example", "failed", "5.1.1"),
        recipient("ops@acme.example", "delayed", "4.4.1"),
        recipient("jane@acme.example", "failed", "5.1.1"),  # said twice, marked once
    )
    done = refine(raw, first(Kind.BOUNCE), ENV)
    assert done.bounced == ("jane@acme.example",)
    assert "1 permanent, 2 other" in done.reason


def test_an_arf_feedback_report_is_bulk_and_marks_nobody() -> None:
    raw = report("Feedback-Type: abuse\nUser-Agent: x/1", report_type="feedback-report")
    done = refine(raw, first(Kind.BOUNCE, bounced=("jane@acme.example",)), ENV)
    assert done.kind is Kind.BULK
    assert done.bounced == ()


def test_a_human_message_is_left_as_the_headers_said() -> None:
    raw = report(recipient("jane@acme.example", "failed", "5.1.1"))
    done = refine(raw, first(Kind.HUMAN), ENV)
    assert done == first(Kind.HUMAN, needs_body=False)


def test_a_suspected_bounce_with_dsn_fields_is_a_bounce() -> None:
    raw = report(recipient("jane@acme.example", "failed", "5.1.1"))
    done = refine(raw, first(Kind.BULK, bounce_suspect=True), ENV)
    assert done.kind is Kind.BOUNCE
    assert done.bounced == ("jane@acme.example",)
    assert not done.bounce_suspect


def test_a_bounce_a_person_forwards_marks_nobody_bouncing() -> None:
    raw = report(recipient("someone@elsewhere.example", "failed", "5.1.1"))
    done = refine(raw, first(Kind.HUMAN, bounce_suspect=True), ENV)
    assert done.kind is Kind.BOUNCE
    assert done.bounced == ()


def test_a_suspect_without_evidence_in_the_body_keeps_its_kind() -> None:
    raw = b"From: Jane <jane@acme.example>\nSubject: Delivery failed?\n\nCan you resend it?\n"
    done = refine(raw, first(Kind.HUMAN, bounce_suspect=True), ENV)
    assert done.kind is Kind.HUMAN
    assert done.bounced == ()
    assert not done.bounce_suspect and not done.needs_body


def test_an_auto_reply_reads_its_return_date_from_the_body() -> None:
    raw = (
        b"From: Jane <jane@acme.example>\nSubject: Out of office\n\n"
        b"I am out of the office until Monday, December 7.\n"
    )
    done = refine(raw, first(Kind.AUTO_REPLY), ENV)
    assert done.kind is Kind.AUTO_REPLY
    assert done.away_until == date(2026, 12, 7)


def test_a_date_in_the_quoted_original_is_not_the_return_date() -> None:
    raw = (
        b"From: Jane <jane@acme.example>\nSubject: Automatic reply\n\n"
        b"Thanks, I will read your mail when I can.\n\n"
        b"-----Original Message-----\nI am out of the office until Monday, December 7.\n"
    )
    assert refine(raw, first(Kind.AUTO_REPLY), ENV).away_until is None


def test_an_auto_reply_without_a_date_keeps_none() -> None:
    raw = b"From: Jane <jane@acme.example>\nSubject: Auto reply\n\nThanks for your mail.\n"
    assert refine(raw, first(Kind.AUTO_REPLY), ENV).away_until is None


@pytest.mark.parametrize(
    "raw", [b"", b"\xff\xfe\x00garbage", b"Content-Type: multipart/report; boundary=\n\n--"]
)
def test_unusable_bytes_never_raise(raw: bytes) -> None:
    for kind in (Kind.BOUNCE, Kind.AUTO_REPLY):
        done = refine(raw, first(kind), ENV)
        assert done.kind is kind
        assert not done.needs_body


def test_the_body_text_is_the_plain_part_else_the_html_without_tags() -> None:
    plain = b"Content-Type: text/plain\n\nHello Jane\n"
    assert message_body(plain).text.strip() == "Hello Jane"
    html = b"Content-Type: text/html\n\n<p>Hello&nbsp;<b>Jane</b></p><style>p{}</style>\n"
    assert message_body(html).text.split() == ["Hello", "Jane"]
    assert message_body(html, html_fallback=False).text == ""
    assert len(message_body(b"Content-Type: text/plain\n\n" + b"x" * 50, limit=10).text) == 10
