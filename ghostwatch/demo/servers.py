"""The demo's throwaway mail servers: pymap (IMAP, in memory) and aiosmtpd (SMTP).

Both listen on 127.0.0.1, on ports the system chooses, and run in one background
thread with its own event loop, so the code under demonstration talks to them over
real sockets exactly as it would to a provider. Nothing touches the disk; everything
is gone when ``stop`` returns.

The SMTP server records every message it accepts and delivers nothing: it puts no
copy in Sent either (ghostwatch files its own copy, as with most providers).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import threading
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from imapclient import IMAPClient

USER = "nino@studio.example"
FOLDERS = ("Sent", "Drafts")  # pymap starts with INBOX only


@dataclass(frozen=True)
class Accepted:
    """One message the SMTP server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes


@dataclass
class _Recorder:
    """aiosmtpd handler: keep the message, answer 250."""

    messages: list[Accepted] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content or b"")
        self.messages.append(Accepted(str(envelope.mail_from), tuple(envelope.rcpt_tos), raw))
        return "250 2.0.0 OK: kept by the demo, delivered nowhere"


async def _start_imap(password: str) -> asyncio.Server:
    """Start pymap's dict backend with one user; return the listening server."""
    from proxyprotocol.reader import ProxyProtocolReader
    from pymap.backend.dict import DictBackend
    from pymap.imap import IMAPServer
    from pysasl.hashing import Cleartext

    args = argparse.Namespace(
        host="127.0.0.1",
        port=0,
        debug=False,
        cert=None,
        key=None,
        tls=False,
        passlib_cfg=None,
        proxy_protocol=None,
        inherited_sockets=None,
        demo_data=False,
        demo_user=USER,
        demo_password=password,
    )
    # Cleartext: a throwaway in-memory user; a password hash would cost ~0.1 s a login.
    backend, config = await DictBackend.init(args, hash_context=Cleartext(), invalid_user_sleep=0.0)
    config.apply_context()
    callback = ProxyProtocolReader(config.proxy_protocol).get_callback(
        IMAPServer(backend.login, config)
    )
    return await asyncio.start_server(callback, host="127.0.0.1", port=0)


async def _start_smtp(recorder: _Recorder) -> asyncio.Server:
    from aiosmtpd.smtp import SMTP

    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(recorder, hostname="smtp.demo.invalid"), host="127.0.0.1", port=0
    )


class MailStack:
    """IMAP and SMTP on loopback for one demo run; use ``with MailStack() as stack``."""

    def __init__(self) -> None:
        self.user = USER
        self.password = secrets.token_urlsafe(12)
        self.imap_port = 0
        self.smtp_port = 0
        self._recorder = _Recorder()
        self._loop = asyncio.new_event_loop()
        self._servers: list[asyncio.Server] = []
        self._thread = threading.Thread(target=self._run, name="demo-mail", daemon=True)
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._client: IMAPClient | None = None

    @property
    def accepted(self) -> list[Accepted]:
        return list(self._recorder.messages)

    def __enter__(self) -> MailStack:
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._failure is not None or not self._servers:
            self.stop()
            raise RuntimeError(f"the demo mail servers did not start: {self._failure!r}")
        client = IMAPClient("127.0.0.1", port=self.imap_port, ssl=False, timeout=30)
        client.login(self.user, self.password)
        for name in FOLDERS:
            client.create_folder(name)
        self._client = client
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            imap = self._loop.run_until_complete(_start_imap(self.password))
            smtp = self._loop.run_until_complete(_start_smtp(self._recorder))
            self._servers = [imap, smtp]
            self.imap_port = imap.sockets[0].getsockname()[1]
            self.smtp_port = smtp.sockets[0].getsockname()[1]
        except Exception as exc:  # reported by __enter__ in the caller's thread
            self._failure = exc
        finally:
            self._ready.set()
        if self._failure is None:
            self._loop.run_forever()
        self._shutdown()

    def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        tasks = asyncio.all_tasks(self._loop)
        for task in tasks:
            task.cancel()
        with suppress(Exception):
            self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self._loop.close()

    def append(self, folder: str, raw: bytes, at: datetime) -> None:
        """APPEND ``raw`` to ``folder`` with INTERNALDATE ``at`` (as a mail server
        would on delivery, or a mail client when you send)."""
        assert self._client is not None, "use MailStack as a context manager"
        flags = (b"\\Seen",) if folder != "INBOX" else ()
        self._client.append(folder, raw, flags=flags, msg_time=at)

    def stop(self) -> None:
        if self._client is not None:
            with suppress(Exception):
                self._client.logout()
            self._client = None
        if self._thread.is_alive():
            with suppress(RuntimeError):  # the loop closed itself after a failed start
                self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
