"""Where each client's conversation stands: who owes whom, how far each ladder got,
and the client's state. A pure function of the state (``ClientState``); no I/O, no clock.

The policy (``core/policy.py``) decides from these facts, and ``status`` and the daily
summary show them. A ladder instance is one ``(ladder, anchor)``: the silence ladder's
anchor is our latest human message, an invoice's or deadline's its due date. Its
*position* is how many steps the client has seen (a message answered by an
out-of-office was not seen, docs/behaviour.md rule 7); its slot numbers only grow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ghostwatch.core.calendar import local_date
from ghostwatch.core.domain import (
    OCCUPYING_STATUSES,
    AutoReply,
    ClientState,
    ClientStatus,
    Invoice,
    LadderStep,
    NudgeRecord,
    OutboxStatus,
    WaitingOn,
    is_hold,
)
from ghostwatch.core.promises.reminders import is_ladder_step

__all__ = [
    "DELIVERED",
    "FAR",
    "SILENCE",
    "Progress",
    "client_status",
    "current_step",
    "in_payment_talk",
    "is_bouncing",
    "is_ghosted",
    "ladder_position",
    "ladder_records",
    "paused_invoices",
    "progress",
    "recipient",
    "silence_anchor",
    "waiting_on",
]

SILENCE = "silence"  # the silence ladder's key (invoice and deadline ladders use theirs)
FAR = datetime.max.replace(tzinfo=UTC)  # "not before anything": no next message yet
S = OutboxStatus
# statuses whose message reached the client, or may have: an auto-reply can answer it
DELIVERED = frozenset({S.SENT, S.DRAFTED, S.UNKNOWN, S.SENDING})


# --- who owes whom ----------------------------------------------------------------


def waiting_on(client: ClientState) -> WaitingOn | None:
    """Return who must write next, from the latest human message on either side."""
    if client.last_outbound is None and client.last_inbound is None:
        return None
    if client.last_inbound is None:
        return WaitingOn.CLIENT
    if client.last_outbound is None or client.last_inbound >= client.last_outbound:
        return WaitingOn.YOU
    return WaitingOn.CLIENT


def silence_anchor(client: ClientState) -> str | None:
    """Return the anchor of the running silence ladder, or None when none runs."""
    if waiting_on(client) is not WaitingOn.CLIENT or client.thread is None:
        return None
    return client.thread.message_id


def ladder_records(client: ClientState, ladder: str, anchor: str) -> list[NudgeRecord]:
    """Return the nudges that occupy slots of one ladder instance, by step."""
    taken = [
        n
        for n in client.nudges
        if n.ladder == ladder and n.anchor == anchor and n.status in OCCUPYING_STATUSES
    ]
    return sorted(taken, key=lambda n: (n.step, n.at))


@dataclass(frozen=True, slots=True)
class Progress:
    """How far one ladder instance has got with the client.

    ``position``: steps the client has seen (the index of the next step's template);
    ``next_step``: the slot number of the next message; ``last_at``: when the latest
    message went out; ``unseen``: the out-of-office that answered the latest message
    (None when it was seen); ``unseen_run``: unseen messages in a row up to the latest.
    """

    position: int
    next_step: int
    last_at: datetime | None
    unseen: AutoReply | None
    unseen_run: int
    records: tuple[NudgeRecord, ...]


def _answered_by(client: ClientState, record: NudgeRecord, until: datetime) -> AutoReply | None:
    """The out-of-office that answered ``record`` (one came before ``until``, the next
    message), or that said the client was away on the day it went out."""
    if record.status not in DELIVERED:
        return None
    for reply in client.auto_replies:
        if record.at <= reply.at < until:
            return reply
    day = local_date(record.at, client.rules.timezone)
    for reply in client.auto_replies:
        if reply.returns is not None and reply.at < record.at and day <= reply.returns:
            return reply
    return None


def progress(
    client: ClientState, ladder: str, anchor: str, steps: Sequence[LadderStep]
) -> Progress:
    """Walk one ladder instance's messages and return how far the client has got."""
    records = ladder_records(client, ladder, anchor)
    position = run = 0
    unseen: AutoReply | None = None
    for i, record in enumerate(records):
        if record.status is S.SKIPPED:  # the user skipped it: not seen, counted from then
            unseen = None
            continue
        until = records[i + 1].at if i + 1 < len(records) else FAR
        unseen = _answered_by(client, record, until)
        if not is_ladder_step(record):
            continue  # a promise reminder: the client's place on the ladder is unchanged
        if unseen is None:
            position, run = position + 1, 0
            continue
        run += 1
        if position == len(steps) - 1 and len(steps) > 1:
            position = 0  # an unseen ultimatum: start again gently after the return
    last_at = _counted_from(records[-1]) if records else None
    next_step = records[-1].step + 1 if records else 1
    return Progress(position, next_step, last_at, unseen, run, tuple(records))


def _counted_from(record: NudgeRecord) -> datetime:
    """When the next step counts from after ``record``: a skipped nudge's own due time
    (the user meant "not that one", and the ladder goes on as if it had gone then),
    else when it went (docs/commands.md)."""
    if record.status is S.SKIPPED and record.due is not None:
        return max(record.due, record.at)
    return record.at


def current_step(client: ClientState) -> int:
    """Return how many nudges the running silence ladder has used (0 if none runs)."""
    anchor = silence_anchor(client)
    if anchor is None:
        return 0
    records = ladder_records(client, SILENCE, anchor)
    # a skipped slot was never sent (docs/commands.md): not a nudge the client got
    return max((r.step for r in records if r.status is not S.SKIPPED), default=0)


def ladder_position(client: ClientState) -> int:
    """How many steps of the silence ladder the client has seen: a nudge sent again
    after an out-of-office is the same step, so it does not count twice (0 if none)."""
    anchor = silence_anchor(client)
    if anchor is None:
        return 0
    return progress(client, SILENCE, anchor, client.rules.ladder).position


def is_ghosted(client: ClientState) -> bool:
    """True when the client was marked ghosted on the silence ladder running now."""
    anchor = silence_anchor(client)
    return anchor is not None and client.ghosted_anchor == anchor


def is_bouncing(client: ClientState) -> bool:
    """True when the address a nudge would go to is known to bounce."""
    target = recipient(client)
    return target is not None and target in client.bouncing


def recipient(client: ClientState) -> str | None:
    """The address a nudge goes to: the one we last wrote to, else the first configured."""
    if client.thread is not None:
        return client.thread.to_addr
    return client.emails[0] if client.emails else None


def paused_invoices(client: ClientState) -> list[tuple[Invoice, datetime]]:
    """Return the unpaid invoices whose ladder has run out (work is paused), each with
    when its last step went out."""
    steps = client.rules.invoice_ladder
    out = []
    for invoice in client.invoices:
        if invoice.paid or not steps:
            continue
        prog = progress(client, invoice.key, invoice.due.isoformat(), steps)
        if prog.position >= len(steps) and prog.last_at is not None:
            out.append((invoice, prog.last_at))
    return out


def in_payment_talk(client: ClientState) -> bool:
    """True while an invoice or deadline ladder has sent a step and has not ended: an
    invoice until it is paid (its ladder running out means work is paused), a deadline
    until it is met or its ladder has no step left. A promise to pay or to deliver on
    record is part of that conversation too, before any step went out."""
    for i in client.invoices:
        if not i.paid and (i.expected_by or ladder_records(client, i.key, i.due.isoformat())):
            return True
    return any(
        d.expected_by is not None
        or 0 < progress(client, d.key, d.due.isoformat(), steps).position < len(steps)
        for d in client.deadlines
        if not d.met and (steps := client.rules.deadline_ladder)
    )


def client_status(client: ClientState, now: datetime) -> ClientStatus:
    """Return the ``state`` of a client at ``now`` (docs/behaviour.md, "States")."""
    if is_bouncing(client):
        return ClientStatus.BOUNCING
    if paused_invoices(client):
        return ClientStatus.PAUSED
    if is_ghosted(client):
        return ClientStatus.GHOSTED
    if is_hold(client.snoozed_until):
        return ClientStatus.HELD
    if client.snoozed_until is not None and client.snoozed_until > now:
        return ClientStatus.SNOOZED
    if client.away_until is not None and client.away_until > now:
        return ClientStatus.AWAY
    if current_step(client) > 0:
        return ClientStatus.NUDGED
    if waiting_on(client) is WaitingOn.CLIENT:
        return ClientStatus.WAITING
    return ClientStatus.OK
