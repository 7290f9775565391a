"""Mailboxes not read for too long: said once when it starts, once when it ends.

``run`` checks every account at its housekeeping and each account after its own
cycle. A stale mailbox is logged (``sync.stale``) and recorded as an event, which
the daily summary shows; policy holds that account's nudges meanwhile (never send
on stale data, docs/behaviour.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from ghostwatch.config.loader import AccountConfig
from ghostwatch.core.views import iso
from ghostwatch.store.database import Store

log = structlog.get_logger(__name__)


@dataclass
class StaleMailboxes:
    """The accounts reported stale and not yet recovered. ``started``: when the
    service started (an account never read counts from then)."""

    started: datetime | None = None
    reported: set[str] = field(default_factory=set)

    def clear(self) -> None:
        self.reported.clear()

    def check(self, store: Store, accounts: Iterable[AccountConfig], now: datetime) -> None:
        """Warn once (log ``sync.stale`` and an event for the summary) when an account's
        mailbox has not been read for longer than its ``max_sync_age``; log
        ``sync.recovered`` once it is read again. Raise StoreError if the store fails."""
        accounts = list(accounts)
        rows = store.account_states(a.name for a in accounts)  # one query for all of them
        for account in accounts:
            row = rows.get(account.name)
            last = row.last_sync_at if row else None
            since = last or self.started or now
            if now - since <= account.max_sync_age:
                if account.name in self.reported:
                    self.reported.discard(account.name)
                    log.info("sync.recovered", account=account.name, last_sync=iso(last))
                continue
            if account.name not in self.reported:
                self.reported.add(account.name)
                error = row.last_error if row else None
                log.warning(
                    "sync.stale",
                    account=account.name,
                    last_sync=iso(last),
                    max_sync_age_s=account.max_sync_age.total_seconds(),
                    last_error=error,
                )
                store.append_event(
                    "sync.stale", at=now, account=account.name, last_sync=last, error=error
                )


__all__ = ["StaleMailboxes"]
