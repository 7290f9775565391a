"""Gather the daily summary's facts from configuration, store and policy (the shell side
of ``summary``). Reads only: ``collect`` stores nothing but the configured invoices.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from ghostwatch.adapters.auth_backoff import AuthBackoff
from ghostwatch.config.loader import AccountConfig, Config
from ghostwatch.core import policy, standing
from ghostwatch.core.domain import (
    AccountState,
    Action,
    ClientState,
    ClientStatus,
    Decision,
    OutboxStatus,
    Rules,
)
from ghostwatch.core.records import ClientFacts, Contact, OutboxRow
from ghostwatch.core.summary.facts import (
    ClientInfo,
    DeliveryInfo,
    HealthInfo,
    InvoiceInfo,
    LoginRefusedInfo,
    NudgeInfo,
    RefusalInfo,
    SummaryData,
)
from ghostwatch.store.database import Store


class Sources(Protocol):
    """What the summary's facts are read from: the configuration, the store (with the
    invoices copied in), the policy's view of each account and the refused logins
    this process knows (None: it knows none)."""

    @property
    def config(self) -> Config: ...

    @property
    def store(self) -> Store: ...

    @property
    def logins(self) -> AuthBackoff | None: ...

    def sync_invoices(self, now: datetime, accounts: Collection[str] | None = None) -> None: ...

    def states(
        self, account: AccountConfig, now: datetime, *, exclude: str | None = None
    ) -> tuple[AccountState, list[ClientState]]: ...


DAY = timedelta(days=1)
HORIZON = timedelta(days=7)  # "going out next" looks this far ahead
FIRST_LOOKBACK = timedelta(days=7)  # the first summary reports the past week
GHOST = "ghost"  # NudgeInfo.template of "the client will be marked ghosted"


def collect(app: Sources, now: datetime) -> SummaryData:
    """Return everything the summary at ``now`` says, over every account, shown in the
    summary account's zone. "Since the last summary" counts from the last daily summary,
    or FIRST_LOOKBACK back for the first one."""
    app.sync_invoices(now)
    sender = app.config.summary_account()
    since = app.store.last_summary_at(sender.name) or now - FIRST_LOOKBACK
    clients: list[ClientInfo] = []
    sent: list[NudgeInfo] = []
    upcoming: list[NudgeInfo] = []
    invoices: list[InvoiceInfo] = []
    deliveries: list[DeliveryInfo] = []
    for account in app.config.accounts:
        acct, states = app.states(account, now)
        decisions = policy.decide(acct, states, now)
        clients += client_infos(app, account, states, decisions, now)
        rows = app.store.outbox_all(account.name)
        sent += sent_since(rows, since)
        upcoming += going_out(decisions, rows, now)
        invoices += invoice_infos(app, account, states)
        deliveries += [
            DeliveryInfo(s.name, d.what, d.expected_by, d.promise)
            for s in states
            for d in s.deadlines
            if d.expected_by is not None and not d.met
        ]
    return SummaryData(
        account=f"{sender.name} ({sender.address})",
        timezone=sender.timezone,
        language=app.config.summary.language,
        since=since,
        clients=tuple(clients),
        sent=tuple(sent),
        upcoming=tuple(upcoming),
        invoices=tuple(invoices),
        deliveries=tuple(deliveries),
        health=tuple(health_info(app, account, now) for account in app.config.accounts),
        refusals=tuple(RefusalInfo(*r) for r in app.store.refusals(sender.name, since)),
    )


def ladder_days(rules: Rules) -> tuple[float, ...]:
    """Days from our message at which each step falls due, then the client is ghosted
    (nominal: a late step shifts the real dates)."""
    days, total = [], 0.0
    for step in rules.ladder:
        total += step.after / DAY
        days.append(total)
    days.append(total + rules.give_up_after / DAY)
    return tuple(days)


def client_infos(
    app: Sources,
    account: AccountConfig,
    states: Sequence[ClientState],
    decisions: Sequence[Decision],
    now: datetime,
) -> list[ClientInfo]:
    facts = app.store.client_facts(account.name)
    contacts = app.store.human_contacts(account.name)
    bounces = app.store.bouncing_since(account.name)
    return [
        client_info(
            state,
            facts.get(state.name),
            contacts.get(state.name, []),
            tuple(bounces.get(state.name, ())),
            decisions,
            now,
        )
        for state in states
    ]


def client_info(
    state: ClientState,
    facts: ClientFacts | None,
    contacts: Sequence[Contact],
    bouncing: tuple[tuple[str, datetime], ...],
    decisions: Sequence[Decision],
    now: datetime,
) -> ClientInfo:
    status = standing.client_status(state, now)
    waiting = standing.waiting_on(state)
    theirs = [c for c in contacts if c.inbound]
    ours = [c for c in contacts if not c.inbound]
    until = {ClientStatus.SNOOZED: state.snoozed_until, ClientStatus.AWAY: state.away_until}
    nxt = next(
        (
            d
            for d in decisions
            if d.client == state.name
            and d.ladder == standing.SILENCE
            and d.action is not Action.HOLD
        ),
        None,
    )
    return ClientInfo(
        name=state.name,
        state=status.value,
        waiting_on=waiting.value if waiting else None,
        last_inbound=state.last_inbound,
        last_outbound=state.last_outbound,
        subject=state.thread.subject if state.thread else (ours[-1].subject if ours else ""),
        their_subject=theirs[-1].subject if theirs else "",
        # the ladder step reached ("nudged 1 of 2" after a check-in sent again on their
        # return), at least 1 once a nudge went out
        step=max(standing.ladder_position(state), min(standing.current_step(state), 1)),
        ladder_days=ladder_days(state.rules),
        bouncing=bouncing,
        ghosted_at=facts.ghosted_at if facts else None,
        until=until.get(status),
        history=tuple((c.at, c.inbound) for c in contacts),
        next_template=(nxt.template or GHOST) if nxt else None,
        next_at=nxt.at if nxt else None,
        # the client's mail that could not be read holds their nudges until you look
        unreadable=(state.unreadable_at,) if state.unreadable_at else (),
    )


def _nudge(row: OutboxRow, at: datetime, status: str) -> NudgeInfo:
    return NudgeInfo(row.client, row.template, at, status, row.reason, row.to_addr)


def sent_since(rows: Sequence[OutboxRow], since: datetime) -> list[NudgeInfo]:
    """Nudges that went out (or into Drafts), failed or may have gone since ``since``."""
    out = []
    for row in rows:
        if row.status in (OutboxStatus.SENT, OutboxStatus.DRAFTED):
            at = row.sent_at or row.updated_at
        elif row.status in (OutboxStatus.FAILED, OutboxStatus.UNKNOWN, OutboxStatus.SENDING):
            at = row.updated_at
        else:
            continue
        if at >= since:
            out.append(_nudge(row, at, row.status.value))
    return out


def _decided(d: Decision, template: str, status: str) -> NudgeInfo:
    """A decision as a summary row; its reason travels as clauses (``why``) so the
    summary can say it in the reader's language."""
    return NudgeInfo(d.client, template, d.at, status, d.reason, d.to_addr or "", d.why)


