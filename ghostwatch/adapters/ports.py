"""The ports the app depends on: what it uses of a mailbox, a mailer and the clock.

``ghostwatch.app`` is written against these Protocols, never against ``ImapMailbox``
or ``SmtpMailer``: only the composition root (``ghostwatch.app.bootstrap``) names the
concrete adapters, and a test hands its fake (a recording mailbox, a mailer that
breaks) to the root's factories instead of patching a module global.

The contracts are the adapters' own (imap.py, smtp.py): a fake must keep them, e.g.
``Mailer.send`` raises only the ``Send*`` errors or ``ValueError``, and a ``Mailbox``
breaks for good after a failed call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date, datetime
from email.message import EmailMessage
from types import TracebackType
from typing import Any, Protocol, Self

from ghostwatch.adapters.imap import FolderStatus
from ghostwatch.adapters.imap_fetch import FetchedHeaders
from ghostwatch.adapters.imap_session import ImapEndpoint
from ghostwatch.adapters.smtp import SendReceipt, SmtpEndpoint
from ghostwatch.core.domain import FolderRole

__all__ = ["Clock", "Mailbox", "MailboxFactory", "Mailer", "MailerFactory"]


class Clock(Protocol):
    """Now, as an aware UTC datetime. A plain function is one (``utcnow``, a test's
    simulated clock, ``--now``'s offset clock): every caller already passes one."""

    def __call__(self) -> datetime: ...


class Mailbox(Protocol):
    """One logged-in IMAP connection (``ImapMailbox``): ``async with`` logs in and out;
    a failed call raises ``MailboxError`` and the connection is not used again."""

    capabilities: frozenset[str]

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def special_folders(self) -> dict[FolderRole, str]: ...

    async def folder_names(self) -> list[str]: ...

    async def status(self, folder: str) -> FolderStatus: ...

    async def statuses(self, folders: Sequence[str]) -> dict[str, FolderStatus]: ...

    async def examine(self, folder: str) -> FolderStatus: ...

    async def search_uids(
        self, *, since: date | None = None, min_uid: int | None = None
    ) -> list[int]: ...

    def fetch_headers(
        self, uids: Sequence[int], fields: Sequence[bytes], *, batch: int = 1000
    ) -> AsyncIterator[list[FetchedHeaders]]: ...

    async def fetch_bodies(
        self, uids: Sequence[int], *, max_bytes: int = 256_000
    ) -> dict[int, bytes]: ...

    async def find_by_message_id(self, folder: str, message_id: str) -> int | None: ...

    async def append(
        self,
        folder: str,
        msg: bytes,
        *,
        flags: Sequence[bytes] = (),
        internal_date: datetime | None = None,
    ) -> int | None: ...

    async def noop(self) -> None: ...

    async def idle_wait(self, timeout_s: float) -> list[Any]: ...


class Mailer(Protocol):
    """What the courier and the summary send through (``SmtpMailer``, or a test's fake).

    ``send`` returns a receipt or raises ``SendRetryable`` / ``SendRejected`` /
    ``SendAuthError`` / ``SendTlsError`` (nothing was sent), ``SendOutcomeUnknown``
    (the content may have been delivered) or ``ValueError`` (refused before
    connecting). Any other exception is treated as an unknown outcome. ``close``
    ends the connection (QUIT) and is always called, also after a failed send.
    """

    async def send(self, msg: EmailMessage) -> SendReceipt: ...

    async def close(self) -> None: ...


# How the composition root turns an endpoint into a connection: the concrete class,
# or a test's fake. Neither factory connects; the connection opens on first use.
MailboxFactory = Callable[[ImapEndpoint], Mailbox]
MailerFactory = Callable[[SmtpEndpoint], Mailer]
