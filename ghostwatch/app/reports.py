"""What one cycle did: per account, and for the whole run (``App.cycle``'s result).

Read by the command line (``once``'s exit status and lines), the service (backoff,
wake-ups), ``[health]`` (heartbeat, metrics) and the quiet poll; plain data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ghostwatch.app.courier import Delivery
from ghostwatch.app.sync import SyncReport
from ghostwatch.core.domain import Decision

__all__ = ["AccountReport", "CycleReport"]


@dataclass
class AccountReport:
    account: str
    sync: SyncReport | None = None
    decisions: list[Decision] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    ghosted: list[str] = field(default_factory=list)
    error: str | None = None
    dry_run: bool = False
    held_by: str | None = None  # another ghostwatch process works on it: skipped


@dataclass
class CycleReport:
    now: datetime
    accounts: list[AccountReport] = field(default_factory=list)
    summary_sent: bool = False
    errors: list[str] = field(default_factory=list)  # outside any account (invoices, summary)

    @property
    def ok(self) -> bool:
        return not self.errors and all(a.error is None for a in self.accounts)
