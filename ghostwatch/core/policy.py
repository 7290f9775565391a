"""Who is due what, and when: a pure function of state, rules and ``now``.

This module does no I/O and never reads the clock; ``now`` is always given, aware UTC.
The behaviour is described for users in docs/behaviour.md. ``decide`` takes each
ladder's next step (``core/ladders.py``), gates it here (the safety rules, the send
window), applies one voice (``core/one_voice.py``) and then the account's limits;
where each conversation stands (who owes whom, ladder progress, the client's state)
is ``core/standing.py``, the calendar ``core/calendar.py``. Rules they keep together:

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
   step of the ladder (``promises/reminders.py``; docs/promises.md); a promise to
   deliver by a deadline does the same for the deadline's ladder
   (``deadline_promise_reminder``).
   It is a payment step for rules 3, 5 and 6 like the others, but for one thing: a
   promise that asked nothing ("We'll pay on Friday.") needs no answer, so its
   reminder does not wait for one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from ghostwatch.core.calendar import add_business_days, local_date, next_slot
from ghostwatch.core.domain import (
    AccountState,
    Action,
    ClientState,
    Decision,
    LadderKind,
    OutboxStatus,
    WaitingOn,
    Why,
    is_hold,
    why,
)
from ghostwatch.core.ladders import Candidate, candidates
from ghostwatch.core.one_voice import one_voice
from ghostwatch.core.promises.reminders import answered_by_promise
from ghostwatch.core.reasons import explain, hold
from ghostwatch.core.standing import ladder_records, waiting_on

__all__ = ["decide", "next_action", "next_wakeup"]


def _client_gate(client: ClientState, candidate: Candidate, now: datetime) -> Decision:
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
        return hold(decision, why("held.refused", step=refused[0].step))
    if client.unreadable_at is not None:
        on = local_date(client.unreadable_at, client.rules.timezone)
        return hold(decision, why("held.unreadable", client=client.name, on=on))
    if is_hold(client.snoozed_until):  # ``hold``: nothing until ``resume``, no made-up day
        return hold(decision, why("held.by_you"))
    if decision.action is Action.GHOST:
        # Give up only after real silence: not while snoozed or away.
        earliest = max([decision.at] + [u for u in (client.snoozed_until, client.away_until) if u])
        action = Action.GHOST if earliest <= now else Action.WAIT
        return replace(decision, action=action, at=earliest)
    if decision.to_addr is None:
        return hold(decision, why("held.no_address"))
    if decision.to_addr in client.bouncing:
        return hold(decision, why("held.bouncing", address=decision.to_addr))
    if (
        waiting_on(client) is WaitingOn.YOU
        and decision.kind is not LadderKind.SILENCE
        and not answered_by_promise(client.last_inbound, decision)
    ):
        return hold(decision, why("held.owe_reply"))
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
        decision = explain(decision, why("wait.snoozed", until=local_date(earliest, zone)))
    if client.away_until is not None:
        back = local_date(client.away_until, zone)
        grace_end = add_business_days(back, client.rules.return_grace, client.rules)
        if client.away_until > earliest:
            until = back - timedelta(days=1)
            decision = explain(decision, why("wait.away", until=until))
        if grace_end > earliest:
            earliest = grace_end
            decision = explain(decision, why("wait.return_grace", returned=back))
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
            decisions[i] = hold(decision, blocked)
        elif budget <= 0:
            decisions[i] = hold(decision, why("held.daily_limit", limit=account.max_nudges_per_day))
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
        gated = [_client_gate(client, c, now) for c in candidates(client, now)]
        decisions += one_voice(client, gated, now)
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
