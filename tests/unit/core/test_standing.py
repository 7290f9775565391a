"""Where a client's conversation stands (``core/standing.py``): who must write next,
how far each ladder instance got, and the client's ``state``.

Proves, on literal states (no clock): the latest human message decides who owes whom
(a tie means the user); the silence ladder runs only while we wait on the client;
cancelled nudges and other ladders' nudges occupy no slot; a nudge answered by an
out-of-office (or sent while the client said they were away) is not a step seen, an
unseen ultimatum starts the ladder again gently, a skipped nudge counts from its due
time and is not a nudge the client got, a promise reminder is not a step; the
recipient and bouncing; paused invoices; when a client is "in payment talk"; and the
order in which states win (bouncing > paused > ghosted > held > snoozed > away >
nudged > waiting > ok).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from ghostwatch.core import standing
from ghostwatch.core.domain import (
    HOLD_UNTIL,
    AutoReply,
    ClientState,
    ClientStatus,
    Deadline,
    Invoice,
    LadderStep,
    NudgeRecord,
    OutboxStatus,
    WaitingOn,
)
from tests.unit.core.test_policy import DAY, RULES, SENT, THREAD, client, sent, utc

S = OutboxStatus
NOW = utc(2026, 11, 20, 10)
INV = Invoice("invoice:INV-7", "INV-7", "€900", date(2026, 11, 3))
LOGO = Deadline("deadline:logo feedback", "logo feedback", date(2026, 11, 3))


def inv_step(step: int, at: datetime, template: str = "payment_reminder") -> NudgeRecord:
    return NudgeRecord(INV.key, INV.due.isoformat(), step, S.SENT, at, template)


def dl_step(step: int, at: datetime) -> NudgeRecord:
    return NudgeRecord(LOGO.key, LOGO.due.isoformat(), step, S.SENT, at, "deadline_reminder")


def silence_progress(c: ClientState) -> standing.Progress:
    return standing.progress(c, standing.SILENCE, THREAD.message_id, c.rules.ladder)


# --- who owes whom -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outbound", "inbound", "who"),
    [
        (None, None, None),
        (SENT, None, WaitingOn.CLIENT),
        (None, SENT, WaitingOn.YOU),
        (SENT, SENT, WaitingOn.YOU),  # same instant: the ball is the user's
        (SENT, SENT + DAY, WaitingOn.YOU),
        (SENT + DAY, SENT, WaitingOn.CLIENT),
    ],
)
def test_waiting_on(outbound: datetime | None, inbound: datetime | None, who: WaitingOn) -> None:
    assert standing.waiting_on(client(last_outbound=outbound, last_inbound=inbound)) is who


def test_a_silence_ladder_runs_only_while_we_wait_on_the_client() -> None:
    assert standing.silence_anchor(client()) == THREAD.message_id
    assert standing.silence_anchor(client(last_inbound=SENT + DAY)) is None
    assert standing.silence_anchor(client(thread=None)) is None
    replied = client(last_inbound=SENT + DAY, nudges=(sent(1, SENT + DAY),))
    assert standing.current_step(replied) == 0 and standing.ladder_position(replied) == 0


# --- slots ---------------------------------------------------------------------------


def test_only_this_instances_occupying_nudges_hold_slots_in_step_order() -> None:
    other_anchor = NudgeRecord("silence", "<m0@studio>", 1, S.SENT, utc(2026, 10, 1))
    cancelled = sent(2, utc(2026, 11, 10), S.CANCELLED)
    failed = sent(3, utc(2026, 11, 11), S.FAILED)
    c = client(nudges=(failed, cancelled, inv_step(1, SENT), other_anchor, sent(1, SENT + DAY)))
    records = standing.ladder_records(c, standing.SILENCE, THREAD.message_id)
    assert records == [sent(1, SENT + DAY), failed]


# --- progress ------------------------------------------------------------------------


def test_no_message_yet() -> None:
    p = silence_progress(client())
    assert (p.position, p.next_step, p.last_at, p.unseen, p.unseen_run) == (0, 1, None, None, 0)


def test_a_seen_step_moves_the_client_on() -> None:
    p = silence_progress(client(nudges=(sent(1, utc(2026, 11, 9, 10)),)))
    assert (p.position, p.next_step, p.last_at, p.unseen) == (1, 2, utc(2026, 11, 9, 10), None)


@pytest.mark.parametrize(
    "reply",
    [
        AutoReply(utc(2026, 11, 9, 10, 5)),  # answered it
        AutoReply(utc(2026, 11, 5), returns=date(2026, 11, 12)),  # said they'd be away then
    ],
)
def test_a_step_answered_by_an_out_of_office_is_not_seen(reply: AutoReply) -> None:
    c = client(nudges=(sent(1, utc(2026, 11, 9, 10)),), auto_replies=(reply,))
    p = silence_progress(c)
    assert (p.position, p.next_step, p.unseen, p.unseen_run) == (0, 2, reply, 1)


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        # the away notice ended the day before the nudge went out
        (AutoReply(utc(2026, 11, 5), returns=date(2026, 11, 8)), S.SENT),
        # a failed nudge never reached them: the auto-reply answered something else
        (AutoReply(utc(2026, 11, 9, 10, 5)), S.FAILED),
    ],
)
def test_out_of_office_that_does_not_answer_the_step(reply: AutoReply, status: S) -> None:
    c = client(nudges=(sent(1, utc(2026, 11, 9, 10), status),), auto_replies=(reply,))
    assert silence_progress(c).unseen is None


def test_the_same_step_sent_again_after_the_return_counts_once() -> None:
    reply = AutoReply(utc(2026, 11, 9, 10, 5), returns=date(2026, 11, 13))
    c = client(
        nudges=(sent(1, utc(2026, 11, 9, 10)), sent(2, utc(2026, 11, 17, 10))),
        auto_replies=(reply,),
    )
    p = silence_progress(c)
    assert (p.position, p.next_step, p.unseen, p.unseen_run) == (1, 3, None, 0)
    assert standing.ladder_position(c) == 1 and standing.current_step(c) == 2


def test_an_unseen_ultimatum_starts_the_ladder_again_gently() -> None:
    reply = AutoReply(utc(2026, 11, 16, 10, 1))
    c = client(
        nudges=(sent(1, utc(2026, 11, 9, 10)), sent(2, utc(2026, 11, 16, 10))),
        auto_replies=(reply,),
    )
    p = silence_progress(c)
    assert (p.position, p.next_step, p.unseen_run) == (0, 3, 1)


def test_a_skipped_step_is_not_seen_and_counts_from_its_due_time() -> None:
    skipped = replace(sent(1, utc(2026, 11, 5), S.SKIPPED), due=utc(2026, 11, 9, 10))
    c = client(nudges=(skipped,))
    p = silence_progress(c)
    assert (p.position, p.next_step, p.last_at) == (0, 2, utc(2026, 11, 9, 10))
    assert standing.current_step(c) == 0
    # skipped after its due time: counted from when the user skipped it
    late = replace(skipped, at=utc(2026, 11, 12))
    assert silence_progress(client(nudges=(late,))).last_at == utc(2026, 11, 12)


def test_a_promise_reminder_is_not_a_ladder_step() -> None:
    promise = inv_step(2, utc(2026, 11, 12), template="promise_reminder")
    c = client(nudges=(inv_step(1, utc(2026, 11, 6)), promise))
    p = standing.progress(c, INV.key, INV.due.isoformat(), RULES.invoice_ladder)
    assert (p.position, p.next_step, p.last_at) == (1, 3, utc(2026, 11, 12))


# --- recipient, bouncing -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "to"),
    [
        ({}, "jane@acme.example"),
        ({"thread": None, "emails": ("ops@acme.example", "jane@acme.example")}, "ops@acme.example"),
        ({"thread": None, "emails": ()}, None),
    ],
)
def test_recipient(kw: dict[str, object], to: str | None) -> None:
    assert standing.recipient(client(**kw)) == to


def test_bouncing_means_the_address_a_nudge_would_go_to() -> None:
    assert standing.is_bouncing(client(bouncing=frozenset({"jane@acme.example"})))
    assert not standing.is_bouncing(client(bouncing=frozenset({"old@acme.example"})))
    assert not standing.is_bouncing(client(thread=None, emails=(), bouncing=frozenset({""})))


# --- invoices and deadlines ----------------------------------------------------------


def test_an_unpaid_invoice_whose_ladder_ran_out_pauses_work() -> None:
    steps = (inv_step(1, utc(2026, 11, 6)), inv_step(2, utc(2026, 11, 13), "work_paused"))
    c = client(invoices=(INV,), nudges=steps)
    assert standing.paused_invoices(c) == [(INV, utc(2026, 11, 13))]
    assert standing.paused_invoices(replace(c, nudges=steps[:1])) == []
    assert standing.paused_invoices(replace(c, invoices=(replace(INV, paid=True),))) == []
    assert standing.paused_invoices(replace(c, rules=replace(RULES, invoice_ladder=()))) == []


MET = replace(LOGO, met=True)
DL2 = replace(RULES, deadline_ladder=(LadderStep(2 * DAY, "a"), LadderStep(2 * DAY, "b")))


@pytest.mark.parametrize(
    ("kw", "talk"),
    [
        ({}, False),
        ({"invoices": (INV,)}, False),  # not chased yet, no promise
        ({"invoices": (INV,), "nudges": (inv_step(1, SENT),)}, True),
        ({"invoices": (replace(INV, expected_by=date(2026, 11, 30)),)}, True),
        ({"invoices": (replace(INV, paid=True),), "nudges": (inv_step(1, SENT),)}, False),
        ({"deadlines": (replace(LOGO, expected_by=date(2026, 11, 30)),)}, True),
        ({"deadlines": (LOGO,), "nudges": (dl_step(1, SENT),), "rules": DL2}, True),
        # a one-step deadline ladder that has sent its step has ended
        ({"deadlines": (LOGO,), "nudges": (dl_step(1, SENT),)}, False),
        ({"deadlines": (MET,), "nudges": (dl_step(1, SENT),), "rules": DL2}, False),
    ],
)  # fmt: skip
def test_in_payment_talk(kw: dict[str, object], talk: bool) -> None:
    assert standing.in_payment_talk(client(**kw)) is talk


# --- the client's state --------------------------------------------------------------

PAUSED_KW: dict[str, object] = {
    "invoices": (INV,),
    "nudges": (inv_step(1, utc(2026, 11, 6)), inv_step(2, utc(2026, 11, 13))),
}


@pytest.mark.parametrize(
    ("kw", "state"),
    [
        ({"last_outbound": None, "thread": None}, ClientStatus.OK),
        ({"last_inbound": SENT + DAY}, ClientStatus.OK),
        ({}, ClientStatus.WAITING),
        ({"nudges": (sent(1, utc(2026, 11, 9, 10)),)}, ClientStatus.NUDGED),
        ({"away_until": NOW + DAY, "nudges": (sent(1, SENT),)}, ClientStatus.AWAY),
        ({"away_until": NOW}, ClientStatus.WAITING),  # away ended at now
        ({"snoozed_until": NOW + DAY, "away_until": NOW + DAY}, ClientStatus.SNOOZED),
        ({"snoozed_until": NOW - DAY}, ClientStatus.WAITING),
        ({"snoozed_until": HOLD_UNTIL, "away_until": NOW + DAY}, ClientStatus.HELD),
        ({"ghosted_anchor": THREAD.message_id, "snoozed_until": HOLD_UNTIL}, ClientStatus.GHOSTED),
        ({"ghosted_anchor": "<m0@studio>"}, ClientStatus.WAITING),  # an older ladder ghosted
        ({**PAUSED_KW, "ghosted_anchor": THREAD.message_id}, ClientStatus.PAUSED),
        ({**PAUSED_KW, "bouncing": frozenset({"jane@acme.example"})}, ClientStatus.BOUNCING),
    ],
)  # fmt: skip
def test_client_status_and_which_state_wins(kw: dict[str, object], state: ClientStatus) -> None:
    assert standing.client_status(client(**kw), NOW) is state
