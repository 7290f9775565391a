"""A promise in the invoice and deadline ladders. PURE: no I/O, no clock.

Used by ``policy`` (its rule 8; docs/promises.md, "In the invoice ladder" and "In the
deadline ladder"). What holds for an invoice and its ``promise_reminder`` holds for a
deadline and its ``deadline_promise_reminder``:

1. A promise is *current* while it was made after the ladder's last step went out
   (or before any step) and no ``promise_reminder`` has gone out since it was made.
2. A current promise moves the ladder's next step to the end of the promised local
   day (client zone) plus ``promise_grace`` (whole days counted as business days),
   never before the ladder's first step would have been due, and makes that step ONE
   ``promise_reminder``. The ladder then goes on from the reminder as before: it is
   no step of the ladder, so the client's position on it does not move.
3. A current promise replaces the fixed ``reply_defers_invoice`` deferral (the reply
   said *when*); a reply without a date keeps it. Paying ends the invoice, so no
   reminder of any kind follows a payment.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from ghostwatch.core.calendar import add_business_days
from ghostwatch.core.domain import Deadline, Decision, Invoice, NudgeRecord, Rules

__all__ = [
    "DEADLINE_PROMISE_TEMPLATE",
    "PROMISE_TEMPLATE",
    "PROMISE_TEMPLATES",
    "answered_by_promise",
    "is_ladder_step",
    "promise_due",
]

PROMISE_TEMPLATE = "promise_reminder"
DEADLINE_PROMISE_TEMPLATE = "deadline_promise_reminder"
PROMISE_TEMPLATES = frozenset({PROMISE_TEMPLATE, DEADLINE_PROMISE_TEMPLATE})


def answered_by_promise(last_inbound: datetime | None, decision: Decision) -> bool:
    """True when the client's latest human message is a promise to pay that asked for
    nothing ("We'll pay on Friday."), and ``decision`` is the ``promise_reminder`` for
    it: such a reply needs no answer, so the reminder does not wait for the user's
    (policy rule 3 otherwise holds every invoice step while the user owes a reply).
    A reply that also asks something, or any later message from the client, needs the
    user: the reminder then waits as before. A day set by ``ghostwatch expect`` after
    the client's latest message counts as the user's answer. The same holds for a
    promise to deliver and its ``deadline_promise_reminder``."""
    if decision.template not in PROMISE_TEMPLATES or last_inbound is None:
        return False
    promised: list[Invoice | Deadline] = [*decision.invoices, *decision.deadlines]
    return any(
        p.promised_at is not None and p.promised_at >= last_inbound and not p.promise_asks
        for p in promised
    )


def is_ladder_step(record: NudgeRecord) -> bool:
    """True for a message that is a step of its ladder (a promise reminder is not)."""
    return record.template not in PROMISE_TEMPLATES


def promise_due(
    invoice: Invoice | Deadline,
    records: Sequence[NudgeRecord],
    rules: Rules,
    first_due: datetime,
) -> datetime | None:
    """When the promise reminder for ``invoice``'s (or a deadline's) current promise is
    due (rules 1 and 2), or None when there is no current promise. ``records``: the ladder's
    messages (``policy.ladder_records``); ``first_due``: when its first step would be
    due without the promise."""
    day, made = invoice.expected_by, invoice.promised_at
    if day is None or made is None:  # (a paid invoice has no ladder: policy._invoice)
        return None
    steps = [r for r in records if is_ladder_step(r)]
    if steps and steps[-1].at > made:
        return None  # a step went out after the promise: it has been answered
    if any(not is_ladder_step(r) and r.at >= made for r in records):
        return None  # this promise had its one reminder
    due = add_business_days(day + timedelta(days=1), rules.promise_grace, rules)
    return due if steps else max(due, first_due)
