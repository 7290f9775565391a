"""Read-only queries for the evidence log (``ghostwatch history`` and ``export``).

Only ``store`` imports this module; use ``ghostwatch.store.database.Store``, whose
``seen_messages``, ``nudges`` and ``client_names`` these are. They never write.

Invariants:
- Every list comes back in a fixed order (time, then row id), so two exports of the
  same database are byte-identical.
- Only messages attributed to a client are returned: unrelated mail (newsletters, a
  bank's notices) is not contact; a payment notice is kept as evidence through the
  ``invoice.paid`` event that names its Message-ID.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ghostwatch.core.domain import Direction, Kind
from ghostwatch.core.records import OutboxRow
from ghostwatch.store.engine import StoreBase
from ghostwatch.store.tables import EVENT, INVOICE, MESSAGE, OUTBOX

__all__ = ["EvidenceStore", "SeenMessage"]


@dataclass(frozen=True, slots=True)
class SeenMessage:
    """One stored message with a client, as evidence: who wrote to whom, when, what."""

    id: int
    account: str
    client: str
    folder: str
    message_id: str | None
    date: datetime  # aware UTC (the server's INTERNALDATE)
    direction: Direction
    kind: Kind
    from_addr: str
    from_name: str
    to_addrs: tuple[str, ...]
    subject: str
    is_nudge: bool
    reason: str


def _scope(
    table: sa.Table, account: str | None, client: str | None
) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if account is not None:
        where.append(table.c.account == account)
    if client is not None:
        where.append(table.c.client == client)
    return where


class EvidenceStore(StoreBase):
    """Evidence-log reads of ``Store`` (``ghostwatch history`` and ``export``)."""

    def seen_messages(
        self, account: str | None = None, client: str | None = None
    ) -> list[SeenMessage]:
        """Return the messages attributed to a client (optionally of one account and/or
        one client), ordered by (date, id)."""
        c = MESSAGE.c
        query = sa.select(
            c.id,
            c.account,
            c.client,
            c.folder,
            c.message_id,
            c.date,
            c.direction,
            c.kind,
            c.from_addr,
            c.from_name,
            c.to_addrs,
            c.subject,
            c.is_nudge,
            c.reason,
        ).where(c.client.is_not(None), *_scope(MESSAGE, account, client))
        with self._tx() as connection:
            rows = list(connection.execute(query.order_by(c.date, c.id)))
        return [
            SeenMessage(**{**r._mapping, "to_addrs": tuple(json.loads(r.to_addrs or "[]"))})
            for r in rows
        ]

    def nudges(self, account: str | None = None, client: str | None = None) -> list[OutboxRow]:
        """Return every planned nudge, cancelled ones included (optionally of one account
        and/or client), ordered by (planned_at, id)."""
        c = OUTBOX.c
        query = sa.select(OUTBOX).where(*_scope(OUTBOX, account, client))
        with self._tx() as connection:
            found = connection.execute(query.order_by(c.planned_at, c.id))
            return [OutboxRow(**r._mapping) for r in found]

    def client_names(self) -> list[tuple[str, str]]:
        """Return every (account, client) the database holds anything about: messages,
        nudges, events or invoices, sorted. Clients since removed from the
        configuration are included: their records are still evidence."""
        queries = [
            sa.select(t.c.account, t.c.client).where(t.c.client.is_not(None)).distinct()
            for t in (MESSAGE, OUTBOX, EVENT, INVOICE)
        ]
        with self._tx() as connection:
            found = {(r[0], r[1]) for q in queries for r in connection.execute(q)}
        return sorted(found)
