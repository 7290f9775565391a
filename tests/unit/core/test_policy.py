"""The decision core, driven by literal aware datetimes (no clock, no servers)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from ghostwatch.core import calendar, policy, standing
from ghostwatch.core.domain import (
    AccountState,
    Action,
    ClientState,
    ClientStatus,
    Deadline,
    Invoice,
    LadderStep,
    NudgeRecord,
    OutboxStatus,
    Rules,
    SendWindow,
    ThreadRef,
    WaitingOn,
)

DAY = timedelta(days=1)
RULES = Rules(
    timezone="UTC",
    ladder=(LadderStep(7 * DAY, "check_in"), LadderStep(7 * DAY, "closing_notice")),
    give_up_after=7 * DAY,
    send_window=SendWindow(time(9), time(17)),
    business_days=True,
    holidays_country="",
    invoice_ladder=(LadderStep(3 * DAY, "payment_reminder"), LadderStep(7 * DAY, "work_paused")),
    deadline_ladder=(LadderStep(2 * DAY, "deadline_reminder"),),
)
# Monday 2 November 2026, 10:00 UTC: our message to Acme.
SENT = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
THREAD = ThreadRef("<m1@studio>", (), "Logo drafts", "jane@acme.example", SENT)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def client(**kw: object) -> ClientState:
    base = ClientState(
        name="Acme",
        account="studio",
        rules=RULES,
        emails=("jane@acme.example",),
        last_outbound=SENT,
        thread=THREAD,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def account(**kw: object) -> AccountState:
    base = AccountState(
        name="studio",
        address="me@studio.example",
        display_name="Me",
        timezone="UTC",
        paused=False,
        last_sync_at=None,
        max_sync_age=timedelta(minutes=15),
        max_nudges_per_day=20,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def sent(step: int, at: datetime, status: OutboxStatus = OutboxStatus.SENT) -> NudgeRecord:
    return NudgeRecord("silence", "<m1@studio>", step, status, at)


def decide(c: ClientState, now: datetime, **acct: object) -> list:  # type: ignore[type-arg]
    acct.setdefault("last_sync_at", now - timedelta(minutes=1))
    return policy.decide(account(**acct), [c], now)


# --- the default ladder ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "nudges", "action", "step", "template", "at"),
    [
        # day 6: nothing yet, the check-in waits for day 7 at the same hour (in the window)
        (utc(2026, 11, 8, 12), (), Action.WAIT, 1, "check_in", utc(2026, 11, 9, 10)),
        # day 7, inside the window: check-in now
        (utc(2026, 11, 9, 10), (), Action.SEND, 1, "check_in", utc(2026, 11, 9, 10)),
        # day 7 but 18:00: after the window, wait for Tuesday 09:00
        (utc(2026, 11, 9, 18), (), Action.WAIT, 1, "check_in", utc(2026, 11, 10, 9)),
        # check-in sent on day 7: closing notice due 7 days after it
        (
            utc(2026, 11, 12, 10),
            (sent(1, utc(2026, 11, 9, 10)),),
            Action.WAIT,
            2,
            "closing_notice",
            utc(2026, 11, 16, 10),
        ),
        (
            utc(2026, 11, 16, 10),
            (sent(1, utc(2026, 11, 9, 10)),),
            Action.SEND,
            2,
            "closing_notice",
            utc(2026, 11, 16, 10),
        ),
        # both sent: ghosted once the day the closing notice named (7 days on) is over
        # (no window needed)
        (
            utc(2026, 11, 23, 23),
            (sent(1, utc(2026, 11, 9, 10)), sent(2, utc(2026, 11, 16, 10))),
            Action.WAIT,
            0,
            None,
            utc(2026, 11, 24, 0),
        ),
        (
            utc(2026, 11, 24, 0),
            (sent(1, utc(2026, 11, 9, 10)), sent(2, utc(2026, 11, 16, 10))),
            Action.GHOST,
            0,
            None,
            utc(2026, 11, 24, 0),
        ),
    ],
)
def test_default_ladder(
    now: datetime,
    nudges: tuple[NudgeRecord, ...],
    action: Action,
    step: int,
    template: str | None,
    at: datetime,
) -> None:
    [d] = decide(client(nudges=nudges), now)
    assert (d.action, d.step, d.template, d.at) == (action, step, template, at)
    assert d.thread == THREAD and d.to_addr == "jane@acme.example"


def test_ghosted_client_gets_nothing_more_ever() -> None:
    c = client(
        nudges=(sent(1, utc(2026, 11, 9, 10)), sent(2, utc(2026, 11, 16, 10))),
        ghosted_anchor="<m1@studio>",
    )
    for days in (0, 30, 365):
        assert decide(c, utc(2026, 11, 23, 10) + days * DAY) == []
    assert standing.client_status(c, utc(2026, 11, 24)) is ClientStatus.GHOSTED


def test_reason_is_plain_language() -> None:
    [d] = decide(client(), utc(2026, 11, 10, 10))
    assert d.reason == "Acme: 8 days since your message of 2 Nov; check-in due"


# --- never double-send -----------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [
        OutboxStatus.PLANNED,
        OutboxStatus.SENDING,
        OutboxStatus.SENT,
        OutboxStatus.UNKNOWN,
        OutboxStatus.DRAFTED,
    ],
)
def test_a_taken_slot_is_never_decided_again(status: OutboxStatus) -> None:
    now = utc(2026, 11, 10, 10)
    [d] = decide(client(nudges=(sent(1, utc(2026, 11, 9, 10), status),)), now)
    assert d.step == 2 and d.action is Action.WAIT


def test_a_cancelled_nudge_frees_its_slot() -> None:
    now = utc(2026, 11, 10, 10)
    [d] = decide(client(nudges=(sent(1, utc(2026, 11, 9, 10), OutboxStatus.CANCELLED),)), now)
    assert (d.step, d.action) == (1, Action.SEND)


def test_nudges_of_an_older_ladder_do_not_count() -> None:
    old = NudgeRecord("silence", "<m0@studio>", 1, OutboxStatus.SENT, utc(2026, 10, 1))
    [d] = decide(client(nudges=(old,)), utc(2026, 11, 10, 10))
    assert (d.step, d.action) == (1, Action.SEND)


# --- never after a reply ---------------------------------------------------------------


def test_a_reply_stops_the_ladder_and_the_ball_is_yours() -> None:
    c = client(last_inbound=utc(2026, 11, 5, 8), nudges=(sent(1, utc(2026, 11, 4)),))
    assert decide(c, utc(2026, 11, 20, 10)) == []
    assert standing.waiting_on(c) is WaitingOn.YOU
    assert standing.client_status(c, utc(2026, 11, 20)) is ClientStatus.OK


def test_a_new_message_after_a_reply_starts_a_new_ladder() -> None:
    new = ThreadRef("<m2@studio>", ("<m1@studio>",), "Logo drafts", "jane@acme.example", SENT)
    c = client(
        last_inbound=SENT - DAY,
        nudges=(NudgeRecord("silence", "<m0@studio>", 2, OutboxStatus.SENT, SENT - 3 * DAY),),
        thread=new,
        ghosted_anchor="<m0@studio>",
    )
    [d] = decide(c, utc(2026, 11, 9, 10))
    assert (d.action, d.step, d.anchor) == (Action.SEND, 1, "<m2@studio>")


# --- calendars ---------------------------------------------------------------------------


def test_saturday_waits_for_monday_in_the_clients_zone() -> None:
    # Sat 14 Nov 2026 10:00 in Bangkok (03:00 UTC): wait for Mon 16 Nov 09:00 Bangkok.
    rules = replace(RULES, timezone="Asia/Bangkok")
    thread = replace(THREAD, sent_at=utc(2026, 11, 7, 3))
    [d] = decide(
        client(rules=rules, thread=thread, last_outbound=thread.sent_at), utc(2026, 11, 14, 3)
    )
    assert d.action is Action.WAIT and d.at == utc(2026, 11, 16, 2)


@pytest.mark.parametrize(
    ("earliest", "slot"),
    [
        # Berlin is UTC+1 until Sun 29 Mar 2026, then UTC+2: Monday's 09:00 is 07:00 UTC.
        (utc(2026, 3, 28, 12), utc(2026, 3, 30, 7)),
        # Friday before the change: 09:00 CET is 08:00 UTC.
        (utc(2026, 3, 27, 6), utc(2026, 3, 27, 8)),
        # Autumn: Sun 25 Oct 2026 back to UTC+1: Monday 09:00 is 08:00 UTC.
        (utc(2026, 10, 24, 12), utc(2026, 10, 26, 8)),
    ],
)
def test_send_window_follows_dst(earliest: datetime, slot: datetime) -> None:
    rules = replace(RULES, timezone="Europe/Berlin")
    assert calendar.next_slot(earliest, rules) == slot


def test_public_holiday_is_skipped() -> None:
    # Tue 3 Mar 2026 is Mother's Day, a public holiday in Georgia.
    rules = replace(RULES, timezone="Asia/Tbilisi", holidays_country="GE")
    assert not calendar.is_business_day(date(2026, 3, 3), rules)
    slot = calendar.next_slot(utc(2026, 3, 3, 6), rules)
    assert slot == utc(2026, 3, 4, 5)  # Wed 09:00 Tbilisi (UTC+4)
    assert calendar.next_slot(utc(2026, 3, 3, 6), replace(rules, holidays_country="")) == utc(
        2026, 3, 3, 6
    )


def test_weekends_allowed_when_business_days_off() -> None:
    rules = replace(RULES, business_days=False)
    assert calendar.next_slot(utc(2026, 11, 14, 10), rules) == utc(2026, 11, 14, 10)


# --- holds -------------------------------------------------------------------------------

NOW = utc(2026, 11, 10, 10)


@pytest.mark.parametrize(
    ("changes", "acct", "why"),
    [
        ({"bouncing": frozenset({"jane@acme.example"})}, {}, "is bouncing"),
        ({}, {"paused": True}, "account paused"),
        ({}, {"last_sync_at": NOW - timedelta(minutes=16)}, "stale"),
        ({}, {"last_sync_at": None}, "never read"),
        ({}, {"sent_today": 20}, "daily limit of 20"),
    ],
)
def test_safety_holds(changes: dict[str, object], acct: dict[str, object], why: str) -> None:
    c = client(**changes)
    acct.setdefault("last_sync_at", NOW - timedelta(minutes=1))
    [d] = policy.decide(account(**acct), [c], NOW)
    assert d.action is Action.HOLD and why in d.reason


def test_fresh_sync_within_max_age_is_not_stale() -> None:
    [d] = policy.decide(account(last_sync_at=NOW - timedelta(minutes=14)), [client()], NOW)
    assert d.action is Action.SEND


def test_daily_limit_lets_the_earliest_through() -> None:
    clients = [replace(client(), name=f"C{i}") for i in range(5)]
    out = policy.decide(account(last_sync_at=NOW, max_nudges_per_day=3, sent_today=1), clients, NOW)
    assert [d.action for d in out].count(Action.SEND) == 2
    assert [d.action for d in out].count(Action.HOLD) == 3


def test_snooze_defers_to_the_next_window_after() -> None:
    until = utc(2026, 11, 12, 0)
    [d] = decide(client(snoozed_until=until), NOW)
    assert d.action is Action.WAIT and d.at == utc(2026, 11, 12, 9)
    [d] = decide(client(snoozed_until=until), utc(2026, 11, 12, 9, 30))
    assert d.action is Action.SEND


def test_away_defers_past_the_return_and_a_grace_of_two_business_days() -> None:
    # back on Thursday 12 Nov: Friday and Monday are the grace, Monday 16 Nov 00:00 its end
    until = utc(2026, 11, 12, 0)
    [d] = decide(client(away_until=until), NOW)
    assert d.action is Action.WAIT and d.at == utc(2026, 11, 16, 9)
    assert d.returned
    [d] = decide(client(away_until=until), utc(2026, 11, 13, 9, 30))
    assert d.action is Action.WAIT
    [d] = decide(client(away_until=until), utc(2026, 11, 16, 9, 30))
    assert d.action is Action.SEND


def test_away_defers_ghosting() -> None:
    c = client(
        nudges=(sent(1, utc(2026, 11, 9, 10)), sent(2, utc(2026, 11, 16, 10))),
        away_until=utc(2026, 11, 30),
    )
    [d] = decide(c, utc(2026, 11, 24))
    assert d.action is Action.WAIT and d.at == utc(2026, 11, 30)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        policy.decide(account(), [], datetime(2026, 1, 1))


# --- invoices and deadlines ----------------------------------------------------------------

INV = Invoice("invoice:INV-1", "INV-1", "1,200 GEL", date(2026, 12, 1))


def inv_client(**kw: object) -> ClientState:
    return client(**({"invoices": (INV,), "last_outbound": None, "thread": None} | kw))


@pytest.mark.parametrize(
    ("now", "nudges", "action", "step", "at"),
    [
        (utc(2026, 12, 3, 10), (), Action.WAIT, 1, utc(2026, 12, 4, 9)),
        (utc(2026, 12, 4, 9), (), Action.SEND, 1, utc(2026, 12, 4, 9)),
        # reminder went out on the 4th at 09:00: work-paused notice the 11th at 09:00
        (
            utc(2026, 12, 11, 9),
            (
                NudgeRecord(
                    "invoice:INV-1", "2026-12-01", 1, OutboxStatus.SENT, utc(2026, 12, 4, 9)
                ),
            ),
            Action.SEND,
            2,
            utc(2026, 12, 11, 9),
        ),
    ],
)
def test_invoice_ladder(
    now: datetime, nudges: tuple[NudgeRecord, ...], action: Action, step: int, at: datetime
) -> None:
    [d] = decide(inv_client(nudges=nudges), now)
    assert (d.action, d.step, d.at, d.to_addr) == (action, step, at, "jane@acme.example")


def test_invoice_ladder_ends() -> None:
    done = tuple(
        NudgeRecord(
            "invoice:INV-1", "2026-12-01", s, OutboxStatus.SENT, utc(2026, 12, 4 + 7 * (s - 1), 9)
        )
        for s in (1, 2)
    )
    # the ladder ran out unpaid: work is paused, nothing more is sent, the user is told
    [held] = decide(inv_client(nudges=done), utc(2027, 1, 20, 10))
    assert held.action is Action.HOLD and "work paused for invoice INV-1" in held.reason
    assert decide(client(invoices=(replace(INV, paid=True),)), utc(2026, 12, 4, 10)) == [
        d for d in decide(client(), utc(2026, 12, 4, 10))
    ]


def test_a_reply_after_the_due_date_defers_the_invoice_step() -> None:
    # Acme wrote on the 3rd; the user answered an hour later, so the ball is theirs again.
    replied = utc(2026, 12, 3, 15)
    c = inv_client(
        invoices=(replace(INV, replied_at=replied),),
        last_inbound=replied,
        last_outbound=replied + timedelta(hours=1),
    )
    [d] = decide(c, utc(2026, 12, 4, 9))
    assert d.action is Action.WAIT and d.at == utc(2026, 12, 7, 9)  # Sun 6th 15:00 -> Mon 09:00
    assert "replied" in d.reason


def test_no_invoice_reminder_while_you_owe_a_reply() -> None:
    c = inv_client(last_inbound=utc(2026, 12, 2, 8))
    [d] = decide(c, utc(2026, 12, 8, 10))
    assert d.action is Action.HOLD and "you owe them a reply" in d.reason


def test_deadline_reminder() -> None:
    dl = Deadline("deadline:logo feedback", "logo feedback", date(2026, 12, 3))
    c = client(deadlines=(dl,), last_outbound=None, thread=None)
    [d] = decide(c, utc(2026, 12, 5, 10))
    assert (d.action, d.template, d.to_addr) == (
        Action.WAIT,
        "deadline_reminder",
        "jane@acme.example",
    )
    assert d.at == utc(2026, 12, 7, 9)  # due 5 Dec 00:00 is a Saturday
    assert decide(replace(c, deadlines=(replace(dl, met=True),)), utc(2026, 12, 7, 10)) == []


# --- status ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"last_outbound": None, "thread": None}, ClientStatus.OK),
        ({}, ClientStatus.WAITING),
        ({"nudges": (sent(1, utc(2026, 11, 9)),)}, ClientStatus.NUDGED),
        ({"snoozed_until": utc(2026, 12, 1)}, ClientStatus.SNOOZED),
        ({"away_until": utc(2026, 12, 1)}, ClientStatus.AWAY),
        ({"bouncing": frozenset({"jane@acme.example"})}, ClientStatus.BOUNCING),
    ],
)
def test_client_status(changes: dict[str, object], status: ClientStatus) -> None:
    assert standing.client_status(client(**changes), NOW) is status


def test_next_action_and_wakeup() -> None:
    out = decide(client(), utc(2026, 11, 8, 12))
    nxt = policy.next_action(out, "Acme")
    assert nxt is not None and nxt.at == utc(2026, 11, 9, 10)
    assert policy.next_wakeup(out, utc(2026, 11, 8, 12)) == utc(2026, 11, 9, 10)


def test_a_refused_step_holds_the_ladder_instead_of_escalating() -> None:
    # The check-in was refused (5xx): no closing notice as the client's first message,
    # and no ghosting either; the user is told.
    refused = sent(1, utc(2026, 11, 9, 10), OutboxStatus.FAILED)
    for now in (utc(2026, 11, 10, 10), utc(2026, 11, 16, 10), utc(2026, 11, 30, 10)):
        [d] = decide(client(nudges=(refused,)), now)
        assert d.action is Action.HOLD
        assert d.step == 2
        assert "refused by the mail server" in d.reason


# --- summary commands: skip and send now (docs/commands.md) ----------------------------


def test_a_skipped_step_is_offered_again_one_interval_later_never_escalated() -> None:
    skipped_at = utc(2026, 11, 9, 8, 40)
    c = client(nudges=(sent(1, skipped_at, OutboxStatus.SKIPPED),))
    assert standing.current_step(c) == 0  # nothing reached the client
    assert standing.client_status(c, skipped_at) is ClientStatus.WAITING
    [d] = decide(c, skipped_at + timedelta(minutes=30))
    assert (d.action, d.template, d.step) == (Action.WAIT, "check_in", 2)
    assert d.at == utc(2026, 11, 16, 9, 0)  # 7 days after the skip, in the window
    [d] = decide(c, utc(2026, 11, 16, 9, 30))
    assert (d.action, d.template) == (Action.SEND, "check_in")


def test_a_nudge_skipped_ahead_of_time_comes_again_one_interval_after_its_due_time() -> None:
    # The check-in went on Mon 9 Nov; its closing notice is due Mon 16 Nov 10:00. The
    # user skips it on the 9th at 11:00: that notice must not go on the 16th (an hour
    # after its due time, as when the ladder counted from the typing), but a week on.
    check_in = sent(1, utc(2026, 11, 9, 10))
    due = utc(2026, 11, 16, 10)
    skipped = replace(sent(2, utc(2026, 11, 9, 11), OutboxStatus.SKIPPED), due=due)
    c = client(nudges=(check_in, skipped))
    [d] = decide(c, utc(2026, 11, 16, 11))
    assert (d.action, d.template, d.step) == (Action.WAIT, "closing_notice", 3)
    assert d.at == due + 7 * DAY
    # a nudge skipped when it was already overdue counts from the skip, never earlier
    late = replace(skipped, at=utc(2026, 11, 18, 10))
    [d] = decide(client(nudges=(check_in, late)), utc(2026, 11, 18, 11))
    assert d.at == utc(2026, 11, 25, 10)


def test_send_now_lifts_the_window_of_a_due_step_only() -> None:
    lifted = frozenset({("silence", "<m1@studio>", 1)})
    [d] = decide(client(), utc(2026, 11, 10, 7, 0))
    assert d.action is Action.WAIT  # due, but before the window
    [d] = decide(client(send_now=lifted), utc(2026, 11, 10, 7, 0))
    assert d.action is Action.SEND
    # not due yet (our message went at 20:00: due at 20:00, outside the window):
    # nothing is lifted, it waits for the window as without "send now"
    evening = utc(2026, 11, 2, 20, 0)
    before = utc(2026, 11, 9, 12, 0)
    late = {"last_outbound": evening, "thread": replace(THREAD, sent_at=evening)}
    [plain] = decide(client(**late), before)
    [d] = decide(client(**late, send_now=lifted), before)
    assert d.action is Action.WAIT and d.at == plain.at == utc(2026, 11, 10, 9, 0)
    other = frozenset({("silence", "<m1@studio>", 2)})
    [d] = decide(client(send_now=other), utc(2026, 11, 10, 7, 0))
    assert d.action is Action.WAIT  # only the lifted slot


def test_send_now_lifts_no_other_rule() -> None:
    lifted = frozenset({("silence", "<m1@studio>", 1)})
    now = utc(2026, 11, 10, 7, 0)
    c = client(send_now=lifted, snoozed_until=utc(2026, 11, 12))
    [d] = decide(c, now)
    assert d.action is Action.WAIT and d.at >= utc(2026, 11, 12)
    [d] = decide(client(send_now=lifted), now, paused=True)
    assert d.action is Action.HOLD
    [d] = decide(client(send_now=lifted), now, last_sync_at=now - timedelta(hours=2))
    assert d.action is Action.HOLD  # stale mailbox data


def test_a_hold_is_held_until_resume_never_a_made_up_day() -> None:
    from ghostwatch.core.domain import HOLD_UNTIL

    now = utc(2026, 11, 10, 10, 0)
    for country in ("", "GE", "TH"):
        c = client(snoozed_until=HOLD_UNTIL, rules=replace(RULES, holidays_country=country))
        [d] = decide(c, now)
        assert d.action is Action.HOLD and d.why[-1].code == "held.by_you"
        assert "until you resume it" in d.reason and "2999" not in d.reason
        assert standing.client_status(c, now) is ClientStatus.HELD
        assert policy.next_action([d], "Acme") is None  # status: no "31 Dec" next action
    # a held client whose ladder ran out is not marked ghosted behind the user's back
    ran_out = (sent(1, utc(2026, 11, 9, 10)), sent(2, utc(2026, 11, 16, 10)))
    [d] = decide(client(snoozed_until=HOLD_UNTIL, nudges=ran_out), utc(2026, 12, 1, 10))
    assert d.action is Action.HOLD
    # a snooze to a day stays a snooze
    day = client(snoozed_until=utc(2026, 11, 20))
    assert standing.client_status(day, now) is ClientStatus.SNOOZED
