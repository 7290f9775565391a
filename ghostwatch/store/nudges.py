"""The nudges as records: what the policy counts (``nudge_records``, the daily cap's
``nudges_sent_since``) and how our own nudges are recognised in Sent
(``outbox_message_ids``; ``unadopted_nudges``: those the outbox lost). Reads only.

Only ``store`` imports this module; use ``ghostwatch.store.database.Store``. The
outbox (``store.outbox``) plans and moves the same rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa

from ghostwatch.core.domain import OCCUPYING_STATUSES, NudgeRecord
from ghostwatch.store.engine import StoreBase
from ghostwatch.store.outbox import MAYBE_SENT, S
from ghostwatch.store.tables import MESSAGE, OUTBOX, OUTBOX_SLOT


class NudgeStore(StoreBase):
    """Nudge-record reads of ``Store``."""

    def nudge_records(
        self, account: str, *, exclude_message_id: str | None = None
    ) -> dict[str, tuple[NudgeRecord, ...]]:
        """Return, per client, one record per slot held by a nudge that occupies it
        (cancelled ones left out), in plan order; a message that covers several slots
        gives several records with its ``message_id``. ``exclude_message_id`` leaves
        one nudge out (to re-decide as if it had not been planned). ``at`` is
        ``sent_at``, else the last change."""
        c, s = OUTBOX.c, OUTBOX_SLOT.c
        query = (
            sa.select(
                s.client,
                s.ladder,
                s.anchor,
                s.step,
                c.status,
                c.sent_at,
                c.updated_at,
                c.due_at,
                c.template,
                c.message_id,
                c.subject,
            )
            .join(OUTBOX, c.id == s.outbox_id)
            .where(s.account == account, c.status.in_(OCCUPYING_STATUSES))
            .order_by(c.planned_at, c.id, s.step)
        )
        if exclude_message_id is not None:
            query = query.where(c.message_id != exclude_message_id)
        records: dict[str, list[NudgeRecord]] = defaultdict(list)
        with self._tx() as connection:
            for r in connection.execute(query):
                at = r.sent_at or r.updated_at
                records[r.client].append(
                    NudgeRecord(
                        r.ladder,
                        r.anchor,
                        r.step,
                        r.status,
                        at,
                        r.template,
                        r.message_id,
                        r.subject,
                        r.due_at if r.status == S.SKIPPED else None,
                    )
                )
        return {client: tuple(items) for client, items in records.items()}

    def outbox_message_ids(self, account: str) -> set[str]:
        """Return the Message-ID of every nudge ever planned for the account (to
        recognise our own nudges when they show up in Sent)."""
        query = sa.select(OUTBOX.c.message_id).where(OUTBOX.c.account == account)
        with self._tx() as connection:
            return set(connection.execute(query).scalars())

    def unadopted_nudges(self, account: str) -> list[tuple[str, str, str, datetime, str]]:
        """Return our own nudges seen in the mailbox that the outbox does not know (the
        database was lost or restored from an old copy): ``(message_id, client,
        counterpart, date, subject)``, oldest first, one per Message-ID."""
        m, o = MESSAGE.c, OUTBOX.c
        known = sa.select(o.message_id).where(o.account == account)
        query = (
            sa.select(m.message_id, m.client, m.counterpart, m.date, m.subject)
            .where(
                m.account == account,
                m.is_nudge == sa.true(),
                m.client.is_not(None),
                m.message_id.is_not(None),
                m.message_id.not_in(known),
            )
            .order_by(m.date, m.id)
        )
        with self._tx() as connection:
            rows = connection.execute(query).all()
        seen: dict[str, tuple[str, str, str, datetime, str]] = {}
        for r in rows:
            seen.setdefault(
                r.message_id, (r.message_id, r.client, r.counterpart or "", r.date, r.subject)
            )
        return list(seen.values())

    def nudges_sent_since(self, account: str, since: datetime) -> int:
        """Count the account's nudges that went out, or may have, at or after ``since``
        (sending, sent, unknown, drafted): the conservative count for the daily cap."""
        c = OUTBOX.c
        query = sa.select(sa.func.count()).where(
            c.account == account,
            c.status.in_(MAYBE_SENT),
            sa.func.coalesce(c.sent_at, c.updated_at) >= since,
        )
        with self._tx() as connection:
            return int(connection.execute(query).scalar_one())
