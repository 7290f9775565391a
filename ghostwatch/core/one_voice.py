"""One voice per client (docs/behaviour.md rules 5 and 6), applied to one client's
gated decisions. PURE: no I/O, no clock.

While an invoice or deadline conversation runs, the silence ladder is quiet; while an
invoice keeps work paused, nothing else is sent; no two messages reach one client
within ``min_gap`` (what falls due inside the gap waits for its end); and what is due
at one instant becomes one message: the weightiest step speaks and *covers* the
others (several invoices are listed in one reminder).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ghostwatch.core import reasons
from ghostwatch.core.calendar import local_date, next_slot
from ghostwatch.core.domain import Action, ClientState, Decision, LadderKind, OutboxStatus, why
from ghostwatch.core.reasons import explain, hold
from ghostwatch.core.standing import DELIVERED, in_payment_talk, paused_invoices

__all__ = ["one_voice"]

# statuses that count for the gap between two messages to one client
_GAP = DELIVERED | {OutboxStatus.PLANNED}


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


def one_voice(client: ClientState, decisions: list[Decision], now: datetime) -> list[Decision]:
    """Apply rules 5 and 6 to one client's gated decisions."""
    talk = in_payment_talk(client) or any(
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
            d = hold(d, clause)
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
            d = explain(d, why("wait.gap", last=day), action=Action.WAIT, at=slot)
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
