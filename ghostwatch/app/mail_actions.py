"""The commands of one accepted reply, done through ``actions`` (the CLI's code paths)
and said back in the reader's words (``command_words``). Part of ``mail_commands``.

A command that cannot be done (an unknown target, nothing to skip, an invoice not
open) is an ``Outcome`` with its error; nothing here raises for it. ``send … now``
lifts only the send window of a nudge that is due (``actions.send_now``): min_gap, a
reply and every other safety rule still hold, and the answer says so.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Protocol

from ghostwatch.app import actions
from ghostwatch.app.promise_commands import Ledger, expect_any
from ghostwatch.config.loader import ClientConfig
from ghostwatch.core import commands
from ghostwatch.core.calendar import local_date
from ghostwatch.core.command_words import Outcome, error_text, said
from ghostwatch.core.summary.words import Words
from ghostwatch.errors import ConfigError

__all__ = ["Desk", "act"]


class Desk(actions.Books, Ledger, Protocol):
    """What a reply's commands need of the App: an action's and a promise's needs."""


def act(
    app: Desk,
    w: Words,
    text: str,
    labels: dict[str, dict[str, str]],
    now: datetime,
    *,
    reply: str,
) -> list[Outcome]:
    """Parse ``text`` and do each command in order; return one Outcome per line."""
    found, unparsed = commands.parse(text)
    outcomes = [_do(app, w, command, labels, now, reply) for command in found]
    for line in unparsed:
        outcomes.append(Outcome(line.line, error=error_text(w, line.why, target=line.line)))
    return outcomes


def _open_invoices(app: Desk, now: datetime) -> dict[str, str]:
    app.sync_invoices(now)
    return {
        row.number: row.client
        for account in app.config.accounts
        for row in app.store.invoices(account.name)
        if row.paid_at is None
    }


def _do(
    app: Desk,
    w: Words,
    command: commands.Command,
    labels: dict[str, dict[str, str]],
    now: datetime,
    reply: str,
) -> Outcome:
    line = command.line
    if command.verb in ("pause", "unpause"):
        actions.set_paused(app, None, command.verb == "pause", now, "mail", reply=reply)
        return Outcome(line, done=said(w, command.verb))
    clients = [c.name for c in app.config.clients]
    target = commands.resolve(command, labels, clients, _open_invoices(app, now))
    if isinstance(target, str):
        return Outcome(line, error=error_text(w, target, target=command.target))
    try:
        client = app.config.client(target.client)
    except KeyError:  # a label naming a client removed from the config since
        return Outcome(line, error=error_text(w, "unknown target", target=command.target))
    try:
        return Outcome(line, done=_apply(app, w, command, target, client, now, reply))
    except actions.Refused as exc:
        return Outcome(line, error=_refused(w, exc, actions.today(app, client, now)))
    except ConfigError as exc:
        return Outcome(line, error=error_text(w, "failed", error="; ".join(exc.problems)))


def _refused(w: Words, exc: actions.Refused, today: date) -> str:
    values = dict(exc.values)
    if "template" in values:
        values["template"] = w.label(values["template"])
    if "at" in values:
        values["when"] = w.at(datetime.fromisoformat(values["at"]), today)
    if "day" in values:
        values["day"] = w.day(date.fromisoformat(values["day"]), today)
    return error_text(w, exc.code, **values)


def _apply(
    app: Desk,
    w: Words,
    command: commands.Command,
    target: commands.Target,
    client: ClientConfig,
    now: datetime,
    reply: str,
) -> str:
    """Do one resolved command; return what was done. Raise ConfigError if it cannot be."""
    verb, name = command.verb, client.name
    today = actions.today(app, client, now)  # a day of another year shows its year
    if verb == "skip":
        skipped = actions.skip(app, client, now, "mail", target.template, reply=reply)
        when = w.at(skipped.at, today)
        return said(w, "skip", template=w.label(skipped.template), when=when)
    if verb == "hold":
        actions.hold(app, client, now, "mail", reply=reply)
        return said(w, "hold", client=name)
    if verb == "resume":
        actions.resume(app, client, now, "mail", reply=reply)
        return said(w, "resume", client=name)
    if verb == "snooze":
        zone = app.config.rules_for(client).timezone
        until = command.until or local_date(now + (command.span or timedelta(0)), zone)
        actions.snooze(app, client, until, now, "mail", reply=reply)
        return said(w, "snooze", client=name, until=w.day(until, today))
    if verb == "paid":
        number = target.invoice or _only_invoice(app, client, now)
        actions.paid(app, client, number, now, "mail", reply=reply)
        return said(w, "paid", client=name, invoice=number)
    if verb == "expect" and (command.on is not None or command.clear):  # ghostwatch expect
        what = command.invoice or target.invoice or _only_invoice(app, client, now)
        if command.on is not None:
            actions.refuse_past(command.on, today)
        done = expect_any(app, name, what, command.on, at=now)
        if command.on is None:
            return said(w, "expect cleared", client=name, what=done.name)
        day = w.day(command.on, today)
        if done.kind == "deadline":
            return said(w, "expect deadline", client=name, what=done.name, day=day)
        return said(w, "expect", client=name, invoice=done.name, day=day)
    # "send … now": lifts the send window only (actions.send_now)
    nudge = actions.send_now(app, client, now, "mail", target.template, reply=reply)
    return said(w, "send", client=name, template=w.label(nudge.template or ""))


def _only_invoice(app: Desk, client: ClientConfig, now: datetime) -> str:
    """``paid 3`` on a row that is not an invoice: the client's one open invoice."""
    mine = [n for n, c in _open_invoices(app, now).items() if c == client.name]
    if len(mine) != 1:
        raise actions.Refused(
            "which invoice", f"{client.name}: name the invoice", client=client.name
        )
    return mine[0]
