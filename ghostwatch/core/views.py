"""What ``status`` shows: one typed row per client, per invoice, per deadline and per
account, and the one ``iso`` every view writes its times with.

PURE: domain values and ``now`` in, frozen rows out; no store, no clock, no I/O.
``app.views`` reads the store and the config and calls these builders.

Contracts:
- Every time in a row is ISO-8601 UTC with a ``Z`` (``iso``), every date ISO
  (``YYYY-MM-DD``); a row holds JSON values only (str, int, bool, None, tuples, rows).
- ``to_json()`` is the ``status --json`` contract (docs/cli.md, "status"): the
  dataclass fields in declaration order, nested rows as objects, tuples as arrays --
  the field order below IS the key order of the output; do not reorder fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, overload

from ghostwatch.core.domain import Action, ClientState, Decision, is_hold
from ghostwatch.core.policy import next_action
from ghostwatch.core.standing import (
    client_status,
    current_step,
    ladder_records,
    paused_invoices,
    waiting_on,
)

__all__ = [
    "DeadlineStatus",
    "HealthRow",
    "InvoiceStatus",
    "NextAction",
    "NextStep",
    "StatusRow",
    "deadline_rows",
    "invoice_rows",
    "iso",
    "status_row",
]


@overload
def iso(at: datetime) -> str: ...
@overload
def iso(at: datetime | None) -> str | None: ...
def iso(at: datetime | None) -> str | None:
    """``at`` as ISO-8601 UTC with a ``Z`` ("2026-11-02T09:00:00Z"); None stays None."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z") if at else None


class _Row:
    """A view row: ``to_json()`` gives its fields as a JSON object, in field order."""

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, Any]]  # each subclass is a dataclass

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class NextStep(_Row):
    """The pending decision of one invoice's or deadline's ladder."""

    template: str | None
    step: int
    action: str  # an ``Action`` value: "send", "wait", "hold", ...
    at: str
    reason: str


@dataclass(frozen=True, slots=True)
class InvoiceStatus(_Row):
    """One invoice of a client (see ``invoice_rows``)."""

    number: str
    amount: str
    due: str
    paid: bool
    replied_at: str | None
    steps_sent: int
    next_step: NextStep | None
    note: str | None
    paused_since: str | None
    expected_by: str | None
    promise: str | None


@dataclass(frozen=True, slots=True)
class DeadlineStatus(_Row):
    """One deadline of a client (see ``deadline_rows``)."""

    what: str
    due: str
    met: bool
    steps_sent: int
    next_step: NextStep | None
    expected_by: str | None
    promise: str | None


@dataclass(frozen=True, slots=True)
class NextAction(_Row):
    """A client's earliest pending decision: ``kind`` is its template, or "ghost"."""

    kind: str
    at: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class StatusRow(_Row):
    """One client in ``status`` (docs/cli.md, "status")."""

    client: str
    account: str
    last_inbound: str | None
    last_outbound: str | None
    waiting_on: str | None  # a ``WaitingOn`` value: "client" or "you"
    state: str  # a ``ClientStatus`` value
    step: int
    next_action: NextAction | None
    held: tuple[str, ...] = ()  # the reasons of the client's held nudges
    away_until: str | None = None
    # a hold has no end day: None here, and ``held_until_resume`` says so
    snoozed_until: str | None = None
    held_until_resume: bool = False
    bouncing: tuple[str, ...] = ()
    invoices: tuple[InvoiceStatus, ...] = ()
    deadlines: tuple[DeadlineStatus, ...] = ()


@dataclass(frozen=True, slots=True)
class HealthRow(_Row):
    """One account's health in ``status`` (and ``status --check``)."""

    account: str
    last_sync: str | None
    stale: bool  # not read for longer than ``max_sync_age``: no nudges meanwhile
    last_error: str | None
    last_error_at: str | None
    watch_mode: str | None
    paused: bool
    unresolved_nudges: int
    failed_nudges: int
    # which ghostwatch process works on the account (None: none now)
    lease_holder: str | None
    lease_expires_at: str | None


