"""The small, rich tables: sync cursors, account and client state, bounces,
invoices and the summary log.

Only ``store`` imports this module; use ``ghostwatch.store.database.Store``.

Invariants:
- A successful sync does not erase the last error: an error is current when its
  ``last_error_at`` is later than ``last_sync_at``.
- The daily summary is recorded at most once per (account, local date): the
  primary key guards it across restarts.
- An invoice keeps its payment once marked paid; re-reading the configuration
  updates amount, due date and source, never ``paid_at``/``paid_by``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from ghostwatch.core.domain import FolderRole
from ghostwatch.core.records import InvoiceItem, InvoiceRow
from ghostwatch.errors import StoreError
from ghostwatch.store.engine import StoreBase
from ghostwatch.store.tables import (
    ACCOUNT_STATE,
    BOUNCING,
    CLIENT_STATE,
    INVOICE,
    SUMMARY_LOG,
    SYNC_CURSOR,
)


class UnknownInvoice(StoreError):
    """``mark_paid`` named an invoice the database does not know."""


@dataclass(frozen=True, slots=True)
class CursorRow:
    account: str
    folder: str
    role: FolderRole
    uidvalidity: int
    last_uid: int
    highest_modseq: int | None
    last_sync_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    clients_key: str | None  # digest of the client matchers it was read for


@dataclass(frozen=True, slots=True)
class AccountRow:
    account: str
    paused: bool
    last_sync_at: datetime | None  # last fully successful sync
    last_error: str | None
    last_error_at: datetime | None
    watch_mode: str | None  # "idle" | "poll" | None


class RecordsStore(StoreBase):
    """Cursor, state, bounce, invoice and summary-log methods of ``Store``."""

    # --- sync cursors ------------------------------------------------------------

    def get_cursor(self, account: str, folder: str) -> CursorRow | None:
        """Return the sync position of one folder, or None if never synced."""
        c = SYNC_CURSOR.c
        query = sa.select(SYNC_CURSOR).where(c.account == account, c.folder == folder)
        with self._tx() as connection:
            found = connection.execute(query).first()
        return None if found is None else CursorRow(**found._mapping)

    def save_cursor(
        self,
        account: str,
        folder: str,
        *,
        role: FolderRole | str,
        uidvalidity: int,
        last_uid: int,
        last_sync_at: datetime,
        highest_modseq: int | None = None,
        clients_key: str | None = None,
    ) -> None:
        """Record that ``folder`` was read up to ``last_uid`` under ``uidvalidity`` at
        ``last_sync_at``, for the clients ``clients_key`` stands for. ``role`` is a
        FolderRole or its value; raise StoreError if it is neither."""
        values = {
            "role": role,
            "uidvalidity": uidvalidity,
            "last_uid": last_uid,
            "highest_modseq": highest_modseq,
            "last_sync_at": last_sync_at,
            "clients_key": clients_key,
        }
        with self._tx(write=True) as connection:
            self._upsert(connection, SYNC_CURSOR, {"account": account, "folder": folder}, values)

    def save_cursor_error(self, account: str, folder: str, *, at: datetime, error: str) -> bool:
        """Record a failed read of ``folder``; return False if it has no cursor yet."""
        c = SYNC_CURSOR.c
        update = sa.update(SYNC_CURSOR).where(c.account == account, c.folder == folder)
        with self._tx(write=True) as connection:
            done = connection.execute(update.values(last_error=error, last_error_at=at))
        return done.rowcount == 1

    def reset_folder(self, account: str, folder: str, new_uidvalidity: int) -> None:
        """Start ``folder`` over under ``new_uidvalidity`` (its UIDs were renumbered).

        Stored messages are kept (they are evidence); re-reading the folder adds no
        duplicates thanks to Message-ID de-duplication. Raise StoreError if the
        folder has no cursor.
        """
        c = SYNC_CURSOR.c
        update = sa.update(SYNC_CURSOR).where(c.account == account, c.folder == folder)
        values = {"uidvalidity": new_uidvalidity, "last_uid": 0, "highest_modseq": None}
        with self._tx(write=True) as connection:
            done = connection.execute(update.values(**values))
        if done.rowcount != 1:
            raise StoreError(f"no sync cursor for {account}/{folder}")

    # --- account state -------------------------------------------------------------

    def account_state(self, account: str) -> AccountRow | None:
        """Return the account's stored state, or None if nothing was stored yet."""
        query = sa.select(ACCOUNT_STATE).where(ACCOUNT_STATE.c.account == account)
        with self._tx() as connection:
            found = connection.execute(query).first()
        return None if found is None else AccountRow(**found._mapping)

    def account_states(self, accounts: Iterable[str]) -> dict[str, AccountRow]:
        """``account_state`` of each of ``accounts`` in one query (absent: none stored)."""
        query = sa.select(ACCOUNT_STATE).where(ACCOUNT_STATE.c.account.in_(list(accounts)))
        with self._tx() as connection:
            rows = [AccountRow(**found._mapping) for found in connection.execute(query)]
        return {row.account: row for row in rows}

    def _set_account(self, account: str, **values: Any) -> None:
        """Set ``values`` on the account's row in one ``INSERT ... ON CONFLICT``: a new
        row starts unpaused, an existing one keeps ``paused`` unless it is set here (a
        read-then-upsert let a concurrent first write undo a ``pause``)."""
        with self._tx(write=True) as connection:
            self._upsert(
                connection, ACCOUNT_STATE, {"account": account}, values, defaults={"paused": False}
            )

    def set_paused(self, account: str, paused: bool) -> None:
        """Stop (True) or restart (False) all sending for ``account``."""
        self._set_account(account, paused=paused)

    def set_sync_ok(self, account: str, at: datetime) -> None:
        """Record a fully successful sync of the account's folders at ``at``."""
        self._set_account(account, last_sync_at=at)

    def set_sync_error(self, account: str, at: datetime, error: str) -> None:
        """Record that syncing the account failed at ``at`` (no secrets in ``error``)."""
        self._set_account(account, last_error=error, last_error_at=at)

    def set_watch_mode(self, account: str, mode: str | None) -> None:
        """Record how the account is watched: "idle", "poll" or None (not watching)."""
        if mode not in ("idle", "poll", None):
            raise ValueError(f"watch mode {mode!r} is not 'idle', 'poll' or None")
        self._set_account(account, watch_mode=mode)

    # --- client state --------------------------------------------------------------

    def _set_client(self, account: str, client: str, at: datetime, **values: Any) -> None:
        key = {"account": account, "client": client}
        with self._tx(write=True) as connection:
            self._upsert(connection, CLIENT_STATE, key, {**values, "updated_at": at})

    def set_snooze(
        self, account: str, client: str, until: datetime | None, *, at: datetime
    ) -> None:
        """Hold nudges to ``client`` until ``until`` (None resumes at once)."""
        self._set_client(account, client, at, snoozed_until=until)

    def snoozed_until(self, account: str, client: str) -> datetime | None:
        """When ``client``'s snooze or hold ends (None: neither was ever set, or a
        resume cleared it); a past instant means it has ended."""
        c = CLIENT_STATE.c
        query = sa.select(c.snoozed_until).where(c.account == account, c.client == client)
        with self._tx() as connection:
            value: datetime | None = connection.execute(query).scalar()
        return value

    def set_ghosted(self, account: str, client: str, anchor: str, at: datetime) -> None:
        """Mark ``client`` ghosted at ``at``: the silence ladder from ``anchor`` ran out."""
        self._set_client(account, client, at, ghosted_anchor=anchor, ghosted_at=at)

    def clear_ghosted(self, account: str, client: str, *, at: datetime) -> None:
        """Forget that ``client`` was ghosted (they wrote again, or the user said so)."""
        self._set_client(account, client, at, ghosted_anchor=None, ghosted_at=None)

    def set_away(self, account: str, client: str, until: date | None, *, at: datetime) -> None:
        """Record that ``client`` is away until ``until`` (a manual override; None clears)."""
        self._set_client(account, client, at, away_until=until)

    def mark_bouncing(
        self,
        account: str,
        address: str,
        client: str | None,
        since: datetime,
        message_id: str | None,
        reason: str,
    ) -> bool:
        """Mark ``address`` bouncing; return False if it already was (the first
        bounce is kept as evidence)."""
        return bool(
            self.mark_bouncing_many(account, [(address, client, since, message_id, reason)])
        )

    def mark_bouncing_many(
        self,
        account: str,
        bounces: Sequence[tuple[str, str | None, datetime, str | None, str]],
    ) -> list[str]:
        """``mark_bouncing`` for each (address, client, since, message_id, reason), in
        ONE transaction (a first sync meets a bounce every hundred messages; a commit
        each cost more than the rest of the batch's side effects); return the
        addresses newly marked, in order."""
        marked: list[str] = []
        if not bounces:
            return marked
        with self._tx(write=True) as connection:
            for address, client, since, message_id, reason in bounces:
                values = {
                    "account": account,
                    "address": address,
                    "client": client,
                    "since": since,
                    "message_id": message_id,
                    "reason": reason,
                }
                if self._insert_new(connection, BOUNCING, values):
                    marked.append(address)
        return marked

    # --- invoices ----------------------------------------------------------------------

    def upsert_invoices(self, account: str, client: str, items: Iterable[InvoiceItem]) -> int:
        """Store ``items`` for ``client``: new ones inserted, known ones updated
        (amount, due, source; payment untouched). Return how many were new."""
        new = 0
        with self._tx(write=True) as connection:
            for item in items:
                key = {"account": account, "client": client, "number": item.number}
                values = {"amount": item.amount, "due": item.due, "source": item.source}
                # insert-or-skip, then update: each one statement, so two processes
                # syncing the same invoices both succeed (no duplicate-key race)
                if self._insert_new(connection, INVOICE, {**key, **values}):
                    new += 1
                    continue
                c = INVOICE.c
                where = sa.and_(*(c[name] == value for name, value in key.items()))
                connection.execute(sa.update(INVOICE).where(where).values(**values))
        return new

    def mark_paid(self, account: str, client: str, number: str, at: datetime, by: str) -> bool:
        """Mark invoice ``number`` paid at ``at`` by ``by``; return False if it was
        already paid. Raise UnknownInvoice if the invoice is not stored."""
        c = INVOICE.c
        where = (c.account == account, c.client == client, c.number == number)
        with self._tx(write=True) as connection:
            update = sa.update(INVOICE).where(*where, c.paid_at.is_(None))
            done = connection.execute(update.values(paid_at=at, paid_by=by))
            known = connection.execute(sa.select(c.id).where(*where)).first() is not None
        if not known:
            raise UnknownInvoice(f"{client} has no invoice {number!r}")
        return done.rowcount == 1

    def invoices(self, account: str, client: str | None = None) -> list[InvoiceRow]:
        """Return the account's invoices (optionally one client's), by due date."""
        c = INVOICE.c
        query = sa.select(INVOICE).where(c.account == account).order_by(c.due, c.number)
        if client is not None:
            query = query.where(c.client == client)
        with self._tx() as connection:
            return [InvoiceRow(**found._mapping) for found in connection.execute(query)]

    # --- daily summary -------------------------------------------------------------------

    def summary_sent(self, account: str, local_date: date) -> bool:
        """Return True if the summary for ``local_date`` (account's zone) is recorded."""
        c = SUMMARY_LOG.c
        query = sa.select(c.account).where(c.account == account, c.local_date == local_date)
        with self._tx() as connection:
            return connection.execute(query).first() is not None

    def record_summary(
        self, account: str, local_date: date, at: datetime, message_id: str | None
    ) -> bool:
        """Record the summary for ``local_date``; return False if already recorded."""
        values = {
            "account": account,
            "local_date": local_date,
            "sent_at": at,
            "message_id": message_id,
        }
        with self._tx(write=True) as connection:
            return self._insert_new(connection, SUMMARY_LOG, values)
