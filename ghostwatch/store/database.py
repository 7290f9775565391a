"""Persistent state: sync cursors, seen messages, client facts, outbox, events.

``Store`` is the one door to the database: ``store.tables`` (schema),
``store.engine`` (opening, transactions) and the mixins below (outbox, nudges,
records, events, facts, promises, evidence, summary, commands, leases, marks) are its parts,
and nothing else in ghostwatch imports sqlmodel or SQLAlchemy. The plain records it
hands out that the rest of ghostwatch computes with live in ``ghostwatch.core.records``.
Methods are synchronous, each one short transaction; the daemon may call them
from the event loop (they are fast) or through a worker thread.

Invariants:
- Every datetime in and out is aware UTC; the store never reads the clock: callers
  pass ``at``/``seen_at`` (the lease methods read the database's clock, in SQL).
- A message is stored once per account: by (folder, uidvalidity, uid), and by
  ``message_key`` (Message-ID + sender + header Date) when it has a Message-ID. The
  copy stored first wins, so a message seen in INBOX and All Mail (or Sent), or
  again after a UIDVALIDITY change, counts once; a message that reuses a stored
  Message-ID with another sender or date is stored and counted (a client's reply
  from a buggy mailer is never lost). Messages without a Message-ID are
  de-duplicated by position only (they are rare).
- Only human mail is contact: client_facts ignores auto-replies, bounces and bulk
  mail for last contact, and our own nudges for "our last message".
- Writes use ``BEGIN IMMEDIATE`` on SQLite: concurrent writers queue (busy_timeout).
- Database failures raise StoreError; messages show the URL with its password masked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ghostwatch.core.domain import Direction, Kind
from ghostwatch.errors import StoreError
from ghostwatch.store.commands import CommandStore
from ghostwatch.store.engine import create_engine, upgrade
from ghostwatch.store.events import EventRow, EventStore
from ghostwatch.store.evidence import EvidenceStore, SeenMessage
from ghostwatch.store.facts import FactsStore
from ghostwatch.store.lease import LeaseRow, LeaseStore
from ghostwatch.store.marks import ChangeMarks, MarksStore
from ghostwatch.store.nudges import NudgeStore
from ghostwatch.store.outbox import IllegalTransition, OutboxStore
from ghostwatch.store.promises import PromiseStore
from ghostwatch.store.records import AccountRow, CursorRow, RecordsStore, UnknownInvoice
from ghostwatch.store.summary import SummaryStore
from ghostwatch.store.tables import MESSAGE, sqlite_datetime

__all__ = [
    "AccountRow",
    "ChangeMarks",
    "CursorRow",
    "EventRow",
    "IllegalTransition",
    "LeaseRow",
    "MessageRow",
    "SeenMessage",
    "Store",
    "UnknownInvoice",
    "message_key",
]

_ID_CHUNK = 500  # bound parameters per IN (...) query


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One message to record (``record_messages`` also accepts a dict with these keys,
    where to_addrs and bounced may be comma-joined and references space-joined).

    ``date`` is the header Date, or INTERNALDATE when that is missing; ``seen_at``
    defaults to the ``seen_at`` passed to record_messages.
    """

    account: str
    folder: str
    uidvalidity: int
    uid: int
    message_id: str | None
    date: datetime
    direction: Direction
    kind: Kind
    client: str | None = None
    counterpart: str | None = None
    from_addr: str = ""
    from_name: str = ""
    to_addrs: tuple[str, ...] = ()
    subject: str = ""
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    away_until: dt.date | None = None  # field `date` shadows the type here
    bounced: tuple[str, ...] = ()
    is_nudge: bool = False
    reason: str = ""
    internal_date: datetime | None = None
    seen_at: datetime | None = None
    # ``message_key(message_id, from_addr, header Date)``; None = computed from
    # message_id and from_addr alone
    message_key: str | None = None


def message_key(message_id: str | None, from_addr: str, sent: datetime | None) -> str | None:
    """The de-duplication key of a message: None without a Message-ID, else a digest of
    the Message-ID, the (normalised) sender and the header Date (None = no Date), so
    two copies of one message share it and a reused Message-ID does not."""
    if message_id is None:
        return None
    stamp = "" if sent is None else sent.astimezone(UTC).isoformat()
    text = f"{message_id}\n{from_addr.lower()}\n{stamp}"
    return hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=16).hexdigest()


