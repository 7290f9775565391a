"""Who is due what, and when: a pure function of state, rules and ``now``.

This module does no I/O and never reads the clock; ``now`` is always given, aware UTC.
The behaviour is described for users in docs/behaviour.md. Rules it keeps:

1. The silence ladder runs only while the ball is in the client's court (our human
   message is the latest). Step 1 counts from that message; step k from step k-1.
   A nudge never counts as "our message": only the user's own mail anchors a ladder.
2. A (ladder, anchor, step) slot that the outbox holds in any status but
   ``cancelled`` is taken for good: it is never decided again (never double-send).
   Slot numbers only grow; the *position* on a ladder is what the client has seen.
3. No nudge of any kind while the user owes the client a reply, while the client is
   snoozed, away (until the return date plus ``return_grace``), bouncing or has sent
   mail that could not be read, or while the account is paused, over its daily limit,
   or its mailbox data is stale. Blocked nudges come back as ``HOLD`` with the reason.
4. Nudges go out only inside the client's send window, on business days (and not on
   public holidays of ``holidays_country``) in the client's time zone.
5. One voice per client: everything due for one client at one instant is one message
   (a payment step first; several invoices are listed in one reminder; it *covers*
   the other slots), and no two messages reach one client within ``min_gap``: what
   falls due inside the gap waits for it.
6. Ladders know each other: while an invoice or deadline ladder has started and not
   ended, the silence ladder is quiet. An invoice whose ladder ran out unpaid means
   work is paused: nothing more is written to that client until it is paid; then one
   ``work_resumed`` thank-you (``rules.work_resumed``). Paying an invoice we had
   chased answers the user's message before it: no check-in follows a payment.
7. A holiday is not silence: a message answered by an out-of-office counts as unseen.
   The same step is due again after the return date plus ``return_grace`` (or
   ``away_default`` after the auto-reply when it gave no date), and the first message
   after a return is never the ladder's last step (its ultimatum) on a longer ladder.
   After ``MAX_UNSEEN`` unseen messages in a row the ladder holds and tells the user.
8. A client's promise to pay an invoice by a day moves that invoice's next step to the
   day's end plus ``promise_grace`` and makes it one ``promise_reminder``, which is no
   step of the ladder (``promise_policy``; docs/promises.md); a promise to deliver by a
   deadline does the same for the deadline's ladder (``deadline_promise_reminder``).
   It is a payment step for rules 3, 5 and 6 like the others, but for one thing: a
   promise that asked nothing ("We'll pay on Friday.") needs no answer, so its
   reminder does not wait for one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from ghostwatch.core import reasons
from ghostwatch.core.calendar import (
    add_business_days,
    is_business_day,
    local_date,
    local_day_start,
    next_slot,
)
from ghostwatch.core.domain import (
    OCCUPYING_STATUSES,
    AccountState,
    Action,
    AutoReply,
    ClientState,
    ClientStatus,
    Deadline,
    Decision,
    Invoice,
    LadderKind,
    LadderStep,
    NudgeRecord,
    OutboxStatus,
    ThreadRef,
    WaitingOn,
    Why,
    is_hold,
    why,
)
from ghostwatch.core.promises.policy import (
    DEADLINE_PROMISE_TEMPLATE,
    PROMISE_TEMPLATE,
    answered_by_promise,
    is_ladder_step,
    promise_due,
)

__all__ = [
    "MAX_UNSEEN",
    "SILENCE",
    "Progress",
    "client_status",
    "current_step",
    "decide",
    "is_business_day",
    "label",
    "ladder_position",
    "ladder_records",
    "local_day_start",
    "next_action",
    "next_slot",
    "next_wakeup",
    "paused_invoices",
    "progress",
    "recipient",
    "waiting_on",
]

SILENCE = "silence"
MAX_UNSEEN = 2  # messages in a row answered by an out-of-office before the ladder holds
RESUME_WITHIN = timedelta(days=7)  # a thank-you for a payment older than this is not sent
_FAR = datetime.max.replace(tzinfo=UTC)
S = OutboxStatus
# statuses whose message reached the client, or may have: an auto-reply can answer it
_DELIVERED = frozenset({S.SENT, S.DRAFTED, S.UNKNOWN, S.SENDING})
# statuses that count for the gap between two messages to one client
_GAP = _DELIVERED | {S.PLANNED}

label = reasons.label


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
    if record.status not in _DELIVERED:
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
        until = records[i + 1].at if i + 1 < len(records) else _FAR
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


def _in_payment_talk(client: ClientState) -> bool:
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


def _silence_start(client: ClientState, sent_at: datetime) -> datetime:
    """Step 1 counts from our message, or from the last reminder of a deadline ladder
    that ran out after it (the conversation went quiet then, not before)."""
    ends = [sent_at]
    for d in client.deadlines:
        prog = progress(client, d.key, d.due.isoformat(), client.rules.deadline_ladder)
        if not d.met and prog.last_at is not None and prog.last_at > sent_at:
            ends.append(prog.last_at)
    return max(ends)


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


# --- the ladders ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A ladder's next step before the gates, with what the gates need to finish it."""

    decision: Decision
    # silence ladder: time from this step's sending to the ghosting instant
    until_ghost: timedelta | None = None


