"""Sync connections kept between cycles, one per account (``run`` only).

A cycle of one account used to log in, sync and log out; at 100 accounts a poll was
100 logins. The service keeps each account's sync connection open instead (the
watcher's IDLE connection is another one: a connection in IDLE takes no commands).

Invariants:
1. A connection is lent to one cycle at a time (``session`` takes it out of the
   pool); a cycle that fails in any way closes it, so a broken or half-read
   connection is never reused (imap.py Rule 3).
2. A kept connection is proved alive (NOOP) before it is lent; if that fails, a new
   one is opened in the same session, so a connection the server dropped while we
   waited (autologout, a restart) costs a login, not a failed cycle.
3. A connection is reused only for the same server and user; a reload that changes
   them gets a new one. With ``keep`` False (``once``) every session logs out.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import structlog

from ghostwatch.adapters.imap import ImapMailbox
from ghostwatch.adapters.imap_session import ImapEndpoint
from ghostwatch.adapters.ports import Mailbox, MailboxFactory
from ghostwatch.errors import MailboxError

log = structlog.get_logger(__name__)

_Identity = tuple[str, int, str, str, str | None]


def _identity(endpoint: ImapEndpoint) -> _Identity:
    return (endpoint.host, endpoint.port, endpoint.security, endpoint.username, endpoint.ca_file)


class MailboxPool:
    """Logged-in sync connections by account name (see the module's invariants)."""

    def __init__(self, *, keep: bool = False, opener: MailboxFactory = ImapMailbox) -> None:
        self.keep = keep
        self._opener = opener  # the composition root's seam (a recording adapter in tests)
        self._idle: dict[str, tuple[_Identity, Mailbox]] = {}

    def __len__(self) -> int:
        return len(self._idle)

    @contextlib.asynccontextmanager
    async def session(self, name: str, endpoint: ImapEndpoint) -> AsyncIterator[Mailbox]:
        """Lend ``name``'s connection (logging in if there is none usable); raise as
        ``ImapMailbox.__aenter__`` does if a new login fails."""
        mailbox = await self._reusable(name, endpoint)
        if mailbox is None:
            mailbox = self._opener(endpoint)
            await mailbox.__aenter__()
        ok = False
        try:
            yield mailbox
            ok = True
        finally:
            if ok and self.keep:
                self._idle[name] = (_identity(endpoint), mailbox)
            else:
                await mailbox.__aexit__(None, None, None)

    async def _reusable(self, name: str, endpoint: ImapEndpoint) -> Mailbox | None:
        kept = self._idle.pop(name, None)
        if kept is None:
            return None
        identity, mailbox = kept
        if identity == _identity(endpoint):
            try:
                await mailbox.noop()
                return mailbox
            except MailboxError as exc:
                log.info("imap.kept_connection_lost", error=str(exc))
        await mailbox.__aexit__(None, None, None)
        return None

    async def discard(self, name: str) -> None:
        """Log out ``name``'s kept connection, if any (its account was given back)."""
        kept = self._idle.pop(name, None)
        if kept is not None:
            await kept[1].__aexit__(None, None, None)

    async def close(self) -> None:
        """Log out every kept connection."""
        for name in list(self._idle):
            await self.discard(name)


__all__ = ["MailboxPool"]