def status_row(client: ClientState, decisions: Sequence[Decision], now: datetime) -> StatusRow:
    """The status row of ``client`` at ``now``; ``decisions`` are ``policy.decide``'s
    for its account."""
    waiting = waiting_on(client)
    nxt = next_action(decisions, client.name)
    held = [d.reason for d in decisions if d.client == client.name and d.action is Action.HOLD]
    return StatusRow(
        client=client.name,
        account=client.account,
        last_inbound=iso(client.last_inbound),
        last_outbound=iso(client.last_outbound),
        waiting_on=waiting.value if waiting else None,
        state=client_status(client, now).value,
        step=current_step(client),
        next_action=None
        if nxt is None
        else NextAction(kind=nxt.template or "ghost", at=iso(nxt.at), reason=nxt.reason),
        held=tuple(held),
        away_until=iso(client.away_until),
        snoozed_until=None if is_hold(client.snoozed_until) else iso(client.snoozed_until),
        held_until_resume=is_hold(client.snoozed_until),
        bouncing=tuple(sorted(client.bouncing)),
        invoices=tuple(invoice_rows(client, decisions)),
        deadlines=tuple(deadline_rows(client, decisions)),
    )


def _steps_sent(client: ClientState, ladder: str, anchor: str) -> int:
    return max((r.step for r in ladder_records(client, ladder, anchor)), default=0)


def _next_step(
    client: ClientState, decisions: Sequence[Decision], ladder: str, anchor: str
) -> NextStep | None:
    """The pending decision of one ladder instance of ``client``; None when the ladder
    has ended (paid, met, all steps sent)."""
    for d in decisions:
        if (d.client, d.ladder, d.anchor) == (client.name, ladder, anchor):
            return NextStep(
                template=d.template,
                step=d.step,
                action=d.action.value,
                at=iso(d.at),
                reason=d.reason,
            )
    return None


def invoice_rows(client: ClientState, decisions: Sequence[Decision]) -> list[InvoiceStatus]:
    """Return one row per invoice of ``client`` (by due date, then number) for
    ``status --json``: ``number``, ``amount``, ``due`` (ISO date), ``paid``,
    ``replied_at`` (the client's latest human message since the due date, which pauses
    chasing), ``steps_sent``, ``next_step`` (see ``_next_step``) and ``note`` -- "Acme
    replied about INV-014 — check" while an unpaid invoice has a reply, else None;
    ``paused_since`` (ISO) when its ladder ran out unpaid and work is paused
    (``next_step`` is then None: nothing more goes out about it); ``expected_by`` (ISO
    date) and ``promise`` (the sentence) while the client's promise to pay is on record
    (docs/promises.md), the note then quoting it. ``decisions`` are ``policy.decide``'s
    for the account."""
    paused = {inv.number: since for inv, since in paused_invoices(client)}
    rows = []
    for inv in sorted(client.invoices, key=lambda i: (i.due, i.number)):
        anchor = inv.due.isoformat()
        replied = inv.replied_at if not inv.paid else None
        waiting = not inv.paid and inv.number not in paused
        promised = inv.expected_by if not inv.paid else None
        note = f"{client.name} replied about {inv.number} — check" if replied else None
        if promised is not None:
            said = f"'{inv.promise}' → " if inv.promise else ""
            note = f"{client.name}: {said}expected by {promised:%a %d %b}"
        rows.append(
            InvoiceStatus(
                number=inv.number,
                amount=inv.amount,
                due=anchor,
                paid=inv.paid,
                replied_at=iso(inv.replied_at),
                steps_sent=_steps_sent(client, inv.key, anchor),
                next_step=_next_step(client, decisions, inv.key, anchor) if waiting else None,
                note=note,
                paused_since=iso(paused.get(inv.number)),
                expected_by=promised.isoformat() if promised else None,
                promise=inv.promise or None if promised else None,
            )
        )
    return rows


def deadline_rows(client: ClientState, decisions: Sequence[Decision]) -> list[DeadlineStatus]:
    """Return one row per deadline of ``client`` (by due date): ``what``, ``due``,
    ``met`` (the client wrote since the due date, or since their promise), ``steps_sent``,
    ``next_step``; ``expected_by`` (ISO date) and ``promise`` (the sentence) while the
    client's promise to deliver is on record and the deadline not met (docs/promises.md),
    else None."""
    rows = []
    for d in sorted(client.deadlines, key=lambda d: (d.due, d.what)):
        promised = d.expected_by if not d.met else None
        anchor = d.due.isoformat()
        rows.append(
            DeadlineStatus(
                what=d.what,
                due=anchor,
                met=d.met,
                steps_sent=_steps_sent(client, d.key, anchor),
                next_step=None if d.met else _next_step(client, decisions, d.key, anchor),
                expected_by=promised.isoformat() if promised else None,
                promise=(d.promise or None) if promised else None,
            )
        )
    return rows
