"""The scan's wire reader (imap_wire) on real Dovecot replies: for messages with odd
headers, and for the sisimai corpus when it is there, ``fetch_headers_reply`` gives
exactly what imapclient's ``fetch`` and parser give for the same FETCH, reads
Dovecot's ordinary reply without handing it to imaplib, and leaves the connection
usable. No mocks: tests/support/dovecot.py."""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from imapclient import IMAPClient

from ghostwatch.adapters.imap_fetch import FetchedHeaders, _from_parsed, fetch_headers_reply
from ghostwatch.core.mail.headers import HEADER_FIELDS
from tests.support.dovecot import ImapAccount

pytestmark = pytest.mark.dovecot

JAN = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
NAMES = b" ".join(f.upper() for f in HEADER_FIELDS)
ITEMS = [b"BODY.PEEK[HEADER.FIELDS (" + NAMES + b")]", b"INTERNALDATE", b"RFC822.SIZE"]
SISIMAI = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "sisimai" / "maildir"
CRLF = b"\r\n"


def odd_messages() -> list[bytes]:
    """Headers a scan meets in real mailboxes, each a shape a reader could trip on."""
    body = CRLF + b"body" + CRLF
    return [
        b"From: Nino <nino@acme.example>\r\nSubject: plain\r\n" + body,
        # 8-bit: raw UTF-8 and Latin-1 in headers
        "From: ნინო <nino@acme.example>\r\nSubject: ინვოისი ส่ง\r\n".encode() + body,
        b"From: Jos\xe9 <jose@acme.example>\r\nSubject: caf\xe9\r\n" + body,
        # folded, with protocol-looking text inside the header block
        b"From: a@acme.example\r\nSubject: one\r\n two {12}\r\n\t* 3 FETCH (UID 3)\r\n" + body,
        b"From: a@acme.example\r\nSubject: )\r\nReferences: <x>\r\n )\r\n" + body,
        # NUL and a bare LF / CR in a header (Dovecot may send these as it likes)
        b"From: a@acme.example\r\nSubject: nul\x00here\r\n" + body,
        b"From: a@acme.example\r\nSubject: bare\nlf and \r cr\r\n" + body,
        # an RFC 2047 charset holding a NUL (issue 13) and a broken encoded word
        b"From: a@acme.example\r\nSubject: =?\x00bogus?Q?caf=E9?= =?utf-8?B?***?=\r\n" + body,
        # huge: a References header far larger than one 8 KB socket buffer
        b"From: a@acme.example\r\nReferences:"
        + b"".join(b" <r%d@acme.example>\r\n" % n for n in range(30_000))
        + body,
        # no header block at all, and none of the fields asked for
        b"\r\nonly a body\r\n",
        b"X-Other: 1\r\n" + body,
    ]


def seed(account: ImapAccount, raws: Iterable[bytes]) -> int:
    """Write ``raws`` into INBOX (straight into the Maildir, so bytes APPEND would
    refuse reach Dovecot as they are), INTERNALDATEs a minute apart in +0700."""
    bangkok = timezone(timedelta(hours=7))
    dated = [(raw, (JAN + timedelta(minutes=n)).astimezone(bangkok)) for n, raw in enumerate(raws)]
    return account.write_maildir("INBOX", dated)


def examined(account: ImapAccount, *, condstore: bool) -> tuple[IMAPClient, list[int]]:
    client = account.client()
    client.normalise_times = False
    if condstore:
        client.enable("CONDSTORE")
    client.select_folder("INBOX", readonly=True)
    return client, sorted(client.search(["ALL"]))


def by_imapclient(client: IMAPClient, uids: list[int]) -> dict[int, FetchedHeaders]:
    parsed = client.fetch(uids, ITEMS)
    return {uid: _from_parsed(uid, parsed[uid]) for uid in uids if uid in parsed}


def check_batches(client: IMAPClient, uids: list[int], batch: int) -> int:
    """Compare both readers batch by batch; return how many reply lines imaplib
    logged while the wire reader read (0: it read every response itself)."""
    logged: list[str] = []
    for start in range(0, len(uids), batch):
        chunk = uids[start : start + batch]
        client._imap._mesg = logged.append  # imapclient's own hook into imaplib's debug log
        wire = fetch_headers_reply(client, chunk, ITEMS)
        client._imap._mesg = lambda _text: None
        assert wire == by_imapclient(client, chunk), f"batch at {start}"
        assert sorted(wire) == chunk
    client.noop()  # the connection is still in step
    return sum("FETCH (UID" in line for line in logged)


@pytest.mark.parametrize("condstore", [False, True])
def test_odd_headers_read_as_imapclient_reads_them(
    imap_server: ImapAccount, condstore: bool
) -> None:
    raws = odd_messages()
    assert seed(imap_server, raws) == len(raws)
    client, uids = examined(imap_server, condstore=condstore)

    assert check_batches(client, uids, batch=len(uids)) == 0
    got = fetch_headers_reply(client, uids, ITEMS)
    assert [got[u].internal_date for u in uids] == [
        JAN + timedelta(minutes=n) for n in range(len(raws))
    ]
    assert got[uids[8]].header.count(b"<r29999@acme.example>") == 1  # the huge one, whole
    assert "ინვოისი".encode() in got[uids[1]].header


def test_the_connection_serves_imapclient_after_each_batch(imap_server: ImapAccount) -> None:
    seed(imap_server, odd_messages() * 3)
    client, uids = examined(imap_server, condstore=True)
    for start in range(0, len(uids), 4):
        fetch_headers_reply(client, uids[start : start + 4], ITEMS)
        assert client.search(["ALL"]) == uids  # nothing of the FETCH left to misread
    assert client.folder_status("INBOX", [b"MESSAGES"])[b"MESSAGES"] == len(uids)


@pytest.mark.skipif(not SISIMAI.is_dir(), reason=f"corpus absent: {SISIMAI}")
def test_the_sisimai_corpus_reads_as_imapclient_reads_it(imap_server: ImapAccount) -> None:
    files = sorted(SISIMAI.rglob("*.eml"))
    assert len(files) > 500
    seed(imap_server, (path.read_bytes() for path in files))
    client, uids = examined(imap_server, condstore=True)
    assert len(uids) == len(files)

    assert check_batches(client, uids, batch=100) == 0


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_over_tls_the_wire_reader_reads_what_imapclient_reads(
    imap_server: ImapAccount, security: str
) -> None:
    """Real users connect over TLS: imaplib's file is then a buffered reader over the
    SSL socket (after STARTTLS, a new one), and the wire reader must read it the same."""
    server = imap_server.server
    if server.tls_port is None or server.ca_file is None:
        pytest.skip("openssl not available: the rig has no TLS listener")
    context = ssl.create_default_context(cafile=str(server.ca_file))
    if security == "tls":
        client = IMAPClient(server.host, port=server.tls_port, ssl=True, ssl_context=context)
    else:
        client = IMAPClient(server.host, port=server.port, ssl=False)
        client.starttls(context)
    client.login(imap_server.user, imap_server.password)
    seed(imap_server, odd_messages() * 2)
    client.normalise_times = False
    client.select_folder("INBOX", readonly=True)
    uids = sorted(client.search(["ALL"]))
    assert check_batches(client, uids, batch=5) == 0  # every batch read below imaplib
    client.logout()
