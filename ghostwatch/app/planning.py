"""When an account is next due, from its decisions (``run``'s schedule books it).

The service asks after every cycle: the next instant one of the account's decisions
falls due (a send window opening, a ladder step) and, for the summary account, the
daily summary. No I/O of its own: the App decides from the store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ghostwatch.app.reports import CycleReport
from ghostwatch.config.loader import AccountConfig, Config
from ghostwatch.core import policy
from ghostwatch.core.domain import Decision

__all__ = ["Decider", "next_due", "unchanged"]


class Decider(Protocol):
    """What planning needs of the App: the configuration, its decisions and the
    daily summary's next time."""

    @property
    def config(self) -> Config: ...

    def decide(
        self, account: AccountConfig, now: datetime, *, exclude: str | None = None
    ) -> list[Decision]: ...

    def next_summary_at(self, now: datetime) -> datetime | None: ...


def next_due(
    app: Decider, account: AccountConfig, now: datetime, decisions: list[Decision] | None = None
) -> tuple[datetime | None, list[Decision]]:
    """When ``account``'s next decision (or, for the summary account, the daily
    summary) falls due, None if nothing is scheduled; and the decisions that says it
    from. ``decisions``: the cycle's own, if nothing changed the account's state after
    they were taken (else the App decides again)."""
    decided = app.decide(account, now) if decisions is None else decisions
    times = [policy.next_wakeup(decided, now)]
    if account.name == app.config.summary_account().name:
        times.append(app.next_summary_at(now))
    return min((t for t in times if t is not None), default=None), decided


def unchanged(report: CycleReport | None) -> list[Decision] | None:
    """The decisions of a one-account cycle that sent, drafted and ghosted nothing
    after taking them (so they are still the account's), else None."""
    if report is None or len(report.accounts) != 1:
        return None
    only = report.accounts[0]
    if only.sync is None or only.deliveries or only.ghosted:
        return None
    return only.decisions
