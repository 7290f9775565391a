"""The reads the daily summary needs: ``Store.human_contacts``, ``bouncing_since``,
``last_summary_at`` and ``summary_record``, each one short read transaction.

Only ``store`` imports this module; use ``ghostwatch.store.database.Store``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime

import sqlalchemy as sa

from ghostwatch.core.domain import Direction, Kind
from ghostwatch.core.records import Contact, SummaryRecord
from ghostwatch.store.engine import StoreBase
from ghostwatch.store.tables import BOUNCING, EVENT, MESSAGE, SUMMARY_LOG

SUMMARY_EVENTS = ("summary.sent", "summary.failed")


class SummaryStore(StoreBase):
    """The daily summary's reads of ``Store``."""

    def human_contacts(self, account: str) -> dict[str, list[Contact]]:
        """Return client -> their human messages with ``account`` (ours without nudges),
        oldest first: the history the usual reply time is computed from."""
        c = MESSAGE.c
        human = sa.or_(
            sa.and_(c.direction == Direction.INBOUND, c.kind == Kind.HUMAN),
            sa.and_(
                c.direction == Direction.OUTBOUND, c.kind == Kind.HUMAN, c.is_nudge == sa.false()
            ),
        )
        query = (
            sa.select(c.client, c.date, c.direction, c.subject)
            .where(c.account == account, c.client.is_not(None), human)
            .order_by(c.date, c.id)
        )
        found: dict[str, list[Contact]] = defaultdict(list)
        with self._tx() as connection:
            for client, at, direction, subject in connection.execute(query):
                found[client].append(Contact(at, direction == Direction.INBOUND, subject or ""))
        return dict(found)

    def bouncing_since(self, account: str) -> dict[str, list[tuple[str, datetime]]]:
        """Return client -> [(bouncing address, since)], addresses sorted."""
        c = BOUNCING.c
        query = (
            sa.select(c.client, c.address, c.since)
            .where(c.account == account, c.client.is_not(None))
            .order_by(c.address)
        )
        found: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
        with self._tx() as connection:
            for client, address, since in connection.execute(query):
                found[client].append((address, since))
        return dict(found)

    def last_summary_at(self, account: str) -> datetime | None:
        """Return when the latest daily summary of ``account`` was recorded, or None."""
        c = SUMMARY_LOG.c
        query = sa.select(sa.func.max(c.sent_at)).where(c.account == account)
        with self._tx() as connection:
            at: datetime | None = connection.execute(query).scalar_one()
        return at

    def summary_record(self, account: str, local_date: date) -> SummaryRecord | None:
        """Return the summary_log row of (``account``, ``local_date``) with the last
        summary event for its Message-ID, or None if no summary is recorded for that day."""
        s, e = SUMMARY_LOG.c, EVENT.c
        row_query = sa.select(s.message_id, s.sent_at).where(
            s.account == account, s.local_date == local_date
        )
        with self._tx() as connection:
            row = connection.execute(row_query).first()
            if row is None:
                return None
            events = connection.execute(
                sa.select(e.kind, e.at, e.data)
                .where(e.account == account, e.message_id == row.message_id)
                .where(e.kind.in_(SUMMARY_EVENTS))
                .order_by(e.at, e.id)
            ).all()
        last = events[-1] if events else None
        return SummaryRecord(
            message_id=row.message_id,
            recorded_at=row.sent_at,
            outcome=last.kind if last else None,
            outcome_at=last.at if last else None,
            outcome_data=json.loads(last.data) if last else {},
            failures=sum(1 for ev in events if ev.kind == "summary.failed"),
        )
