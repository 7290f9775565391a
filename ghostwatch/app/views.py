"""The ``status`` rows of the configured clients and accounts, read from the store.

The shell around ``core.views``: this module reads the store, the config and the
policy's decisions; the pure builders there make the rows. ``now`` is an argument
(the command's ``--now`` or the clock), never read here.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ghostwatch.core import policy
from ghostwatch.core.domain import OutboxStatus
from ghostwatch.core.views import HealthRow, StatusRow, iso, status_row

if TYPE_CHECKING:
    from ghostwatch.app.bootstrap import App

__all__ = ["health_rows", "status_rows"]


def status_rows(app: App, now: datetime) -> list[StatusRow]:
    """Return one status row per client (docs/cli.md, "status"), in config order."""
    rows: list[StatusRow] = []
    for account in app.config.accounts:
        acct, clients = app.states(account, now)
        decisions = policy.decide(acct, clients, now)
        for client in clients:
            rows.append(status_row(client, decisions, now))
    return rows


def health_rows(app: App, now: datetime) -> list[HealthRow]:
    """Return one health row per configured account, in config order: ``stale`` when
    its mailbox was not read within its ``max_sync_age`` of ``now``; the lease holder
    only while the lease is live by the database's clock."""
    rows = []
    db_now, leases = app.store.leases()
    for account in app.config.accounts:
        lease = leases.get(account.name)
        live = lease is not None and lease.expires_at > db_now
        st = app.store.account_state(account.name)
        last = st.last_sync_at if st else None
        rows.append(
            HealthRow(
                account=account.name,
                last_sync=iso(last),
                stale=last is None or now - last > account.max_sync_age,
                last_error=st.last_error if st else None,
                last_error_at=iso(st.last_error_at) if st else None,
                watch_mode=st.watch_mode if st else None,
                paused=bool(st and st.paused),
                unresolved_nudges=len(app.store.outbox_unresolved(account.name)),
                failed_nudges=sum(
                    1 for r in app.store.outbox_all(account.name) if r.status is OutboxStatus.FAILED
                ),
                lease_holder=lease.holder if lease is not None and live else None,
                lease_expires_at=iso(lease.expires_at) if lease is not None else None,
            )
        )
    return rows
