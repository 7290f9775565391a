"""The IDLE wait sleeps until told (ghostwatch.adapters.imap_idle), against real servers: the
rig's Dovecot, over plain TCP and TLS, and a scripted IMAP server on 127.0.0.1 for the
one reply shape Dovecot cannot be made to send on purpose."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ghostwatch.adapters.imap import ImapMailbox
from ghostwatch.adapters.imap_session import ImapEndpoint
from tests.integration.test_imap import JAN, endpoint, message
from tests.support.dovecot import HOST, ImapAccount

pytestmark = pytest.mark.dovecot


def _worker() -> threading.Thread:
    [thread] = [t for t in threading.enumerate() if t.name.startswith("ghostwatch-imap")]
    return thread


def _wakeups(thread: threading.Thread) -> int:
    """How often ``thread`` has gone to sleep and been woken (the kernel's count)."""
    status = Path(f"/proc/self/task/{thread.native_id}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("voluntary_ctxt_switches"))
    return int(line.split()[1])


@pytest.fixture(params=["plain", "tls"])
async def mailbox(
    imap_server: ImapAccount, request: pytest.FixtureRequest
) -> AsyncIterator[ImapMailbox]:
    server = imap_server.server
    if request.param == "tls":
        if server.tls_port is None:
            pytest.skip("openssl not available: the rig has no TLS listener")
        ep = endpoint(
            imap_server, security="tls", port=server.tls_port, ca_file=str(server.ca_file)
        )
    else:
        ep = endpoint(imap_server)
    async with ImapMailbox(ep) as mb:
        yield mb


async def test_a_waiting_idle_sleeps_until_cancelled(mailbox: ImapMailbox) -> None:
    await mailbox.examine("INBOX")
    waiting = asyncio.create_task(mailbox.idle_wait(60))
    await asyncio.sleep(0.3)  # IDLE is on
    worker = _worker()
    before = _wakeups(worker)
    await asyncio.sleep(2.0)
    # A thread that looked for cancellation every 0.2 s would have woken ~10 times.
    assert _wakeups(worker) - before <= 2

    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.wait_for(mailbox.noop(), 2)  # the wake ended the IDLE; DONE was sent
    assert (await mailbox.status("INBOX")).messages == 0


async def test_new_mail_ends_the_sleep(imap_server: ImapAccount, mailbox: ImapMailbox) -> None:
    await mailbox.examine("INBOX")
    waiting = asyncio.create_task(mailbox.idle_wait(60))
    await asyncio.sleep(0.3)
    imap_server.append("INBOX", message(1), internal_date=JAN)
    assert (1, b"EXISTS") in await asyncio.wait_for(waiting, 10)
    await mailbox.noop()


async def test_cancelling_again_and_after_the_end_is_harmless(mailbox: ImapMailbox) -> None:
    await mailbox.examine("INBOX")
    for _ in range(3):  # each wait has its own wake; a spent one is closed
        waiting = asyncio.create_task(mailbox.idle_wait(60))
        await asyncio.sleep(0.1)
        waiting.cancel()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    assert await mailbox.idle_wait(0.3) == []
    await mailbox.noop()


# --- a notice that arrives in the same packet as IDLE's continuation ------------------

SCRIPT = {
    b"CAPABILITY": b"* CAPABILITY IMAP4rev1 IDLE\r\n{tag} OK done\r\n",
    b"LOGIN": b"{tag} OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n",
    b"EXAMINE": b"* 0 EXISTS\r\n* OK [UIDVALIDITY 7] x\r\n* OK [UIDNEXT 1] x\r\n"
    b"{tag} OK [READ-ONLY] done\r\n",
    # the continuation and a new message in ONE write: the notice sits in imaplib's
    # buffer while the socket has nothing more to read
    b"IDLE": b"+ idling\r\n* 1 EXISTS\r\n",
    b"NOOP": b"{tag} OK done\r\n",
    b"LOGOUT": b"* BYE bye\r\n{tag} OK done\r\n",
}


async def _scripted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"* OK [CAPABILITY IMAP4rev1 IDLE] scripted\r\n")
    idle_tag = b""
    while line := await reader.readline():
        if line.strip() == b"DONE":
            writer.write(idle_tag + b" OK idle done\r\n")
            continue
        tag, command = line.strip().split(b" ", 2)[:2]
        idle_tag = tag if command.upper() == b"IDLE" else idle_tag
        writer.write(SCRIPT[command.upper()].replace(b"{tag}", tag))
        await writer.drain()
    writer.close()


async def test_a_notice_already_read_into_the_buffer_is_not_slept_on() -> None:
    server = await asyncio.start_server(_scripted, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    ep = ImapEndpoint(HOST, port, "none", "u", lambda: "p", timeout_s=5.0)
    async with server, ImapMailbox(ep) as mb:
        await mb.examine("INBOX")
        # without the look into the buffer this would sleep the whole 30 s
        assert (1, b"EXISTS") in await asyncio.wait_for(mb.idle_wait(30), 5)
        await mb.noop()
