"""ImapMailbox against a real Dovecot (tests/support/dovecot.py): no mocks."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import structlog

from ghostwatch.adapters.auth_backoff import AuthBackoff
from ghostwatch.adapters.imap import ImapMailbox
from ghostwatch.adapters.imap_fetch import FetchedHeaders, read_fast, read_slow
from ghostwatch.adapters.imap_session import ImapEndpoint
from ghostwatch.core.domain import FolderRole
from ghostwatch.core.mail.headers import HEADER_FIELDS
from ghostwatch.errors import ConfigError, MailboxAuthError, MailboxError
from tests.support.dovecot import HOST, ImapAccount, make_message

pytestmark = pytest.mark.dovecot

BANGKOK = timezone(timedelta(hours=7))
JAN = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
FIELDS = (b"From", b"Subject", b"Message-ID")


def endpoint(server: ImapAccount, **kw: object) -> ImapEndpoint:
    fields: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "security": "none",
        "username": server.user,
        "password": lambda: server.password,
        "timeout_s": 5.0,
    }
    fields.update(kw)
    return ImapEndpoint(**fields)  # type: ignore[arg-type]


@pytest.fixture
async def mailbox(imap_server: ImapAccount) -> AsyncIterator[ImapMailbox]:
    async with ImapMailbox(endpoint(imap_server)) as mb:
        yield mb


def message(n: int, *, when: datetime = JAN, **kw: object) -> bytes:
    return make_message(
        "Jane <jane@acme.example>",
        "nino@studio.example",
        f"Logo drafts {n}",
        when,
        message_id=f"<m{n}@acme.example>",
        body=f"Message number {n}.\n" * 3,
        **kw,  # type: ignore[arg-type]
    )


def seed(server: ImapAccount, count: int, folder: str = "INBOX") -> dict[int, bytes]:
    """Append ``count`` messages a day apart; return uid -> raw."""
    raws = {}
    for n in range(count):
        raw = message(n)
        raws[server.append(folder, raw, internal_date=JAN + timedelta(days=n))] = raw
    return raws


# --- connecting ---------------------------------------------------------------------


async def test_connect_reads_capabilities(mailbox: ImapMailbox) -> None:
    assert {"IDLE", "UIDPLUS", "SPECIAL-USE", "CONDSTORE"} <= mailbox.capabilities


async def test_wrong_password_is_an_auth_error(imap_server: ImapAccount) -> None:
    wrong = endpoint(imap_server, password=lambda: "not-the-password")
    with pytest.raises(MailboxAuthError, match="login refused"):
        async with ImapMailbox(wrong):
            pass


async def test_password_is_never_logged_or_shown(imap_server: ImapAccount) -> None:
    secret = "hunter2-very-secret"
    gate = AuthBackoff(lambda: datetime(2026, 12, 1, 7, 48, tzinfo=UTC)).gate(
        "studio", "imap", retry=timedelta(minutes=15)
    )
    wrong = endpoint(imap_server, password=lambda: secret, gate=gate)
    assert secret not in repr(wrong)
    with structlog.testing.capture_logs() as logs:
        mb = ImapMailbox(wrong)
        with pytest.raises(MailboxAuthError) as info:
            await mb.__aenter__()
    # logged once, by the gate, as one line in the server's own words (no b'...' repr)
    assert [e["event"] for e in logs] == ["auth.refused"]
    assert "b'" not in logs[0]["error"] and "Authentication failed." in logs[0]["error"]
    assert secret not in repr(logs)
    assert secret not in str(info.value)


async def test_unreachable_port_fails_fast(imap_server: ImapAccount) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind((HOST, 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(MailboxError, match="ConnectionRefused"):
        async with ImapMailbox(endpoint(imap_server, port=port)):
            pass
    assert time.monotonic() - started < 2


async def test_plaintext_refused_for_a_remote_host(imap_server: ImapAccount) -> None:
    with pytest.raises(ConfigError, match="loopback only"):
        ImapMailbox(endpoint(imap_server, host="imap.example.com"))


async def test_calls_outside_async_with_raise(imap_server: ImapAccount) -> None:
    mb = ImapMailbox(endpoint(imap_server))
    with pytest.raises(MailboxError, match="not connected"):
        await mb.noop()
    async with mb:
        await mb.noop()
    with pytest.raises(MailboxError, match="closed"):
        await mb.noop()


# --- folders -------------------------------------------------------------------------


async def test_special_folders_come_from_special_use(mailbox: ImapMailbox) -> None:
    assert await mailbox.special_folders() == {
        FolderRole.INBOX: "INBOX",
        FolderRole.SENT: "Sent",
        FolderRole.DRAFTS: "Drafts",
    }


async def test_status_and_examine_agree(imap_server: ImapAccount, mailbox: ImapMailbox) -> None:
    seed(imap_server, 2, "Sent")

    status = await mailbox.status("Sent")
    examined = await mailbox.examine("Sent")

    assert status.messages == 2
    assert status.uidnext == 3
    assert status.uidvalidity > 0
    assert status.highestmodseq is not None
    assert examined == status


async def test_missing_folder_is_an_error_but_not_fatal(mailbox: ImapMailbox) -> None:
    with pytest.raises(MailboxError, match="refused"):
        await mailbox.status("No such folder")
    with pytest.raises(MailboxError):
        await mailbox.examine("No such folder")
    with pytest.raises(MailboxError, match="no folder examined"):
        await mailbox.search_uids()
    await mailbox.noop()  # a NO reply leaves the connection usable


# --- reading ------------------------------------------------------------------------


async def test_search_since_uses_internal_date(
    imap_server: ImapAccount, mailbox: ImapMailbox
) -> None:
    uids = list(seed(imap_server, 4))  # 5, 6, 7, 8 January
    await mailbox.examine("INBOX")

    assert await mailbox.search_uids(since=date(2026, 1, 7)) == uids[2:]
    assert await mailbox.search_uids() == uids


async def test_search_min_uid_never_returns_lower_uids(
    imap_server: ImapAccount, mailbox: ImapMailbox
) -> None:
    uids = list(seed(imap_server, 3))
    await mailbox.examine("INBOX")

    assert await mailbox.search_uids(min_uid=uids[1]) == uids[1:]
    # "N:*" with N above the highest UID still matches the highest UID on the wire
    assert await mailbox.search_uids(min_uid=uids[-1] + 1) == []
    assert await mailbox.search_uids(since=date(2026, 1, 6), min_uid=uids[2]) == [uids[2]]


async def test_fetch_headers_in_batches(imap_server: ImapAccount, mailbox: ImapMailbox) -> None:
    raws = seed(imap_server, 7)
    await mailbox.examine("INBOX")

    batches = [b async for b in mailbox.fetch_headers(list(raws)[::-1], FIELDS, batch=3)]

    assert [len(b) for b in batches] == [3, 3, 1]
    got: list[FetchedHeaders] = [h for b in batches for h in b]
    assert [h.uid for h in got] == sorted(raws)
    for n, h in enumerate(got):
        assert h.internal_date == JAN + timedelta(days=n)
        assert h.internal_date.tzinfo is UTC
        assert h.size == len(raws[h.uid])
        assert b"Subject: Logo drafts %d\r\n" % n in h.header
        assert b"Message-ID: <m%d@acme.example>" % n in h.header
        assert b"To:" not in h.header  # only the fields asked for
        assert b"Message number" not in h.header


@pytest.mark.parametrize("condstore", [False, True])
def test_dovecot_replies_take_the_fast_path_and_agree_with_imapclient(
    imap_server: ImapAccount, condstore: bool
) -> None:
    """The reply shape imap_fetch reads fast is the one a real server sends (with and
    without CONDSTORE's MODSEQ), and reading it fast gives what imapclient gives."""
    uids = list(seed(imap_server, 3))
    georgian = "From: ნინო <nino@acme.example>\r\nSubject: ინვოისი\r\n\r\nhi\r\n".encode()
    uids.append(imap_server.append("INBOX", georgian, internal_date=JAN.astimezone(BANGKOK)))
    client = imap_server.client()
    if condstore:
        client.enable("CONDSTORE")
    client.select_folder("INBOX", readonly=True)
    names = b" ".join(f.upper() for f in HEADER_FIELDS)
    what = f"(BODY.PEEK[HEADER.FIELDS ({names.decode()})] INTERNALDATE RFC822.SIZE)"

    typ, data = client._imap.uid("FETCH", ",".join(map(str, uids)), what)

    assert typ == "OK"
    fast = read_fast(data)
    assert fast is not None, f"Dovecot's reply shape changed: {data[:2]!r}"
    assert fast == read_slow(data, uids)
    assert sorted(fast) == uids
    assert "ინვოისი".encode() in fast[uids[-1]].header
    assert fast[uids[-1]].internal_date == JAN


async def test_fetch_headers_skips_vanished_uids(
    imap_server: ImapAccount, mailbox: ImapMailbox
) -> None:
    (uid,) = seed(imap_server, 1)
    await mailbox.examine("INBOX")

    batches = [b async for b in mailbox.fetch_headers([uid, uid + 50], FIELDS)]

    assert [[h.uid for h in b] for b in batches] == [[uid]]
    assert [b async for b in mailbox.fetch_headers([], FIELDS)] == []


async def test_fetch_body_whole_and_truncated(
    imap_server: ImapAccount, mailbox: ImapMailbox
) -> None:
    ((uid, raw),) = seed(imap_server, 1).items()
    await mailbox.examine("INBOX")

    assert await mailbox.fetch_body(uid) == raw
    assert await mailbox.fetch_body(uid, max_bytes=40) == raw[:40]
    assert await mailbox.fetch_body(uid + 1) == b""


async def test_reading_never_changes_flags(imap_server: ImapAccount, mailbox: ImapMailbox) -> None:
    raws = seed(imap_server, 3)
    before = imap_server.flags("INBOX")
    assert all(b"\\Seen" not in flags for flags in before.values())

    await mailbox.examine("INBOX")
    await mailbox.search_uids(since=date(2026, 1, 1))
    async for _batch in mailbox.fetch_headers(list(raws), FIELDS):
        pass
    for uid in raws:
        await mailbox.fetch_body(uid)
    await mailbox.find_by_message_id("INBOX", "<m1@acme.example>")

    assert imap_server.flags("INBOX") == before


async def test_find_by_message_id(imap_server: ImapAccount, mailbox: ImapMailbox) -> None:
    seed(imap_server, 2, "Sent")
    # Exchange rewrites Message-ID in Sent and keeps ours in this header
    rewritten = message(
        9,
        headers={"X-Microsoft-Original-Message-ID": "<nudge-1@studio.example>"},
    )
    exchange_uid = imap_server.append("Sent", rewritten, internal_date=JAN)

    assert await mailbox.find_by_message_id("Sent", "<m1@acme.example>") == 2
    assert await mailbox.find_by_message_id("Sent", "m0@acme.example") == 1
    assert await mailbox.find_by_message_id("Sent", "<nudge-1@studio.example>") == exchange_uid
    assert await mailbox.find_by_message_id("Sent", "<absent@studio.example>") is None
    assert await mailbox.find_by_message_id("Sent", "<m1@acme.exam>") is None  # no substring


# --- writing --------------------------------------------------------------------------


async def test_append_returns_uid_and_keeps_internal_date(
    imap_server: ImapAccount, mailbox: ImapMailbox
) -> None:
    when = datetime(2026, 11, 5, 9, 0, 7, tzinfo=BANGKOK)

    first = await mailbox.append("Sent", message(1), internal_date=when, flags=[b"\\Seen"])
    second = await mailbox.append("Sent", message(2))

    assert first is not None and second == first + 1
    await mailbox.examine("Sent")
    batches = [b async for b in mailbox.fetch_headers([first], FIELDS)]
    assert batches[0][0].internal_date == when
    assert imap_server.flags("Sent") == {first: (b"\\Seen",), second: ()}


async def test_append_refuses_a_naive_date(mailbox: ImapMailbox) -> None:
    with pytest.raises(ValueError, match="aware"):
        await mailbox.append("Sent", message(1), internal_date=datetime(2026, 1, 1))


# --- IDLE ------------------------------------------------------------------------------


async def test_idle_wakes_up_on_new_mail(imap_server: ImapAccount, mailbox: ImapMailbox) -> None:
    await mailbox.examine("INBOX")
    waiting = asyncio.create_task(mailbox.idle_wait(30))
    await asyncio.sleep(0.3)  # let IDLE start
    started = time.monotonic()

    imap_server.append("INBOX", message(1), internal_date=JAN)  # another connection
    responses = await asyncio.wait_for(waiting, 10)

    assert time.monotonic() - started < 5
    assert (1, b"EXISTS") in responses


async def test_idle_times_out_with_nothing(mailbox: ImapMailbox) -> None:
    await mailbox.examine("INBOX")
    started = time.monotonic()

    assert await mailbox.idle_wait(0.5) == []

    assert 0.45 < time.monotonic() - started < 3
    await mailbox.noop()  # DONE was sent: the connection is usable


async def test_idle_can_be_cancelled(mailbox: ImapMailbox) -> None:
    await mailbox.examine("INBOX")
    waiting = asyncio.create_task(mailbox.idle_wait(60))
    await asyncio.sleep(0.2)
    started = time.monotonic()

    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await mailbox.noop()  # queued behind the IDLE, which ends within a slice

    assert time.monotonic() - started < 2


# --- faults ----------------------------------------------------------------------------


class FreezableProxy:
    """A TCP proxy to Dovecot that can stop forwarding, as a stalled network would."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def __aenter__(self) -> FreezableProxy:
        self.server = await asyncio.start_server(self._accept, HOST, 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection(HOST, self.target_port)
        for src, dst in ((reader, up_w), (up_r, writer)):
            task = asyncio.create_task(self._pump(src, dst))
            self.tasks.add(task)

    async def _pump(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                await self.flowing.wait()
                dst.write(data)
                await dst.drain()
        finally:
            dst.close()
            with contextlib.suppress(Exception):
                await dst.wait_closed()


async def test_a_timeout_breaks_the_connection_for_good(imap_server: ImapAccount) -> None:
    async with FreezableProxy(imap_server.port) as proxy:
        ep = endpoint(imap_server, port=proxy.port, timeout_s=0.5)
        async with ImapMailbox(ep) as mb:
            await mb.noop()
            proxy.flowing.clear()
            started = time.monotonic()
            with pytest.raises(MailboxError, match="Timeout"):
                await mb.noop()
            assert time.monotonic() - started < 2
            proxy.flowing.set()
            with pytest.raises(MailboxError, match="broken by noop"):
                await mb.status("INBOX")


async def test_server_restart_breaks_the_connection(imap_server: ImapAccount) -> None:
    async with ImapMailbox(endpoint(imap_server)) as mb:
        await mb.examine("INBOX")
        imap_server.stop()
        imap_server.start()
        with pytest.raises(MailboxError):
            await mb.idle_wait(5)
        with pytest.raises(MailboxError, match="broken"):
            await mb.noop()
    async with ImapMailbox(endpoint(imap_server)) as fresh:
        await fresh.noop()  # a new mailbox works


# --- TLS ---------------------------------------------------------------------------------


@pytest.fixture
def tls_server(imap_server: ImapAccount) -> ImapAccount:
    if imap_server.server.tls_port is None:
        pytest.skip("openssl not available: the rig has no TLS listener")
    return imap_server


async def test_tls_verifies_certificates_by_default(tls_server: ImapAccount) -> None:
    ep = endpoint(tls_server, security="tls", port=tls_server.server.tls_port)
    with pytest.raises(MailboxError, match="CERTIFICATE_VERIFY_FAILED"):
        async with ImapMailbox(ep):
            pass


@pytest.mark.parametrize("security", ["tls", "starttls"])
async def test_tls_with_the_servers_ca(tls_server: ImapAccount, security: str) -> None:
    server = tls_server.server
    port = server.tls_port if security == "tls" else server.port
    ep = endpoint(tls_server, security=security, port=port, ca_file=str(server.ca_file))
    async with ImapMailbox(ep) as mb:
        assert (await mb.status("INBOX")).messages == 0


async def test_starttls_verifies_too(tls_server: ImapAccount) -> None:
    with pytest.raises(MailboxError, match="CERTIFICATE_VERIFY_FAILED"):
        async with ImapMailbox(endpoint(tls_server, security="starttls")):
            pass
