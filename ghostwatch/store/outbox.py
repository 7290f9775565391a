"""The outbox: every nudge is planned here, with its Message-ID, before it is sent.

Only ``store`` imports this module; use ``ghostwatch.store.database.Store``.

Invariants (docs/behaviour.md, safety rule 1):
- A slot (account, client, ladder, anchor, step) holds at most one row whose status
  is in ``OCCUPYING_STATUSES``; the unique index ``uq_outbox_slot`` enforces it, so
  a double plan is impossible even with two daemons. Only ``cancelled`` frees a slot.
- One message may hold several slots (one voice per client: three invoices in one
  reminder). ``outbox_slot`` lists each slot an occupying row holds, its own
  included, under a primary key: a slot is taken by at most one message. The slots
  are inserted with the plan and deleted with a cancellation, in one transaction.
- ``message_id`` and ``raw`` are fixed at plan time and never change: a retry
  resends the same bytes, and an unknown outcome is resolved by looking for that
  Message-ID in the Sent folder, never by sending again.
- Status moves only along ``TRANSITIONS``, checked and applied in one UPDATE
  (compare-and-set), so two processes cannot both move planned -> sending.
- A plan or status change and its evidence-log event (``event=``) commit in one
  transaction: a crash between the two cannot leave a nudge without its record.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ghostwatch.core.domain import OCCUPYING_STATUSES, OutboxStatus
from ghostwatch.core.records import OutboxRow
from ghostwatch.errors import StoreError
from ghostwatch.store.engine import StoreBase
from ghostwatch.store.events import insert_event
from ghostwatch.store.tables import OUTBOX, OUTBOX_SLOT

S = OutboxStatus
TRANSITIONS: dict[OutboxStatus, frozenset[OutboxStatus]] = {
    S.PLANNED: frozenset({S.SENDING, S.CANCELLED}),
    # back to PLANNED only for a retryable error: the server certainly did not accept it
    S.SENDING: frozenset({S.SENT, S.FAILED, S.UNKNOWN, S.DRAFTED, S.PLANNED}),
    S.UNKNOWN: frozenset({S.SENT, S.FAILED, S.DRAFTED}),
}
# statuses whose nudge went out or may have: they count against max_nudges_per_day
MAYBE_SENT = frozenset({S.SENDING, S.SENT, S.UNKNOWN, S.DRAFTED})


class IllegalTransition(StoreError):
    """An outbox status change that ``TRANSITIONS`` does not allow."""


def _predecessors(status: OutboxStatus) -> list[OutboxStatus]:
    return [old for old, new in TRANSITIONS.items() if status in new]


def _row(connection: Connection, outbox_id: int) -> OutboxRow | None:
    found = connection.execute(sa.select(OUTBOX).where(OUTBOX.c.id == outbox_id)).first()
    return None if found is None else OutboxRow(**found._mapping)


def _insert_event(connection: Connection, event: Mapping[str, Any], **fixed: Any) -> None:
    """Append one evidence-log event in the caller's transaction (as ``append_event``:
    ``kind``, ``at``, ``account``, ``client``, ``message_id``; other keys are data)."""
    values = {**event, **fixed}
    columns = {k: values.pop(k, None) for k in ("at", "account", "client", "message_id")}
    insert_event(connection, values.pop("kind"), **columns, data=values)


Slot = tuple[str, str, int]  # (ladder, anchor, step)


def _insert_plan(
    connection: Connection, values: dict[str, Any], covers: tuple[Slot, ...]
) -> OutboxRow | None:
    """Insert a plan and all its slots in a savepoint; None if a slot was taken."""
    own = (values["ladder"], values["anchor"], values["step"])
    slots = list(dict.fromkeys((own, *covers)))
    try:
        with connection.begin_nested():
            result = connection.execute(sa.insert(OUTBOX).values(**values))
            new_id = result.inserted_primary_key
            assert new_id is not None  # an INSERT always reports its key
            rows = [
                {
                    "account": values["account"],
                    "client": values["client"],
                    "ladder": ladder,
                    "anchor": anchor,
                    "step": step,
                    "outbox_id": int(new_id[0]),
                }
                for ladder, anchor, step in slots
            ]
            connection.execute(sa.insert(OUTBOX_SLOT), rows)
    except IntegrityError:
        if _any_taken(connection, values["account"], values["client"], slots):
            return None
        raise  # not a slot: a reused Message-ID (a bug in the caller)
    return _row(connection, int(new_id[0]))


def _any_taken(connection: Connection, account: str, client: str, slots: list[Slot]) -> bool:
    c = OUTBOX_SLOT.c
    for ladder, anchor, step in slots:
        taken = sa.select(c.outbox_id).where(
            c.account == account,
            c.client == client,
            c.ladder == ladder,
            c.anchor == anchor,
            c.step == step,
        )
        if connection.execute(taken).first() is not None:
            return True
    o = OUTBOX.c
    own = slots[0]
    taken = sa.select(o.id).where(
        o.account == account,
        o.client == client,
        o.ladder == own[0],
        o.anchor == own[1],
        o.step == own[2],
        o.status.in_(OCCUPYING_STATUSES),
    )
    return connection.execute(taken).first() is not None


class OutboxStore(StoreBase):
    """Outbox methods of ``Store``."""

    def plan_nudge(
        self,
        *,
        account: str,
        client: str,
        ladder: str,
        anchor: str,
        step: int,
        template: str,
        message_id: str,
        to_addr: str,
        subject: str,
        raw: bytes,
        due_at: datetime,
        planned_at: datetime,
        reason: str = "",
        event: Mapping[str, Any] | None = None,
        covers: tuple[Slot, ...] = (),
    ) -> OutboxRow | None:
        """Plan the nudge for slot (account, client, ladder, anchor, step) at ``planned_at``,
        holding also the ``covers`` slots (``(ladder, anchor, step)`` of the same client).

        Return the new ``planned`` row, or None if any of its slots is already occupied.
        ``event`` (append_event's fields) is recorded in the same transaction as the plan.
        Raise StoreError if ``message_id`` is already used by another nudge.
        """
        values: dict[str, Any] = {
            "account": account,
            "client": client,
            "ladder": ladder,
            "anchor": anchor,
            "step": step,
            "template": template,
            "message_id": message_id,
            "status": S.PLANNED,
            "to_addr": to_addr,
            "subject": subject,
            "raw": raw,
            "reason": reason,
            "due_at": due_at,
            "planned_at": planned_at,
            "attempts": 0,
            "updated_at": planned_at,
        }
        with self._tx(write=True) as connection:
            row = _insert_plan(connection, values, covers)
            if row is not None and event is not None:
                _insert_event(connection, event, message_id=message_id)
            return row

    def skip_slots(
        self,
        *,
        account: str,
        client: str,
        slots: tuple[Slot, ...],
        template: str,
        to_addr: str,
        at: datetime,
        due: datetime,
        event: Mapping[str, Any],
    ) -> OutboxRow | None:
        """Take ``slots`` (the first is the row's own) with a ``skipped`` row: nothing is
        sent for them, ever (docs/commands.md, ``skip``). ``due`` (kept as ``due_at``) is
        when the skipped nudge would have gone: its ladder goes on from then. Return None
        if one is taken already (planned, sent or skipped). ``event`` commits with it."""
        ladder, anchor, step = slots[0]
        values: dict[str, Any] = {
            "account": account,
            "client": client,
            "ladder": ladder,
            "anchor": anchor,
            "step": step,
            "template": template,
            # never sent: a Message-ID no mailbox holds, unique as the column wants
            "message_id": f"<skipped.{uuid.uuid4().hex}@ghostwatch.invalid>",
            "status": S.SKIPPED,
            "to_addr": to_addr,
            "subject": "",
            "raw": b"",
            "reason": "skipped by the user",
            "due_at": due,
            "planned_at": at,
            "attempts": 0,
            "updated_at": at,
        }
        with self._tx(write=True) as connection:
            row = _insert_plan(connection, values, slots[1:])
            if row is not None:
                _insert_event(connection, event, message_id=row.message_id)
            return row

    def set_outbox_status(
        self,
        outbox_id: int,
        status: OutboxStatus,
        *,
        at: datetime | None = None,
        error: str | None = None,
        sent_at: datetime | None = None,
        attempts_inc: bool = False,
        next_attempt_at: datetime | None = None,
        event: Mapping[str, Any] | None = None,
    ) -> OutboxRow:
        """Move nudge ``outbox_id`` to ``status``; return the updated row.

        ``at`` (when the change happened) becomes ``updated_at``; pass it -- the daily
        cap counts sending/unknown rows by it. ``sent`` and ``drafted`` record
        ``sent_at`` (default ``at``); ``error`` is kept in ``last_error``;
        ``next_attempt_at`` is stored as given (None clears it); ``event`` is recorded
        in the same transaction, only if the move is made. Raise
        IllegalTransition if the current status does not allow the move, and
        StoreError if there is no such row.
        """
        values: dict[str, Any] = {"status": status, "next_attempt_at": next_attempt_at}
        if at is not None:
            values["updated_at"] = at
        if error is not None:
            values["last_error"] = error
        if status in (S.SENT, S.DRAFTED) and (sent_at or at) is not None:
            values["sent_at"] = sent_at or at
        if attempts_inc:
            values["attempts"] = OUTBOX.c.attempts + 1
        where = (OUTBOX.c.id == outbox_id, OUTBOX.c.status.in_(_predecessors(status)))
        with self._tx(write=True) as connection:
            done = connection.execute(sa.update(OUTBOX).where(*where).values(**values))
            if status is S.CANCELLED and done.rowcount == 1:
                gone = sa.delete(OUTBOX_SLOT).where(OUTBOX_SLOT.c.outbox_id == outbox_id)
                connection.execute(gone)
            row = _row(connection, outbox_id)
            if event is not None and row is not None and done.rowcount == 1:
                _insert_event(connection, event, message_id=row.message_id, client=row.client)
        if row is None:
            raise StoreError(f"outbox row {outbox_id} does not exist")
        if done.rowcount != 1:
            raise IllegalTransition(f"outbox {outbox_id}: {row.status} -> {status} not allowed")
        return row

    def claim_outbox(self, outbox_id: int, *, at: datetime | None = None) -> bool:
        """Move nudge ``outbox_id`` from ``planned`` to ``sending`` and count one
        attempt; return False if it is no longer planned (another process claimed
        it, or it was cancelled). The caller sends only after True."""
        c = OUTBOX.c
        values: dict[str, Any] = {"status": S.SENDING, "attempts": c.attempts + 1}
        if at is not None:
            values["updated_at"] = at
        update = sa.update(OUTBOX).where(c.id == outbox_id, c.status == S.PLANNED)
        with self._tx(write=True) as connection:
            return connection.execute(update.values(**values)).rowcount == 1

    def _outbox(self, *where: sa.ColumnElement[bool]) -> list[OutboxRow]:
        query = sa.select(OUTBOX).where(*where).order_by(OUTBOX.c.due_at, OUTBOX.c.id)
        with self._tx() as connection:
            return [OutboxRow(**found._mapping) for found in connection.execute(query)]

    def outbox_pending(self, account: str, now: datetime | None = None) -> list[OutboxRow]:
        """Return the account's ``planned`` nudges, oldest due first; with ``now``,
        only those due by then whose retry time (``next_attempt_at``) has come."""
        c = OUTBOX.c
        where = [c.account == account, c.status == S.PLANNED]
        if now is not None:
            where += [
                c.due_at <= now,
                sa.or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now),
            ]
        return self._outbox(*where)

    def outbox_unknown(self, account: str) -> list[OutboxRow]:
        """Return the account's nudges whose outcome is ``unknown``, oldest due first."""
        return self._outbox(OUTBOX.c.account == account, OUTBOX.c.status == S.UNKNOWN)

    def outbox_unresolved(self, account: str) -> list[OutboxRow]:
        """Return the account's ``sending`` and ``unknown`` nudges: at start-up, both
        may have gone out and must be looked up in Sent, never resent."""
        statuses = (S.SENDING, S.UNKNOWN)
        return self._outbox(OUTBOX.c.account == account, OUTBOX.c.status.in_(statuses))

    def outbox_all(self, account: str) -> list[OutboxRow]:
        """Return every outbox row of the account, oldest due first."""
        return self._outbox(OUTBOX.c.account == account)

    def outbox_for_client(self, account: str, client: str) -> list[OutboxRow]:
        """Return every outbox row of one client, cancelled ones included."""
        return self._outbox(OUTBOX.c.account == account, OUTBOX.c.client == client)

    def recover_interrupted(
        self,
        account: str,
        *,
        at: datetime,
        stale_before: datetime | None = None,
        event: Mapping[str, Any] | None = None,
    ) -> list[OutboxRow]:
        """Move the account's ``sending`` rows to ``unknown`` and return them; with
        ``event``, record it for each row in the same transaction.

        A row still ``sending`` was cut off by a crash and may or may not have reached
        the server. With ``stale_before``, only rows last changed before it are taken:
        a younger one may belong to another process that is sending it right now.
        """
        where: tuple[sa.ColumnElement[bool], ...] = (
            OUTBOX.c.account == account,
            OUTBOX.c.status == S.SENDING,
        )
        if stale_before is not None:
            where += (OUTBOX.c.updated_at < stale_before,)
        with self._tx(write=True) as connection:
            taken = connection.execute(
                sa.select(OUTBOX.c.id, OUTBOX.c.client, OUTBOX.c.message_id).where(*where)
            ).all()
            ids = [r.id for r in taken]
            connection.execute(
                sa.update(OUTBOX).where(*where).values(status=S.UNKNOWN, updated_at=at)
            )
            for r in taken:
                if event is not None:
                    _insert_event(connection, event, client=r.client, message_id=r.message_id)
        return self._outbox(OUTBOX.c.id.in_(ids)) if ids else []

    def adopt_nudge(
        self,
        *,
        account: str,
        client: str,
        message_id: str,
        template: str,
        slots: list[Slot],
        sent_at: datetime,
        to_addr: str,
        subject: str,
        at: datetime,
    ) -> bool:
        """Record a nudge found in Sent that the outbox does not know as ``sent``, with
        every slot it holds, so no ladder restarts after a lost database. Return False
        (and change nothing) when its own slot or Message-ID is already taken."""
        ladder, anchor, step = slots[0]
        values: dict[str, Any] = {
            "account": account, "client": client, "ladder": ladder, "anchor": anchor,
            "step": step, "template": template, "message_id": message_id,
            "status": S.SENT, "to_addr": to_addr, "subject": subject, "raw": b"",
            "reason": "recovered from the Sent folder", "due_at": sent_at,
            "planned_at": sent_at, "attempts": 1, "sent_at": sent_at, "updated_at": sent_at,
        }  # fmt: skip
        event = {"kind": "nudge.recovered", "at": at, "account": account, "client": client,
                 "slots": [f"{a} {b} step {c}" for a, b, c in slots]}  # fmt: skip
        with self._tx(write=True) as connection:
            try:
                row = _insert_plan(connection, values, tuple(slots[1:]))
            except IntegrityError:
                return False  # the Message-ID is known after all (another process)
            if row is None:
                return False
            _insert_event(connection, event, message_id=message_id)
        return True

    def outbox_slots(self, outbox_id: int) -> list[Slot]:
        """Return every (ladder, anchor, step) slot nudge ``outbox_id`` holds, its own first."""
        c = OUTBOX_SLOT.c
        query = sa.select(c.ladder, c.anchor, c.step).where(c.outbox_id == outbox_id)
        with self._tx() as connection:
            row = _row(connection, outbox_id)
            found = [(r.ladder, r.anchor, r.step) for r in connection.execute(query)]
        own = [(row.ladder, row.anchor, row.step)] if row is not None else []
        return own + sorted(slot for slot in found if slot not in own)
