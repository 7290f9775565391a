"""What one account's sync needs to know: who the account is, its clients, the scan
window and the fields that make it read payments, promises and replies to summaries.

Built by the composition root per cycle (``App._sync``) and read by ``sync`` and
``sync_effects``; frozen, so a sync never changes what it was asked to do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from ghostwatch.adapters.progress import NO_PROGRESS, ScanProgress
from ghostwatch.app import promise_effects
from ghostwatch.app.promise_effects import PromiseReader
from ghostwatch.config.loader import AccountConfig, Config, PaymentMatcher
from ghostwatch.core.domain import ClientMatcher, Envelope, FolderRole
from ghostwatch.core.mail import classify
from ghostwatch.store.database import Store

__all__ = ["SyncContext", "clients_key", "promise_readers", "wanted_folders"]


@dataclass(frozen=True)
class SyncContext:
    account: str
    addresses: frozenset[str]  # the account's own addresses
    matchers: Sequence[ClientMatcher]
    initial_scan: timedelta
    now: datetime
    nudge_ids: frozenset[str] = frozenset()  # Message-IDs of our own nudges
    payment_matchers: Sequence[PaymentMatcher] = ()  # the account's payment_matchers
    # clients whose human replies are read for promises to pay (promise_effects)
    promise_readers: Mapping[str, PromiseReader] = field(default_factory=dict)
    # header bytes + INTERNALDATE -> Envelope; a seam for tests (a parser that fails)
    parse: Callable[..., Envelope] = classify.parse_headers
    progress: ScanProgress = NO_PROGRESS  # a bar or sync.progress events during a scan
    # summary commands (docs/commands.md): Message-IDs of the summaries sent, and the
    # folder (INBOX) whose replies to them are queued; empty: none are looked for
    summary_ids: frozenset[str] = frozenset()
    command_folder: str = ""

    @cached_property
    def clients(self) -> classify.ClientIndex:
        """``matchers`` indexed once, so matching a message costs a dict lookup."""
        return classify.ClientIndex(self.matchers)

    @cached_property
    def clients_key(self) -> str:
        """A digest of ``matchers`` (``clients_key``; Invariant 8)."""
        return clients_key(self.matchers)


def clients_key(matchers: Sequence[ClientMatcher]) -> str:
    """A digest of the client matchers, the same for the same clients in any order."""
    canon = sorted((m.name, sorted(m.emails), sorted(m.domains)) for m in matchers)
    return hashlib.sha256(json.dumps(canon, ensure_ascii=False).encode()).hexdigest()[:16]


def wanted_folders(account: AccountConfig) -> dict[FolderRole, str]:
    """The account's configured folder names by role (``sync.resolve_folders`` maps
    them to the server's)."""
    f = account.imap.folders
    return {
        FolderRole.INBOX: f.inbox,
        FolderRole.SENT: f.sent,
        FolderRole.DRAFTS: f.drafts,
        FolderRole.ALL: f.all,
    }


def promise_readers(
    config: Config, store: Store, account: AccountConfig
) -> dict[str, PromiseReader]:
    """The account's clients with an open invoice or a deadline: their replies are
    read for promises (docs/promises.md)."""
    clients = config.clients_of(account.name)
    owing = {i.client for i in store.invoices(account.name) if i.paid_at is None}
    owing |= {c.name for c in clients if c.deadlines}
    languages = {c.name: c.language for c in clients}
    zones = {c.name: config.rules_for(c).timezone for c in clients}
    deadlines = {c.name: tuple((d.what, d.due) for d in c.deadlines) for c in clients}
    return promise_effects.readers(languages, zones, owing, deadlines)