def _key(row: MessageRow) -> str | None:
    return row.message_key or message_key(row.message_id, row.from_addr, None)


_MESSAGE_FIELDS = tuple(f.name for f in fields(MessageRow))


def _words(value: str | Iterable[str], sep: str | None) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(word.strip() for word in value.split(sep) if word.strip())
    return tuple(value)


def _as_row(row: MessageRow | Mapping[str, Any]) -> MessageRow:
    """``row`` as a MessageRow; in a mapping, to_addrs and bounced may also be
    comma-joined strings and references a space-joined string."""
    if isinstance(row, MessageRow):
        return row
    values = dict(row)
    for key, sep in (("to_addrs", ","), ("bounced", ","), ("references", None)):
        if key in values:
            values[key] = _words(values[key], sep)
    return MessageRow(**values)


def _json_list(values: tuple[str, ...]) -> str:
    return json.dumps(list(values)) if values else "[]"


def _message_params(row: MessageRow, seen_at: datetime) -> dict[str, Any]:
    """``row`` as Core bind parameters (the portable path)."""
    params = {name: getattr(row, name) for name in _MESSAGE_FIELDS}
    params["to_addrs"] = _json_list(row.to_addrs)
    params["bounced"] = _json_list(row.bounced)
    params["references"] = " ".join(row.references)
    params["seen_at"] = row.seen_at or seen_at
    params["message_key"] = _key(row)
    return params


def _without_nul(params: dict[str, Any]) -> dict[str, Any]:
    """PostgreSQL text cannot hold NUL: a hostile subject or name with one would fail
    the whole batch. NUL becomes U+FFFD (what a mail reader shows for it)."""
    return {k: v.replace("\x00", "\ufffd") if isinstance(v, str) else v for k, v in params.items()}


# The SQLite fast path hands the driver tuples converted here, in table column
# order, skipping SQLAlchemy's per-value bind processing (about 2x faster in bulk).
# tests/unit/store/test_database.py checks it stores exactly what the portable path stores.
_SQLITE_COLUMNS = tuple(column.name for column in MESSAGE.columns if column.name != "id")


def _sqlite_message(row: MessageRow, seen_at: datetime) -> tuple[Any, ...]:
    return (
        row.account,
        row.folder,
        row.uidvalidity,
        row.uid,
        row.message_id,
        sqlite_datetime(row.date),
        None if row.internal_date is None else sqlite_datetime(row.internal_date),
        Direction(row.direction).value,
        Kind(row.kind).value,
        row.client,
        row.counterpart,
        row.from_addr,
        row.from_name,
        _json_list(row.to_addrs),
        row.subject,
        row.in_reply_to,
        " ".join(row.references),
        None if row.away_until is None else row.away_until.isoformat(),
        _json_list(row.bounced),
        int(row.is_nudge),
        row.reason,
        sqlite_datetime(row.seen_at or seen_at),
        _key(row),
    )


# Rows per INSERT on SQLite's bulk path: one multi-row statement instead of executemany.
# sqlite3 releases the GIL at every step, so an executemany of 400 rows hands the GIL to
# the IMAP read-ahead thread 400 times; with one statement per 256 rows the store's
# share of a 20,000-message initial scan fell from 1.8-1.9 s to 1.4-1.5 s (two runs
# each, bench/initial_scan.py's mailbox). 256 x 23 columns stays far under SQLite's
# 32,766 bound variables.
_ROWS_PER_INSERT = 256


def _sqlite_insert_sql(dialect: sa.Dialect) -> str:
    """The Core INSERT ... ON CONFLICT DO NOTHING for message, as SQLite text."""
    statement = sqlite_insert(MESSAGE).on_conflict_do_nothing()
    compiled = statement.compile(dialect=dialect, column_keys=list(_SQLITE_COLUMNS))
    if tuple(compiled.positiontup or ()) != _SQLITE_COLUMNS:  # columns reordered?
        raise AssertionError("message columns changed: update _sqlite_message")
    return compiled.string


