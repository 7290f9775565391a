"""Why a decision is what it is, in words. PURE: no I/O, no clock.

The policy explains each decision as a tuple of ``Why`` clauses (a code and its
arguments). This module holds the English wording of every code, used for logs,
``status`` and ``once --dry-run``; the daily summary says the same clauses in the
user's language from its catalogues, keyed by the same codes. A clause joins the
next with "; ", and the first clause of a decision names the client.

Rule 1: every code the policy emits is a key of ``ENGLISH`` (a test checks it).
Rule 2: arguments are ``str``, ``int``, ``date`` (local to the client) or aware
``datetime`` (UTC): ``format_arg`` writes each the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime

from ghostwatch.core.domain import Action, Decision, Why

__all__ = ["ENGLISH", "TEMPLATE_LABELS", "english", "explain", "format_arg", "hold", "label"]

TEMPLATE_LABELS = {
    "check_in": "check-in",
    "closing_notice": "closing notice",
    "payment_reminder": "payment reminder",
    "work_paused": "work-paused notice",
    "work_resumed": "work-resumed note",
    "deadline_reminder": "deadline reminder",
    "promise_reminder": "promise reminder",
    "deadline_promise_reminder": "delivery promise reminder",
}

# code -> English wording; ``{name}`` is filled from the clause's arguments.
ENGLISH: dict[str, str] = {
    # what is due, per ladder
    "silence.due": "{client}: {days} days since your message of {since}; {template} due",
    "silence.ghost_at": (
        "{client}: no answer to {nudges} nudges since your message of {since}; "
        "ghosted when silent until {until}"
    ),
    "invoice.due": "{client}: invoice {number} ({amount}) was due {due}, unpaid; {template} due",
    "invoices.due": "{client}: {count} invoices unpaid ({numbers}); {template} due",
    "deadline.due": "{client}: {what} was due {due}; {template} due",
    "invoice.resumed": "{client}: invoice {number} was paid on {on}; a thank-you is due",
    "step.again": "sent again: the last one reached an out-of-office",
    # why it waits
    "wait.replied": "deferred: {client} replied on {on}",
    "wait.promised": "deferred: {client} promised to pay by {by}; one reminder after that day",
    "wait.promised_delivery": (
        "deferred: {client} promised {what} by {by}; one reminder after that day"
    ),
    "wait.snoozed": "snoozed until {until}",
    "wait.away": "away (out of office) until {until}",
    "wait.return_grace": "back from leave on {returned}; a short grace first",
    "wait.ooo_no_date": "an out-of-office answered the nudge of {on}; trying again later",
    "wait.gap": "waits for the gap after the nudge of {last}",
    # why it is held (due, but not sent)
    "held.refused": "held: step {step} was refused by the mail server; write to them yourself",
    "held.no_address": "held: no address to write to",
    "held.bouncing": "held: {address} is bouncing",
    "held.owe_reply": "held: you owe them a reply",
    "held.auto_replies": (
        "held: every message since {since} was answered by an out-of-office; write to them yourself"
    ),
    "held.unreadable": "held: a message from {client} of {on} could not be read; check it",
    "held.paused_account": "held: account paused",
    "held.never_synced": "held: mailbox never read successfully",
    "held.stale": "held: mailbox data is stale (last read {at})",
    "held.daily_limit": "held: daily limit of {limit} reached",
    "held.by_you": "held: until you resume it",
    # the ladders knowing each other
    "quiet.payment_talk": "{client}: the payment conversation is under way; no check-in meanwhile",
    "quiet.work_paused": "{client}: work paused for invoice {number} since {since}; no answer yet",
    "covered": "sent together with the {template}",
}


def label(template: str) -> str:
    """Return a human name for a template ("check_in" -> "check-in")."""
    return TEMPLATE_LABELS.get(template, template.replace("_", " "))


def format_arg(name: str, value: object) -> str:
    """Return one argument as English text: dates as "14 Nov", UTC instants as
    "2026-11-14 09:30 UTC", template names as their label."""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M} UTC"
    if isinstance(value, date):
        return f"{value.day} {value:%b}"
    if name == "template" and isinstance(value, str):
        return label(value)
    return str(value)


def english(clauses: Iterable[Why]) -> str:
    """Return the clauses in English, joined by "; "; raise KeyError for an unknown code."""
    parts = []
    for clause in clauses:
        args = {k: format_arg(k, v) for k, v in clause.args}
        parts.append(ENGLISH[clause.code].format(**args))
    return "; ".join(parts)


# The advice for a refused login, by kind (``adapters.net.login_advice`` picks it): English
# text with {placeholders}; the daily summary shows it in its own language (context
# "login_hint" in the catalogues).
LOGIN_HINTS = {
    "imap_off": "IMAP access is turned off for this account: enable it in the provider's settings",
    "token": (
        "check the access token password_command prints (run it by hand; an expired "
        "or revoked grant needs a new authorization, e.g. oama authorize)"
    ),
    "app_password": (
        "check the password: {provider} wants an app password here, not your "
        "account password (and IMAP enabled in its settings)"
    ),
    "microsoft": (
        'check the password: Microsoft 365 / Outlook need auth = "xoauth2" (docs/setup.md)'
    ),
    "password": "check the password and the username",
}


def explain(decision: Decision, clause: Why, **changes: object) -> Decision:
    """Return ``decision`` with ``clause`` added to its reason (and ``changes`` made)."""
    clauses = (*decision.why, clause)
    return replace(decision, why=clauses, reason=english(clauses), **changes)  # type: ignore[arg-type]


def hold(decision: Decision, clause: Why) -> Decision:
    """Return ``decision`` held (``HOLD``), ``clause`` saying why."""
    return explain(decision, clause, action=Action.HOLD)
