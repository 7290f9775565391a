"""What a quiet poll compares: an account's sync cursors and its newest event.

Only ``store`` imports this module. ``run`` polls an account whose IDLE watcher is
healthy by asking the server for each folder's STATUS and this module for the
account's marks, both in one read each (ghostwatch.app.quiet_poll). Every change to what
is decided for an account that does not come from its mailbox -- a command line or
summary-reply command, a promise, a payment, a skip -- logs an event of the account
(the event log is append-only), so an unchanged newest event id means nothing of
that kind happened since it was read.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ghostwatch.store.engine import StoreBase
from ghostwatch.store.records import CursorRow
from ghostwatch.store.tables import EVENT, SYNC_CURSOR


@dataclass(frozen=True, slots=True)
class ChangeMarks:
    cursors: dict[str, CursorRow]  # by folder
    last_event_id: int  # 0: the account has no event yet


class MarksStore(StoreBase):
    """``change_marks`` of ``Store``."""

    def last_event_id(self, account: str) -> int:
        """The account's newest event id (0: none yet): one indexed lookup."""
        newest = sa.select(sa.func.max(EVENT.c.id)).where(EVENT.c.account == account)
        with self._tx() as connection:
            return int(connection.execute(newest).scalar() or 0)

    def change_marks(self, account: str) -> ChangeMarks:
        """The account's cursors and newest event id, read in one transaction."""
        cursors = sa.select(SYNC_CURSOR).where(SYNC_CURSOR.c.account == account)
        newest = sa.select(sa.func.max(EVENT.c.id)).where(EVENT.c.account == account)
        with self._tx() as connection:
            rows = [CursorRow(**found._mapping) for found in connection.execute(cursors)]
            last = connection.execute(newest).scalar()
        return ChangeMarks({row.folder: row for row in rows}, int(last or 0))