class Store(
    OutboxStore,
    NudgeStore,
    RecordsStore,
    EventStore,
    FactsStore,
    PromiseStore,
    EvidenceStore,
    SummaryStore,
    CommandStore,
    LeaseStore,
    MarksStore,
):
    """The ghostwatch database. Build with ``Store.open(url)``; close with ``close()``."""

    fast_inserts = True  # SQLite bulk path for record_messages; False = portable Core path

    @classmethod
    def open(cls, url: str) -> Store:
        """Open (creating if needed) the database at SQLAlchemy ``url`` and migrate it
        to the latest schema.

        SQLite paths may start with ``~``; a new file gets mode 0600 in a 0700
        directory. Raise StoreError (URL password masked) if it cannot be opened,
        created or migrated.
        """
        engine, masked = create_engine(url)
        try:
            upgrade(engine, masked)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, masked)

    # --- messages ---------------------------------------------------------------

    def record_messages(
        self, rows: Sequence[MessageRow | Mapping[str, Any]], *, seen_at: datetime
    ) -> int:
        """Insert ``rows`` in one transaction, skipping duplicates; return how many
        were new; ``seen_at`` is when they were read (a row's own ``seen_at`` wins).
        A row is a duplicate if its (account, folder, uidvalidity, uid) or
        its (account, message_key) is already stored (or earlier in ``rows``): the
        same Message-ID from another sender or with another Date is not one.
        Raise TypeError for unknown or missing keys; StoreError for a bad value (naive
        datetime, unknown direction or kind) or a database failure -- then nothing
        of the batch is stored."""
        if not rows:
            return 0
        default_seen = seen_at
        checked = [_as_row(row) for row in rows]
        if self._engine.dialect.name == "sqlite" and self.fast_inserts:
            try:
                values = [_sqlite_message(row, default_seen) for row in checked]
            except ValueError as exc:  # what bind processing reports on the portable path
                raise StoreError(f"invalid message row: {exc}") from exc
            with self._tx(write=True) as connection:
                # sqlite3 returns no RETURNING rows from executemany; SQLite's own
                # change counter is exact (rows skipped by ON CONFLICT do not count)
                raw: Any = connection.connection.dbapi_connection
                before = raw.total_changes
                for start in range(0, len(values), _ROWS_PER_INSERT):
                    chunk = values[start : start + _ROWS_PER_INSERT]
                    flat = tuple(value for row in chunk for value in row)
                    connection.exec_driver_sql(self._rows_sql(len(chunk)), flat)
                return int(raw.total_changes - before)
        params = [_message_params(row, default_seen) for row in checked]
        if self._engine.dialect.name == "postgresql":
            params = [_without_nul(p) for p in params]
        with self._tx(write=True) as connection:
            # RETURNING, not rowcount: psycopg 3 reports -1 for ON CONFLICT DO NOTHING
            statement = self._insert_ignore(MESSAGE).returning(MESSAGE.c.id)
            return len(connection.execute(statement, params).all())

    @cached_property
    def _message_sql(self) -> str:
        return _sqlite_insert_sql(self._engine.dialect)

    def _rows_sql(self, rows: int) -> str:
        """``_message_sql`` inserting ``rows`` rows in one statement (multi-row VALUES)."""
        found = self._rows_sqls.get(rows)
        if found is None:
            head, tail = self._message_sql.split(" VALUES ", 1)
            one, rest = tail.split(") ", 1)
            found = f"{head} VALUES {', '.join([one + ')'] * rows)} {rest}"
            self._rows_sqls[rows] = found
        return found

    @cached_property
    def _rows_sqls(self) -> dict[int, str]:
        return {}

    def message_ids_exist(self, account: str, ids: Iterable[str]) -> set[str]:
        """Return the subset of Message-IDs ``ids`` already stored for ``account``."""
        wanted = list(dict.fromkeys(ids))
        found: set[str] = set()
        c = MESSAGE.c
        with self._tx() as connection:
            for start in range(0, len(wanted), _ID_CHUNK):
                chunk = wanted[start : start + _ID_CHUNK]
                query = sa.select(c.message_id).where(c.account == account)
                query = query.where(c.message_id.in_(chunk))
                found.update(connection.execute(query).scalars())
        return found
