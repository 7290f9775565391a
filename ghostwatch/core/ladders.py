"""The three ladders' next steps, before the gates: silence, invoice, deadline. PURE.

For each ladder instance of a client, ``candidates`` returns the next step and when it
is due (docs/behaviour.md rules 1, 6, 7 and 8): the silence ladder counts from our
message (or from a deadline ladder that ran out after it) and ends in ghosting; an
invoice ladder counts from the due date, is deferred by the client's reply or moved
by a promise to pay, and when it runs out unpaid pauses work until one
``work_resumed`` thank-you; a deadline ladder counts from its due date and is moved
by a promise to deliver. Nothing here applies the safety rules, the send window or
one voice: ``core/policy.py`` gates what this proposes. No I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from ghostwatch.core.calendar import add_business_days, local_date, local_day_start
from ghostwatch.core.domain import (
    Action,
    ClientState,
    Deadline,
    Decision,
    Invoice,
    LadderKind,
    LadderStep,
    ThreadRef,
    why,
)
from ghostwatch.core.promises.reminders import (
    DEADLINE_PROMISE_TEMPLATE,
    PROMISE_TEMPLATE,
    is_ladder_step,
    promise_due,
)
from ghostwatch.core.reasons import explain, hold
from ghostwatch.core.standing import (
    DELIVERED,
    FAR,
    SILENCE,
    Progress,
    ladder_records,
    progress,
    recipient,
    silence_anchor,
)

__all__ = ["MAX_UNSEEN", "Candidate", "candidates"]

MAX_UNSEEN = 2  # messages in a row answered by an out-of-office before the ladder holds
RESUME_WITHIN = timedelta(days=7)  # a thank-you for a payment older than this is not sent


@dataclass(frozen=True, slots=True)
class Candidate:
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
        at=FAR,
        reason="",
        to_addr=recipient(client),
        thread=client.thread,
        returned=prog.unseen is not None,
    )


def _unseen_hold(client: ClientState, decision: Decision, prog: Progress) -> Decision | None:
    if prog.unseen_run < MAX_UNSEEN:
        return None
    since = local_date(prog.records[-prog.unseen_run].at, client.rules.timezone)
    return hold(decision, why("held.auto_replies", since=since))


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


def _silence_start(client: ClientState, sent_at: datetime) -> datetime:
    """Step 1 counts from our message, or from the last reminder of a deadline ladder
    that ran out after it (the conversation went quiet then, not before)."""
    ends = [sent_at]
    for d in client.deadlines:
        prog = progress(client, d.key, d.due.isoformat(), client.rules.deadline_ladder)
        if not d.met and prog.last_at is not None and prog.last_at > sent_at:
            ends.append(prog.last_at)
    return max(ends)


def _silence(client: ClientState, now: datetime) -> Candidate | None:
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
        return Candidate(explain(base, clause, action=Action.GHOST, step=0, at=give_up))
    template = steps[prog.position].template
    days = max((now - thread.sent_at).days, 0)
    clause = why("silence.due", client=client.name, days=days, since=since, template=template)
    decision = explain(base, clause, template=template)
    start = _silence_start(client, thread.sent_at)
    decision = replace(decision, at=_due(client, steps, prog, start))
    if prog.unseen is not None:
        decision = explain(decision, why("step.again"))
    until_ghost = sum((s.after for s in steps[prog.position + 1 :]), rules.give_up_after)
    held = _unseen_hold(client, decision, prog)
    return Candidate(held or decision, None if held else until_ghost)


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
    if not last.message_id or last.status not in DELIVERED:
        return None
    return ThreadRef(last.message_id, (), last.subject, recipient(client) or "", last.at)


def _invoice(client: ClientState, invoice: Invoice) -> Candidate | None:
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
    decision = explain(replace(decision, invoice=invoice), clause)
    if prog.unseen is not None:
        decision = explain(decision, why("step.again"))
    if promised is not None and invoice.expected_by is not None:
        # rule 8: they said when; one reminder of it once that day is over
        clause = why("wait.promised", client=client.name, by=invoice.expected_by)
        decision = explain(decision, clause, at=promised)
        return Candidate(_unseen_hold(client, decision, prog) or decision)
    # A reply from the client after the due date (and after our last step) pauses
    # chasing: they may be writing "paid yesterday".
    replied = invoice.replied_at
    if replied is not None and replied >= (prog.last_at or start):
        deferred = replied + rules.reply_defers_invoice
        if deferred > decision.at:
            on = local_date(replied, rules.timezone)
            decision = explain(
                replace(decision, at=deferred), why("wait.replied", client=client.name, on=on)
            )
    return Candidate(_unseen_hold(client, decision, prog) or decision)


def _paused(client: ClientState, invoice: Invoice) -> Candidate | None:
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
    return Candidate(hold(base, clause))


def _resumed(client: ClientState, invoice: Invoice, now: datetime) -> Candidate | None:
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
    return Candidate(explain(decision, clause))


def _deadline(client: ClientState, deadline: Deadline) -> Candidate | None:
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
    decision = explain(replace(decision, deadline=deadline), clause)
    if prog.unseen is not None:
        decision = explain(decision, why("step.again"))
    if promised is not None and deadline.expected_by is not None:
        # rule 8: they said when they would deliver; one reminder once that day is over
        clause = why(
            "wait.promised_delivery",
            client=client.name,
            what=deadline.what,
            by=deadline.expected_by,
        )
        decision = explain(decision, clause, at=promised)
    return Candidate(_unseen_hold(client, decision, prog) or decision)


def candidates(client: ClientState, now: datetime) -> list[Candidate]:
    """Every ladder's next step for ``client`` at ``now``: the silence ladder's, each
    invoice's (and its thank-you once paid) and each deadline's; None-free, ungated."""
    found: list[Candidate | None] = [_silence(client, now)]
    for invoice in client.invoices:
        found += [_invoice(client, invoice), _resumed(client, invoice, now)]
    found += [_deadline(client, d) for d in client.deadlines]
    return [c for c in found if c is not None]
