"""classify: header parsing, direction, client matching, kind (bounce first), body refinement."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghostwatch.core.domain import Classification, ClientMatcher, Direction, FolderRole, Kind
from ghostwatch.core.mail.classify import (
    HEADER_FIELDS,
    classify,
    classify_body,
    match_client,
    parse_headers,
)

ME = frozenset({"nino@studio.example"})
ACME = ClientMatcher("Acme", frozenset({"jane@acme.example"}), frozenset({"acme.example"}))
GLOBEX = ClientMatcher("Globex", frozenset({"Bob+Work@Globex.example"}), frozenset())
SUB = ClientMatcher("Acme UK", frozenset(), frozenset({"uk.acme.example"}))
GEO = ClientMatcher("Geo", frozenset(), frozenset({"ბიზნესი.გე"}))
CLIENTS = (ACME, GLOBEX, SUB, GEO)


def msg(*lines: str, body: str = "") -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def run(raw: bytes, role: FolderRole = FolderRole.INBOX) -> Classification:
    env = parse_headers(raw)
    return classify(env, role=role, account_addresses=ME, clients=CLIENTS)


def b64(text: str) -> str:
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


# --- direction ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frm", "to", "role", "direction", "client", "counterpart"),
    [
        (
            "jane@acme.example",
            "nino@studio.example",
            FolderRole.INBOX,
            Direction.INBOUND,
            "Acme",
            "jane@acme.example",
        ),
        (
            "nino@studio.example",
            "jane@acme.example",
            FolderRole.SENT,
            Direction.OUTBOUND,
            "Acme",
            "jane@acme.example",
        ),
        (
            "nino+x@studio.example",
            "jane@acme.example",
            FolderRole.SENT,
            Direction.OUTBOUND,
            "Acme",
            "jane@acme.example",
        ),
        (
            "Nino@Studio.Example",
            "x@other.example, jane@acme.example",
            FolderRole.ALL,
            Direction.OUTBOUND,
            "Acme",
            "jane@acme.example",
        ),
        # BCC to self lands in INBOX: still our own message
        (
            "nino@studio.example",
            "jane@acme.example",
            FolderRole.INBOX,
            Direction.OUTBOUND,
            "Acme",
            "jane@acme.example",
        ),
        (
            "nino@studio.example",
            "friend@other.example",
            FolderRole.SENT,
            Direction.UNRELATED,
            None,
            None,
        ),
        # someone else's message in Sent is never a client reply
        (
            "jane@acme.example",
            "nino@studio.example",
            FolderRole.SENT,
            Direction.UNRELATED,
            None,
            None,
        ),
        (
            "jane@acme.example",
            "nino@studio.example",
            FolderRole.ALL,
            Direction.INBOUND,
            "Acme",
            "jane@acme.example",
        ),
        (
            "stranger@else.example",
            "nino@studio.example",
            FolderRole.INBOX,
            Direction.UNRELATED,
            None,
            None,
        ),
        (
            "jane@acme.example",
            "nino@studio.example",
            FolderRole.DRAFTS,
            Direction.UNRELATED,
            None,
            None,
        ),
        (
            "nino@studio.example",
            "jane@acme.example",
            FolderRole.DRAFTS,
            Direction.UNRELATED,
            None,
            None,
        ),
    ],
)
def test_direction(frm, to, role, direction, client, counterpart):
    c = run(msg(f"From: {frm}", f"To: {to}", "Subject: hi"), role)
    assert (c.direction, c.client, c.counterpart) == (direction, client, counterpart)
    assert c.kind is Kind.HUMAN


def test_outbound_counterpart_from_cc():
    c = run(msg("From: nino@studio.example", "To: x@other.example", "Cc: Jane <jane@acme.example>"))
    assert (c.direction, c.counterpart) == (Direction.OUTBOUND, "jane@acme.example")


@pytest.mark.parametrize(
    ("address", "client"),
    [
        ("jane@acme.example", "Acme"),
        ("JANE@ACME.EXAMPLE", "Acme"),
        ("jane+proj@acme.example", "Acme"),
        ("<jane@acme.example>", "Acme"),
        ("anyone@acme.example", "Acme"),
        ("ops@eu.acme.example", "Acme"),  # subdomains belong to the domain
        ("ops@uk.acme.example", "Acme UK"),  # the most specific domain wins
        ("bob@globex.example", "Globex"),  # configured with +tag, matches without
        ("bob+other@globex.example", "Globex"),
        ("alice@globex.example", None),
        ("x@notacme.example", None),
        ("x@acme.example.evil", None),
        ("nino@ბიზნესი.გე", "Geo"),
        ("nino@xn--90aedb4ahmp.xn--node", "Geo"),
        ("", None),
        ("not-an-address", None),
        ("@acme.example", "Acme"),
    ],
)
def test_match_client(address, client):
    if address == "nino@xn--90aedb4ahmp.xn--node":
        address = "nino@" + "ბიზნესი.გე".encode("idna").decode()
    if address == "@acme.example":
        client = None  # no local part: not an address
    assert match_client(address, CLIENTS) == client


def test_match_client_exact_email_beats_domain():
    other = ClientMatcher("Jane Personal", frozenset({"jane@acme.example"}), frozenset())
    only_domain = ClientMatcher("Acme", frozenset(), frozenset({"acme.example"}))
    assert match_client("jane@acme.example", [only_domain, other]) == "Jane Personal"


# --- kinds ------------------------------------------------------------------------------

BASE = (
    "From: Jane <jane@acme.example>",
    "To: nino@studio.example",
    "Date: Fri, 20 Nov 2026 09:00:00 +0000",
)


@pytest.mark.parametrize(
    ("extra", "kind"),
    [
        (("Subject: Re: offer",), Kind.HUMAN),
        (("Subject: hi", "Auto-Submitted: auto-replied"), Kind.AUTO_REPLY),
        (("Subject: hi", "Auto-Submitted: auto-generated"), Kind.AUTO_REPLY),
        (("Subject: hi", "Auto-Submitted: no"), Kind.HUMAN),
        (("Subject: hi", "X-Autoreply: yes"), Kind.AUTO_REPLY),
        (("Subject: hi", "X-Autorespond: Vacation"), Kind.AUTO_REPLY),
        (("Subject: hi", "Precedence: auto_reply"), Kind.AUTO_REPLY),
        (("Subject: hi", "Return-Path: <>"), Kind.AUTO_REPLY),
        (
            ("Subject: hi", "X-Auto-Response-Suppress: All"),
            Kind.HUMAN,
        ),  # Exchange stamps humans too
        (
            (
                "Subject: hi",
                "X-Auto-Response-Suppress: All",
                "X-MS-Exchange-Inbox-Rules-Loop: jane@acme.example",
            ),
            Kind.AUTO_REPLY,
        ),
        (("Subject: hi", "X-MS-Exchange-Inbox-Rules-Loop: jane@acme.example"), Kind.HUMAN),
        (("Subject: news", "List-Id: <news.acme.example>"), Kind.BULK),
        (("Subject: news", "Precedence: bulk"), Kind.BULK),
        (("Subject: news", "Precedence: list"), Kind.BULK),
        (("Subject: news", "Precedence: junk"), Kind.BULK),
        (("Subject: news", "List-Unsubscribe: <mailto:u@acme.example>"), Kind.HUMAN),
        (
            ("Subject: news", "List-Unsubscribe: <mailto:u@acme.example>", "Precedence: bulk"),
            Kind.BULK,
        ),
        (
            (
                "Subject: Read: offer",
                "Content-Type: multipart/report; report-type=disposition-notification; boundary=x",
            ),
            Kind.AUTO_REPLY,
        ),
        (
            (
                "Subject: spam",
                "Content-Type: multipart/report; report-type=feedback-report; boundary=x",
            ),
            Kind.BULK,
        ),
        (
            (
                "Subject: Delivery Status Notification (Failure)",
                "Content-Type: multipart/report; report-type=delivery-status; boundary=x",
            ),
            Kind.BOUNCE,
        ),
        (("Subject: x", "X-Failed-Recipients: a@b.example"), Kind.BOUNCE),
        # bounces first: a DSN carrying Auto-Submitted is still a bounce
        (
            (
                "Subject: Undelivered Mail Returned to Sender",
                "Auto-Submitted: auto-replied",
                "Content-Type: multipart/report; report-type=delivery-status; boundary=x",
            ),
            Kind.BOUNCE,
        ),
        (("Subject: Undeliverable: offer", "Return-Path: <>"), Kind.BOUNCE),
        (("Subject: Undeliverable: offer",), Kind.HUMAN),  # a person may forward or quote it
    ],
)
def test_kind_signals(extra, kind):
    assert run(msg(*BASE, *extra)).kind is kind


@pytest.mark.parametrize(
    "frm",
    [
        "MAILER-DAEMON@mx.example",
        "postmaster@acme.example",
        "Mail Delivery Subsystem <x@mx.example>",
        "MAILER-DAEMON <>",
    ],
)
def test_system_senders_are_bounces(frm):
    c = run(msg(f"From: {frm}", "To: nino@studio.example", "Subject: failure notice"))
    assert c.kind is Kind.BOUNCE
    assert c.needs_body


@pytest.mark.parametrize(
    ("subject", "kind"),
    [
        ("Automatic reply: offer", Kind.AUTO_REPLY),
        ("Auto: offer", Kind.AUTO_REPLY),
        ("Autoreply: offer", Kind.AUTO_REPLY),
        ("Out of Office: offer", Kind.AUTO_REPLY),
        ("Out of the office", Kind.AUTO_REPLY),
        ("[Auto-Reply] offer", Kind.AUTO_REPLY),
        ("Abwesenheitsnotiz: Angebot", Kind.AUTO_REPLY),
        ("Automatische Antwort: Angebot", Kind.AUTO_REPLY),
        ("Réponse automatique : offre", Kind.AUTO_REPLY),
        ("Respuesta automática: oferta", Kind.AUTO_REPLY),
        ("Fuera de la oficina: oferta", Kind.AUTO_REPLY),
        ("Risposta automatica: offerta", Kind.AUTO_REPLY),
        ("Fuori sede: offerta", Kind.AUTO_REPLY),
        ("Resposta automática: oferta", Kind.AUTO_REPLY),
        ("Automatisch antwoord: offerte", Kind.AUTO_REPLY),
        ("Automatyczna odpowiedź: oferta", Kind.AUTO_REPLY),
        ("Automatiskt svar: offert", Kind.AUTO_REPLY),
        ("Automatisk svar: tilbud", Kind.AUTO_REPLY),
        ("Automaattinen vastaus: tarjous", Kind.AUTO_REPLY),
        ("Automatická odpověď: nabídka", Kind.AUTO_REPLY),
        ("Автоответ: предложение", Kind.AUTO_REPLY),
        ("Автоматический ответ: предложение", Kind.AUTO_REPLY),
        ("Автовідповідь: пропозиція", Kind.AUTO_REPLY),
        ("ავტომატური პასუხი: შეთავაზება", Kind.AUTO_REPLY),
        ("ตอบกลับอัตโนมัติ: ข้อเสนอ", Kind.AUTO_REPLY),
        ("自動応答: ご提案", Kind.AUTO_REPLY),
        ("自动回复：报价", Kind.AUTO_REPLY),
        ("【自動回覆】報價", Kind.AUTO_REPLY),
        ("자동 응답: 제안", Kind.AUTO_REPLY),
        ("Otomatik yanıt: teklif", Kind.AUTO_REPLY),
        ("Αυτόματη απάντηση: προσφορά", Kind.AUTO_REPLY),
        ("מענה אוטומטי: הצעה", Kind.AUTO_REPLY),
        ("رد تلقائي: عرض", Kind.AUTO_REPLY),
        ("Away", Kind.AUTO_REPLY),
        ("Away until May 5", Kind.AUTO_REPLY),
        ("Absence: Re: offre", Kind.AUTO_REPLY),
        ("Ausente: RE: oferta", Kind.AUTO_REPLY),
        ("不在", Kind.AUTO_REPLY),
        # humans: a prefix must be followed by ":" (or be the whole subject); weak words
        # ("vacation", "absence") need a quoted "Re:" after them
        ("Re: Out of office party plans?", Kind.HUMAN),
        ("Out of office party plans?", Kind.HUMAN),
        ("Re: vacation photos", Kind.HUMAN),
        ("Vacation: photos from Bali", Kind.HUMAN),
        ("Away game tickets", Kind.HUMAN),
        ("Auto", Kind.HUMAN),
        ("Automobile quote", Kind.HUMAN),
        ("Absence of data in the report", Kind.HUMAN),
        ("Re: Automatic reply: offer", Kind.HUMAN),
    ],
)
def test_localized_subjects(subject, kind):
    raw = msg(*BASE, "Subject: " + b64(subject))
    assert run(raw).kind is kind


def test_auto_reply_date_from_subject_needs_no_body():
    c = run(
        msg(*BASE, "Subject: Out of office: back on 3 December", "Auto-Submitted: auto-replied")
    )
    assert (c.kind, c.away_until, c.needs_body) == (Kind.AUTO_REPLY, date(2026, 12, 3), False)


def test_client_auto_reply_without_date_needs_body():
    c = run(msg(*BASE, "Subject: Automatic reply: offer"))
    assert c.needs_body and c.direction is Direction.INBOUND


def test_bounce_names_client_from_failed_recipients():
    raw = msg("From: Mail Delivery System <MAILER-DAEMON@mx.example>", "To: nino@studio.example",
              "Subject: Mail delivery failed",
              "X-Failed-Recipients: jane@acme.example")  # fmt: skip
    c = run(raw)
    assert (c.kind, c.client, c.counterpart, c.bounced) == (
        Kind.BOUNCE,
        "Acme",
        "jane@acme.example",
        ("jane@acme.example",),
    )


# --- parsing --------------------------------------------------------------------------


def test_parse_headers_fields():
    env = parse_headers(msg(
        "Message-ID: <a1@acme.example>", "Date: Fri, 20 Nov 2026 13:00:00 +0400",
        "From: =?UTF-8?B?4YOc4YOY4YOc4YOd?= <Jane+X@Acme.Example>",
        "To: a@x.example, \"Doe, John\" <b@x.example>", "Cc: c@x.example",
        "Subject: Re: hello", "In-Reply-To: <z@studio.example>",
        "References: <y@studio.example>\r\n <z@studio.example>", "Auto-Submitted: no",
    ))  # fmt: skip
    assert env.message_id == "<a1@acme.example>"
    assert env.date == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert (env.from_addr, env.from_name) == ("jane+x@acme.example", "ნინო")
    assert env.to == ("a@x.example", "b@x.example")
    assert env.cc == ("c@x.example",)
    assert env.in_reply_to == "<z@studio.example>"
    assert env.references == ("<y@studio.example>", "<z@studio.example>")
    assert env.headers["auto-submitted"] == "no"


@pytest.mark.parametrize(
    "text",
    [
        "გამარჯობა, როგორ ხარ? ეს არის გრძელი ქართული სათაური პროექტის შესახებ",
        "สวัสดีครับ ใบแจ้งหนี้เดือนธันวาคม ตอบกลับด่วน",
        "Ünïcödé ✓",
    ],
)
def test_rfc2047_georgian_thai_intact(text):
    data = text.encode()
    # split mid-character across encoded words, as some mailers do
    words = [
        f"=?utf-8?B?{base64.b64encode(data[i : i + 7]).decode()}?=" for i in range(0, len(data), 7)
    ]
    env = parse_headers(msg(f"Subject: {' '.join(words)}", f"From: {b64(text)} <a@b.example>"))
    assert env.subject == text
    assert env.from_name == text


def test_mixed_encoded_and_plain_subject():
    env = parse_headers(msg("Subject: Re: =?utf-8?q?caf=C3=A9?= =?utf-8?q?_time?= ok"))
    assert env.subject == "Re: café time ok"


def test_eight_bit_utf8_header():
    env = parse_headers("Subject: ინვოისი\r\nFrom: ნინო <n@x.example>\r\n\r\n".encode())
    assert (env.subject, env.from_name, env.from_addr) == ("ინვოისი", "ნინო", "n@x.example")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\r\n\r\n",
        b"Subject: no date\r\n\r\n",
        b"Date: not a date\r\nFrom: a@b.example\r\n\r\n",
        b"Date: Fri, 99 Foo 99999 99:99:99 +9999\r\n\r\n",
        b"Subject: =?bogus-charset?Q?caf=E9?=\r\n\r\n",
        b"Subject: =?utf-8?B?!!!notbase64?=\r\n\r\n",
        b"Subject: \xff\xfe\xe9t\xe9\r\nFrom: \xff <x@y>\r\n\r\n",
        b'From: \r\nTo: ,,,<<>>@@\r\nCc: "unterminated\r\n\r\n',
        b"Subject: " + b"x" * 100_000 + b"\r\nTo: " + b"a@b.example, " * 8000 + b"\r\n\r\n",
        b"not a header at all",
        b"\x00\x01\x02",
    ],
)
def test_malformed_headers_do_not_raise(raw):
    env = parse_headers(raw)
    c = classify(env, role=FolderRole.INBOX, account_addresses=ME, clients=CLIENTS)
    assert isinstance(c, Classification)
    assert env.date is None or env.date.tzinfo is UTC


def test_broken_charset_gives_replacement_chars():
    env = parse_headers(b"Subject: =?utf-8?B?" + base64.b64encode(b"ok \xff\xfe") + b"?=\r\n\r\n")
    assert env.subject.startswith("ok ") and "\ufffd" in env.subject


def test_no_message_id_and_bare_message_id():
    assert parse_headers(b"Subject: x\r\n\r\n").message_id is None
    assert parse_headers(b"Message-ID: abc@x\r\n\r\n").message_id == "<abc@x>"


def test_date_without_zone_is_utc():
    env = parse_headers(b"Date: Fri, 20 Nov 2026 09:00:00 -0000\r\n\r\n")
    assert env.date == datetime(2026, 11, 20, 9, tzinfo=UTC)


def test_header_fields_cover_classification():
    names = {f.lower() for f in HEADER_FIELDS}
    for needed in (b"auto-submitted", b"x-autoreply", b"x-autorespond", b"precedence",
                   b"x-auto-response-suppress", b"x-ms-exchange-inbox-rules-loop",
                   b"return-path", b"list-id", b"list-unsubscribe", b"content-type",
                   b"x-failed-recipients", b"message-id", b"references",
                   b"in-reply-to"):  # fmt: skip
        assert needed in names


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_never_raises_on_arbitrary_bytes(raw):
    env = parse_headers(raw)
    c = classify(env, role=FolderRole.INBOX, account_addresses=ME, clients=CLIENTS)
    assert classify_body(raw, c, env).needs_body is False


header_line = st.tuples(
    st.sampled_from([f.decode() for f in HEADER_FIELDS] + ["X-Other"]),
    st.text(max_size=80),
).map(lambda kv: f"{kv[0]}: {kv[1]}".encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None)
@given(st.lists(header_line, max_size=12))
def test_never_raises_on_header_shaped_input(lines):
    raw = b"\r\n".join(lines) + b"\r\n\r\n"
    env = parse_headers(raw)
    classify(env, role=FolderRole.ALL, account_addresses=ME, clients=CLIENTS)


# --- classify_body --------------------------------------------------------------------

DSN = """From: Mail Delivery System <MAILER-DAEMON@mx.example>
To: nino@studio.example
Subject: Undelivered Mail Returned to Sender
Date: Fri, 20 Nov 2026 09:00:00 +0000
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Sorry.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example