def going_out(
    decisions: Sequence[Decision], rows: Sequence[OutboxRow], now: datetime
) -> list[NudgeInfo]:
    """Nudges due within HORIZON (and ghostings), those held by a safety rule, and
    planned ones waiting for a retry."""
    out = []
    for d in decisions:
        template = d.template or GHOST
        if d.action is Action.HOLD:
            out.append(_decided(d, template, "held"))
        elif d.action is not Action.GHOST and d.at <= now + HORIZON:
            status = "due" if d.action is Action.SEND else "scheduled"
            out.append(_decided(d, template, status))
    for row in rows:
        if row.status is OutboxStatus.PLANNED:
            out.append(_nudge(row, row.next_attempt_at or row.due_at, "planned"))
    return out


def invoice_infos(
    app: Sources, account: AccountConfig, states: Sequence[ClientState]
) -> list[InvoiceInfo]:
    replied = {(s.name, i.number): i.replied_at for s in states for i in s.invoices}
    return [
        InvoiceInfo(
            client=row.client,
            number=row.number,
            amount=row.amount,
            due=row.due,
            paid_at=row.paid_at,
            replied_at=replied.get((row.client, row.number)),
            expected_by=row.expected_by,
            promise=row.promise or "",
        )
        for row in app.store.invoices(account.name)
    ]


def health_info(app: Sources, account: AccountConfig, now: datetime) -> HealthInfo:
    """The account's sync and sending health; an error counts only while it is later
    than the last good sync (store invariant)."""
    st = app.store.account_state(account.name)
    last = st.last_sync_at if st else None
    error_at = st.last_error_at if st else None
    current = error_at is not None and (last is None or error_at > last)
    rows = app.store.outbox_all(account.name)
    return HealthInfo(
        account=account.name,
        last_sync=last,
        stale=last is None or now - last > account.max_sync_age,
        paused=bool(st and st.paused),
        error=st.last_error if st and current else None,
        error_at=error_at if current else None,
        unknown=sum(1 for r in rows if r.status in (OutboxStatus.UNKNOWN, OutboxStatus.SENDING)),
        failed=sum(1 for r in rows if r.status is OutboxStatus.FAILED),
        refused=_refused(app, account.name),
    )


def _refused(app: Sources, account: str) -> tuple[LoginRefusedInfo, ...]:
    """The account's refused logins, as this process's login gates know them."""
    if app.logins is None:
        return ()
    found = []
    for protocol in ("imap", "smtp"):
        r = app.logins.refusal(account, protocol)
        if r is not None:
            found.append(
                LoginRefusedInfo(
                    protocol, r.since, r.retry_at, r.advice.kind, r.advice.params, r.detail
                )
            )
    return tuple(found)
