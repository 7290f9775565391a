"""The store's part for promises to pay: ``Store.set_expected`` (docs/promises.md).

Only ``store`` imports this module; use ``ghostwatch.store.Store``.

Invariants:
1. An invoice's promise and its ``invoice.promise`` event are one transaction: the
   evidence log never misses a promise the ladder waits for, nor shows one it does not.
2. A later promise wins, an older one never overwrites it (a folder re-read in another
   order, INBOX before Sent): ``promised_at`` only grows.
3. Setting what is already set (the same reply read twice) changes nothing and logs
   nothing. A paid invoice takes no promise.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa

from ghostwatch.store_engine import StoreBase
from ghostwatch.store_records import UnknownInvoice, _json_default
from ghostwatch.store_tables import EVENT, INVOICE

__all__ = ["PromiseStore"]

PROMISE_EVENT = "invoice.promise"


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
            payload = json.dumps(data, sort_keys=True, ensure_ascii=False, default=_json_default)
            event = {"at": at, "account": account, "client": client, "kind": PROMISE_EVENT}
            message_id = None if by == "command" else by
            connection.execute(
                sa.insert(EVENT).values(**event, message_id=message_id, data=payload)
            )
        return True
