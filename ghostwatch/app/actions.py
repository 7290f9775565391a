"""What the user can tell ghostwatch to do, one function each: the command line and
the commands in a reply to the summary (``mail_commands``) both call these, so the
two can never differ (docs/commands.md).

Each function changes the store and appends its evidence-log event in the same call;
``by`` says who asked ("command": the command line, "mail": a reply to the summary)
and ``extra`` goes into the event (the reply's Message-ID). None of them sends mail
and none bypasses a safety rule: ``skip`` only ever sends *less*.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from ghostwatch.config.loader import AccountConfig, ClientConfig, Config
from ghostwatch.core.calendar import local_date, local_day_start
from ghostwatch.core.domain import HOLD_UNTIL, Action, ClientState, Decision
from ghostwatch.core.i18n import Translator
from ghostwatch.errors import ConfigError
from ghostwatch.store.database import Store, UnknownInvoice

__all__ = [
    "HOLD_UNTIL",
    "Books",
    "Refused",
    "Skipped",
    "hold",
    "local_words",
    "paid",
    "refuse_past",
    "resume",
    "send_now",
    "set_paused",
    "skip",
    "snooze",
    "today",
    "with_lifts",
]


class Books(Protocol):
    """What an action needs of the App: the configuration, the store, the invoices
    copied into it and the policy's decisions (not the whole composition root)."""

    @property
    def config(self) -> Config: ...

    @property
    def store(self) -> Store: ...

    def sync_invoices(self, now: datetime, accounts: Collection[str] | None = None) -> None: ...

    def decide(
        self, account: AccountConfig, now: datetime, *, exclude: str | None = None
    ) -> list[Decision]: ...


class Refused(ConfigError):
    """An action that cannot be done: ``code`` (and ``values``) say why, so a reply by
    mail can say it in the summary's language (``command_words.error_text``)."""

    def __init__(self, code: str, message: str, **values: str) -> None:
        super().__init__([message])
        self.code, self.values = code, values


def today(app: Books, client: ClientConfig, now: datetime) -> date:
    """The day it is at ``now`` where ``client``'s account is (its ``timezone``)."""
    return local_date(now, app.config.account_for(client).timezone)


def local_words(app: Books, client: ClientConfig) -> Translator:
    """English dates in ``client``'s account zone, as ``status`` shows them."""
    return Translator("en", ZoneInfo(app.config.account_for(client).timezone))


def refuse_past(day: date, today: date) -> None:
    """Raise Refused ("past") for a ``day`` before ``today``: a snooze until a past
    day or a promise to pay by one is a typo (2020 for 2026), never something to act
    on; a past promise would make the first message about the invoice a reproach."""
    if day < today:
        raise Refused(
            "past",
            f"{day.isoformat()} is in the past (today is {today.isoformat()})",
            day=day.isoformat(),
        )


def snooze(
    app: Books, client: ClientConfig, until: date, now: datetime, by: str, **extra: Any
) -> None:
    """Hold nudges to ``client`` until the start of ``until`` in the client's zone.
    Raise Refused for a day before today in the account's zone (``refuse_past``)."""
    refuse_past(until, today(app, client, now))
    account = app.config.account_for(client)
    zone = app.config.rules_for(client).timezone
    app.store.set_snooze(account.name, client.name, local_day_start(until, zone), at=now)
    app.store.append_event(
        "client.snoozed",
        at=now,
        account=account.name,
        client=client.name,
        until=until.isoformat(),
        by=by,
        **extra,
    )


def hold(app: Books, client: ClientConfig, now: datetime, by: str, **extra: Any) -> None:
    """Hold nudges to ``client`` until ``resume``."""
    account = app.config.account_for(client)
    app.store.set_snooze(account.name, client.name, HOLD_UNTIL, at=now)
    app.store.append_event(
        "client.held", at=now, account=account.name, client=client.name, by=by, **extra
    )


def resume(app: Books, client: ClientConfig, now: datetime, by: str, **extra: Any) -> bool:
    """End a snooze or a hold of ``client`` at once. Return False (and change and
    record nothing) when none was set (never, or a resume cleared it)."""
    account = app.config.account_for(client)
    until = app.store.snoozed_until(account.name, client.name)
    if until is None:  # an ended snooze is still cleared: ``--now`` may be another day
        return False
    app.store.set_snooze(account.name, client.name, None, at=now)
    app.store.append_event(
        "client.resumed", at=now, account=account.name, client=client.name, by=by, **extra
    )
    return True


def set_paused(
    app: Books, account: str | None, paused: bool, now: datetime, by: str, **extra: Any
) -> list[str]:
    """Stop (``paused``) or restart all sending of ``account`` (None: every account);
    return the accounts changed. Raise ConfigError for an unknown account."""
    names = [a.name for a in app.config.accounts]
    if account is not None and account not in names:
        raise ConfigError([f"no account named {account!r} (configured: {', '.join(names)})"])
    for name in [account] if account else names:
        app.store.set_paused(name, paused)
        kind = "account.paused" if paused else "account.unpaused"
        app.store.append_event(kind, at=now, account=name, by=by, **extra)
    return [account] if account else names