def _due(
    client: ClientState, steps: Sequence[LadderStep], prog: Progress, start: datetime
) -> datetime:
    """When the next step of a ladder is due, counted per rules 1 and 7."""
    rules = client.rules
    if prog.last_at is None:
        return start + steps[0].after
    reply = prog.unseen
    if reply is None:
        return prog.last_at + steps[prog.position].after
    received = local_date(reply.at, rules.timezone)
    if reply.returns is not None and reply.returns >= received:
        return add_business_days(reply.returns + timedelta(days=1), rules.return_grace, rules)
    return reply.at + rules.away_default


def _base(client: ClientState, key: str, kind: LadderKind, anchor: str, prog: Progress) -> Decision:
    return Decision(
        client=client.name,
        account=client.account,
        action=Action.WAIT,
        ladder=key,
        kind=kind,
        anchor=anchor,
        step=prog.next_step,
        template=None,
        at=_FAR,
        reason="",
        to_addr=recipient(client),
        thread=client.thread,
        returned=prog.unseen is not None,
    )


def _unseen_hold(client: ClientState, decision: Decision, prog: Progress) -> Decision | None:
    if prog.unseen_run < MAX_UNSEEN:
        return None
    since = local_date(prog.records[-prog.unseen_run].at, client.rules.timezone)
    return _hold(decision, why("held.auto_replies", since=since))


def _answered_by_payment(client: ClientState, sent_at: datetime) -> bool:
    """True when an invoice we had chased, or that the client promised to pay, was paid
    after our message: paying answers it (no "is everything all right?" to a client
    who just paid)."""
    return any(
        i.paid_at is not None
        and i.paid_at >= sent_at
        and (i.promised_at is not None or ladder_records(client, i.key, i.due.isoformat()))
        for i in client.invoices
    )


def _silence(client: ClientState, now: datetime) -> _Candidate | None:
    anchor = silence_anchor(client)
    thread = client.thread
    if anchor is None or thread is None or client.ghosted_anchor == anchor:
        return None
    if _answered_by_payment(client, thread.sent_at):
        return None
    rules, steps = client.rules, client.rules.ladder
    prog = progress(client, SILENCE, anchor, steps)
    base = _base(client, SILENCE, LadderKind.SILENCE, anchor, prog)
    base = replace(base, to_addr=thread.to_addr)
    since = local_date(thread.sent_at, rules.timezone)
    if prog.position >= len(steps):
        close_on = local_date(
            (prog.last_at or thread.sent_at) + rules.give_up_after, rules.timezone
        )
        clause = why(
            "silence.ghost_at", client=client.name, nudges=len(steps), since=since, until=close_on
        )
        give_up = local_day_start(close_on + timedelta(days=1), rules.timezone)
        return _Candidate(_explain(base, clause, action=Action.GHOST, step=0, at=give_up))
    template = steps[prog.position].template
    days = max((now - thread.sent_at).days, 0)
    clause = why("silence.due", client=client.name, days=days, since=since, template=template)
    decision = _explain(base, clause, template=template)
    start = _silence_start(client, thread.sent_at)
    decision = replace(decision, at=_due(client, steps, prog, start))
    if prog.unseen is not None:
        decision = _explain(decision, why("step.again"))
    until_ghost = sum((s.after for s in steps[prog.position + 1 :]), rules.give_up_after)
    held = _unseen_hold(client, decision, prog)
    return _Candidate(held or decision, None if held else until_ghost)


