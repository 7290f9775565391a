"""render: subjects, threading headers, encoding of Georgian/Thai, header-injection safety."""

from __future__ import annotations

import email
import email.policy
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage, MIMEPart
from pathlib import Path

import pytest

from ghostwatch.core.domain import (
    AccountState,
    Action,
    ClientState,
    Deadline,
    Decision,
    Invoice,
    LadderKind,
    Rules,
    SendWindow,
    ThreadRef,
)
from ghostwatch.core.render import (
    MAX_REFERENCES,
    NUDGE_HEADER,
    make_message_id,
    render_nudge,
    reply_subject,
    sanitize_header,
    template_context,
)
from ghostwatch.core.templates import TemplateSet
from ghostwatch.errors import TemplateError

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
MSG_ID = "<gw.0123456789abcdef0123456789abcdef@studio.example>"
RULES = Rules(
    timezone="Asia/Bangkok",
    ladder=(),
    give_up_after=timedelta(days=7),
    send_window=SendWindow(time(9), time(17)),
    business_days=True,
    holidays_country="",
    invoice_ladder=(),
    deadline_ladder=(),
)
THREAD = ThreadRef(
    message_id="<orig-3@acme.example>",
    references=("<orig-1@acme.example>", "<orig-2@acme.example>"),
    subject="RE: Re[2]: Logo drafts",
    to_addr="jane@acme.example",
    sent_at=datetime(2026, 11, 14, 20, 0, tzinfo=UTC),  # 15 Nov in Bangkok
)
CLIENT = ClientState(name="Acme Ltd", account="studio", rules=RULES, first_name="Jane")
ACCOUNT = AccountState(
    name="studio",
    address="nino@studio.example",
    display_name="Nino Beridze",
    timezone="Asia/Tbilisi",
    paused=False,
    last_sync_at=NOW,
    max_sync_age=timedelta(minutes=15),
    max_nudges_per_day=20,
)
DECISION = Decision(
    client="Acme Ltd",
    account="studio",
    action=Action.SEND,
    ladder="silence",
    kind=LadderKind.SILENCE,
    anchor="<orig-3@acme.example>",
    step=1,
    template="check_in",
    at=NOW,
    reason="8 days",
    to_addr="jane@acme.example",
    thread=THREAD,
)
TEMPLATES = TemplateSet(None)


def render(
    decision: Decision = DECISION,
    client: ClientState = CLIENT,
    account: AccountState = ACCOUNT,
    templates: TemplateSet = TEMPLATES,
) -> EmailMessage:
    return render_nudge(decision, client, account, templates, message_id=MSG_ID, now=NOW)


def round_trip(msg: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def text_of(part: MIMEPart | None) -> str:
    """Decoded text with line ends normalised (on the wire text is CRLF, RFC 2045)."""
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Logo drafts", "Re: Logo drafts"),
        ("Re: Logo drafts", "Re: Logo drafts"),
        ("Re: RE: Re[3]: x", "Re: x"),
        ("RE : re:Re(2): x", "Re: x"),
        ("AW: SV: Vs: Antw: Odp: x", "Re: x"),
        ("Fwd: x", "Re: Fwd: x"),
        ("Re: Fwd: Re: x", "Re: Fwd: Re: x"),
        ("Regarding the logo", "Re: Regarding the logo"),
        ("Re:", "Re:"),
        ("", "Re:"),
        ("   ", "Re:"),
        ("Re: ლოგოს დიზაინი", "Re: ლოგოს დიზაინი"),
        ("Re: line\r\nBcc: evil@x", "Re: line Bcc: evil@x"),
    ],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_threading_headers() -> None:
    msg = round_trip(render())
    assert msg["In-Reply-To"] == "<orig-3@acme.example>"
    assert msg["References"].split() == [
        "<orig-1@acme.example>",
        "<orig-2@acme.example>",
        "<orig-3@acme.example>",
    ]
    assert msg["Subject"] == "Re: Logo drafts"
    assert msg["To"] == "jane@acme.example"
    assert msg["From"] == "Nino Beridze <nino@studio.example>"
    assert msg["Message-ID"] == MSG_ID
    assert msg["Date"].datetime == NOW
    assert msg["Date"].datetime.utcoffset() == timedelta(hours=4)  # account's zone
    assert msg["MIME-Version"] == "1.0"
    assert msg[NUDGE_HEADER].startswith("silence; step=1; slots=")
    assert "Auto-Submitted" not in msg
    body = text_of(msg)
    assert body.startswith("Hi Jane,\n")  # the template's Subject line is not in the body
    assert '"Logo drafts"' in body
    assert "15 November 2026" in body  # the client's time zone


