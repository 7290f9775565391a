"""The words of summary commands: labels on the summary's rows, the "reply with…" line,
refusals and the answer to a reply, in the summary's language. PURE (as ``summary``).

Rule 1: labels are numbers given in the order the summary shows its actionable rows
(needs you, going out next, unpaid invoices); ``assign`` returns what each named, and
the shell stores that with the summary's key, so ``skip 2`` means the row the user
read, not whatever is second at the next sync.
Rule 2: every phrase is a catalogue message (``w._``), translated in ka and th
(``ghostwatch.tools.i18n_catalog`` extracts this module).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ghostwatch.core.commands import VERBS
from ghostwatch.core.i18n import Translator

__all__ = ["Outcome", "answer_text", "assign", "help_line", "refusal_text"]

_VERB_INDEX = {"en": 0, "ka": 1, "th": 2}
SEPARATOR = ", "  # between the quoted examples of the help line


def assign(
    needs: Sequence[dict[str, Any]],
    upcoming: Sequence[dict[str, Any]],
    invoices: Sequence[dict[str, Any]],
) -> dict[str, dict[str, str]]:
    """Number the actionable rows (Rule 1): set each row's ``cmd`` and return label ->
    {client, kind, template | invoice}. A row without a client ``name`` (a refused
    command) and a paid invoice get no label."""
    labels: dict[str, dict[str, str]] = {}
    for kind, rows in (("needs", needs), ("next", upcoming), ("invoice", invoices)):
        for row in rows:
            if not row.get("name") or (kind == "invoice" and row.get("paid")):
                continue
            label = str(len(labels) + 1)
            row["cmd"] = label
            facts = {"client": row["name"], "kind": kind}
            if row.get("template"):
                facts["template"] = row["template"]
            if kind == "invoice":
                facts["invoice"] = row["number"]
            labels[label] = facts
    return labels


def _word(language: str, verb: str) -> str:
    return VERBS[verb][_VERB_INDEX.get(language, 0)]


def help_line(w: Translator, token: str, labels: dict[str, dict[str, str]]) -> dict[str, str]:
    """The summary's last lines: how to reply, with examples in its language and key."""
    first = next(iter(labels), "1")
    client = next((f["client"] for f in labels.values()), "Acme")
    invoice = next((f["invoice"] for f in labels.values() if "invoice" in f), "")
    examples = [f"{_word(w.language, 'skip')} {first}", f"{_word(w.language, 'hold')} {client}"]
    if invoice:
        examples.append(f"{_word(w.language, 'paid')} {invoice}")
    # Quotation marks are the language's own: Georgian writes „…“.
    quoted = [w.pgettext("quote", "“{text}”", text=e) for e in examples]
    return {
        "help": w._(
            "To act on a numbered line, reply to this email with one command per line, "
            "such as {examples}, and keep this key in your reply:",
            examples=SEPARATOR.join(quoted),
        ),
        "key": f"gw-{token}",
    }


REFUSALS = ("sender", "no key", "old key", "used key", "replay", "lost")


def refusal_text(w: Translator, code: str, sender: str) -> str:
    """Why a reply to the summary was not acted on, for the next summary."""
    texts = {
        "sender": lambda: w._(
            "A reply from {sender}, which is not your address: ignored.", sender=sender
        ),
        "no key": lambda: w._(
            "A reply without this summary's key (or with it only in the quoted text): ignored.",
            sender=sender,
        ),
        "old key": lambda: w._("A reply with the key of an older summary: ignored.", sender=sender),
        "used key": lambda: w._(
            "A second reply with a key that was already used: ignored.", sender=sender
        ),
        "replay": lambda: w._(
            "A reply seen before (the same Message-ID) arrived again: ignored.", sender=sender
        ),
        "lost": lambda: w._(
            "A reply could not be read from the mailbox: nothing was done.", sender=sender
        ),
    }
    return texts[code]() if code in texts else code


