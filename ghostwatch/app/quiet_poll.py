"""A poll that costs almost nothing when nothing changed (``run`` only).

At 100 accounts every account's poll (every ``poll_interval``) ran a whole cycle:
sync writes, the decide pass, log lines, ~20 ms of CPU each, most of the idle cost.
An account whose INBOX is watched over IDLE needs its poll only to learn whether
anything changed. A quiet poll asks, over the account's kept connection, one STATUS
per folder the last full cycle synced, and the store for the account's newest event
id (ghostwatch.store.marks), and compares them with the cursors and the event id that
cycle left (the cursors are kept in memory: only a full cycle of this process, which
holds the account's lease, writes them).

Invariants:
1. Anything changed means the full cycle, exactly as before: a folder whose
   UIDVALIDITY changed or whose UIDNEXT passed its cursor, a cursor read for other
   clients, a folder missing, a new event of the account (a command, a promise, a
   payment), any fault (the connection, the store, anything unexpected). ``poll``
   then returns None and the service runs the full cycle; when in doubt, decide.
2. Nothing changed: no write transaction, no decide pass, no log line at info level.
   The decisions of the last full cycle still stand (schedule.quiet_until allows
   quiet polls only while every one of them waits for a later instant, so nothing
   can be due), and the report carries them to the monitor (heartbeat, metrics).
3. The stale-data guard keeps its meaning: the account's ``last_sync_at`` is written
   again once it is FRESH_SHARE of ``max_sync_age`` old, so it lags the last quiet
   read by at most that much (3 of the default 15 minutes) and a mailbox that stops
   answering is reported stale no later than before. A nudge is only ever sent by a
   full cycle, which syncs and records ``last_sync_at`` first.
4. A quiet poll of an account this process no longer holds does nothing (None).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import structlog

from ghostwatch.adapters.auth_backoff import AuthBackoff
from ghostwatch.adapters.imap import FolderStatus
from ghostwatch.adapters.mailbox_pool import MailboxPool
from ghostwatch.app.endpoints import imap_endpoint
from ghostwatch.app.health import Monitor
from ghostwatch.app.reports import AccountReport, CycleReport
from ghostwatch.app.sync import FolderReport, SyncReport
from ghostwatch.app.sync_context import clients_key
from ghostwatch.config.loader import AccountConfig, Config
from ghostwatch.core.domain import Decision, FolderRole
from ghostwatch.store.database import ChangeMarks, Store

log = structlog.get_logger(__name__)

FRESH_SHARE = 0.2  # of max_sync_age: how stale a recorded last_sync_at may grow


class Polled(Protocol):
    """What a quiet poll needs of the App: the configuration and the store, its kept
    connections and refused logins, its lease and its monitor."""

    @property
    def config(self) -> Config: ...

    @property
    def store(self) -> Store: ...

    @property
    def logins(self) -> AuthBackoff: ...

    @property
    def mailboxes(self) -> MailboxPool: ...

    @property
    def monitor(self) -> Monitor: ...

    def may_work(self, account: str) -> bool: ...


@dataclass
class Baseline:
    """What the last full cycle of an account left: its folders, clients and
    decisions, and the newest event id of the account just after it."""

    folders: tuple[tuple[str, FolderRole], ...]
    marks: ChangeMarks  # the cursors as that cycle left them (only it writes them)
    clients_key: str
    last_event_id: int
    decisions: list[Decision]
    recorded_sync_at: datetime  # the account's last_sync_at as stored


@dataclass
class QuietPolls:
    """The baselines of the accounts whose polls may be quiet."""

    baselines: dict[str, Baseline] = field(default_factory=dict)

    def remember(
        self, app: Polled, account: AccountConfig, report: CycleReport, *, last_event_id: int
    ) -> None:
        """After a full successful cycle of ``account`` (``report``): its baseline
        (raise StoreError if the store cannot give its cursors). ``last_event_id``:
        the account's newest event id read *before* that cycle decided, so a command
        logged while it ran makes the next poll a full one (at worst, a cycle that
        logs an event of its own costs one more full poll)."""
        [only] = [a for a in report.accounts if a.account == account.name]
        if only.sync is None:
            self.forget(account.name)
            return
        self.baselines[account.name] = Baseline(
            folders=tuple((f.folder, f.role) for f in only.sync.folders),
            marks=app.store.change_marks(account.name),
            clients_key=clients_key(app.config.matchers(account.name)),
            last_event_id=last_event_id,
            decisions=list(only.decisions),
            recorded_sync_at=report.now,
        )

    def forget(self, name: str) -> None:
        self.baselines.pop(name, None)

    def clear(self) -> None:
        self.baselines.clear()

    async def poll(self, app: Polled, account: AccountConfig, now: datetime) -> CycleReport | None:
        """Poll ``account`` quietly; return the cycle's report if nothing changed, None
        if the full cycle must run (Invariant 1). Never raises an Exception."""
        base = self.baselines.get(account.name)
        if base is None or not app.may_work(account.name):
            return None
        try:
            if not await _unchanged(app, account, base):
                log.debug("poll.changed", account=account.name)
                return None
            if now - base.recorded_sync_at >= account.max_sync_age * FRESH_SHARE:
                app.store.set_sync_ok(account.name, now)  # Invariant 3
                base.recorded_sync_at = now
        except Exception as exc:  # any doubt: the full cycle runs and reports it
            log.debug("poll.not_quiet", error=f"{type(exc).__name__}: {exc}")
            return None
        sync = SyncReport(account.name, [FolderReport(f, role) for f, role in base.folders])
        report = CycleReport(now, [AccountReport(account.name, sync, list(base.decisions))])
        app.monitor.cycle_done(report)  # never raises (health.py)
        log.debug("poll.quiet", account=account.name, folders=len(base.folders))
        return report


async def _unchanged(app: Polled, account: AccountConfig, base: Baseline) -> bool:
    """True if no folder and no event of the account changed since ``base``."""
    endpoint = imap_endpoint(account, app.logins)
    names = [folder for folder, _role in base.folders]
    # The pool's NOOP before lending also matters here: Dovecot answers STATUS of the
    # folder a connection has selected from what that session last saw, and NOOP brings
    # it up to date. A failed STATUS leaves the session by an exception: the pool then
    # closes the connection.
    async with app.mailboxes.session(account.name, endpoint) as mailbox:
        statuses = await mailbox.statuses(names)
    if app.store.last_event_id(account.name) != base.last_event_id:
        return False
    return all(_same(base.marks, folder, statuses[folder], base.clients_key) for folder in names)


def _same(marks: ChangeMarks, folder: str, status: FolderStatus, key: str) -> bool:
    """The test sync.sync_folder makes before it reads nothing (its Invariant 3)."""
    cursor = marks.cursors.get(folder)
    return (
        cursor is not None
        and cursor.uidvalidity == status.uidvalidity
        and cursor.clients_key == key
        and status.uidnext <= cursor.last_uid + 1
    )


__all__ = ["FRESH_SHARE", "Baseline", "QuietPolls"]