def test_references_deduplicated_bounded_and_never_encoded() -> None:
    long_id = "<" + "a" * 90 + "@very-long-domain.acme.example>"
    refs = (
        "<root@acme.example>",
        *(f"<r{i}@acme.example>" for i in range(40)),
        "<r5@acme.example>",
        "not an id",
        long_id,
    )
    thread = replace(THREAD, message_id=long_id, references=refs)
    msg = render(replace(DECISION, thread=thread))
    raw = msg.as_bytes()
    headers = raw.split(b"\r\n\r\n")[0].decode("ascii")
    threading = re.findall(r"^(?:References|In-Reply-To):.*(?:\r\n[ \t].*)*", headers, re.M)
    assert len(threading) == 2
    assert all("=?" not in h for h in threading)  # ids are never RFC 2047 encoded
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    ids = round_trip(msg)["References"].split()
    assert len(ids) == MAX_REFERENCES
    assert ids[0] == "<root@acme.example>"
    assert ids[-1] == long_id
    assert len(set(ids)) == len(ids)
    assert round_trip(msg)["In-Reply-To"] == long_id


@pytest.mark.parametrize(
    ("display_name", "first_name", "subject", "language"),
    [
        ("ნინო ბერიძე", "გიორგი", "ლოგოს დიზაინი — მეორე ვერსია", "ka"),
        ("นีน่า สตูดิโอ", "สมชาย", "ร่างโลโก้ ฉบับที่สอง", "th"),
    ],
)
def test_unicode_names_and_subjects_survive_a_round_trip(
    display_name: str, first_name: str, subject: str, language: str
) -> None:
    client = replace(CLIENT, first_name=first_name, language=language)
    account = replace(ACCOUNT, display_name=display_name)
    decision = replace(DECISION, thread=replace(THREAD, subject=f"Re: {subject}"))
    msg = render(decision, client, account)
    raw = msg.as_bytes()
    assert raw.isascii()  # RFC 2047 headers, base64/QP body: no 8BITMIME needed
    parsed = round_trip(msg)
    assert parsed["Subject"] == f"Re: {subject}"
    assert parsed["From"].addresses[0].display_name == display_name
    assert parsed["From"].addresses[0].addr_spec == "nino@studio.example"
    body = text_of(parsed)
    assert first_name in body and display_name in body and subject in body
    assert parsed.get_content_charset() == "utf-8"


@pytest.mark.parametrize(
    "hostile",
    [
        "Acme\r\nBcc: evil@x",
        "Acme\nBcc: evil@x",
        "Acme\rBcc: evil@x",
        "Acme\u2028Bcc: evil@x",
        "Acme\x85Bcc: evil@x",
        "Acme\x00\tBcc: evil@x",
    ],
)
def test_header_injection_is_neutralised(hostile: str) -> None:
    account = replace(ACCOUNT, display_name=hostile)
    thread = replace(THREAD, subject=hostile, message_id="<a@b>\r\nBcc: evil@x")
    decision = replace(DECISION, thread=thread, ladder=hostile)
    msg = render(decision, replace(CLIENT, first_name=hostile), account)
    raw = msg.as_bytes()
    header_block = raw.split(b"\r\n\r\n")[0]
    assert not re.search(rb"^Bcc:", header_block, re.MULTILINE | re.IGNORECASE)
    parsed = round_trip(msg)
    assert "Bcc" not in parsed
    assert parsed["From"].addresses[0].addr_spec == "nino@studio.example"
    assert [a.addr_spec for a in parsed["To"].addresses] == ["jane@acme.example"]
    assert "In-Reply-To" not in parsed  # an invalid id is dropped, never passed through
    for line in text_of(parsed).splitlines():
        assert not line.startswith("Bcc:")  # names are single-line in the body too