def _dated(
    client: ClientState, key: str, kind: LadderKind, due_day: date, steps: Sequence[LadderStep]
) -> tuple[Decision, Progress, datetime] | None:
    """The next step of a ladder counted from the start of ``due_day`` in the client's
    zone (invoices, deadlines), or None when the ladder has no step left."""
    if not steps:
        return None
    anchor = due_day.isoformat()
    start = local_day_start(due_day, client.rules.timezone)
    prog = progress(client, key, anchor, steps)
    if prog.position >= len(steps):
        return None
    decision = _base(client, key, kind, anchor, prog)
    decision = replace(
        decision,
        template=steps[prog.position].template,
        at=_due(client, steps, prog, start),
        thread=_ladder_thread(client, prog) or client.thread,
    )
    return decision, prog, start


def _ladder_thread(client: ClientState, prog: Progress) -> ThreadRef | None:
    """A later step of an invoice or deadline ladder answers that ladder's last
    message (the most relevant conversation) when it has no thread of the user's."""
    if client.thread is not None or not prog.records:
        return None
    last = prog.records[-1]
    if not last.message_id or last.status not in _DELIVERED:
        return None
    return ThreadRef(last.message_id, (), last.subject, recipient(client) or "", last.at)


def _invoice(client: ClientState, invoice: Invoice) -> _Candidate | None:
    if invoice.paid:
        return None
    rules = client.rules
    found = _dated(client, invoice.key, LadderKind.INVOICE, invoice.due, rules.invoice_ladder)
    if found is None:
        return _paused(client, invoice)
    decision, prog, start = found
    promised = promise_due(invoice, prog.records, rules, decision.at)
    if promised is not None:
        decision = replace(decision, template=PROMISE_TEMPLATE)
    clause = why(
        "invoice.due",
        client=client.name,
        number=invoice.number,
        amount=invoice.amount,
        due=invoice.due,
        template=decision.template or "",
    )
    decision = _explain(replace(decision, invoice=invoice), clause)
    if prog.unseen is not None:
        decision = _explain(decision, why("step.again"))
    if promised is not None and invoice.expected_by is not None:
        # rule 8: they said when; one reminder of it once that day is over
        clause = why("wait.promised", client=client.name, by=invoice.expected_by)
        decision = _explain(decision, clause, at=promised)
        return _Candidate(_unseen_hold(client, decision, prog) or decision)
    # A reply from the client after the due date (and after our last step) pauses
    # chasing: they may be writing "paid yesterday".
    replied = invoice.replied_at
    if replied is not None and replied >= (prog.last_at or start):
        deferred = replied + rules.reply_defers_invoice
        if deferred > decision.at:
            on = local_date(replied, rules.timezone)
            decision = _explain(
                replace(decision, at=deferred), why("wait.replied", client=client.name, on=on)
            )
    return _Candidate(_unseen_hold(client, decision, prog) or decision)


def _paused(client: ClientState, invoice: Invoice) -> _Candidate | None:
    """An invoice whose ladder ran out unpaid: work is paused. Held, so ``status`` and
    the summary say so ("work paused for invoice X since 12 Nov; no answer yet")."""
    steps = client.rules.invoice_ladder
    prog = progress(client, invoice.key, invoice.due.isoformat(), steps)
    if not steps or prog.last_at is None:
        return None
    since = local_date(prog.last_at, client.rules.timezone)
    base = _base(client, invoice.key, LadderKind.INVOICE, invoice.due.isoformat(), prog)
    base = replace(base, at=prog.last_at, invoice=invoice, returned=False)
    clause = why("quiet.work_paused", client=client.name, number=invoice.number, since=since)
    return _Candidate(_hold(base, clause))