def paid(
    app: Books, client: ClientConfig, number: str, now: datetime, by: str, **extra: Any
) -> None:
    """Mark ``client``'s invoice ``number`` paid. Raise ConfigError if it is not an
    unpaid invoice of theirs."""
    account = app.config.account_for(client)
    app.sync_invoices(now)
    try:
        done = app.store.mark_paid(account.name, client.name, number, now, by)
    except UnknownInvoice:  # a name the user typed: bad usage (exit 2), as ``expect``
        message = f"{client.name} has no invoice {number!r}"
        raise Refused("no invoice", message, invoice=number) from None
    if not done:
        raise Refused("no invoice", f"{client.name}: no unpaid invoice {number!r}", invoice=number)
    app.store.append_event(
        "invoice.paid",
        at=now,
        account=account.name,
        client=client.name,
        invoice=number,
        by=by,
        **extra,
    )


@dataclass(frozen=True, slots=True)
class Skipped:
    template: str
    at: datetime  # when it would have gone


def next_nudge(
    app: Books, client: ClientConfig, now: datetime, template: str = ""
) -> Decision | None:
    """The next nudge the policy has for ``client`` (of ``template`` if given): one due,
    waiting for its time, or held; None when nothing is planned."""
    account = app.config.account_for(client)
    for decision in app.decide(account, now):
        if decision.client != client.name or decision.action is Action.GHOST:
            continue
        if decision.template and (not template or decision.template == template):
            return decision
    return None


def skip(
    app: Books, client: ClientConfig, now: datetime, by: str, template: str = "", **extra: Any
) -> Skipped:
    """Skip ``client``'s next nudge (of ``template`` if given): its slots are taken
    by a ``skipped`` outbox row, so it is never sent; the client saw nothing, so the
    ladder offers the same step again one interval after the skipped nudge's due
    time (not after ``now``; docs/commands.md). Raise
    ConfigError when there is nothing to skip."""
    decision = next_nudge(app, client, now, template)
    if decision is None or decision.template is None:
        raise Refused("no nudge", f"{client.name}: no nudge planned", client=client.name)
    account = app.config.account_for(client)
    event = {
        "kind": "nudge.skipped",
        "at": now,
        "account": account.name,
        "client": client.name,
        "template": decision.template,
        "step": decision.step,
        "due": decision.at.isoformat(),
        "by": by,
        **extra,
    }
    row = app.store.skip_slots(
        account=account.name,
        client=client.name,
        slots=decision.slots,
        template=decision.template,
        to_addr=decision.to_addr or "",
        at=now,
        due=decision.at,
        event=event,
    )
    if row is None:
        raise Refused("taken", f"{client.name}: that nudge is already planned or sent")
    return Skipped(decision.template, decision.at)


def with_lifts(store: Any, account: str, clients: Sequence[ClientState]) -> list[ClientState]:
    """``clients`` with the slots the user said "send now" for (``ClientState.send_now``)."""
    lifts = store.lifted(account)
    return [replace(c, send_now=lifts[c.name]) if c.name in lifts else c for c in clients]


def send_now(
    app: Books, client: ClientConfig, now: datetime, by: str, template: str = "", **extra: Any
) -> Decision:
    """Let ``client``'s next nudge (of ``template`` if given) go out now although the
    send window is closed. Only the window is lifted: the nudge must be due, and
    min_gap, a reply, a snooze, the daily limit and every other rule still hold; the
    cycle sends it (the mailbox read again first, as always). Return the decision it
    now has; raise ConfigError (and lift nothing) when that does not make it go now."""
    decision = next_nudge(app, client, now, template)
    if decision is None or decision.template is None:
        raise Refused("no nudge", f"{client.name}: no nudge planned", client=client.name)
    if decision.action is Action.HOLD:
        raise Refused("held", f"{client.name}: held: {decision.reason}", client=client.name)
    account = app.config.account_for(client).name
    slot = (decision.ladder, decision.anchor, decision.step)
    app.store.lift(account, client.name, slot, now)
    lifted = next_nudge(app, client, now, decision.template)
    if lifted is None or lifted.action is not Action.SEND:
        app.store.unlift(account, client.name, slot)
        at = (lifted or decision).at
        when = local_words(app, client).at(at, today(app, client, now))
        raise Refused(
            "not due",
            f"{client.name}: the {decision.template} is not due until {when}",
            template=decision.template,
            at=at.isoformat(),
        )
    app.store.append_event(
        "nudge.send_now",
        at=now,
        account=account,
        client=client.name,
        template=decision.template,
        step=decision.step,
        by=by,
        **extra,
    )
    return lifted
