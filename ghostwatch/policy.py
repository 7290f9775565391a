"""Who is due what, and when: a pure function of state, rules and ``now``.

This module does no I/O and never reads the clock; ``now`` is always given, aware UTC.

Rules it keeps (SPEC sections 2 and 3):
1. The silence ladder runs only while the ball is in the client's court (our human
   message is the latest). Step 1 counts from that message; step k from step k-1.
   A nudge never counts as "our message": only the user's own mail anchors a ladder,
   so a client's reply followed by a new message from the user starts a new ladder.
2. A (ladder, anchor, step) slot that the outbox holds in any status but
   ``cancelled`` is taken for good: it is never decided again (never double-send).
3. No nudge of any kind while the user owes the client a reply, while the client is
   snoozed, away (until the return date) or bouncing, or while the account is paused,
   over its daily limit, or its mailbox data is stale. Blocked nudges come back as
   ``HOLD`` with the reason, so the summary can tell the user.
4. Nudges go out only inside the client's send window, on business days (and not on
   public holidays of ``holidays_country``) in the client's time zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from ghostwatch.domain import (
    OCCUPYING_STATUSES,
    AccountState,
    Action,
    ClientState,
    ClientStatus,
    Deadline,
    Decision,
    Invoice,
    LadderKind,
    LadderStep,
    NudgeRecord,
    OutboxStatus,
    Rules,
    WaitingOn,
)

SILENCE = "silence"
# How far ahead a send slot is searched for before giving up (a window on no day).
_MAX_SLOT_SEARCH_DAYS = 370

TEMPLATE_LABELS = {
    "check_in": "check-in",
    "closing_notice": "closing notice",
    "payment_reminder": "payment reminder",
    "work_paused": "work-paused notice",
    "deadline_reminder": "deadline reminder",
}


def label(template: str) -> str:
    """Return a human name for a template ("check_in" -> "check-in")."""
    return TEMPLATE_LABELS.get(template, template.replace("_", " "))


# --- who owes whom ----------------------------------------------------------------


def waiting_on(client: ClientState) -> WaitingOn | None:
    """Return who must write next, from the latest human message on either side."""
    if client.last_outbound is None and client.last_inbound is None:
        return None
    if client.last_inbound is None:
        return WaitingOn.CLIENT
    if client.last_outbound is None or client.last_inbound >= client.last_outbound:
        return WaitingOn.YOU
    return WaitingOn.CLIENT


def silence_anchor(client: ClientState) -> str | None:
    """Return the anchor of the running silence ladder, or None when none runs."""
    if waiting_on(client) is not WaitingOn.CLIENT or client.thread is None:
        return None
    return client.thread.message_id


def ladder_records(client: ClientState, ladder: str, anchor: str) -> list[NudgeRecord]:
    """Return the nudges that occupy slots of one ladder instance, by step."""
    taken = [
        n
        for n in client.nudges
        if n.ladder == ladder and n.anchor == anchor and n.status in OCCUPYING_STATUSES
    ]
    return sorted(taken, key=lambda n: (n.step, n.at))


def current_step(client: ClientState) -> int:
    """Return how many nudges the running silence ladder has used (0 if none runs)."""
    anchor = silence_anchor(client)
    if anchor is None:
        return 0
    records = ladder_records(client, SILENCE, anchor)
    return max((r.step for r in records), default=0)


def is_ghosted(client: ClientState) -> bool:
    anchor = silence_anchor(client)
    return anchor is not None and client.ghosted_anchor == anchor


def is_bouncing(client: ClientState) -> bool:
    """True when the address a nudge would go to is known to bounce."""
    target = recipient(client)
    return target is not None and target in client.bouncing


def recipient(client: ClientState) -> str | None:
    """The address a nudge goes to: the one we last wrote to, else the first configured."""
    if client.thread is not None:
        return client.thread.to_addr
    return client.emails[0] if client.emails else None


def client_status(client: ClientState, now: datetime) -> ClientStatus:
    """Return the SPEC section 4 ``state`` of a client at ``now``."""
    if is_bouncing(client):
        return ClientStatus.BOUNCING
    if is_ghosted(client):
        return ClientStatus.GHOSTED
    if client.snoozed_until is not None and client.snoozed_until > now:
        return ClientStatus.SNOOZED
    if client.away_until is not None and client.away_until > now:
        return ClientStatus.AWAY
    if current_step(client) > 0:
        return ClientStatus.NUDGED
    if waiting_on(client) is WaitingOn.CLIENT:
        return ClientStatus.WAITING
    return ClientStatus.OK


# --- calendars ----------------------------------------------------------------------


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year).keys())


def is_business_day(day: date, rules: Rules) -> bool:
    """True when nudges may go out on ``day`` (a local date in the client's zone)."""
    if rules.business_days and day.weekday() >= 5:
        return False
    return not (rules.holidays_country and day in _holidays(rules.holidays_country, day.year))


def next_slot(earliest: datetime, rules: Rules) -> datetime:
    """Return the first instant >= ``earliest`` inside a send window on an allowed day.

    Windows are wall-clock times in the client's zone, so they follow DST changes.
    Raise ValueError if no slot exists within a year (a calendar with no allowed day).
    """
    zone = ZoneInfo(rules.timezone)
    local = earliest.astimezone(zone)
    day = local.date()
    for _ in range(_MAX_SLOT_SEARCH_DAYS):
        if is_business_day(day, rules):
            start = _wall(day, rules.send_window.start, zone)
            end = _wall(day, rules.send_window.end, zone)
            if earliest < start:
                return start
            if earliest < end:
                return earliest
        day += timedelta(days=1)
    raise ValueError("no send window on any day within a year")


def local_day_start(day: date, zone_name: str) -> datetime:
    """Return the UTC instant at which ``day`` begins in the given zone."""
    return _wall(day, time(0, 0), ZoneInfo(zone_name))


def _wall(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


# --- the ladders ------------------------------------------------------------------------


def _next_step(
    steps: Sequence[LadderStep], records: Sequence[NudgeRecord], start: datetime
) -> tuple[int, datetime, datetime | None]:
    """Return (next step number, when it is due, when the previous step went out)."""
    done = max((r.step for r in records), default=0)
    if done == 0:
        return 1, start + steps[0].after if steps else start, None
    last_at = max(r.at for r in records if r.step == done)
    after = steps[done].after if done < len(steps) else timedelta(0)
    return done + 1, last_at + after, last_at


def _fmt_day(at: datetime, zone_name: str) -> str:
    local = at.astimezone(ZoneInfo(zone_name))
    return f"{local.day} {local:%b}"


def _silence(client: ClientState, now: datetime) -> Decision | None:
    anchor = silence_anchor(client)
    thread = client.thread
    if anchor is None or thread is None or client.ghosted_anchor == anchor:
        return None
    rules = client.rules
    records = ladder_records(client, SILENCE, anchor)
    step, due, last_at = _next_step(rules.ladder, records, thread.sent_at)
    days = (now - thread.sent_at).days
    since = _fmt_day(thread.sent_at, rules.timezone)
    base = Decision(
        client=client.name,
        account=client.account,
        action=Action.WAIT,
        ladder=SILENCE,
        kind=LadderKind.SILENCE,
        anchor=anchor,
        step=step,
        template=None,
        at=due,
        reason="",
        to_addr=thread.to_addr,
        thread=thread,
    )
    if step > len(rules.ladder):
        give_up = (last_at or thread.sent_at) + rules.give_up_after
        reason = (
            f"{client.name}: no answer to {len(rules.ladder)} nudges since your message "
            f"of {since}; ghosted when silent until {_fmt_day(give_up, rules.timezone)}"
        )
        return replace(base, action=Action.GHOST, step=0, at=give_up, reason=reason)
    template = rules.ladder[step - 1].template
    reason = f"{client.name}: {days} days since your message of {since}; {label(template)} due"
    return replace(base, template=template, reason=reason)


def _dated(
    client: ClientState, key: str, kind: LadderKind, due_day: date, steps: Sequence[LadderStep]
) -> tuple[Decision, datetime, datetime | None] | None:
    """The next step of a ladder counted from the start of ``due_day`` in the client's
    zone (invoices, deadlines): (decision with a bare reason, start, last step's time),
    or None when the ladder has no step left."""
    if not steps:
        return None
    anchor = due_day.isoformat()
    start = local_day_start(due_day, client.rules.timezone)
    step, due, last_at = _next_step(steps, ladder_records(client, key, anchor), start)
    if step > len(steps):
        return None
    decision = Decision(
        client=client.name,
        account=client.account,
        action=Action.WAIT,
        ladder=key,
        kind=kind,
        anchor=anchor,
        step=step,
        template=steps[step - 1].template,
        at=due,
        reason="",
        to_addr=recipient(client),
        thread=client.thread,
    )
    return decision, start, last_at


def _invoice(client: ClientState, invoice: Invoice) -> Decision | None:
    rules = client.rules
    found = (
        None
        if invoice.paid
        else _dated(client, invoice.key, LadderKind.INVOICE, invoice.due, rules.invoice_ladder)
    )
    if found is None:
        return None
    decision, start, last_at = found
    reason = (
        f"{client.name}: invoice {invoice.number} ({invoice.amount}) was due "
        f"{_fmt_day(start, rules.timezone)}, unpaid; {label(decision.template or '')} due"
    )
    due = decision.at
    # A reply from the client after the due date (and after our last step) pauses
    # chasing: they may be writing "paid yesterday".
    replied = invoice.replied_at
    if replied is not None and replied >= (last_at or start):
        deferred = replied + rules.reply_defers_invoice
        if deferred > due:
            due = deferred
            reason += f"; deferred: {client.name} replied on {_fmt_day(replied, rules.timezone)}"
    return replace(decision, at=due, reason=reason, invoice=invoice)


def _deadline(client: ClientState, deadline: Deadline) -> Decision | None:
    rules = client.rules
    found = (
        None
        if deadline.met
        else _dated(client, deadline.key, LadderKind.DEADLINE, deadline.due, rules.deadline_ladder)
    )
    if found is None:
        return None
    decision, start, _ = found
    reason = (
        f"{client.name}: {deadline.what} was due {_fmt_day(start, rules.timezone)}; "
        f"{label(decision.template or '')} due"
    )
    return replace(decision, reason=reason, deadline=deadline)


def candidates(client: ClientState, now: datetime) -> list[Decision]:
    """Return the next step of every ladder of one client, before any gate is applied."""
    found: list[Decision | None] = [_silence(client, now)]
    found += [_invoice(client, inv) for inv in client.invoices]
    found += [_deadline(client, d) for d in client.deadlines]
    return [d for d in found if d is not None]


# --- gates ------------------------------------------------------------------------------


def _client_gate(client: ClientState, decision: Decision, now: datetime) -> Decision:
    """Apply the per-client safety rules and the send window to one candidate."""
    refused = [
        r
        for r in ladder_records(client, decision.ladder, decision.anchor)
        if r.status is OutboxStatus.FAILED
    ]
    if refused:
        # Escalating after a step the client never received would make a closing
        # notice their first message: stop and tell the user instead.
        return _hold(
            decision,
            f"{client.name}: step {refused[0].step} was refused by the mail server; "
            "write to them yourself",
        )
    if decision.action is Action.GHOST:
        # Give up only after real silence: not while snoozed or away.
        earliest = max([decision.at] + [u for u in (client.snoozed_until, client.away_until) if u])
        return replace(
            decision, action=Action.GHOST if earliest <= now else Action.WAIT, at=earliest
        )
    if decision.to_addr is None:
        return _hold(decision, f"{client.name}: no address to write to")
    if decision.to_addr in client.bouncing:
        return _hold(decision, f"{client.name}: {decision.to_addr} is bouncing")
    if waiting_on(client) is WaitingOn.YOU and decision.kind is not LadderKind.SILENCE:
        return _hold(decision, f"{client.name}: you owe them a reply")
    earliest = max(decision.at, now)
    for until, why in (
        (client.snoozed_until, "snoozed"),
        (client.away_until, "away (out of office)"),
    ):
        if until is not None and until > earliest:
            earliest = until
            decision = replace(decision, reason=f"{decision.reason}; {why} until {until:%Y-%m-%d}")
    at = next_slot(earliest, client.rules)
    action = Action.SEND if at <= now else Action.WAIT
    return replace(decision, action=action, at=at if action is Action.WAIT else now)


def _hold(decision: Decision, why: str) -> Decision:
    return replace(decision, action=Action.HOLD, reason=f"{decision.reason}; held: {why}")


def _account_gate(account: AccountState, decisions: list[Decision], now: datetime) -> None:
    """Hold every SEND the account may not make now (in place, in decision order)."""
    blocked: str | None = None
    if account.paused:
        blocked = "account paused"
    elif account.last_sync_at is None:
        blocked = "mailbox never read successfully"
    elif now - account.last_sync_at > account.max_sync_age:
        blocked = f"mailbox data is stale (last read {account.last_sync_at:%Y-%m-%d %H:%M} UTC)"
    budget = account.max_nudges_per_day - account.sent_today
    for i, decision in enumerate(decisions):
        if decision.action is not Action.SEND:
            continue
        if blocked is not None:
            decisions[i] = _hold(decision, blocked)
        elif budget <= 0:
            decisions[i] = _hold(decision, f"daily limit of {account.max_nudges_per_day} reached")
        else:
            budget -= 1


def decide(account: AccountState, clients: Iterable[ClientState], now: datetime) -> list[Decision]:
    """Return every client's next decision per ladder, gated, earliest first.

    ``SEND`` decisions are due now and allowed; ``WAIT`` carry the instant they become
    due; ``HOLD`` are due but blocked, with the reason; ``GHOST`` marks a client ghosted.
    Raise ValueError if ``now`` is naive.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    decisions = [
        _client_gate(client, candidate, now)
        for client in clients
        for candidate in candidates(client, now)
    ]
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
