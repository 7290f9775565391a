"""One voice per client: combined messages, the gap, ladders that know each other,
holidays that are not silence (policy rules 5-7). Pure: literal datetimes, no servers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from ghostwatch.core import standing
from ghostwatch.core.domain import (
    Action,
    AutoReply,
    ClientStatus,
    Deadline,
    Invoice,
    NudgeRecord,
    OutboxStatus,
)
from tests.unit.core.test_policy import DAY, SENT, client, decide, sent, utc

S = OutboxStatus


def invoice(n: int, due: date = date(2026, 12, 1), **kw: object) -> Invoice:
    return replace(Invoice(f"invoice:INV-{n}", f"INV-{n}", f"{n}00 GEL", due), **kw)  # type: ignore[arg-type]


def inv_record(n: int, step: int, at: object, template: str = "payment_reminder") -> NudgeRecord:
    return NudgeRecord(
        f"invoice:INV-{n}", "2026-12-01", step, S.SENT, at, template, f"<i{n}.{step}@s>"
    )  # type: ignore[arg-type]


def sends(decisions: list) -> list:  # type: ignore[type-arg]
    return [d for d in decisions if d.action is Action.SEND]


# --- one message per client per slot -------------------------------------------------------


def test_three_overdue_invoices_go_as_one_reminder_naming_all_three() -> None:
    c = client(invoices=(invoice(1), invoice(2), invoice(3)), last_outbound=None, thread=None)
    [d] = sends(decide(c, utc(2026, 12, 4, 9)))
    assert d.template == "payment_reminder"
    assert [i.number for i in d.invoices] == ["INV-1", "INV-2", "INV-3"]
    assert sorted(d.slots) == [(f"invoice:INV-{n}", "2026-12-01", 1) for n in (1, 2, 3)]
    assert "3 invoices unpaid (INV-1, INV-2, INV-3)" in d.reason


def test_the_furthest_step_speaks_for_all_due_invoices() -> None:
    # INV-1's reminder went on 4 Dec; on the 11th its work-paused notice is due and INV-2
    # (due 8 Dec) has its first reminder due: one work-paused notice lists both.
    c = client(
        invoices=(invoice(1), invoice(2, due=date(2026, 12, 8))),
        nudges=(inv_record(1, 1, utc(2026, 12, 4, 9)),),
        last_outbound=None,
        thread=None,
    )
    [d] = sends(decide(c, utc(2026, 12, 11, 9)))
    assert d.template == "work_paused"
    assert [i.number for i in d.invoices] == ["INV-1", "INV-2"]


def test_a_payment_step_and_a_silence_step_due_together_are_one_payment_message() -> None:
    # our message of 2 Nov unanswered (check-in due 9 Nov) and INV-1 due since 3 Nov
    c = client(invoices=(invoice(1, due=date(2026, 11, 3)),))
    out = decide(c, utc(2026, 11, 9, 10))
    [d] = sends(out)
    assert d.kind.value == "invoice" and d.template == "payment_reminder"
    assert not [x for x in out if x.ladder == "silence"]


def test_a_deadline_due_with_an_invoice_is_listed_in_the_payment_message() -> None:
    dl = Deadline("deadline:logo", "logo feedback", date(2026, 12, 1))
    c = client(invoices=(invoice(1),), deadlines=(dl,), last_outbound=None, thread=None)
    [d] = sends(decide(c, utc(2026, 12, 4, 9)))
    assert d.template == "payment_reminder" and d.deadlines == (dl,)
    assert ("deadline:logo", "2026-12-01", 1) in d.slots


# --- the gap -------------------------------------------------------------------------------


def test_nothing_reaches_a_client_within_min_gap_of_the_last_nudge() -> None:
    # the check-in went on Monday 9 Nov 10:00; INV-1 falls due for a reminder on the 10th
    c = client(
        invoices=(invoice(1, due=date(2026, 11, 7)),),
        nudges=(sent(1, utc(2026, 11, 9, 10)),),
        last_inbound=utc(2026, 11, 9, 12),  # they answered the check-in; we owe nothing
        last_outbound=utc(2026, 11, 9, 13),
        thread=replace(client().thread, sent_at=utc(2026, 11, 9, 13)),  # type: ignore[arg-type]
    )
    [d] = [x for x in decide(c, utc(2026, 11, 10, 10)) if x.ladder == "invoice:INV-1"]
    assert d.action is Action.WAIT and d.at == utc(2026, 11, 11, 10)  # 9 Nov 10:00 + 2 days
    assert "waits for the gap" in d.reason
    [d] = [x for x in decide(c, utc(2026, 11, 11, 10)) if x.ladder == "invoice:INV-1"]
    assert d.action is Action.SEND


def test_a_planned_retry_also_holds_the_gap() -> None:
    c = client(
        nudges=(sent(1, utc(2026, 11, 9, 10), S.PLANNED),),
        invoices=(invoice(1, due=date(2026, 11, 5)),),
    )
    assert sends(decide(c, utc(2026, 11, 10, 10))) == []


# --- ladders that know each other ----------------------------------------------------------


def test_no_check_in_while_an_invoice_conversation_is_under_way() -> None:
    c = client(
        invoices=(invoice(1, due=date(2026, 11, 1)),),
        nudges=(inv_record(1, 1, utc(2026, 11, 4, 9)),),
    )
    c = replace(c, invoices=(replace(c.invoices[0], due=date(2026, 12, 1)),))
    out = decide(c, utc(2026, 11, 20, 10))
    assert not [d for d in out if d.ladder == "silence"]


def test_after_work_paused_nothing_more_is_written_and_status_says_paused() -> None:
    done = (
        inv_record(1, 1, utc(2026, 12, 4, 9)),
        inv_record(1, 2, utc(2026, 12, 11, 9), "work_paused"),
    )
    c = client(invoices=(invoice(1), invoice(2, due=date(2026, 12, 20))), nudges=done)
    out = decide(c, utc(2027, 1, 5, 10))
    assert sends(out) == []
    assert not [d for d in out if d.ladder == "silence"]
    [held] = [d for d in out if d.ladder == "invoice:INV-2"]
    assert held.action is Action.HOLD
    assert "work paused for invoice INV-1 since 11 Dec" in held.reason
    assert standing.client_status(c, utc(2027, 1, 5, 10)) is ClientStatus.PAUSED
    assert [i.number for i, _ in standing.paused_invoices(c)] == ["INV-1"]


def test_paying_a_paused_invoice_ends_the_state_with_one_thank_you() -> None:
    done = (
        inv_record(1, 1, utc(2026, 12, 4, 9)),
        inv_record(1, 2, utc(2026, 12, 11, 9), "work_paused"),
    )
    paid = invoice(1, paid=True, paid_at=utc(2026, 12, 14, 8))
    c = client(invoices=(paid,), nudges=done, last_outbound=None, thread=None)
    now = utc(2026, 12, 14, 10)
    assert standing.client_status(c, now) is not ClientStatus.PAUSED
    [d] = sends(decide(c, now))
    assert (d.template, d.step) == ("work_resumed", 3)
    thanked = (*done, inv_record(1, 3, now, "work_resumed"))
    assert sends(decide(replace(c, nudges=thanked), utc(2026, 12, 20, 10))) == []
    assert sends(decide(replace(c, rules=replace(c.rules, work_resumed=False)), now)) == []


# --- a holiday is not silence --------------------------------------------------------------


def test_a_check_in_answered_by_an_out_of_office_is_sent_again_after_the_return() -> None:
    check_in = sent(1, utc(2026, 11, 9, 10))
    # "back on 18 Nov": away until Tuesday 17 Nov, grace Wed 18 + Thu 19
    ooo = AutoReply(utc(2026, 11, 9, 10, 1), date(2026, 11, 17))
    c = client(nudges=(replace(check_in, template="check_in"),), auto_replies=(ooo,))
    [d] = decide(c, utc(2026, 11, 16, 10))
    assert (d.action, d.template, d.step) == (Action.WAIT, "check_in", 2)
    assert d.returned and d.at == utc(2026, 11, 20, 9)
    [d] = decide(c, utc(2026, 11, 20, 9))
    assert d.action is Action.SEND and d.template == "check_in" and d.returned


def test_a_closing_notice_is_never_the_first_message_after_a_return() -> None:
    nudges = (
        replace(sent(1, utc(2026, 11, 9, 10)), template="check_in"),
        replace(sent(2, utc(2026, 11, 16, 10)), template="closing_notice"),
    )
    ooo = AutoReply(utc(2026, 11, 16, 10, 2), date(2026, 11, 27))
    c = client(nudges=nudges, auto_replies=(ooo,))
    [d] = decide(c, utc(2026, 12, 2, 10))
    assert d.template == "check_in" and d.returned and d.action is Action.SEND
    # once that check-in was seen, the closing notice follows a week on
    again = (*nudges, replace(sent(3, utc(2026, 12, 2, 10)), template="check_in"))
    [d] = decide(replace(c, nudges=again), utc(2026, 12, 9, 10))
    assert (d.action, d.template, d.returned) == (Action.SEND, "closing_notice", False)


def test_the_ultimatum_after_a_holiday_check_in_also_comes_after_the_grace() -> None:
    # the first check-in met an out-of-office with a return date; the repeat went out
    # after the return: then the closing notice keeps its week
    nudges = (
        replace(sent(1, utc(2026, 11, 9, 10)), template="check_in"),
        replace(sent(2, utc(2026, 11, 20, 9)), template="check_in"),
    )
    c = client(nudges=nudges, auto_replies=(AutoReply(utc(2026, 11, 9, 11), date(2026, 11, 17)),))
    [d] = decide(c, utc(2026, 11, 25, 10))
    assert (d.action, d.template, d.at) == (Action.WAIT, "closing_notice", utc(2026, 11, 27, 9))
    # two messages went, one step of the ladder was seen: the summary says "1 of 2"
    assert (standing.current_step(c), standing.ladder_position(c)) == (2, 1)


def test_an_out_of_office_without_a_date_retries_the_same_step_after_away_default() -> None:
    nudges = (replace(sent(1, utc(2026, 11, 9, 10)), template="check_in"),)
    c = client(nudges=nudges, auto_replies=(AutoReply(utc(2026, 11, 9, 12)),))
    [d] = decide(c, utc(2026, 11, 13, 10))
    assert (d.action, d.template, d.at) == (Action.WAIT, "check_in", utc(2026, 11, 16, 12))


def test_two_messages_in_a_row_met_by_an_out_of_office_hold_and_tell_the_user() -> None:
    nudges = (
        replace(sent(1, utc(2026, 11, 9, 10)), template="check_in"),
        replace(sent(2, utc(2026, 11, 16, 12)), template="check_in"),
    )
    replies = (AutoReply(utc(2026, 11, 9, 12)), AutoReply(utc(2026, 11, 16, 13)))
    [d] = decide(client(nudges=nudges, auto_replies=replies), utc(2026, 11, 30, 10))
    assert d.action is Action.HOLD and "out-of-office" in d.reason


def test_no_nudge_sooner_than_the_grace_after_any_known_return() -> None:
    # an out-of-office to the user's own mail said away until Fri 6 Nov: back Mon 9 Nov,
    # so the check-in due on the 9th waits for Wednesday 11 Nov
    c = client(away_until=utc(2026, 11, 7))
    [d] = decide(c, utc(2026, 11, 9, 10))
    assert d.action is Action.WAIT and d.at == utc(2026, 11, 11, 9) and d.returned


# --- closing dates and unreadable mail ------------------------------------------------------


def test_the_closing_notice_names_the_day_the_client_will_be_ghosted() -> None:
    nudges = (replace(sent(1, utc(2026, 11, 9, 10)), template="check_in"),)
    [d] = decide(client(nudges=nudges), utc(2026, 11, 16, 10))
    assert d.template == "closing_notice" and d.close_on == date(2026, 11, 23)
    [d] = decide(client(), SENT + 7 * DAY)
    assert d.template == "check_in" and d.close_on == date(2026, 11, 23)
    done = (*nudges, replace(sent(2, utc(2026, 11, 16, 10)), template="closing_notice"))
    [d] = decide(client(nudges=done), utc(2026, 11, 23, 16))
    assert d.action is Action.WAIT and d.at == utc(2026, 11, 24)  # after the named day


def test_a_message_that_could_not_be_read_holds_the_client() -> None:
    [d] = decide(client(unreadable_at=utc(2026, 11, 8, 9)), utc(2026, 11, 9, 10))
    assert d.action is Action.HOLD and "could not be read" in d.reason


def test_paying_a_chased_invoice_answers_our_message_no_check_in_follows() -> None:
    reminded = (inv_record(1, 1, utc(2026, 11, 4, 9)),)
    paid = invoice(1, due=date(2026, 11, 1), paid=True, paid_at=utc(2026, 11, 6, 8))
    c = client(invoices=(paid,), nudges=(replace(reminded[0], anchor="2026-11-01"),))
    assert not [d for d in decide(c, utc(2026, 11, 20, 10)) if d.ladder == "silence"]
    # an invoice paid without being chased says nothing about our message
    quiet = client(invoices=(paid,))
    assert [d.template for d in decide(quiet, utc(2026, 11, 20, 10))] == ["check_in"]


def test_after_a_deadline_ladder_runs_out_the_check_in_counts_from_its_reminder() -> None:
    dl = Deadline("deadline:logo", "logo feedback", date(2026, 11, 3))
    reminded = NudgeRecord("deadline:logo", "2026-11-03", 1, S.SENT, utc(2026, 11, 5, 9))
    c = client(deadlines=(dl,), nudges=(reminded,))
    # our message of 2 Nov would make the check-in due on the 9th: it waits for 12 Nov
    [d] = decide(c, utc(2026, 11, 10, 10))
    assert (d.template, d.at) == ("check_in", utc(2026, 11, 12, 9))