Final-Recipient: rfc822; jane@acme.example
Action: failed
Status: 5.1.1

Final-Recipient: rfc822; full@acme.example
Action: failed
Status: 5.2.2

Final-Recipient: rfc822; slow@acme.example
Action: delayed
Status: 4.4.1

--B--
"""


def test_dsn_only_permanent_failures_bounce():
    raw = DSN.replace("\n", "\r\n").encode()
    env = parse_headers(raw)
    first = classify(env, role=FolderRole.INBOX, account_addresses=ME, clients=CLIENTS)
    assert first.kind is Kind.BOUNCE and first.needs_body
    c = classify_body(raw, first, env)
    assert (c.kind, c.bounced, c.needs_body) == (Kind.BOUNCE, ("jane@acme.example",), False)


def test_arf_body_is_bulk_and_bounces_nobody():
    raw = (
        b"From: fbl@isp.example\r\nSubject: report\r\n"
        b"Content-Type: multipart/report; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n\r\n--B--\r\n"
    )
    env = parse_headers(raw)
    first = classify(env, role=FolderRole.INBOX, account_addresses=ME, clients=CLIENTS)
    c = classify_body(raw, first, env)
    assert (c.kind, c.bounced) == (Kind.BULK, ())


def test_auto_reply_body_gives_return_date():
    body = "I am out of the office until 3 December 2026.\r\n\r\n> back on 5 Dec"
    headers = ("Subject: Automatic reply: offer", "Content-Type: text/plain; charset=utf-8")
    raw = msg(*BASE, *headers, body=body)
    env = parse_headers(raw)
    first = classify(env, role=FolderRole.INBOX, account_addresses=ME, clients=CLIENTS)
    c = classify_body(raw, first, env)
    assert (c.kind, c.away_until, c.needs_body) == (Kind.AUTO_REPLY, date(2026, 12, 3), False)


@pytest.mark.parametrize(
    "raw", [b"", b"garbage", b"\xff" * 100, b"Content-Type: multipart/report; boundary=\r\n\r\n--"]
)
def test_classify_body_bad_input_returns_first(raw):
    first = Classification(Kind.BOUNCE, Direction.UNRELATED, None, None, "x", needs_body=True)
    env = parse_headers(raw)
    c = classify_body(raw, first, env)
    assert c.kind in (Kind.BOUNCE, Kind.BULK) and c.needs_body is False
