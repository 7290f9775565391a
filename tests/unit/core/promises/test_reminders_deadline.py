"""A client's promise in the deadline ladder (policy rule 8, ghostwatch/core/promises/reminders.py).

Pure decisions on literal instants. The logo feedback was due Tuesday 1 December 2026;
on Thursday the 3rd at 15:00 Acme wrote "I'll send the feedback on Friday" (Friday 4
December) and the user answered an hour later. Nothing goes out before Friday's end plus
one business day (Tuesday the 8th, 09:00); then one ``deadline_promise_reminder``. The
deadline met (a reply after the promise: ``state``) ends it with no reminder.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from ghostwatch.app import state
from ghostwatch.core.domain import Action, Deadline, Invoice, NudgeRecord, OutboxStatus
from ghostwatch.core.records import DeadlinePromiseRow
from tests.unit.core.test_policy import DAY, RULES, decide, inv_client, utc

PROMISED_AT = utc(2026, 12, 3, 15)
FRIDAY = date(2026, 12, 4)
DL = Deadline("deadline:logo feedback", "logo feedback", date(2026, 12, 1))
PROMISED = replace(DL, expected_by=FRIDAY, promised_at=PROMISED_AT, promise="I'll send it Fri.")
REMINDER_AT = utc(2026, 12, 8, 9)  # Fri 4th ends -> Mon 7th is the 1 business day of grace
TEMPLATE = "deadline_promise_reminder"


def acme(deadline: Deadline = PROMISED, **kw: object):  # type: ignore[no-untyped-def]
    defaults = {
        "invoices": (),
        "deadlines": (deadline,),
        "last_inbound": PROMISED_AT,
        "last_outbound": PROMISED_AT + timedelta(hours=1),
    }
    return inv_client(**(defaults | kw))


def reminder(at: datetime = REMINDER_AT) -> NudgeRecord:
    return NudgeRecord(DL.key, "2026-12-01", 1, OutboxStatus.SENT, at, template=TEMPLATE)


def test_without_a_promise_the_reply_after_the_due_date_ends_the_deadline() -> None:
    assert decide(acme(replace(DL, met=True)), REMINDER_AT) == []


def test_nothing_goes_out_until_the_promised_day_ends_plus_the_grace() -> None:
    # without the promise the deadline_reminder was due on Thursday the 3rd at 09:00
    [d] = decide(acme(), utc(2026, 12, 7, 16))
    assert (d.action, d.at, d.template) == (Action.WAIT, REMINDER_AT, TEMPLATE)
    assert "Acme promised logo feedback by 4 Dec" in d.reason


def test_then_one_reminder_goes_out_and_names_the_day() -> None:
    [d] = decide(acme(), REMINDER_AT)
    assert (d.action, d.step, d.template) == (Action.SEND, 1, TEMPLATE)
    assert d.deadline is not None and d.deadline.expected_by == FRIDAY


def test_one_reminder_per_promise() -> None:
    # the reminder is no step: the ladder's own step comes after it, never a second
    # promise reminder for the same promise
    decisions = decide(acme(nudges=(reminder(),)), utc(2026, 12, 9, 10))
    assert TEMPLATE not in [d.template for d in decisions]


def test_a_new_promise_after_the_reminder_gets_its_own() -> None:
    later = replace(PROMISED, expected_by=date(2026, 12, 11), promised_at=utc(2026, 12, 8, 12))
    c = acme(later, nudges=(reminder(),), last_inbound=utc(2026, 12, 8, 12), last_outbound=None)
    [d] = decide(c, utc(2026, 12, 15, 9))
    assert (d.action, d.template) == (Action.SEND, TEMPLATE)


def test_the_deadline_met_before_then_ends_it_with_no_reminder() -> None:
    assert decide(acme(replace(PROMISED, met=True)), REMINDER_AT) == []


def test_a_promise_that_asks_nothing_needs_no_answer() -> None:
    [d] = decide(acme(last_outbound=None), REMINDER_AT)
    assert (d.action, d.template) == (Action.SEND, TEMPLATE)


def test_the_reminder_waits_while_you_owe_them_a_reply() -> None:
    asked = replace(PROMISED, promise_asks=True)
    [d] = decide(acme(asked, last_outbound=None), REMINDER_AT)
    assert d.action is Action.HOLD and "you owe them a reply" in d.reason


def test_the_reminder_keeps_min_gap_after_another_message() -> None:
    other = NudgeRecord(
        "invoice:INV-9", "2026-12-01", 1, OutboxStatus.SENT, utc(2026, 12, 7, 9), "payment_reminder"
    )
    [d] = decide(acme(nudges=(other,)), REMINDER_AT)
    assert (d.action, d.at) == (Action.WAIT, utc(2026, 12, 9, 9))


def test_the_reminder_is_held_while_the_account_is_paused() -> None:
    [d] = decide(acme(), REMINDER_AT, paused=True)
    assert d.action is Action.HOLD and "paused" in d.reason


def test_one_message_per_client_when_an_invoice_step_is_due_too() -> None:
    inv = Invoice("invoice:INV-2", "INV-2", "300 GEL", date(2026, 12, 5))  # step 1 on the 8th
    sends = [d for d in decide(acme(invoices=(inv,)), REMINDER_AT) if d.action is Action.SEND]
    assert len(sends) == 1
    assert [x.key for x in sends[0].deadlines] == [DL.key] and sends[0].invoice == inv


def test_no_check_in_while_a_delivery_promise_is_awaited() -> None:
    later = replace(PROMISED, expected_by=date(2026, 12, 18))
    [d] = decide(acme(later), utc(2026, 12, 14, 10))
    assert (d.action, d.template) == (Action.WAIT, TEMPLATE)


def test_the_grace_follows_promise_grace() -> None:
    [d] = decide(acme(rules=replace(RULES, promise_grace=2 * DAY)), REMINDER_AT)
    assert (d.action, d.at) == (Action.WAIT, utc(2026, 12, 9, 9))


# --- met: state reads the stored promise ------------------------------------------------


def _row(expected: date | None = FRIDAY) -> DeadlinePromiseRow:
    return DeadlinePromiseRow(
        "studio", "Acme", DL.key, expected, PROMISED_AT, "I'll send it Fri.", "<p1@acme>", False
    )


def test_the_promising_reply_does_not_meet_the_deadline_a_later_reply_does() -> None:
    zone = "UTC"
    assert state._deadline(DL.what, DL.due, PROMISED_AT, zone, None).met  # the old rule
    kept = state._deadline(DL.what, DL.due, PROMISED_AT, zone, _row())
    assert (kept.met, kept.expected_by, kept.promise) == (False, FRIDAY, "I'll send it Fri.")
    later = PROMISED_AT + timedelta(days=1)
    assert state._deadline(DL.what, DL.due, later, zone, _row()).met
    early = datetime(2026, 11, 30, 9, tzinfo=UTC)  # promised before the due date, then sent
    before = replace(_row(), promised_at=early - timedelta(hours=2))
    assert state._deadline(DL.what, DL.due, early, zone, before).met