def _resumed(client: ClientState, invoice: Invoice, now: datetime) -> _Candidate | None:
    """One thank-you when an invoice whose ladder ran out (work paused) is paid."""
    rules, steps = client.rules, client.rules.invoice_ladder
    paid_at = invoice.paid_at
    if not (invoice.paid and paid_at and rules.work_resumed and steps):
        return None
    prog = progress(client, invoice.key, invoice.due.isoformat(), steps)
    paused = [r for r in prog.records if r.template != "work_resumed" and is_ladder_step(r)]
    if len(paused) < len(steps) or any(r.template == "work_resumed" for r in prog.records):
        return None
    if now - paid_at > RESUME_WITHIN:
        return None
    decision = _base(client, invoice.key, LadderKind.INVOICE, invoice.due.isoformat(), prog)
    decision = replace(
        decision, template="work_resumed", at=paid_at, invoice=invoice, returned=False
    )
    decision = replace(decision, thread=_ladder_thread(client, prog) or client.thread)
    on = local_date(paid_at, rules.timezone)
    clause = why("invoice.resumed", client=client.name, number=invoice.number, on=on)
    return _Candidate(_explain(decision, clause))


def _deadline(client: ClientState, deadline: Deadline) -> _Candidate | None:
    if deadline.met:
        return None
    rules = client.rules
    found = _dated(client, deadline.key, LadderKind.DEADLINE, deadline.due, rules.deadline_ladder)
    if found is None:
        return None
    decision, prog, _ = found
    promised = promise_due(deadline, prog.records, rules, decision.at)
    if promised is not None:
        decision = replace(decision, template=DEADLINE_PROMISE_TEMPLATE)
    clause = why(
        "deadline.due",
        client=client.name,
        what=deadline.what,
        due=deadline.due,
        template=decision.template or "",
    )
    decision = _explain(replace(decision, deadline=deadline), clause)
    if prog.unseen is not None:
        decision = _explain(decision, why("step.again"))
    if promised is not None and deadline.expected_by is not None:
        # rule 8: they said when they would deliver; one reminder once that day is over
        clause = why(
            "wait.promised_delivery",
            client=client.name,
            what=deadline.what,
            by=deadline.expected_by,
        )
        decision = _explain(decision, clause, at=promised)
    return _Candidate(_unseen_hold(client, decision, prog) or decision)


def _candidates(client: ClientState, now: datetime) -> list[_Candidate]:
    found: list[_Candidate | None] = [_silence(client, now)]
    for invoice in client.invoices:
        found += [_invoice(client, invoice), _resumed(client, invoice, now)]
    found += [_deadline(client, d) for d in client.deadlines]
    return [c for c in found if c is not None]


# --- gates ------------------------------------------------------------------------------


def _explain(decision: Decision, clause: Why, **changes: object) -> Decision:
    """Return ``decision`` with ``clause`` added to its reason (and ``changes`` made)."""
    clauses = (*decision.why, clause)
    return replace(decision, why=clauses, reason=reasons.english(clauses), **changes)  # type: ignore[arg-type]


def _hold(decision: Decision, clause: Why) -> Decision:
    return _explain(decision, clause, action=Action.HOLD)


