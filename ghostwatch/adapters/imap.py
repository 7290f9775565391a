"""imapclient adapter: one IMAP connection behind an async API.

Rules this module keeps:
- Rule 1, read-only reading: folders are opened with EXAMINE and messages fetched
  with BODY.PEEK, so reading never sets ``\\Seen``. APPEND is the only write.
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
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import structlog
from imapclient import IMAPClient
from imapclient.exceptions import LoginError, ProtocolError

from ghostwatch.adapters import imap_fetch, imap_idle
from ghostwatch.adapters.auth_backoff import LoginGate
from ghostwatch.adapters.imap_fetch import FetchedHeaders
from ghostwatch.adapters.net import is_loopback, server_words, tls_context
from ghostwatch.core.domain import FolderRole
from ghostwatch.errors import ConfigError, MailboxAuthError, MailboxError

log = structlog.get_logger(__name__)

T = TypeVar("T")

SECURITY_MODES = frozenset({"tls", "starttls", "none"})
MAX_IDLE_S = 25 * 60.0  # RFC 2177: servers may drop an IDLE after 29 minutes
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]", re.IGNORECASE)
_ROLE_FLAGS = {
    b"\\sent": FolderRole.SENT,
    b"\\drafts": FolderRole.DRAFTS,
    b"\\all": FolderRole.ALL,
    b"\\allmail": FolderRole.ALL,  # Gmail's XLIST name for \All
}
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


@dataclass(frozen=True)
class FolderStatus:
    uidvalidity: int
    uidnext: int
    messages: int
    highestmodseq: int | None  # None when the server lacks CONDSTORE


class ImapMailbox:
    """One IMAP connection. Construct, then ``async with``; the constructor never
    connects. Not reusable: after ``__aexit__`` or a broken connection, make a new one.
    Calls from concurrent tasks are safe: they run one after another on the worker.
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

    # --- folders -----------------------------------------------------------------

    async def special_folders(self) -> dict[FolderRole, str]:
        """Return role -> folder name from SPECIAL-USE (or Gmail XLIST) flags.

        INBOX is always present; roles the server does not flag are absent.
        The first folder flagged with a role wins.
        """
        use_xlist = "SPECIAL-USE" not in self.capabilities and "XLIST" in self.capabilities
        listing = await self._call(
            "list", lambda c: c.xlist_folders() if use_xlist else c.list_folders()
        )
        roles: dict[FolderRole, str] = {FolderRole.INBOX: "INBOX"}
        for flags, _delimiter, name in listing:
            for flag in flags:
                role = _ROLE_FLAGS.get(bytes(flag).lower())
                if role is not None and role not in roles:
                    roles[role] = str(name)
        return roles

    async def folder_names(self) -> list[str]:
        """Return the name of every folder the server lists (LIST "" "*")."""
        listing = await self._call("list", lambda c: c.list_folders())
        return [str(name) for _flags, _delimiter, name in listing]

    async def status(self, folder: str) -> FolderStatus:
        """STATUS of ``folder`` in one round trip, without selecting it.

        Raise MailboxError if the folder does not exist.
        """
        return (await self.statuses([folder]))[folder]

    async def statuses(self, folders: Sequence[str]) -> dict[str, FolderStatus]:
        """STATUS of each of ``folders`` (one round trip each, all in one hand-over to
        the worker thread); raise MailboxError if one does not exist."""
        what = [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"]
        if "CONDSTORE" in self.capabilities:
            what.append(b"HIGHESTMODSEQ")
        data = await self._call(
            "status", lambda c: {folder: c.folder_status(folder, what) for folder in folders}
        )
        return {folder: _folder_status(data[folder], b"MESSAGES", folder) for folder in folders}

    async def examine(self, folder: str) -> FolderStatus:
        """Open ``folder`` read-only (EXAMINE); later searches and fetches apply to it.

        Raise MailboxError if it does not exist (then no folder is examined).
        """
        self._selected = None
        data = await self._call("examine", lambda c: c.select_folder(folder, readonly=True))
        self._selected = folder
        if b"UIDNEXT" not in data:  # optional in RFC 3501; ask STATUS instead
            return await self.status(folder)
        return _folder_status(data, b"EXISTS", folder)

    # --- reading -----------------------------------------------------------------

    async def search_uids(
        self, *, since: date | None = None, min_uid: int | None = None
    ) -> list[int]:
        """Return the ascending UIDs in the examined folder with INTERNALDATE on or after
        ``since`` (a date, as the server counts days) and UID >= ``min_uid``.

        Both None: every UID. ``min_uid`` is applied here too, because ``N:*`` always
        matches the highest UID even when it is below N.
        """
        self._require_selected("search")
        criteria: list[Any] = []
        if since is not None:
            criteria += ["SINCE", since]
        if min_uid is not None:
            criteria += ["UID", f"{max(min_uid, 1)}:*"]
        uids = await self._call("search", lambda c: c.search(criteria or ["ALL"]))
        return sorted(int(u) for u in uids if min_uid is None or u >= min_uid)

    async def fetch_headers(
        self, uids: Sequence[int], fields: Sequence[bytes], *, batch: int = 1000
    ) -> AsyncIterator[list[FetchedHeaders]]:
        """Yield the given header ``fields`` of ``uids`` (examined folder), ascending,
        at most ``batch`` per list. Uses BODY.PEEK: no flag changes. UIDs that no
        longer exist are left out; an empty ``uids`` yields nothing.

        Reads one batch ahead: while the caller works on a batch, the worker fetches
        the next, so the network and the server's work overlap the caller's. Commands
        the caller sends meanwhile run after that read-ahead (Rule 2). A read-ahead
        the caller never asks for is still run to its end, so the connection stays in
        step; its failure then surfaces on the next call (Rule 3).
        """
        self._require_selected("fetch")
        if batch < 1 or not fields:
            raise ValueError("fetch_headers needs batch >= 1 and at least one field")
        names = b" ".join(bytes(f).upper() for f in fields)
        items = [b"BODY.PEEK[HEADER.FIELDS (" + names + b")]", b"INTERNALDATE", b"RFC822.SIZE"]
        ordered = sorted({int(u) for u in uids})
        chunks = [ordered[start : start + batch] for start in range(0, len(ordered), batch)]
        ahead: asyncio.Task[list[FetchedHeaders]] | None = None
        try:
            for number in range(len(chunks)):
                current = ahead or self._fetch_task(chunks[number], items)
                ahead = None
                found = await current
                if number + 1 < len(chunks):
                    ahead = self._fetch_task(chunks[number + 1], items)
                yield found
        finally:
            if ahead is not None:  # the caller stopped early: let it finish, unobserved
                ahead.add_done_callback(_ignore_result)

    def _fetch_task(
        self, chunk: list[int], items: list[bytes]
    ) -> asyncio.Task[list[FetchedHeaders]]:
        async def fetch() -> list[FetchedHeaders]:
            try:
                data = await self._call(
                    "fetch", lambda c: imap_fetch.fetch_headers_reply(c, chunk, items)
                )
            except imap_fetch.FetchReplyError as exc:
                raise MailboxError(str(exc)) from exc
            return [data[uid] for uid in chunk if uid in data]

        return asyncio.ensure_future(fetch())

    async def fetch_body(self, uid: int, *, max_bytes: int = 256_000) -> bytes:
        """Return the first ``max_bytes`` of message ``uid`` (examined folder) with
        BODY.PEEK (no flag changes); ``b""`` if the UID no longer exists."""
        return (await self.fetch_bodies([uid], max_bytes=max_bytes)).get(uid, b"")

    async def fetch_bodies(
        self, uids: Sequence[int], *, max_bytes: int = 256_000
    ) -> dict[int, bytes]:
        """Return UID -> the first ``max_bytes`` of each message in ``uids`` (examined
        folder), in ONE ``UID FETCH`` with BODY.PEEK (no flag changes). UIDs that no
        longer exist are left out; an empty ``uids`` sends nothing."""
        self._require_selected("fetch")
        wanted = sorted({int(u) for u in uids})
        if not wanted:
            return {}
        item = f"BODY.PEEK[]<0.{int(max_bytes)}>".encode()
        data = await self._call("fetch", lambda c: c.fetch(wanted, [item]))
        return {uid: imap_fetch.section(data[uid], b"BODY[]") for uid in wanted if uid in data}

    async def find_by_message_id(self, folder: str, message_id: str) -> int | None:
        """Return the highest UID in ``folder`` whose Message-ID (or Exchange's
        X-Microsoft-Original-Message-ID) is ``message_id``; None if there is none.

        Angle brackets are added when missing. Leaves ``folder`` examined.
        """
        wanted = message_id.strip()
        if not wanted.startswith("<"):
            wanted = f"<{wanted}>"
        await self.examine(folder)
        criteria = [
            "OR",
            *("HEADER", "Message-ID", wanted),
            *("HEADER", "X-Microsoft-Original-Message-ID", wanted),
        ]
        uids = await self._call("search", lambda c: c.search(criteria))
        return max(uids) if uids else None

    # --- writing and waiting -----------------------------------------------------

    async def append(
        self,
        folder: str,
        msg: bytes,
        *,
        flags: Sequence[bytes] = (),
        internal_date: datetime | None = None,
    ) -> int | None:
        """APPEND ``msg`` to ``folder``; return its UID (None without UIDPLUS).

        ``internal_date`` must be aware; None lets the server use the current time.
        """
        if internal_date is not None and internal_date.tzinfo is None:
            raise ValueError("append: internal_date must be timezone-aware")
        reply = await self._call(
            "append",
            lambda c: c.append(folder, msg, flags=tuple(flags), msg_time=internal_date),
        )
        found = _APPENDUID.search(reply if isinstance(reply, bytes) else b"")
        return int(found.group(1)) if found else None

    async def noop(self) -> None:
        """NOOP: prove the connection is alive (raise MailboxError if not)."""
        await self._call("noop", lambda c: c.noop())

    async def idle_wait(self, timeout_s: float) -> list[Any]:
        """IDLE on the examined folder until the server reports something or
        ``timeout_s`` (capped at MAX_IDLE_S) passes, then DONE.

        Return the untagged responses (e.g. ``(3, b"EXISTS")``); ``[]`` on timeout.
        Keep-alive ``OK`` lines are not reported. Any error raises MailboxError and
        breaks the connection (Rule 3): the caller reconnects and resyncs.

        The worker thread sleeps until one of those happens, never waking on its own
        (ghostwatch.adapters.imap_idle). Cancellation: cancelling the awaiting task raises
        CancelledError at once and wakes the thread, which sends DONE at once; the
        connection stays usable (later calls queue behind it; ``__aexit__`` waits).
        """
        self._require_selected("idle")
        wake = imap_idle.Wake()
        try:
            return await self._call("idle", imap_idle.idle, min(timeout_s, MAX_IDLE_S), wake)
        except asyncio.CancelledError:
            wake.set()
            raise
        except MailboxError as exc:
            self._mark_broken("idle", exc)
            raise
        finally:
            self._close_when_done(wake)

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


# --- worker-thread helpers and response parsing ----------------------------------


def _ignore_result(task: asyncio.Future[Any]) -> None:
    """Mark a read-ahead's outcome as seen (its failure already broke the connection)."""
    if not task.cancelled():
        task.exception()


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


def _folder_status(data: dict[bytes, Any], count_key: bytes, folder: str) -> FolderStatus:
    try:
        modseq = data.get(b"HIGHESTMODSEQ")
        return FolderStatus(
            uidvalidity=int(data[b"UIDVALIDITY"]),
            uidnext=int(data[b"UIDNEXT"]),
            messages=int(data[count_key]),
            highestmodseq=None if modseq is None else int(modseq),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MailboxError(f"IMAP status of {folder!r}: incomplete reply {data!r}") from exc
