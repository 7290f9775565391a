"""The three ladders' next steps before the gates (``core/ladders.py``): silence,
invoice, deadline — what ``candidates`` proposes and when, with no send window, no
safety rule and no one-voice merging applied (``core/policy.py`` does that).

Proves, on literal states: the silence ladder's step is due its ``after`` from our
message (or from a deadline ladder's last reminder after it), ungated (at 10:00 even
at night), with the time left to ghosting; it ends in GHOST at the local midnight
after the give-up day; a ghosted or payment-answered conversation proposes nothing;
an out-of-office moves the step past the return (plus grace) or by ``away_default``,
and two unseen in a row hold; an invoice counts from its due day's local start, is
deferred by the client's reply, switches to the promise reminder on a promise, pauses
work when its ladder runs out and is thanked once if paid within a week; a deadline
counts from its due day and stops when met; later steps answer the ladder's own
last message when the user has no thread.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from ghostwatch.core.domain import (
    Action,
    AutoReply,
    ClientState,
    Deadline,
    Decision,
    Invoice,
    LadderKind,
    NudgeRecord,
    OutboxStatus,
    ThreadRef,
)
from ghostwatch.core.ladders import Candidate, candidates
from tests.unit.core.test_policy import DAY, RULES, SENT, THREAD, client, sent, utc

S = OutboxStatus
# Tuesday 3 November 2026: the invoice and the deadline fall due.
DUE = date(2026, 11, 3)
INV = Invoice("invoice:INV-7", "INV-7", "€900", DUE)
LOGO = Deadline("deadline:logo feedback", "logo feedback", DUE)
QUIET = {"last_outbound": None, "thread": None}  # no silence ladder running


def inv_step(
    step: int, at: datetime, template: str = "payment_reminder", **kw: object
) -> NudgeRecord:
    return NudgeRecord(INV.key, DUE.isoformat(), step, S.SENT, at, template, **kw)  # type: ignore[arg-type]


PAUSED = (inv_step(1, utc(2026, 11, 6)), inv_step(2, utc(2026, 11, 13), "work_paused"))


def only(c: ClientState, now: datetime, kind: LadderKind) -> list[Candidate]:
    return [x for x in candidates(c, now) if x.decision.kind is kind]


def one(c: ClientState, now: datetime, kind: LadderKind) -> Decision:
    [found] = only(c, now, kind)
    return found.decision


def codes(d: Decision) -> list[str]:
    return [w.code for w in d.why]


# --- silence -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nudges", "step", "template", "at", "until_ghost"),
    [
        ((), 1, "check_in", utc(2026, 11, 9, 10), 14 * DAY),
        # ungated: the step is due at 23:00 if that is 7 days after the last one
        ((sent(1, utc(2026, 11, 9, 23)),), 2, "closing_notice", utc(2026, 11, 16, 23), 7 * DAY),
    ],
)
def test_silence_step_is_due_its_after_from_the_last_message(
    nudges: tuple[NudgeRecord, ...], step: int, template: str, at: datetime, until_ghost: timedelta
) -> None:
    [c] = only(client(nudges=nudges), utc(2026, 11, 8), LadderKind.SILENCE)
    d = c.decision
    assert (d.action, d.step, d.template, d.at, d.anchor) == (
        Action.WAIT,
        step,
        template,
        at,
        THREAD.message_id,
    )
    assert (d.to_addr, d.thread, c.until_ghost) == (THREAD.to_addr, THREAD, until_ghost)


@pytest.mark.parametrize(
    ("zone", "at"),
    [
        # last nudge 16 Nov + 7 days: ghosted from the start of 24 Nov, local
        ("UTC", utc(2026, 11, 24)),
        ("Asia/Tbilisi", utc(2026, 11, 23, 20)),
        ("America/New_York", utc(2026, 11, 24, 5)),
    ],
)
def test_a_finished_silence_ladder_proposes_ghosting(zone: str, at: datetime) -> None:
    nudges = (sent(1, utc(2026, 11, 9, 15)), sent(2, utc(2026, 11, 16, 15)))
    c = client(nudges=nudges, rules=replace(RULES, timezone=zone))
    d = one(c, utc(2026, 11, 17), LadderKind.SILENCE)
    assert (d.action, d.step, d.template, d.at) == (Action.GHOST, 0, None, at)


def test_nothing_more_after_ghosting_or_a_reply() -> None:
    nudges = (sent(1, utc(2026, 11, 9)), sent(2, utc(2026, 11, 16)))
    assert (
        only(
            client(nudges=nudges, ghosted_anchor="<m1@studio>"),
            utc(2026, 12, 1),
            LadderKind.SILENCE,
        )
        == []
    )
    assert only(client(last_inbound=SENT + DAY), utc(2026, 12, 1), LadderKind.SILENCE) == []


def test_paying_a_chased_invoice_answers_our_message() -> None:
    paid = replace(INV, paid=True, paid_at=utc(2026, 11, 7))
    chased = client(invoices=(paid,), nudges=(inv_step(1, utc(2026, 11, 6)),))
    assert only(chased, utc(2026, 11, 10), LadderKind.SILENCE) == []
    # paid without being chased or promised: our message still waits for an answer
    unchased = client(invoices=(paid,))
    assert one(unchased, utc(2026, 11, 10), LadderKind.SILENCE).template == "check_in"
    # paid before our message: not an answer to it
    early = client(invoices=(replace(paid, paid_at=SENT - DAY),), nudges=chased.nudges)
    assert one(early, utc(2026, 11, 10), LadderKind.SILENCE).template == "check_in"


def test_silence_counts_from_a_deadline_ladders_last_reminder_after_our_message() -> None:
    reminder = NudgeRecord(
        LOGO.key, DUE.isoformat(), 1, S.SENT, utc(2026, 11, 5, 9), "deadline_reminder"
    )
    c = client(deadlines=(LOGO,), nudges=(reminder,))
    assert one(c, utc(2026, 11, 6), LadderKind.SILENCE).at == utc(2026, 11, 12, 9)
    # once the deadline is met, our message is the start again
    met = replace(c, deadlines=(replace(LOGO, met=True),))
    assert one(met, utc(2026, 11, 6), LadderKind.SILENCE).at == utc(2026, 11, 9, 10)


NO_BDAYS = replace(RULES, business_days=False)


@pytest.mark.parametrize(
    ("rules", "reply", "at"),
    [
        # no return date: tried again away_default (7 days) after the auto-reply
        (RULES, AutoReply(utc(2026, 11, 9, 11)), utc(2026, 11, 16, 11)),
        # back on Friday 13 Nov (last day away): 2 days' grace from Saturday
        (NO_BDAYS, AutoReply(utc(2026, 11, 9, 11), date(2026, 11, 13)), utc(2026, 11, 16)),
        # with business days: grace counted from Monday 16, so Wednesday 00:00
        (RULES, AutoReply(utc(2026, 11, 9, 11), date(2026, 11, 13)), utc(2026, 11, 18)),
    ],
)
def test_a_step_answered_by_an_out_of_office_is_sent_again_after_the_return(
    rules: object, reply: AutoReply, at: datetime
) -> None:
    c = client(rules=rules, nudges=(sent(1, utc(2026, 11, 9, 10)),), auto_replies=(reply,))
    [cand] = only(c, utc(2026, 11, 10), LadderKind.SILENCE)
    d = cand.decision
    assert (d.action, d.step, d.template, d.at, d.returned) == (
        Action.WAIT,
        2,
        "check_in",
        at,
        True,
    )
    assert codes(d)[-1] == "step.again"


def test_two_unseen_messages_in_a_row_hold_the_ladder() -> None:
    c = client(
        nudges=(sent(1, utc(2026, 11, 9, 10)), sent(2, utc(2026, 11, 16, 10))),
        auto_replies=(AutoReply(utc(2026, 11, 9, 11)), AutoReply(utc(2026, 11, 16, 11))),
    )
    [cand] = only(c, utc(2026, 11, 17), LadderKind.SILENCE)
    assert cand.decision.action is Action.HOLD and cand.until_ghost is None
    assert cand.decision.why[-1].code == "held.auto_replies"
    assert dict(cand.decision.why[-1].args)["since"] == date(2026, 11, 9)


# --- invoices ------------------------------------------------------------------------


def test_an_invoice_counts_from_the_start_of_its_due_day_in_the_clients_zone() -> None:
    tbilisi = replace(RULES, timezone="Asia/Tbilisi")
    d = one(client(**QUIET, rules=tbilisi, invoices=(INV,)), utc(2026, 11, 1), LadderKind.INVOICE)
    assert (d.action, d.step, d.template, d.ladder, d.anchor) == (
        Action.WAIT,
        1,
        "payment_reminder",
        INV.key,
        "2026-11-03",
    )
    assert d.at == utc(2026, 11, 5, 20) and d.invoice == INV and d.to_addr == "jane@acme.example"


@pytest.mark.parametrize(
    ("replied", "at"),
    [
        (None, utc(2026, 11, 6)),
        # wrote after the due date: chasing waits reply_defers_invoice (3 days)
        (utc(2026, 11, 5, 12), utc(2026, 11, 8, 12)),
        # wrote before the due day began: no deferral
        (utc(2026, 11, 2, 12), utc(2026, 11, 6)),
        # a deferral that ends before the step is due changes nothing
        (utc(2026, 11, 3, 0), utc(2026, 11, 6)),
    ],
)
def test_a_reply_after_the_due_date_defers_the_reminder(
    replied: datetime | None, at: datetime
) -> None:
    c = client(**QUIET, invoices=(replace(INV, replied_at=replied),))
    d = one(c, utc(2026, 11, 4), LadderKind.INVOICE)
    assert d.at == at
    assert ("wait.replied" in codes(d)) is (at != utc(2026, 11, 6))


def test_a_promise_to_pay_turns_the_step_into_one_reminder_after_the_promised_day() -> None:
    promised = replace(INV, expected_by=date(2026, 11, 20), promised_at=utc(2026, 11, 4))
    d = one(client(**QUIET, invoices=(promised,)), utc(2026, 11, 5), LadderKind.INVOICE)
    assert d.template == "promise_reminder" and codes(d)[-1] == "wait.promised"
    assert d.at > utc(2026, 11, 21)  # not before the promised day is over


def test_an_unpaid_invoice_whose_ladder_ran_out_pauses_work() -> None:
    c = client(**QUIET, invoices=(INV,), nudges=PAUSED)
    d = one(c, utc(2026, 11, 20), LadderKind.INVOICE)
    assert (d.action, d.at, d.invoice, d.returned) == (Action.HOLD, utc(2026, 11, 13), INV, False)
    assert codes(d)[-1] == "quiet.work_paused"


@pytest.mark.parametrize(
    ("resumes", "nudges", "now", "thanked"),
    [
        (True, PAUSED, utc(2026, 11, 20), True),
        (True, PAUSED, utc(2026, 11, 25), True),  # 7 days after paying: still
        (True, PAUSED, utc(2026, 11, 25, 0, 1), False),  # later: too late to thank
        (True, PAUSED[:1], utc(2026, 11, 20), False),  # work was never paused
        (True, (*PAUSED, inv_step(3, utc(2026, 11, 19), "work_resumed")), utc(2026, 11, 20), False),
        (False, PAUSED, utc(2026, 11, 20), False),
    ],
)
def test_one_thank_you_when_a_paused_invoice_is_paid(
    resumes: bool, nudges: tuple[NudgeRecord, ...], now: datetime, thanked: bool
) -> None:
    paid = replace(INV, paid=True, paid_at=utc(2026, 11, 18))
    c = client(**QUIET, rules=replace(RULES, work_resumed=resumes), invoices=(paid,), nudges=nudges)
    found = [x.decision for x in only(c, now, LadderKind.INVOICE)]
    if not thanked:
        assert found == []
        return
    [d] = found
    assert (d.template, d.at, d.step, d.action) == (
        "work_resumed",
        utc(2026, 11, 18),
        3,
        Action.WAIT,
    )
    assert codes(d) == ["invoice.resumed"]


def test_a_later_step_answers_the_ladders_last_message_without_a_thread() -> None:
    first = inv_step(1, utc(2026, 11, 6), message_id="<r1@studio>", subject="INV-7")
    d = one(client(**QUIET, invoices=(INV,), nudges=(first,)), utc(2026, 11, 7), LadderKind.INVOICE)
    assert d.thread == ThreadRef("<r1@studio>", (), "INV-7", "jane@acme.example", utc(2026, 11, 6))
    # with the user's own thread, that thread wins
    d = one(client(invoices=(INV,), nudges=(first,)), utc(2026, 11, 7), LadderKind.INVOICE)
    assert d.thread == THREAD
    # a failed step never reached them: nothing to answer
    failed = replace(first, status=S.FAILED)
    d = one(
        client(**QUIET, invoices=(INV,), nudges=(failed,)), utc(2026, 11, 7), LadderKind.INVOICE
    )
    assert d.thread is None


# --- deadlines -----------------------------------------------------------------------


def test_a_deadline_counts_from_its_due_day_and_stops_when_met_or_done() -> None:
    c = client(**QUIET, deadlines=(LOGO,))
    d = one(c, utc(2026, 11, 4), LadderKind.DEADLINE)
    assert (d.template, d.at, d.deadline, d.step) == (
        "deadline_reminder",
        utc(2026, 11, 5),
        LOGO,
        1,
    )
    assert (
        only(
            replace(c, deadlines=(replace(LOGO, met=True),)), utc(2026, 11, 4), LadderKind.DEADLINE
        )
        == []
    )
    done = NudgeRecord(LOGO.key, DUE.isoformat(), 1, S.SENT, utc(2026, 11, 5), "deadline_reminder")
    assert only(replace(c, nudges=(done,)), utc(2026, 11, 6), LadderKind.DEADLINE) == []


def test_a_promise_to_deliver_turns_the_step_into_its_reminder() -> None:
    promised = replace(LOGO, expected_by=date(2026, 11, 20), promised_at=utc(2026, 11, 4))
    d = one(client(**QUIET, deadlines=(promised,)), utc(2026, 11, 5), LadderKind.DEADLINE)
    assert d.template == "deadline_promise_reminder" and codes(d)[-1] == "wait.promised_delivery"
    assert d.at > utc(2026, 11, 21)


def test_candidates_lists_every_ladder_once() -> None:
    c = client(invoices=(INV,), deadlines=(LOGO,))
    kinds = [x.decision.kind for x in candidates(c, utc(2026, 11, 4))]
    assert kinds == [LadderKind.SILENCE, LadderKind.INVOICE, LadderKind.DEADLINE]
    assert candidates(client(**QUIET), utc(2026, 11, 4)) == []