def _client_gate(client: ClientState, candidate: _Candidate, now: datetime) -> Decision:
    """Apply the per-client safety rules and the send window to one candidate."""
    decision = candidate.decision
    if decision.action is Action.HOLD:
        return decision
    refused = [
        r
        for r in ladder_records(client, decision.ladder, decision.anchor)
        if r.status is OutboxStatus.FAILED
    ]
    if refused:
        # Escalating after a step the client never received would make a closing
        # notice their first message: stop and tell the user instead.
        return _hold(decision, why("held.refused", step=refused[0].step))
    if client.unreadable_at is not None:
        on = local_date(client.unreadable_at, client.rules.timezone)
        return _hold(decision, why("held.unreadable", client=client.name, on=on))
    if is_hold(client.snoozed_until):  # ``hold``: nothing until ``resume``, no made-up day
        return _hold(decision, why("held.by_you"))
    if decision.action is Action.GHOST:
        # Give up only after real silence: not while snoozed or away.
        earliest = max([decision.at] + [u for u in (client.snoozed_until, client.away_until) if u])
        action = Action.GHOST if earliest <= now else Action.WAIT
        return replace(decision, action=action, at=earliest)
    if decision.to_addr is None:
        return _hold(decision, why("held.no_address"))
    if decision.to_addr in client.bouncing:
        return _hold(decision, why("held.bouncing", address=decision.to_addr))
    if (
        waiting_on(client) is WaitingOn.YOU
        and decision.kind is not LadderKind.SILENCE
        and not answered_by_promise(client.last_inbound, decision)
    ):
        return _hold(decision, why("held.owe_reply"))
    earliest, decision = _not_before(client, decision, max(decision.at, now), now)
    lifted = (decision.ladder, decision.anchor, decision.step) in client.send_now
    # "send now" lifts only the send window, and only once the step is due
    at = earliest if lifted and earliest <= now else next_slot(earliest, client.rules)
    return _scheduled(decision, at, now, candidate.until_ghost, client)


def _not_before(
    client: ClientState, decision: Decision, earliest: datetime, now: datetime
) -> tuple[datetime, Decision]:
    """Push ``earliest`` past a snooze, an absence and the grace after a return."""
    zone = client.rules.timezone
    if client.snoozed_until is not None and client.snoozed_until > earliest:
        earliest = client.snoozed_until
        decision = _explain(decision, why("wait.snoozed", until=local_date(earliest, zone)))
    if client.away_until is not None:
        back = local_date(client.away_until, zone)
        grace_end = add_business_days(back, client.rules.return_grace, client.rules)
        if client.away_until > earliest:
            until = back - timedelta(days=1)
            decision = _explain(decision, why("wait.away", until=until))
        if grace_end > earliest:
            earliest = grace_end
            decision = _explain(decision, why("wait.return_grace", returned=back))
            decision = replace(decision, returned=True)
    return earliest, decision


def _scheduled(
    decision: Decision,
    at: datetime,
    now: datetime,
    until_ghost: timedelta | None,
    client: ClientState,
) -> Decision:
    action = Action.SEND if at <= now else Action.WAIT
    at = at if action is Action.WAIT else now
    close_on = None
    if until_ghost is not None:
        close_on = local_date(at + until_ghost, client.rules.timezone)
    return replace(decision, action=action, at=at, close_on=close_on)


def _last_message_at(client: ClientState) -> datetime | None:
    """When the latest message ghostwatch wrote to the client went (or will go) out."""
    return max((n.at for n in client.nudges if n.status in _GAP), default=None)


def _weight(client: ClientState, decision: Decision) -> tuple[int, int, str]:
    """Which of several due steps speaks for all: payment first, then a deadline, the
    step furthest up its ladder, the oldest due date."""
    rank = {LadderKind.INVOICE: 2, LadderKind.DEADLINE: 1, LadderKind.SILENCE: 0}[decision.kind]
    ladder = client.rules.invoice_ladder if decision.invoice else client.rules.deadline_ladder
    templates = [s.template for s in ladder]
    index = templates.index(decision.template) if decision.template in templates else 0
    due = (
        decision.invoice.due
        if decision.invoice
        else decision.deadline.due
        if decision.deadline
        else None
    )
    # later due dates sort first with the negated ordinal, so max() picks the oldest
    return rank, index, f"{-(due.toordinal() if due else 0):09d}"


