"""A client's promise in the invoice ladder (policy rule 8, ghostwatch/core/promises/reminders.py).

Pure decisions on literal instants. Invoice INV-1 was due Tuesday 1 December 2026;
on Thursday the 3rd at 15:00 Acme wrote "I'll pay on Friday" (Friday 4 December) and
the user answered an hour later. Without the promise the fixed deferral would send a
payment reminder on Monday the 7th; with it, nothing goes out before Friday's end plus
one business day (Tuesday the 8th, 09:00), and then one promise reminder.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from ghostwatch.core.domain import Action, Deadline, Invoice, NudgeRecord, OutboxStatus
from tests.unit.core.test_policy import DAY, INV, RULES, THREAD, decide, inv_client, utc

REPLIED = utc(2026, 12, 3, 15)
FRIDAY = date(2026, 12, 4)
PROMISED = replace(INV, replied_at=REPLIED, expected_by=FRIDAY, promised_at=REPLIED)
REMINDER_AT = utc(2026, 12, 8, 9)  # Fri 4th ends -> Mon 7th is the 1 business day of grace


def acme(invoice: Invoice = PROMISED, **kw: object):  # type: ignore[no-untyped-def]
    defaults = {"last_inbound": REPLIED, "last_outbound": REPLIED + timedelta(hours=1)}
    return inv_client(**({"invoices": (invoice,)} | defaults | kw))


def reminder(at: datetime = REMINDER_AT, step: int = 1) -> NudgeRecord:
    return NudgeRecord(
        "invoice:INV-1", "2026-12-01", step, OutboxStatus.SENT, at, template="promise_reminder"
    )


def test_nothing_goes_out_until_the_promised_day_ends_plus_the_grace() -> None:
    # the fixed deferral alone would send on Monday the 7th at 09:00
    [d] = decide(acme(), utc(2026, 12, 7, 10))
    assert (d.action, d.at, d.template) == (Action.WAIT, REMINDER_AT, "promise_reminder")
    assert "Acme promised to pay by 4 Dec" in d.reason


def test_then_one_promise_reminder_goes_out() -> None:
    [d] = decide(acme(), REMINDER_AT)
    assert (d.action, d.step, d.template) == (Action.SEND, 1, "promise_reminder")
    assert d.invoice is not None and d.invoice.expected_by == FRIDAY


def test_after_the_reminder_the_ladder_goes_on_as_before() -> None:
    # ONE reminder per promise: the next message is the ladder's first step, counted
    # from the reminder, in the next slot
    [d] = decide(acme(nudges=(reminder(),)), utc(2026, 12, 9, 10))
    assert (d.action, d.step, d.template) == (Action.WAIT, 2, "payment_reminder")
    assert d.at == REMINDER_AT + 3 * DAY
    [later] = decide(acme(nudges=(reminder(),)), REMINDER_AT + 3 * DAY)
    assert (later.action, later.template) == (Action.SEND, "payment_reminder")


def test_a_payment_before_then_ends_the_invoice_with_no_reminder() -> None:
    paid = replace(PROMISED, paid=True, paid_at=utc(2026, 12, 4, 12))
    decisions = decide(acme(paid), REMINDER_AT)
    assert [d for d in decisions if d.ladder == "invoice:INV-1"] == []


def test_paying_a_promised_invoice_answers_the_users_message_no_check_in_follows() -> None:
    # the user's "Thanks, Friday is fine" would start the silence ladder; the payment
    # answers it, as it does for an invoice we had chased
    paid = replace(PROMISED, paid=True, paid_at=utc(2026, 12, 4, 12))
    c = acme(paid, thread=replace(THREAD, sent_at=REPLIED + timedelta(hours=1)))
    assert [d for d in decide(c, utc(2026, 12, 14, 10)) if d.action is Action.SEND] == []


def test_no_check_in_while_a_promise_is_awaited() -> None:
    # a week after the user's "Thanks, Friday is fine" the silence ladder would check in;
    # the promise is the conversation (the user moved the day to the 18th)
    later = replace(PROMISED, expected_by=date(2026, 12, 18))
    c = acme(later, thread=replace(THREAD, sent_at=REPLIED + timedelta(hours=1)))
    assert [d.template for d in decide(c, utc(2026, 12, 14, 10))] == ["promise_reminder"]


def test_a_reply_without_a_date_keeps_the_fixed_deferral() -> None:
    cleared = replace(PROMISED, expected_by=None)
    [d] = decide(acme(cleared), utc(2026, 12, 7, 9))
    assert (d.action, d.template) == (Action.SEND, "payment_reminder")


def test_a_promise_older_than_the_last_step_is_answered_by_it() -> None:
    step1 = NudgeRecord(
        "invoice:INV-1", "2026-12-01", 1, OutboxStatus.SENT, utc(2026, 12, 4, 9), "payment_reminder"
    )
    early = replace(PROMISED, promised_at=utc(2026, 12, 2, 9), replied_at=utc(2026, 12, 2, 9))
    [d] = decide(acme(early, nudges=(step1,)), utc(2026, 12, 11, 9))
    assert (d.action, d.template) == (Action.SEND, "work_paused")


def test_a_promise_made_before_the_due_date_never_brings_the_reminder_before_the_ladder() -> None:
    # on 20 Nov: "we'll pay on the 25th"; the invoice is due 1 Dec, its first step 4 Dec
    early = replace(
        PROMISED, expected_by=date(2026, 11, 25), promised_at=utc(2026, 11, 20, 9), replied_at=None
    )
    c = acme(early, last_inbound=utc(2026, 11, 20, 9), last_outbound=utc(2026, 11, 20, 10))
    [d] = decide(c, utc(2026, 11, 27, 10))
    assert (d.action, d.at, d.template) == (Action.WAIT, utc(2026, 12, 4, 9), "promise_reminder")


def test_a_promise_that_asks_nothing_needs_no_answer_before_its_reminder() -> None:
    # "We'll pay on Friday." and the user never wrote back: the reply needed no answer
    [d] = decide(acme(last_outbound=None), REMINDER_AT)
    assert (d.action, d.template) == (Action.SEND, "promise_reminder")


def test_the_reminder_waits_while_you_owe_them_a_reply() -> None:
    # the promise came with a question ("...on Friday. Could you resend the invoice?")
    asked = replace(PROMISED, promise_asks=True)
    [d] = decide(acme(asked, last_outbound=None), REMINDER_AT)
    assert d.action is Action.HOLD and "you owe them a reply" in d.reason
    # or the client wrote again after the promise
    again = acme(last_inbound=REPLIED + timedelta(hours=3), last_outbound=None)
    [d] = decide(again, REMINDER_AT)
    assert d.action is Action.HOLD and "you owe them a reply" in d.reason


def test_only_the_promise_reminder_skips_the_wait_for_your_answer() -> None:
    # the same reply without a usable day: the payment reminder waits for the user
    undated = replace(PROMISED, expected_by=None, promised_at=None)
    [d] = decide(acme(undated, last_outbound=None), utc(2026, 12, 14, 10))
    assert d.action is Action.HOLD and "you owe them a reply" in d.reason


def test_the_reminder_keeps_min_gap_after_another_message() -> None:
    other = NudgeRecord(
        "deadline:logo",
        "2026-12-01",
        1,
        OutboxStatus.SENT,
        utc(2026, 12, 7, 9),
        "deadline_reminder",
    )
    dl = Deadline("deadline:logo", "logo", date(2026, 12, 1))
    [d] = [x for x in decide(acme(nudges=(other,), deadlines=(dl,)), REMINDER_AT) if x.invoice]
    assert (d.action, d.at) == (Action.WAIT, utc(2026, 12, 9, 9))


def test_the_reminder_is_held_while_the_account_is_paused() -> None:
    [d] = decide(acme(), REMINDER_AT, paused=True)
    assert d.action is Action.HOLD and "paused" in d.reason


def test_one_message_carries_a_promise_reminder_and_another_due_invoice() -> None:
    # INV-2 was due Saturday the 5th: its first reminder falls on the same Tuesday
    other = Invoice("invoice:INV-2", "INV-2", "300 GEL", date(2026, 12, 5))
    c = acme(invoices=(PROMISED, other))
    sends = [d for d in decide(c, REMINDER_AT) if d.action is Action.SEND]
    assert len(sends) == 1 and {i.number for i in sends[0].invoices} == {"INV-1", "INV-2"}


def test_the_grace_follows_promise_grace_in_business_days() -> None:
    rules = replace(RULES, promise_grace=2 * DAY)
    [d] = decide(acme(rules=rules), REMINDER_AT)
    assert (d.action, d.at) == (Action.WAIT, utc(2026, 12, 9, 9))