def test_hostile_recipient_is_refused() -> None:
    with pytest.raises(ValueError, match="recipient"):
        render(replace(DECISION, to_addr="jane@acme.example\r\nBcc: evil@x"))


def test_message_id_used_verbatim_and_validated() -> None:
    assert render()["Message-ID"] == MSG_ID
    with pytest.raises(ValueError, match="Message-ID"):
        render_nudge(DECISION, CLIENT, ACCOUNT, TEMPLATES, message_id="<x@y>\r\nBcc: e@x", now=NOW)


def test_make_message_id() -> None:
    assert make_message_id("Studio.example", "abc123") == "<gw.abc123@studio.example>"
    with pytest.raises(ValueError, match="token"):
        make_message_id("studio.example", "a>b")
    with pytest.raises(ValueError, match="domain"):
        make_message_id("studio.example>\r\n", "abc")


def test_html_alternative_when_the_template_has_one(tmp_path: Path) -> None:
    (tmp_path / "check_in.txt").write_text("Subject: ignored\nHi {{ client.first_name }}\n")
    (tmp_path / "check_in.html").write_text("<p>Hi {{ client.first_name }}</p>\n")
    client = replace(CLIENT, first_name="Jane & <Co>")
    msg = round_trip(render(client=client, templates=TemplateSet(tmp_path)))
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text_of(plain) == "Hi Jane & <Co>\n"
    assert text_of(html) == "<p>Hi Jane &amp; &lt;Co&gt;</p>\n"
    assert msg["Subject"] == "Re: Logo drafts"  # threads win over the template's subject


def test_plain_only_without_html() -> None:
    msg = round_trip(render())
    assert msg.get_content_type() == "text/plain"
    assert not msg.is_multipart()


INVOICE = Invoice(key="invoice:INV-7", number="INV-7", amount="800 GEL", due=date(2026, 11, 1))


def test_threadless_invoice_nudge_takes_the_template_subject() -> None:
    decision = replace(
        DECISION,
        ladder="invoice:INV-7",
        kind=LadderKind.INVOICE,
        template="payment_reminder",
        thread=None,
        invoice=INVOICE,
        step=2,
    )
    msg = round_trip(render(decision, replace(CLIENT, language="ka")))
    assert msg["Subject"] == "ინვოისი INV-7"
    assert "In-Reply-To" not in msg and "References" not in msg
    assert msg[NUDGE_HEADER].startswith("invoice:INV-7; step=2; slots=")
    body = text_of(msg)
    assert "1 ნოემბერი 2026" in body and "800 GEL" in body
    assert not body.startswith("Subject:")


def test_threadless_without_subject_line_falls_back(tmp_path: Path) -> None:
    (tmp_path / "nudge.txt").write_text("Hello\n")
    decision = replace(DECISION, template="nudge", thread=None, invoice=INVOICE)
    assert render(decision, templates=TemplateSet(tmp_path))["Subject"] == "Invoice INV-7"


def test_template_context() -> None:
    deadline = Deadline(key="deadline:logo", what="logo feedback", due=date(2026, 11, 20))
    decision = replace(DECISION, deadline=deadline, step=2)
    ctx = template_context(decision, replace(CLIENT, language="th"), ACCOUNT, NOW)
    assert ctx["client"] == {"name": "Acme Ltd", "first_name": "Jane"}
    assert ctx["account"] == {"display_name": "Nino Beridze", "address": "nino@studio.example"}
    assert ctx["thread"]["subject"] == "Logo drafts"
    assert str(ctx["thread"]["last_sent_at"]) == "15 พฤศจิกายน 2569"
    assert ctx["days_silent"] == 8
    assert ctx["step"] == 2
    assert ctx["invoice"] is None
    assert str(ctx["deadline"]["due"]) == "20 พฤศจิกายน 2569"
    assert ctx["deadline"]["days_overdue"] == 3
    # no first name known: empty, so the template greets neutrally -- never the company
    no_first = template_context(DECISION, replace(CLIENT, first_name=""), ACCOUNT, NOW)
    assert no_first["client"]["first_name"] == ""


