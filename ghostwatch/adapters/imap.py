"""imapclient adapter: one IMAP mailbox behind an async API.

``ImapMailbox`` is the folder operations (list, STATUS, EXAMINE, search, fetch,
APPEND, IDLE) on one ``ImapSession`` connection (``adapters/imap_session.py``, which
keeps Rules 2 to 5: one worker thread, broken stays broken, errors translated at the
boundary, logins through the gate, TLS always verified). Rule this module keeps:
- Rule 1, read-only reading: folders are opened with EXAMINE and messages fetched
  with BODY.PEEK, so reading never sets ``\\Seen``. APPEND is the only write.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ghostwatch.adapters import imap_fetch, imap_idle
from ghostwatch.adapters.imap_fetch import FetchedHeaders
from ghostwatch.adapters.imap_session import ImapSession
from ghostwatch.core.domain import FolderRole
from ghostwatch.errors import MailboxError

__all__ = ["MAX_IDLE_S", "FolderStatus", "ImapMailbox"]

MAX_IDLE_S = 25 * 60.0  # RFC 2177: servers may drop an IDLE after 29 minutes
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]", re.IGNORECASE)
_ROLE_FLAGS = {
    b"\\sent": FolderRole.SENT,
    b"\\drafts": FolderRole.DRAFTS,
    b"\\all": FolderRole.ALL,
    b"\\allmail": FolderRole.ALL,  # Gmail's XLIST name for \All
}


@dataclass(frozen=True)
class FolderStatus:
    uidvalidity: int
    uidnext: int
    messages: int
    highestmodseq: int | None  # None when the server lacks CONDSTORE


class ImapMailbox(ImapSession):
    """One IMAP mailbox on one connection. Construct, then ``async with``; the
    constructor never connects. Not reusable: after ``__aexit__`` or a broken
    connection, make a new one. Calls from concurrent tasks are safe: they run one
    after another on the worker.
    """

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


# --- worker-thread helpers and response parsing ----------------------------------


def _ignore_result(task: asyncio.Future[Any]) -> None:
    """Mark a read-ahead's outcome as seen (its failure already broke the connection)."""
    if not task.cancelled():
        task.exception()


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
