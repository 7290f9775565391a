"""Account leases in the database: which daemon works on which account, until when.

Use it through ``ghostwatch.store.database.Store``; ``ghostwatch.app.lease``, the policy
around it (who takes what, renewal, the local deadline), names ``LeaseStore`` (the
lease methods alone) and ``PRESENCE_PREFIX``.

Invariants:
- One row per account (primary key): at most one holder at a time.
- Taking, renewing and stealing an expired lease are one ``INSERT ... ON CONFLICT
  DO UPDATE ... WHERE ... RETURNING`` statement: the database decides atomically,
  and whether we hold the lease is read from the row returned, never a rowcount.
- Expiry is judged on the database's clock (PostgreSQL ``clock_timestamp()``), so
  daemons on hosts whose clocks disagree still agree on who holds what. SQLite is
  one host's file: its clock is that host's.
- A daemon's presence is a row too: account ``"@" + holder`` (account names cannot
  start with "@"), renewed like a lease. Live presences tell each daemon its share.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ghostwatch.store.engine import StoreBase
from ghostwatch.store.tables import LEASE

PRESENCE_PREFIX = "@"


@dataclass(frozen=True, slots=True)
class LeaseRow:
    account: str
    holder: str
    expires_at: datetime
    acquired_at: datetime
    epoch: int


@dataclass(frozen=True, slots=True)
class LeaseGrant:
    """A lease we hold: until ``expires_at`` on the database clock (read at ``now``)."""

    account: str
    epoch: int
    now: datetime
    expires_at: datetime


def _db_now(connection: Connection) -> datetime:
    """The database's current time, aware UTC: every process sharing the database
    judges leases by this one clock (on SQLite the host's, as SQLite reads it, to the
    millisecond). Read in SQL: the store itself never reads the clock."""
    if connection.dialect.name == "postgresql":
        found: datetime = connection.execute(sa.select(sa.func.clock_timestamp())).scalar_one()
        return found.astimezone(UTC)
    text = connection.execute(sa.select(sa.func.strftime("%Y-%m-%d %H:%M:%f", "now"))).scalar_one()
    return datetime.fromisoformat(str(text)).replace(tzinfo=UTC)


class LeaseStore(StoreBase):
    """Lease methods of ``Store``."""

    def take_lease(
        self,
        account: str,
        holder: str,
        ttl: timedelta,
        *,
        dead_holders: Collection[str] = (),
    ) -> LeaseGrant | None:
        """Take or renew ``account``'s lease for ``holder`` until now + ``ttl``; return
        the grant, or None if another holder's lease is still live. A lease held by
        one of ``dead_holders`` (processes known to be gone) is taken at once."""
        c = LEASE.c
        with self._tx(write=True) as connection:
            now = _db_now(connection)
            statement = self._dialect_insert(LEASE).values(
                account=account, holder=holder, expires_at=now + ttl, acquired_at=now, epoch=1
            )
            ours = c.holder == statement.excluded.holder
            takeable = sa.or_(ours, c.expires_at <= now)
            if dead_holders:
                takeable = sa.or_(takeable, c.holder.in_(list(dead_holders)))
            statement = statement.on_conflict_do_update(
                index_elements=["account"],
                set_={
                    "holder": statement.excluded.holder,
                    "expires_at": statement.excluded.expires_at,
                    "acquired_at": sa.case(
                        (ours, c.acquired_at), else_=statement.excluded.acquired_at
                    ),
                    "epoch": sa.case((ours, c.epoch), else_=c.epoch + 1),
                },
                where=takeable,
            ).returning(c.epoch, c.expires_at)
            found = connection.execute(statement).first()
        if found is None:
            return None
        return LeaseGrant(account, int(found.epoch), now, found.expires_at)

    def renew_leases(
        self, accounts: Collection[str], holder: str, ttl: timedelta
    ) -> tuple[datetime, set[str]]:
        """Extend every lease of ``accounts`` that ``holder`` still has to now + ``ttl``,
        in ONE ``UPDATE ... WHERE holder = ? AND account IN (...) RETURNING account``;
        return the database's time and the accounts renewed. One missing from the
        answer is lost (taken over after it expired, or released); ``epoch`` and
        ``acquired_at`` stay as they were."""
        c = LEASE.c
        wanted = sorted(set(accounts))
        if not wanted:
            with self._tx() as connection:
                return _db_now(connection), set()
        with self._tx(write=True) as connection:
            now = _db_now(connection)
            statement = (
                sa.update(LEASE)
                .where(c.holder == holder, c.account.in_(wanted))
                .values(expires_at=now + ttl)
                .returning(c.account)
            )
            renewed = set(connection.execute(statement).scalars())
        return now, renewed

    def release_lease(self, account: str, holder: str) -> bool:
        """Give up ``account``'s lease if ``holder`` has it; return True if it had."""
        c = LEASE.c
        delete = sa.delete(LEASE).where(c.account == account, c.holder == holder)
        with self._tx(write=True) as connection:
            return connection.execute(delete.returning(c.account)).first() is not None

    def leases(self) -> tuple[datetime, dict[str, LeaseRow]]:
        """Return the database's time and every account lease (presences excluded),
        live or expired, by account."""
        query = sa.select(LEASE).where(~LEASE.c.account.startswith(PRESENCE_PREFIX))
        with self._tx() as connection:
            now = _db_now(connection)
            rows = [LeaseRow(**found._mapping) for found in connection.execute(query)]
        return now, {row.account: row for row in rows}

    def live_presences(self) -> list[str]:
        """Return the holders whose presence row has not expired, sorted."""
        c = LEASE.c
        with self._tx() as connection:
            now = _db_now(connection)
            query = sa.select(c.holder).where(
                c.account.startswith(PRESENCE_PREFIX), c.expires_at > now
            )
            return sorted(connection.execute(query).scalars())
