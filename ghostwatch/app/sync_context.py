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
from ghostwatch.app.promise_effects import PromiseReader
from ghostwatch.config.models import PaymentMatcher
from ghostwatch.core.domain import ClientMatcher, Envelope
from ghostwatch.core.mail import classify

__all__ = ["SyncContext", "clients_key"]


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
