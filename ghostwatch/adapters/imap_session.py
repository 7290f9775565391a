"""One IMAP connection on its own worker thread: connect, log in, run commands, close.

``ImapSession`` is the connection under ``ImapMailbox`` (``adapters/imap.py``, the
folder operations). Rules it keeps:
- Rule 2, one connection, one thread: imapclient is synchronous and not
  thread-safe, so every command of a mailbox runs, in order, on that mailbox's own
  single worker thread (``ThreadPoolExecutor(max_workers=1)``).
- Rule 3, broken stays broken: after a timeout, a dropped connection, a TLS or
  protocol fault, or any IDLE error, every later call raises MailboxError. The
  caller makes a new ImapMailbox and resyncs from the UIDs it stored.
- Rule 4, errors are translated at this boundary: MailboxAuthError when the server
  refuses the credentials (its reply as plain words, never a Python bytes repr),
  MailboxError for everything else, including a server that cannot check logins right
  now (``[UNAVAILABLE]``). The password or OAuth2 token is read
  (``endpoint.password()``) only to log in, afresh for every connection, and is never
  logged or kept.
- Rule 5, logins go through the endpoint's ``gate`` when it has one
  (``ghostwatch.adapters.auth_backoff``): after a refusal nobody logs in again before
  ``auth_retry``.
- TLS certificates are always verified ("tls" and "starttls"); "none" is refused
  unless the host is a loopback address.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, TypeVar

import structlog
from imapclient import IMAPClient
from imapclient.exceptions import LoginError, ProtocolError

from ghostwatch.adapters import imap_idle
from ghostwatch.adapters.auth_backoff import LoginGate
from ghostwatch.adapters.net import is_loopback, server_words, tls_context
from ghostwatch.errors import ConfigError, MailboxAuthError, MailboxError

__all__ = ["SECURITY_MODES", "ImapEndpoint", "ImapSession"]

log = structlog.get_logger("ghostwatch.adapters.imap")  # one logger name for the adapter

T = TypeVar("T")

SECURITY_MODES = frozenset({"tls", "starttls", "none"})
# Faults after which the connection's state is unknown (Rule 3). ssl.SSLError and
# socket timeouts are OSErrors; imaplib's abort means the server hung up.
_BROKEN = (OSError, imaplib.IMAP4.abort, ProtocolError, EOFError)
# NO replies to LOGIN that say nothing about the credentials (RFC 5530 codes)
_NOT_NOW = re.compile(r"\[(UNAVAILABLE|SERVERBUG|INUSE|LIMIT)\]", re.IGNORECASE)


@dataclass(frozen=True)
class ImapEndpoint:
    """Where and how to log in. ``password`` is called once per login, never logged;
    with ``auth = "xoauth2"`` it returns an OAuth2 access token (SASL XOAUTH2)."""

    host: str
    port: int
    security: str  # "tls" | "starttls" | "none"
    username: str
    password: Callable[[], str] = field(repr=False)
    timeout_s: float = 30.0
    ca_file: str | None = None  # extra CA bundle; verification is always on
    auth: str = "password"  # "password" (LOGIN) | "xoauth2" (AUTHENTICATE XOAUTH2)
    gate: LoginGate | None = field(default=None, repr=False, compare=False)


class ImapSession:
    """One IMAP connection (see the module rules). Construct, then ``async with``; the
    constructor never connects. Not reusable: after ``__aexit__`` or a broken
    connection, make a new one. Calls from concurrent tasks are safe: they run one
    after another on the worker.
    """

    def __init__(self, endpoint: ImapEndpoint) -> None:
        """Raise ConfigError for an unknown ``security`` or "none" on a non-loopback host."""
        if endpoint.security not in SECURITY_MODES:
            raise ConfigError([f"imap.security: {endpoint.security!r} is not tls|starttls|none"])
        if endpoint.security == "none" and not is_loopback(endpoint.host):
            raise ConfigError(
                [f"imap.security: 'none' is refused for {endpoint.host!r} (loopback only)"]
            )
        self._endpoint = endpoint
        self._executor: ThreadPoolExecutor | None = None
        self._client: IMAPClient | None = None
        self._broken: str | None = None
        self._selected: str | None = None
        self.capabilities: frozenset[str] = frozenset()
        self._log = log.bind(host=endpoint.host, port=endpoint.port)

    # --- lifecycle ---------------------------------------------------------------

    async def __aenter__(self) -> Self:
        """Connect, (STARTTLS,) log in, read capabilities and ENABLE CONDSTORE if offered.

        Raise MailboxAuthError if the login is refused, MailboxError if the server
        cannot be reached, the TLS handshake or certificate check fails, or the
        server lacks STARTTLS when asked for it.
        """
        if self._executor is not None:
            raise RuntimeError("an ImapMailbox can be entered only once")
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ghostwatch-imap")
        gate = self._endpoint.gate
        try:
            if gate is None:
                self._client, caps = await self._in_thread("connect", self._connect)
            else:
                self._client, caps = await gate.login(
                    lambda: self._in_thread("connect", self._connect)
                )
        except BaseException:
            self._executor.shutdown(wait=False)
            raise
        self.capabilities = frozenset(cap.decode("ascii", "replace").upper() for cap in caps)
        self._log.info("imap.connected", security=self._endpoint.security)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Log out (best effort; a broken connection is just closed) and stop the thread."""
        client, executor = self._client, self._executor
        graceful = self._broken is None
        self._client = None
        self._broken = self._broken or "closed"
        if client is not None and executor is not None:
            loop = asyncio.get_running_loop()
            with contextlib.suppress(Exception):
                await loop.run_in_executor(executor, _close, client, graceful)
        if executor is not None:
            executor.shutdown(wait=False)
        self._log.debug("imap.closed")

    def _connect(self) -> tuple[IMAPClient, tuple[bytes, ...]]:
        """Worker thread: connect, log in, read capabilities, ENABLE CONDSTORE if
        offered (so EXAMINE reports HIGHESTMODSEQ as STATUS does); close on failure."""
        ep = self._endpoint
        context = None if ep.security == "none" else tls_context(ep.ca_file)
        client = IMAPClient(
            ep.host, ep.port, ssl=ep.security == "tls", ssl_context=context, timeout=ep.timeout_s
        )
        try:
            if ep.security == "starttls":
                client.starttls(context)
            if ep.auth == "xoauth2":
                client.oauth2_login(ep.username, ep.password())
            else:
                client.login(ep.username, ep.password())
            caps = tuple(client.capabilities())
            if b"CONDSTORE" in caps:
                client.enable("CONDSTORE")
        except BaseException:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise
        client.normalise_times = False  # keep INTERNALDATE's offset; we convert to UTC
        return client, caps

    # --- running commands on the worker thread -----------------------------------

    async def _in_thread(self, op: str, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the worker; translate library errors (Rule 4)."""
        ep = self._endpoint
        where = f"IMAP {op} on {ep.host}:{ep.port}"
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        except LoginError as exc:
            reply = server_words(str(exc))
            if _NOT_NOW.search(reply):  # RFC 5530: the server cannot check logins now
                raise MailboxError(f"{where}: the server cannot log in now: {reply}") from None
            raise MailboxAuthError(
                f"IMAP {ep.host}:{ep.port}: login refused for {ep.username!r}: {reply}"
            ) from None
        except _BROKEN as exc:
            self._mark_broken(op, exc)
            raise MailboxError(f"{where} failed: {type(exc).__name__}: {exc}") from exc
        except imaplib.IMAP4.error as exc:  # a NO or BAD reply: the connection is fine
            raise MailboxError(f"{where} refused: {exc}") from exc

    async def _call(self, op: str, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(client, *args)`` on the worker; raise MailboxError if unusable."""
        if self._broken is not None or self._client is None:
            state = self._broken or "not connected (use 'async with')"
            raise MailboxError(f"IMAP {op} on {self._endpoint.host}: connection {state}")
        return await self._in_thread(op, fn, self._client, *args)

    def _mark_broken(self, op: str, exc: BaseException) -> None:
        if self._broken is None:
            self._broken = f"broken by {op}: {type(exc).__name__}"
            self._log.warning("imap.connection_broken", op=op, error=f"{type(exc).__name__}: {exc}")

    def _require_selected(self, op: str) -> None:
        if self._selected is None:
            raise MailboxError(f"IMAP {op}: no folder examined (call examine() first)")

    def _close_when_done(self, wake: imap_idle.Wake) -> None:
        """Close ``wake`` once the worker is past the IDLE (it may still be in it after a
        cancellation): a job queued behind it on the one worker thread does that."""
        if self._executor is None:
            wake.close()
            return
        try:
            self._executor.submit(wake.close)
        except RuntimeError:  # shut down: end the wait; its sockets close when collected
            wake.set()


def _close(client: IMAPClient, graceful: bool) -> None:
    """Worker thread: LOGOUT when ``graceful`` and possible, else close the socket."""
    if graceful:
        try:
            client.logout()  # imaplib closes the socket after LOGOUT
        except (imaplib.IMAP4.error, OSError):
            pass
        else:
            return
    client.shutdown()