def _one_voice(client: ClientState, decisions: list[Decision], now: datetime) -> list[Decision]:
    """Apply rules 5 and 6 to one client's gated decisions."""
    talk = _in_payment_talk(client) or any(
        d.kind is not LadderKind.SILENCE and d.action is Action.SEND for d in decisions
    )
    paused = paused_invoices(client)
    out: list[Decision] = []
    for d in decisions:
        if d.kind is LadderKind.SILENCE and (talk or paused):
            continue  # the payment conversation is the conversation
        # (a thank-you too: work does not resume while another invoice keeps it paused)
        if paused and d.action is not Action.HOLD:
            invoice, since = paused[0]
            day = local_date(since, client.rules.timezone)
            clause = why("quiet.work_paused", client=client.name, number=invoice.number, since=day)
            d = _hold(d, clause)
        out.append(d)
    out = _gap(client, out, now)
    sends = [d for d in out if d.action is Action.SEND]
    if len(sends) < 2:
        return out
    primary = max(sends, key=lambda d: _weight(client, d))
    others = tuple(d for d in sends if d is not primary)
    combined = _combined(primary, others, client)
    return [combined, *(d for d in out if d.action is not Action.SEND)]


def _gap(client: ClientState, decisions: list[Decision], now: datetime) -> list[Decision]:
    last = _last_message_at(client)
    if last is None:
        return decisions
    gap_end = last + client.rules.min_gap
    if gap_end <= now:
        return decisions
    slot = next_slot(gap_end, client.rules)
    day = local_date(last, client.rules.timezone)
    out = []
    for d in decisions:
        if d.action in (Action.SEND, Action.WAIT) and d.at < slot:
            d = _explain(d, why("wait.gap", last=day), action=Action.WAIT, at=slot)
        out.append(d)
    return out


def _combined(primary: Decision, others: tuple[Decision, ...], client: ClientState) -> Decision:
    clauses = list(primary.why)
    invoices = [d.invoice for d in (primary, *others) if d.invoice is not None]
    if len(invoices) > 1:
        clauses[0] = why(
            "invoices.due",
            client=client.name,
            count=len(invoices),
            numbers=", ".join(i.number for i in invoices),
            template=primary.template or "",
        )
    for other in others:
        if other.invoice is None:
            clauses.append(why("covered", template=other.template or ""))
    merged = tuple(clauses)
    return replace(
        primary,
        covers=others,
        why=merged,
        reason=reasons.english(merged),
        returned=primary.returned or any(o.returned for o in others),
    )


def _account_gate(account: AccountState, decisions: list[Decision], now: datetime) -> None:
    """Hold every SEND the account may not make now (in place, in decision order)."""
    blocked: Why | None = None
    if account.paused:
        blocked = why("held.paused_account")
    elif account.last_sync_at is None:
        blocked = why("held.never_synced")
    elif now - account.last_sync_at > account.max_sync_age:
        blocked = why("held.stale", at=account.last_sync_at)
    budget = account.max_nudges_per_day - account.sent_today
    for i, decision in enumerate(decisions):
        if decision.action is not Action.SEND:
            continue
        if blocked is not None:
            decisions[i] = _hold(decision, blocked)
        elif budget <= 0:
            decisions[i] = _hold(
                decision, why("held.daily_limit", limit=account.max_nudges_per_day)
            )
        else:
            budget -= 1


def decide(account: AccountState, clients: Iterable[ClientState], now: datetime) -> list[Decision]:
    """Return every client's next decision per ladder, gated, earliest first.

    ``SEND`` decisions are due now and allowed (at most one per client: it may cover
    other slots); ``WAIT`` carry the instant they become due; ``HOLD`` are due but
    blocked, with the reason; ``GHOST`` marks a client ghosted.
    Raise ValueError if ``now`` is naive.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    decisions: list[Decision] = []
    for client in clients:
        gated = [_client_gate(client, c, now) for c in _candidates(client, now)]
        decisions += _one_voice(client, gated, now)
    decisions.sort(key=lambda d: (d.at, d.client, d.ladder))
    _account_gate(account, decisions, now)
    return decisions


def next_action(decisions: Iterable[Decision], client: str) -> Decision | None:
    """Return the earliest pending decision for ``client`` (for ``status``)."""
    mine = [d for d in decisions if d.client == client and d.action is not Action.HOLD]
    return min(mine, key=lambda d: d.at, default=None)


def next_wakeup(decisions: Iterable[Decision], now: datetime) -> datetime | None:
    """Return the earliest future instant at which a decision may change."""
    future = [d.at for d in decisions if d.action is Action.WAIT and d.at > now]
    return min(future, default=None)