@dataclass(frozen=True, slots=True)
class Outcome:
    """One line of a reply and what came of it: ``done`` (what was done, said in the
    reader's words) or ``error`` (why not)."""

    line: str
    done: str = ""
    error: str = ""


def answer_text(w: Translator, outcomes: Sequence[Outcome]) -> str:
    """The plain-text answer to a reply: each line with what was done or why not."""
    done = [o for o in outcomes if o.done]
    failed = [o for o in outcomes if o.error]
    parts = [w._("Hello,"), ""]
    if done:
        parts.append(w._("Done:"))
        parts += [f"* {o.line}: {o.done}" for o in done]
        parts.append("")
    if failed:
        parts.append(w._("Not done:"))
        parts += [f"* {o.line}: {o.error}" for o in failed]
        parts.append("")
    if not outcomes:
        parts += [w._("Your reply held no command; nothing was done."), ""]
    parts.append(w._("Nothing else changed. — ghostwatch"))
    return "\n".join(parts) + "\n"


def said(w: Translator, verb: str, **values: str) -> str:
    """What a command did, for the answer (``values``: client, template, until, ...)."""
    texts = {
        "skip": lambda: w._(
            "the {template} due {when} is skipped; it will not be sent, and the "
            "ladder offers it again later.",
            **values,
        ),
        "hold": lambda: w._("no nudges to {client} until you resume them.", **values),
        "snooze": lambda: w._("no nudges to {client} until {until}.", **values),
        "resume": lambda: w._("nudges to {client} resume.", **values),
        "paid": lambda: w._("invoice {invoice} of {client} is marked paid.", **values),
        "expect": lambda: w._(
            "invoice {invoice} of {client} is expected by {day}; no reminder before then.",
            **values,
        ),
        "expect deadline": lambda: w._(
            "{what} from {client} is expected by {day}; no reminder before then.", **values
        ),
        "expect cleared": lambda: w._(
            "no promise on record for {what} of {client}; the usual reminders apply.",
            **values,
        ),
        "pause": lambda: w._("all sending is paused.", **values),
        "unpause": lambda: w._("sending goes on again.", **values),
        "send": lambda: w._(
            "the {template} for {client} may go out now, outside the send window; "
            "min_gap, a reply and every other safety rule still apply.",
            **values,
        ),
    }
    return texts[verb]()


def error_text(w: Translator, code: str, **values: str) -> str:
    """Why a command was not done, for the answer."""
    texts = {
        "unknown": lambda: w._("not a command ghostwatch knows.", **values),
        "no target": lambda: w._("which line or client? Add its number or name.", **values),
        "send needs now": lambda: w._("say “send {target} now”.", **values),
        "bad duration": lambda: w._(
            "a duration such as 2w or 10d, or a date (YYYY-MM-DD), is needed.", **values
        ),
        "expect needs client, invoice and date": lambda: w._(
            "say “expect CLIENT INVOICE YYYY-MM-DD” (or a deadline, or “clear”).", **values
        ),
        "unknown target": lambda: w._("no line or client “{target}” in that summary.", **values),
        "ambiguous": lambda: w._(
            "“{target}” names more than one client; use the line number.", **values
        ),
        "failed": lambda: w._("could not be done: {error}", **values),
        "no invoice": lambda: w._("{invoice} is not an unpaid invoice of that client.", **values),
        "which invoice": lambda: w._(
            "{client} has more than one open invoice (or none); name it.", **values
        ),
        "no nudge": lambda: w._("nothing is planned for {client}.", **values),
        "past": lambda: w._("{day} is in the past.", **values),
        "taken": lambda: w._(
            "that nudge is already on its way; it can no longer be skipped.", **values
        ),
        "held": lambda: w._(
            "the next nudge to {client} is held by a safety rule; the summary says which.",
            **values,
        ),
        "not due": lambda: w._(
            "the {template} is not due before {when}; “send now” only lifts the wait for "
            "the send window.",
            **values,
        ),
    }
    return texts[code]() if code in texts else code
