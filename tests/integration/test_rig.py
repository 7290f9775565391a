"""The Dovecot test rig itself: the server other integration tests stand on."""

from __future__ import annotations

import email
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from email.header import decode_header, make_header

import pytest
from imapclient import IMAPClient

from tests.support.dovecot import (
    REQUIRE_ENV,
    DovecotServer,
    ImapAccount,
    dovecot_unavailable,
    make_message,
)

pytestmark = pytest.mark.dovecot

TBILISI = timezone(timedelta(hours=4))
WHEN = datetime(2026, 11, 2, 9, 30, 15, tzinfo=TBILISI)


def _message(subject: str = "Logo drafts", **kw: object) -> bytes:
    return make_message("nino@studio.example", "jane@acme.example", subject, WHEN, **kw)  # type: ignore[arg-type]


def test_append_keeps_the_chosen_internal_date(imap_server: ImapAccount) -> None:
    uid = imap_server.append("INBOX", _message(), internal_date=WHEN)

    client = imap_server.client()
    client.select_folder("INBOX", readonly=True)
    client.normalise_times = False
    got = client.fetch([uid], ["INTERNALDATE"])[uid][b"INTERNALDATE"]
    assert got == WHEN  # the same instant (Dovecot's Maildir keeps it in UTC)


def test_server_advertises_what_ghostwatch_relies_on(imap_server: ImapAccount) -> None:
    client = imap_server.client()
    caps = set(client.capabilities())
    assert {b"IDLE", b"UIDPLUS", b"SPECIAL-USE", b"CONDSTORE"} <= caps

    flags = {name: set(f) for f, _delim, name in client.list_folders()}
    for name in ("Sent", "Drafts", "Trash", "Archive", "Junk"):
        assert f"\\{name}".encode() in flags[name]


@pytest.mark.parametrize("round_", [1, 2])
def test_every_test_starts_with_an_empty_mailbox(imap_server: ImapAccount, round_: int) -> None:
    # Run twice: if the fixture handed out a shared mailbox, round 2 would see 2 messages.
    imap_server.append("INBOX", _message(f"round {round_}"), internal_date=WHEN)
    assert len(imap_server.flags("INBOX")) == 1


def test_two_mailboxes_do_not_see_each_other(
    imap_server: ImapAccount, imap_account_factory: Callable[[], ImapAccount]
) -> None:
    other = imap_account_factory()
    assert other.user != imap_server.user

    imap_server.append("INBOX", _message(), internal_date=WHEN)

    assert len(imap_server.flags("INBOX")) == 1
    assert other.flags("INBOX") == {}


def test_flags_reports_stored_flags_without_recent(imap_server: ImapAccount) -> None:
    seen = imap_server.append("Sent", _message("a"), internal_date=WHEN, flags=[b"\\Seen"])
    unseen = imap_server.append("Sent", _message("b"), internal_date=WHEN)

    assert imap_server.flags("Sent") == {seen: (b"\\Seen",), unseen: ()}


def test_make_message_encodes_georgian_and_thai_headers() -> None:
    raw = make_message(
        "ნინო ბერიძე <nino@studio.example>",
        ["สมชาย <somchai@client.example>", "jane@acme.example"],
        "ლოგოს ესკიზები",
        WHEN,
        message_id="<m1@studio.example>",
        in_reply_to="<m0@acme.example>",
        references=("<m-1@acme.example>", "<m0@acme.example>"),
        headers={"Auto-Submitted": "auto-replied"},
        body="გამარჯობა\n",
    )

    assert raw.isascii()  # RFC 2047 headers, transfer-encoded body
    msg = email.message_from_bytes(raw)
    assert str(make_header(decode_header(msg["Subject"]))) == "ლოგოს ესკიზები"
    assert "ნინო ბერიძე" in str(make_header(decode_header(msg["From"])))
    assert msg["Message-ID"] == "<m1@studio.example>"
    assert msg["References"] == "<m-1@acme.example> <m0@acme.example>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert email.utils.parsedate_to_datetime(msg["Date"]) == WHEN
    assert msg.get_payload(decode=True).decode() == "გამარჯობა\r\n"


def test_restart_keeps_the_port(imap_server: ImapAccount) -> None:
    imap_server.append("INBOX", _message(), internal_date=WHEN)
    imap_server.stop()
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection((imap_server.host, imap_server.port), timeout=1),
    ):
        pass

    imap_server.start()

    assert len(imap_server.flags("INBOX")) == 1  # same port, same mail


def test_uidvalidity_change_renumbers_the_folder(imap_server: ImapAccount) -> None:
    for hour in range(3):
        imap_server.append("Sent", _message(), internal_date=WHEN + timedelta(hours=hour))
    before = imap_server.client().folder_status("Sent", ["UIDVALIDITY", "MESSAGES"])

    imap_server.set_uidvalidity_change("Sent")

    after = imap_server.client().folder_status("Sent", ["UIDVALIDITY", "MESSAGES"])
    assert after[b"UIDVALIDITY"] != before[b"UIDVALIDITY"]
    assert after[b"MESSAGES"] == 3


def test_write_maildir_seeds_messages_with_internal_dates(imap_server: ImapAccount) -> None:
    dates = [datetime(2026, 1, d, 12, tzinfo=UTC) for d in (1, 2, 3)]

    written = imap_server.write_maildir(
        "INBOX", ((_message(f"m{i}"), d) for i, d in enumerate(dates))
    )

    assert written == 3
    client: IMAPClient = imap_server.client()
    client.select_folder("INBOX", readonly=True)
    client.normalise_times = False
    got = client.fetch(client.search(["ALL"]), ["INTERNALDATE"])
    assert sorted(v[b"INTERNALDATE"] for v in got.values()) == dates


def test_mailstack_is_the_session_server(
    mailstack: DovecotServer, dovecot_server: DovecotServer, imap_server: ImapAccount
) -> None:
    assert mailstack is dovecot_server is imap_server.server
    assert mailstack.running
    assert imap_server.maildir_path.is_relative_to(mailstack.root)


def test_missing_dovecot_skips_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="Dovecot not available: not installed"):
        dovecot_unavailable("not installed")


def test_missing_dovecot_fails_when_ci_requires_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="GHOSTWATCH_REQUIRE_DOVECOT=1"):
        dovecot_unavailable("not installed")
