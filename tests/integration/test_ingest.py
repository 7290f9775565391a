"""Mail ingest against a real Dovecot: no client message is ever dropped or mistaken.

- A reply that reuses a stored Message-ID is stored and counts (issue 15 item 3).
- A subject whose RFC 2047 charset holds a NUL is contact (issue 13 item 6).
- A message the classifier cannot read is stored as ``unreadable`` (issue 13 item 6).
- Out-of-office dates in Thai digits, or without a Date header, reach the store
  (issue 15 item 6).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from ghostwatch.adapters.imap import ImapMailbox
from ghostwatch.adapters.imap_session import ImapEndpoint
from ghostwatch.app.sync import sync_account
from ghostwatch.app.sync_context import SyncContext
from ghostwatch.core.domain import ClientMatcher, Envelope, FolderRole
from ghostwatch.core.mail.headers import parse_headers
from ghostwatch.store.database import Store
from tests.support.scenario import ACCOUNT, Scenario, client_toml, mail

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday: our message to Acme
DAY = timedelta(days=1)
ACME = client_toml("Acme Ltd", ["jane@acme.example"], ["acme.example"])
ACME_MATCHER = ClientMatcher("Acme Ltd", ("jane@acme.example",), ("acme.example",))
FOLDERS = {FolderRole.INBOX: "INBOX", FolderRole.SENT: "Sent"}


def ours(imap: Any, at: datetime = T0) -> None:
    raw = mail(ACCOUNT, "jane@acme.example", "Logo drafts", message_id="<m1@studio>", date=at)
    imap.append("Sent", raw, internal_date=at)


def theirs(imap: Any, at: datetime, mid: str, subject: str = "Re: Logo drafts") -> None:
    raw = mail("Jane <jane@acme.example>", ACCOUNT, subject, message_id=mid, date=at,
               in_reply_to="<m1@studio>")  # fmt: skip
    imap.append("INBOX", raw, internal_date=at)


def nudges(smtp: Any) -> list[Any]:
    return [m for m in smtp.messages if m.rcpt_tos != [ACCOUNT]]


def rows(scenario: Scenario, columns: str) -> list[tuple[Any, ...]]:
    with scenario.db() as db:
        return db.execute(f"SELECT {columns} FROM message ORDER BY id").fetchall()  # noqa: S608


def endpoint(imap_server: Any) -> ImapEndpoint:
    return ImapEndpoint(
        host=imap_server.host, port=imap_server.port, security="none",
        username=imap_server.user, password=lambda: imap_server.password,
    )  # fmt: skip


# --- Message-ID reuse ------------------------------------------------------------------


def test_a_reply_reusing_an_old_message_id_is_contact_and_stops_the_nudge(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    """Jane wrote <old@acme> before our message; her reply two days after it comes
    from a mailer that reuses that Message-ID. It must count: no check-in on day 7.
    (Guard: with de-duplication by Message-ID alone the reply is dropped and the
    check-in goes out -- checked by removing the sender and Date from message_key.)"""
    scenario.clients = ACME
    theirs(imap_server, T0 - 3 * DAY, "<old@acme>", subject="Logo brief")
    assert scenario.once(T0 - 2 * DAY) == 0  # the old message is stored first
    ours(imap_server)
    theirs(imap_server, T0 + 2 * DAY, "<old@acme>")
    assert scenario.once(T0 + 7 * DAY) == 0
    assert nudges(smtp_server) == []
    row = scenario.row(T0 + 7 * DAY, capsys, "Acme Ltd")
    assert (row["waiting_on"], row["last_inbound"]) == ("you", "2026-11-04T10:00:00Z")
    inbound = [r for r in rows(scenario, "message_id, subject") if r[0] == "<old@acme>"]
    assert inbound == [("<old@acme>", "Logo brief"), ("<old@acme>", "Re: Logo drafts")]


def test_the_same_message_seen_twice_is_stored_once(
    scenario: Scenario, imap_server: Any, capsys: Any
) -> None:
    """Our own message in Sent and (Bcc to self) in INBOX, and Jane's reply appended
    twice: one row each."""
    scenario.clients = ACME
    ours(imap_server)
    bcc = mail(ACCOUNT, "jane@acme.example", "Logo drafts", message_id="<m1@studio>", date=T0)
    imap_server.append("INBOX", bcc, internal_date=T0 + timedelta(minutes=1))
    theirs(imap_server, T0 + DAY, "<r1@acme>")
    theirs(imap_server, T0 + DAY, "<r1@acme>")
    assert scenario.once(T0 + 2 * DAY) == 0
    assert sorted(r[0] for r in rows(scenario, "message_id")) == ["<m1@studio>", "<r1@acme>"]


# --- undecodable headers ----------------------------------------------------------------


def test_a_subject_with_a_nul_in_its_charset_is_contact(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    """The known failure: ``=?\\x00bogus?Q?caf=E9?=`` made ``headers._to_text`` raise and
    the sync skipped the reply, so the client was nudged after replying. Dovecot 2.3
    stores a NUL in a header as another byte, so end to end this shows the reply is
    contact; the NUL itself is proven in tests/unit/core/mail/test_classify_edges.py."""
    scenario.clients = ACME
    ours(imap_server)
    raw = (
        b"From: Jane <jane@acme.example>\r\nTo: " + ACCOUNT.encode() + b"\r\n"
        b"Subject: =?\x00bogus?Q?caf=E9?=\r\n"
        b"Date: " + format_datetime(T0 + DAY).encode() + b"\r\n"
        b"Message-ID: <nul@acme>\r\nIn-Reply-To: <m1@studio>\r\n\r\nSee you at the cafe.\r\n"
    )
    imap_server.append("INBOX", raw, internal_date=T0 + DAY)
    assert scenario.once(T0 + 7 * DAY) == 0
    assert nudges(smtp_server) == []
    assert scenario.row(T0 + 7 * DAY, capsys, "Acme Ltd")["waiting_on"] == "you"
    [(kind, subject)] = [r[1:] for r in rows(scenario, "message_id, kind, subject")
                         if r[0] == "<nul@acme>"]  # fmt: skip
    assert (kind, subject) == ("human", "caf\ufffd")


async def test_client_mail_the_parser_cannot_read_is_stored_as_unreadable(
    imap_server: Any, tmp_path: Path
) -> None:
    """Whatever makes reading a message fail, a client's message is stored (kind
    ``unreadable``, client set, the error as reason) and a stranger's is skipped. The
    failure is injected through SyncContext.parse (the composition root's seam)."""

    def failing(header: bytes, *, received: datetime | None = None) -> Envelope:
        if b"Subject: Re: Logo (break)" in header:
            raise ValueError("injected parse failure")
        return parse_headers(header, received=received)

    for frm, mid in (("Jane <jane@acme.example>", "<u1@acme>"), ("x@spam.example", "<u2@x>")):
        raw = mail(frm, ACCOUNT, "Re: Logo (break)", message_id=mid, date=T0)
        imap_server.append("INBOX", raw, internal_date=T0)
    ctx = SyncContext(ACCOUNT, frozenset({ACCOUNT}), (ACME_MATCHER,), timedelta(days=90),
                      T0 + DAY, parse=failing)  # fmt: skip
    with Store.open(f"sqlite:///{tmp_path}/gw.db") as store:
        async with ImapMailbox(endpoint(imap_server)) as mailbox:
            report = await sync_account(mailbox, store, ctx, {FolderRole.INBOX: "INBOX"})
    assert (report.folders[0].stored, report.folders[0].skipped) == (1, 1)
    with sqlite3.connect(tmp_path / "gw.db") as db:
        stored = db.execute("SELECT kind, direction, client, from_addr, reason FROM message")
        [(kind, direction, client, from_addr, reason)] = stored.fetchall()
    assert (kind, direction, client, from_addr) == (
        "unreadable",
        "inbound",
        "Acme Ltd",
        "jane@acme.example",
    )
    assert "injected parse failure" in reason


# --- out-of-office dates ------------------------------------------------------------------


def ooo(imap: Any, *, body: str, with_date: bool, at: datetime) -> None:
    raw = mail("Jane <jane@acme.example>", ACCOUNT, "Automatic reply: Logo drafts",
               message_id="<ooo@acme>", date=at, headers={"Auto-Submitted": "auto-replied"},
               body=body)  # fmt: skip
    if not with_date:
        head, _, rest = raw.partition(b"\n\n")
        kept = [line for line in head.split(b"\n") if not line.startswith(b"Date:")]
        raw = b"\n".join(kept) + b"\n\n" + rest
        assert parse_headers(raw).date is None
    imap.append("INBOX", raw, internal_date=at)


def away(scenario: Scenario) -> list[tuple[Any, ...]]:
    return [r for r in rows(scenario, "kind, away_until") if r[0] == "auto_reply"]


def test_thai_digit_out_of_office_defers_nudges(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    ours(imap_server)
    ooo(imap_server, body="ไม่อยู่จนถึงวันที่ ๓๐ พฤศจิกายน ๒๕๖๙ ค่ะ\n", with_date=True,
        at=T0 + timedelta(minutes=5))  # fmt: skip
    assert scenario.once(T0 + 7 * DAY) == 0
    assert away(scenario) == [("auto_reply", "2026-11-30")]
    assert nudges(smtp_server) == []
    assert scenario.row(T0 + 7 * DAY, capsys, "Acme Ltd")["state"] == "away"


def test_date_less_out_of_office_uses_internaldate(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    """No Date header: "back on 20 November" is read against INTERNALDATE (2 Nov)."""
    scenario.clients = ACME
    ours(imap_server)
    ooo(imap_server, body="I am away and back on 20 November.\n", with_date=False,
        at=T0 + timedelta(minutes=5))  # fmt: skip
    assert scenario.once(T0 + 7 * DAY) == 0
    assert away(scenario) == [("auto_reply", date(2026, 11, 20).isoformat())]
    assert nudges(smtp_server) == []
    assert scenario.row(T0 + 7 * DAY, capsys, "Acme Ltd")["state"] == "away"


# --- bounces only the body shows -------------------------------------------------------------


def test_an_amazon_ses_bounce_notice_marks_the_client_address_bouncing(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    """The headers say bulk (``no-reply@sns.amazonaws.com``), only the body says which
    client address bounced: the sync must read it (a suspected bounce) and stop nudges.
    (Guard: without ``bounce_suspect`` in ``_Read.refines`` the body is never read.)"""
    scenario.clients = ACME
    ours(imap_server)
    notice = (
        '{"notificationType":"Bounce","bounce":{"bounceType":"Permanent",'
        '"bouncedRecipients":[{"emailAddress":"jane@acme.example","status":"5.1.1"}]}}\n'
    )
    raw = mail("AWS Notifications <no-reply@sns.amazonaws.com>", ACCOUNT,
               "AWS Notification Message", message_id="<sns@aws>", date=T0 + DAY,
               body=notice)  # fmt: skip
    imap_server.append("INBOX", raw, internal_date=T0 + DAY)
    assert scenario.once(T0 + 7 * DAY) == 0
    assert nudges(smtp_server) == []
    assert scenario.row(T0 + 7 * DAY, capsys, "Acme Ltd")["state"] == "bouncing"
