"""The store's part for promises: ``Store.set_expected`` (to pay an invoice) and
``Store.set_deadline_expected`` / ``Store.deadline_promises`` (to deliver by a
deadline) (docs/promises.md).

Only ``store`` imports this module; use ``ghostwatch.store.database.Store``.

Invariants:
1. An invoice's promise and its ``invoice.promise`` event are one transaction: the
   evidence log never misses a promise the ladder waits for, nor shows one it does not.
2. A later promise wins, an older one never overwrites it (a folder re-read in another
   order, INBOX before Sent): ``promised_at`` only grows.
3. Setting what is already set (the same reply read twice) changes nothing and logs
   nothing. A paid invoice takes no promise.
4. The same holds per deadline (``deadline_promise``, event ``deadline.promise``); a
   cleared deadline promise keeps its row (``expected_by`` NULL) so that an older reply
   read again cannot bring it back.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ghostwatch.core.domain import Direction, Kind
from ghostwatch.core.records import DeadlinePromiseRow
from ghostwatch.store.engine import StoreBase
from ghostwatch.store.events import insert_event
from ghostwatch.store.records import UnknownInvoice
from ghostwatch.store.tables import DEADLINE_PROMISE, INVOICE, MESSAGE

__all__ = ["DEADLINE_PROMISE_EVENT", "PromiseStore"]

PROMISE_EVENT = "invoice.promise"
DEADLINE_PROMISE_EVENT = "deadline.promise"


class PromiseStore(StoreBase):
    """``set_expected``: a client's promise to pay an invoice by a local day."""

    def set_expected(
        self,
        account: str,
        client: str,
        number: str,
        day: date | None,
        *,
        at: datetime,
        by: str,
        sentence: str = "",
        asks: bool = False,
    ) -> bool:
        """Set invoice ``number``'s ``expected_by`` to ``day`` (None clears it: the
        fixed deferral applies again), as promised at ``at`` by ``by`` ("command" or
        the reply's Message-ID) in ``sentence``, and log ``invoice.promise``.

        Return False, changing nothing, when the invoice is paid, already holds this
        promise, or holds a later one (invariants 2 and 3). Raise UnknownInvoice if
        the invoice is not stored."""
        c = INVOICE.c
        where = (c.account == account, c.client == client, c.number == number)
        values = {
            "expected_by": day,
            "promised_at": at,
            "promise": sentence or None,
            "promise_asks": asks,
        }
        with self._tx(write=True) as connection:
            row = connection.execute(sa.select(INVOICE).where(*where)).first()
            if row is None:
                raise UnknownInvoice(f"{client} has no invoice {number!r}")
            current = row._mapping
            if current["paid_at"] is not None:
                return False
            if current["promised_at"] is not None and current["promised_at"] > at:
                return False
            same = (current["expected_by"], current["promise"] or None, current["promise_by"])
            if same == (day, values["promise"], by):
                return False
            connection.execute(sa.update(INVOICE).where(*where).values(**values, promise_by=by))
            data = {"invoice": number, "expected_by": day, "sentence": sentence, "by": by}
            _log_promise(connection, PROMISE_EVENT, account, client, at, by, data)
        return True

    def set_deadline_expected(
        self,
        account: str,
        client: str,
        deadline: str,
        day: date | None,
        *,
        at: datetime,
        by: str,
        sentence: str = "",
        asks: bool = False,
    ) -> bool:
        """Set the day ``client`` promised to deliver ``deadline`` (its key,
        "deadline:<what>") by, as promised at ``at`` by ``by`` ("command" or the
        reply's Message-ID) in ``sentence``; ``day=None`` clears it. Log
        ``deadline.promise`` in the same transaction. Return False, changing nothing,
        when this promise is already held or a later one is (invariants 2-4)."""
        c = DEADLINE_PROMISE.c
        where = (c.account == account, c.client == client, c.deadline == deadline)
        values: dict[str, Any] = {
            "expected_by": day,
            "promised_at": at,
            "promise": sentence or None,
            "promise_by": by,
            "promise_asks": asks,
        }
        with self._tx(write=True) as connection:
            row = connection.execute(sa.select(DEADLINE_PROMISE).where(*where)).first()
            if row is None:
                if day is None:
                    return False  # nothing to clear
                keys = {"account": account, "client": client, "deadline": deadline}
                connection.execute(sa.insert(DEADLINE_PROMISE).values(**keys, **values))
            elif _holds(row._mapping, values):
                return False
            else:
                connection.execute(sa.update(DEADLINE_PROMISE).where(*where).values(**values))
            what = deadline.removeprefix("deadline:")
            data = {"deadline": what, "expected_by": day, "sentence": sentence, "by": by}
            _log_promise(connection, DEADLINE_PROMISE_EVENT, account, client, at, by, data)
        return True

    def deadline_promises(
        self, account: str, client: str | None = None
    ) -> list[DeadlinePromiseRow]:
        """The account's deadline promises (optionally one client's), cleared ones too."""
        c = DEADLINE_PROMISE.c
        query = sa.select(DEADLINE_PROMISE).where(c.account == account)
        if client is not None:
            query = query.where(c.client == client)
        with self._tx() as connection:
            found = connection.execute(query.order_by(c.client, c.deadline))
            return [DeadlinePromiseRow(**r._mapping) for r in found]

    def last_inbound_before(self, account: str, client: str, at: datetime) -> datetime | None:
        """The latest human message from ``client`` dated before ``at`` (whether a
        deadline was already met when a reply promising it came; docs/promises.md)."""
        c = MESSAGE.c
        query = sa.select(sa.func.max(c.date)).where(
            c.account == account,
            c.client == client,
            c.direction == Direction.INBOUND,
            c.kind == Kind.HUMAN,
            c.date < at,
        )
        with self._tx() as connection:
            found = connection.execute(query).scalar()
        return found if isinstance(found, datetime) else None


def _holds(current: Any, values: dict[str, Any]) -> bool:
    """Whether a stored deadline promise already says ``values`` or was made later
    (invariants 2 and 3: then nothing changes)."""
    if current["promised_at"] > values["promised_at"]:
        return True
    same = (current["expected_by"], current["promise"], current["promise_by"])
    return same == (values["expected_by"], values["promise"], values["promise_by"])


def _log_promise(
    connection: Connection,
    kind: str,
    account: str,
    client: str,
    at: datetime,
    by: str,
    data: dict[str, Any],
) -> None:
    """Log a promise event in the promise's own transaction (invariant 1); a reply's
    Message-ID is its evidence, a command has none."""
    message_id = None if by == "command" else by
    insert_event(
        connection, kind, at=at, account=account, client=client, message_id=message_id, data=data
    )
