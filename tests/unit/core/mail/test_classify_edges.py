"""The pure ingest core: undecodable headers, unreadable senders, bounce signs weak and
strong, mail-parser bodies, native-digit and Date-less out-of-office dates, message keys.
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime

import pytest

from ghostwatch.core.domain import Classification, ClientMatcher, Direction, FolderRole, Kind
from ghostwatch.core.mail.classify import classify, classify_body, parse_headers, raw_sender
from ghostwatch.core.mail.dsn import message_body
from ghostwatch.core.mail.ooo import parse_return_date
from ghostwatch.core.payments import message_text
from ghostwatch.store.database import message_key

ME = frozenset({"nino@studio.example"})
ACME = ClientMatcher("Acme", frozenset({"jane@acme.example"}), frozenset({"acme.example"}))
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def raw(*lines: str | bytes, body: str | bytes = "") -> bytes:
    parts = [line.encode() if isinstance(line, str) else line for line in lines]
    tail = body.encode() if isinstance(body, str) else body
    return b"\r\n".join(parts) + b"\r\n\r\n" + tail


def full(message: bytes) -> Classification:
    """Headers, then the body when the headers ask for it (what sync does)."""
    env = parse_headers(message, received=T0)
    first = classify(env, role=FolderRole.INBOX, account_addresses=ME, clients=(ACME,))
    return classify_body(message, first, env) if first.needs_body else first


JANE = "From: Jane <jane@acme.example>"
TO_ME = "To: nino@studio.example"


# --- headers never raise -------------------------------------------------------------------


@pytest.mark.parametrize(
    "charset", [b"\x00bogus", b"bo\x00gus", b"base64", b"rot13", b"idna", b"uu", b"x-unknown"]
)
def test_rfc2047_words_in_unusable_charsets_decode_with_replacement(charset: bytes) -> None:
    """``=?\\x00bogus?Q?caf=E9?=`` made ``codecs.lookup`` raise ValueError (embedded
    null character); non-text codecs raise on ``bytes.decode``."""
    message = raw(JANE, TO_ME, b"Subject: =?" + charset + b"?Q?caf=E9?=", "Message-ID: <a@b>")
    env = parse_headers(message)
    assert env.subject == "caf\ufffd"
    c = classify(env, role=FolderRole.INBOX, account_addresses=ME, clients=(ACME,))
    assert (c.kind, c.direction, c.client) == (Kind.HUMAN, Direction.INBOUND, "Acme")


@pytest.mark.parametrize(
    "frm",
    [b'Jane "Doe <jane@acme.example>', b"(Jane <jane@acme.example>",
     b"Jane <jane@acme.example\x00>", b"jane@acme.example\x00garbage"],
)  # fmt: skip
def test_a_client_address_in_an_unreadable_from_field_is_unreadable_contact(frm: bytes) -> None:
    c = full(raw(b"From: " + frm, TO_ME, "Subject: Re: logo"))
    assert (c.kind, c.direction, c.client) == (Kind.UNREADABLE, Direction.INBOUND, "Acme")


def test_an_unreadable_from_field_of_a_stranger_concerns_nobody() -> None:
    c = full(raw(b'From: Bob "x <bob@other.example>', TO_ME, "Subject: hi"))
    assert (c.kind, c.client) == (Kind.HUMAN, None)


def test_raw_sender_reads_from_fields_the_parser_could_not() -> None:
    header = b"Subject: x\r\nFrom: \xff\xfe Jane\r\n <jane@acme.example>\r\n"
    assert raw_sender(header, (ACME,)) == ("Acme", "jane@acme.example")
    assert raw_sender(b"From: bob@other.example\r\n", (ACME,)) is None
    assert raw_sender(b"\x00\xff" * 50, (ACME,)) is None


# --- bounces -----------------------------------------------------------------------------

DSN_LINES = (
    "Final-Recipient: rfc822; bob@other.example\nAction: failed\nStatus: 5.1.1\n"
    "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n"
)


def test_a_forwarded_bounce_is_a_bounce_that_marks_nobody() -> None:
    quoted = "".join(f"> {line}\n" for line in DSN_LINES.splitlines())
    message = raw(JANE, TO_ME, "Subject: Fwd: Returned mail: see transcript for details",
                  body="Forward the message.\n\nBegin forwarded message:\n\n" + quoted)  # fmt: skip
    c = full(message)
    assert (c.kind, c.bounced, c.client) == (Kind.BOUNCE, (), "Acme")


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Delivery failed - can you resend the logo?", "The delivery failed on my side, sorry."),
        ("Re: Undeliverable: Logo drafts", "> " + DSN_LINES.replace("\n", "\n> ")),
        ("Delivery of the logo files", "When is the delivery? Undeliverable parcels..."),
        ("Fwd: Delivery failure", "FYI, my mail to Bob did not arrive. Any idea?"),
        ("Returned mail", "I returned the mail you sent, please check the attachment."),
    ],
)
def test_a_person_mentioning_delivery_stays_human(subject: str, body: str) -> None:
    assert full(raw(JANE, TO_ME, f"Subject: {subject}", body=body)).kind is Kind.HUMAN


def test_a_person_resending_with_the_mail_attached_stays_human() -> None:
    body = (
        "--B\r\nContent-Type: text/plain\r\n\r\nThe delivery failed, here it is again.\r\n"
        "--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: jane@acme.example\r\n"
        "Subject: logo\r\n\r\nhi\r\n--B--\r\n"
    )
    message = raw(JANE, TO_ME, "Subject: Delivery failed: logo", 'Content-Type: multipart/mixed;'
                  ' boundary="B"', body=body)  # fmt: skip
    assert full(message).kind is Kind.HUMAN


def test_a_reply_about_a_bounce_is_not_even_a_suspect() -> None:
    env = parse_headers(raw(JANE, TO_ME, "Subject: Re: Undeliverable: offer"))
    c = classify(env, role=FolderRole.INBOX, account_addresses=ME, clients=(ACME,))
    assert (c.kind, c.needs_body, c.bounce_suspect) == (Kind.HUMAN, False, False)


def test_a_null_return_path_notice_with_the_returned_mail_is_a_bounce() -> None:
    """KDDI-style: no DSN part, no Auto-Submitted, a null Return-Path, the original
    attached. The same headers on an out-of-office stay an auto-reply."""
    body = (
        "--B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "Could not be delivered to: <jane@acme.example>\r\n\r\n"
        "--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: nino@studio.example\r\n"
        "To: jane@acme.example\r\nSubject: logo\r\n\r\nhi\r\n--B--\r\n"
    )
    heads = ("Return-Path: <>", "From: no-reply@mx.acme.example", TO_ME, "Subject: Mail")
    bounce = full(raw(*heads, 'Content-Type: multipart/mixed; boundary="B"', body=body))
    assert bounce.kind is Kind.BOUNCE
    oof = full(raw(*heads[:3], "Subject: Away", body="I am away until 15 December 2026."))
    assert (oof.kind, oof.away_until) == (Kind.AUTO_REPLY, date(2026, 12, 15))


def test_an_amazon_ses_bounce_notice_names_the_permanent_recipient() -> None:
    notice = (
        '{"notificationType":"Bounce","bounce":{"bounceType":"Permanent",'
        '"bouncedRecipients":[{"emailAddress":"jane@acme.example","status":"5.1.1"}]}}'
    )
    heads = ("From: AWS Notifications <no-reply@sns.amazonaws.com>", TO_ME,
             "Subject: AWS Notification Message")  # fmt: skip
    c = full(raw(*heads, body=notice))
    assert (c.kind, c.bounced) == (Kind.BOUNCE, ("jane@acme.example",))
    delivered = full(raw(*heads, body=notice.replace('"Bounce"', '"Delivery"', 1)))
    assert delivered.kind is Kind.BULK


@pytest.mark.parametrize(
    "frm",
    ["ndr@mx.acme.example", "antivirus@gw.acme.example", "MailScanner <scan@acme.example>",
     "mail-gateway@acme.example", "Mail Delivery Subsystem <mds@acme.example>"],
)  # fmt: skip
def test_delivery_systems_and_mail_gateways_are_bounces(frm: str) -> None:
    assert full(raw(f"From: {frm}", TO_ME, "Subject: Returned: logo")).kind is Kind.BOUNCE


def test_a_list_server_returning_a_post_is_a_bounce_but_its_owner_writing_is_not() -> None:
    heads = ("From: neko-admin@lists.example", TO_ME, "Subject: You are not a member")
    assert full(raw(*heads, "X-MLServer: fml [fml 4.0.3]")).kind is Kind.BOUNCE
    assert full(raw(*heads)).kind is Kind.HUMAN


@pytest.mark.parametrize(
    "subject",
    ["Undeliverable: logo", "Delivery Status Notification (Failure)", "Mail delivery failed",
     "Returned mail: User unknown", "Delivery failure", "Unzustellbar: Logo",
     "Non remis : logo", "Onbestelbaar: logo", "Non recapitabile: logo",
     "Недоставленное сообщение"],
)  # fmt: skip
def test_localized_bounce_subjects_from_an_automated_sender(subject: str) -> None:
    encoded = "=?UTF-8?B?" + base64.b64encode(subject.encode()).decode() + "?="
    message = raw("From: gateway@acme.example", TO_ME, f"Subject: {encoded}", "Return-Path: <>")
    assert full(message).kind is Kind.BOUNCE


# --- bodies through mail-parser --------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        (("Content-Type: text/plain; charset=x-bogus",), b"caf\xe9"),
        (('Content-Type: text/plain; charset="\x00"',), b"caf\xe9"),
        (("Content-Type: text/plain", "Content-Transfer-Encoding: base64"), b"!!!not*base64"),
        (("Content-Type: text/plain", "Content-Transfer-Encoding: quoted-printable"), b"=ZZ=\r"),
        (('Content-Type: multipart/mixed; boundary="\x00"',), b"\xff\xfe\x00" * 40),
    ],
)
def test_bodies_decode_with_replacement_and_never_raise(
    headers: tuple[str, ...], body: bytes
) -> None:
    message = raw(JANE, *headers, body=body)
    assert isinstance(message_body(message).text, str)
    assert isinstance(message_text(message), str)


def test_a_body_in_its_declared_charset() -> None:
    message = raw(JANE, "Content-Type: text/plain; charset=windows-1251",
                  body="До 15 декабря".encode("cp1251"))  # fmt: skip
    assert message_text(message) == "До 15 декабря"


# --- out-of-office dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ไม่อยู่จนถึงวันที่ ๓๑ ธันวาคม ๒๕๖๙", date(2026, 12, 31)),
        ("ไม่อยู่จนถึงวันที่ ๓๑/๑๒/๒๕๖๙", date(2026, 12, 31)),
        ("سأعود في ٢٠/١٢/٢٠٢٦", date(2026, 12, 20)),
        ("تا تاریخ ۲۰.۱۲.۲۰۲۶ در مرخصی هستم", date(2026, 12, 20)),
        ("until ２０.１２.２０２６", date(2026, 12, 20)),
        ("๓๑ ธันวาคม ๒๕๖๙", None),  # a bare date is not a return date
    ],
)
def test_native_digit_return_dates(text: str, expected: date | None) -> None:
    assert parse_return_date(text, sent=T0) == expected


def test_a_date_less_auto_reply_reads_its_return_date_against_internaldate() -> None:
    heads = (JANE, TO_ME, "Auto-Submitted: auto-replied")
    in_subject = raw(*heads, "Subject: Out of office until 20 December")
    env = parse_headers(in_subject, received=T0)
    assert env.date is None
    c = classify(env, role=FolderRole.INBOX, account_addresses=ME, clients=(ACME,))
    assert (c.away_until, c.needs_body) == (date(2026, 12, 20), False)
    in_body = raw(*heads, "Subject: Automatic reply", body="ไม่อยู่จนถึงวันที่ ๓๑ ธันวาคม ๒๕๖๙")
    assert full(in_body).away_until == date(2026, 12, 31)
    assert classify(parse_headers(in_subject), role=FolderRole.INBOX, account_addresses=ME,
                    clients=(ACME,)).away_until is None  # fmt: skip


# --- de-duplication key ----------------------------------------------------------------------


def test_message_key_tells_a_reused_message_id_from_a_copy() -> None:
    key = message_key("<a@acme>", "jane@acme.example", T0)
    assert key == message_key("<a@acme>", "Jane@Acme.example", T0.astimezone())  # a copy
    assert key != message_key("<a@acme>", "bob@acme.example", T0)  # another sender
    assert key != message_key("<a@acme>", "jane@acme.example", None)  # another date
    assert message_key(None, "jane@acme.example", T0) is None