def test_template_errors_surface_as_template_error(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_text("{{ nope }}\n")
    with pytest.raises(TemplateError, match="nope"):
        render(replace(DECISION, template="bad"), templates=TemplateSet(tmp_path))
    with pytest.raises(ValueError, match="no template"):
        render(replace(DECISION, template=None))


def test_sanitize_header() -> None:
    assert sanitize_header(" a\r\n\tb\u2029c  d ") == "a b c d"


def test_render_is_pure() -> None:
    """render (and templates, which it imports) pulls in no I/O library."""
    code = (
        "import sys, ghostwatch.core.render; "
        "print([m for m in ('asyncio', 'aiosmtplib', 'imapclient', 'sqlmodel', 'structlog') "
        "if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_nudge_header_carries_every_slot_and_reads_back() -> None:
    from email.parser import BytesHeaderParser

    from ghostwatch.core.render import is_own_message_id, parse_nudge_header

    other = replace(DECISION, ladder="deadline:ლოგოს ესკიზები", anchor="2026-11-03", step=2)
    decision = replace(DECISION, covers=(other,))
    raw = render(decision).as_bytes()
    header = BytesHeaderParser().parsebytes(raw)["X-Ghostwatch-Nudge"]
    assert parse_nudge_header(str(header), None) == (
        "check_in",
        [("silence", "<orig-3@acme.example>", 1), ("deadline:ლოგოს ესკიზები", "2026-11-03", 2)],
    )
    # a header from before slots= still gives the silence slot it answered
    assert parse_nudge_header("silence; step=2", "<m1@x>") == ("", [("silence", "<m1@x>", 2)])
    assert parse_nudge_header("invoice:INV-1; step=1", "<m1@x>") is None
    assert is_own_message_id(MSG_ID) and not is_own_message_id("<gw.nothex@x>")


@pytest.mark.parametrize(
    ("to_addr", "addr_spec"),
    [
        ('"jane doe"@acme.example', '"jane doe"@acme.example'),  # quoted local part
        ("giorgi@დიზაინი.გე", "giorgi@xn--lodfjhca1a.xn--node"),  # IDNA A-labels
        ("<jane@acme.example>", "jane@acme.example"),
    ],
)
def test_every_legal_ascii_recipient_renders_as_ascii(to_addr: str, addr_spec: str) -> None:
    msg = render(replace(DECISION, to_addr=to_addr))
    head = msg.as_bytes().split(b"\r\n\r\n")[0]
    assert head.isascii() and b"=?" not in head.split(b"\r\nTo: ")[1].split(b"\r\n")[0]
    assert [a.addr_spec for a in round_trip(msg)["To"].addresses] == [addr_spec]


def test_a_utf8_local_part_renders_as_utf8_never_as_an_encoded_word() -> None:
    msg = render(replace(DECISION, to_addr="жанна@acme.example"))
    raw = msg.as_bytes()
    assert "To: жанна@acme.example\r\n".encode() in raw  # RFC 6532, needs SMTPUTF8
    assert b"=?utf-8?b?0LbQsNC90L3QsA==?=" not in raw


@pytest.mark.parametrize("what", ["logo\r\nBcc: evil@example.com", "\r\n\x00", "\u2028"])
def test_the_fallback_subject_is_single_line_and_never_empty(what: str, tmp_path: Path) -> None:
    (tmp_path / "deadline_reminder.txt").write_text("Hi,\n\nstill waiting.\n", encoding="utf-8")
    deadline = Deadline("deadline:x", what, date(2026, 11, 20))
    decision = replace(
        DECISION,
        thread=None,
        template="deadline_reminder",
        deadline=deadline,
        kind=LadderKind.DEADLINE,
    )
    msg = render(decision, templates=TemplateSet(tmp_path))
    subject = str(msg["Subject"])
    assert subject and "\r" not in subject and "\n" not in subject and "\u2028" not in subject
    head = msg.as_bytes().split(b"\r\n\r\n")[0].decode()
    assert not any(line.lower().startswith("bcc:") for line in head.split("\r\n"))
