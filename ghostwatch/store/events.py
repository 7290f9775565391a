"""The evidence log: ``Store.append_event`` / ``Store.events``, and ``insert_event``
for the parts of the store that log an event inside their own transaction.

Only ``store`` imports this module; use ``ghostwatch.store.database.Store``.

Invariants:
- The event log is append-only: there is no method to change or remove an event,
  and on SQLite triggers abort any UPDATE or DELETE of ``event``.
- An event's data is one JSON object, keys sorted, datetimes and dates as ISO-8601,
  enums as their values, sets as sorted lists: the same event always reads the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ghostwatch.store.engine import StoreBase
from ghostwatch.store.tables import EVENT

__all__ = ["EventRow", "EventStore", "event_json", "insert_event"]


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    at: datetime
    account: str
    client: str | None
    kind: str  # dotted: "nudge.sent"
    message_id: str | None
    data: dict[str, Any]


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"event data of type {type(value).__name__} is not JSON-serialisable")


def event_json(data: Mapping[str, Any]) -> str:
    """``data`` as the event log stores it; raise TypeError if JSON cannot express it."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=_json_default)


def insert_event(
    connection: Connection,
    kind: str,
    *,
    at: datetime,
    account: str,
    client: str | None = None,
    message_id: str | None = None,
    data: Mapping[str, Any],
) -> int:
    """Append one event in the caller's transaction (it commits with what it records);
    return its id."""
    values = {
        "at": at,
        "account": account,
        "client": client,
        "kind": kind,
        "message_id": message_id,
        "data": event_json(data),
    }
    key = connection.execute(sa.insert(EVENT).values(**values)).inserted_primary_key
    assert key is not None  # an INSERT always reports its key
    return int(key[0])


class EventStore(StoreBase):
    """Event-log methods of ``Store``."""

    def append_event(
        self,
        kind: str,
        *,
        at: datetime,
        account: str,
        client: str | None = None,
        message_id: str | None = None,
        **data: Any,
    ) -> int:
        """Append one event (``kind`` dotted, e.g. "nudge.sent"); return its id.

        ``data`` is stored as a JSON object (datetimes as ISO-8601). Raise TypeError
        if it holds something JSON cannot express.
        """
        # a TypeError from inside the transaction rolls it back: nothing is written
        with self._tx(write=True) as connection:
            return insert_event(
                connection,
                kind,
                at=at,
                account=account,
                client=client,
                message_id=message_id,
                data=data,
            )

    def events(self, account: str | None = None, client: str | None = None) -> list[EventRow]:
        """Return events, optionally of one account and/or client, ordered by (at, id)."""
        c = EVENT.c
        query = sa.select(EVENT).order_by(c.at, c.id)
        if account is not None:
            query = query.where(c.account == account)
        if client is not None:
            query = query.where(c.client == client)
        with self._tx() as connection:
            rows = [found._mapping for found in connection.execute(query)]
        return [EventRow(**{**row, "data": json.loads(row["data"])}) for row in rows]
