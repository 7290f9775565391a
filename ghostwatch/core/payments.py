"""Invoices seen from the mailbox: which open invoices a message says were paid, and
what ``status`` and the summary say about each invoice and deadline.

PURE: strings, header facts and domain values in, plain data out; no I/O, no clock.

Rules it keeps (docs/behaviour.md, "Invoices"):
1. A message is a payment notice for an account when one of its ``payment_matchers``
   matches it whole: the ``from`` regex against the sender, and every other regex the
   matcher gives (``subject``, ``body``) against that part (``re.search``).
2. A payment notice pays only the invoices it NAMES: an open invoice's number must
   appear in the subject or body as a whole token -- "INV-14" does not name
   "INV-141" nor "INV-14-2". Case and runs of white space are not significant
   ("retainer 2026-11" matches "RETAINER  2026-11"). A notice naming no open
   invoice pays nothing: a bank's "payment received" alone is not evidence of which.
3. Only the sender is needed to decide whether a message is worth reading
   (``sender_matches``), so the shell fetches bodies of candidate messages only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from ghostwatch.core.domain import ClientState, Decision, Envelope
from ghostwatch.core.mail.dsn import message_body
from ghostwatch.core.standing import ladder_records, paused_invoices


class PaymentMatcher(Protocol):
    """What a payment matcher is to the core: compiled ``from``, ``subject``, ``body``
    regexes (``config.accounts.PaymentMatcher`` validates and compiles them)."""

    @property
    def from_(self) -> re.Pattern[str]: ...
    @property
    def subject(self) -> re.Pattern[str] | None: ...
    @property
    def body(self) -> re.Pattern[str] | None: ...


__all__ = [
    "deadline_rows",
    "invoice_rows",
    "match_payment",
    "message_text",
    "names_invoice",
    "sender_matches",
]

_MAX_TEXT = 64_000  # characters of a body searched: bank notices are short


def _senders(env: Envelope) -> tuple[str, ...]:
    """The forms of the sender a ``from`` regex is tried against: the bare address,
    and ``Name <address>`` when there is a display name."""
    if env.from_name:
        return env.from_addr, f"{env.from_name} <{env.from_addr}>"
    return (env.from_addr,)


def sender_matches(matchers: Sequence[PaymentMatcher], env: Envelope) -> bool:
    """True when the sender of ``env`` matches some matcher's ``from`` regex (so the
    message may be a payment notice and its body is worth fetching)."""
    if not env.from_addr:
        return False
    return any(m.from_.search(form) for m in matchers for form in _senders(env))


def _matches(matcher: PaymentMatcher, env: Envelope, body: str) -> bool:
    if not env.from_addr or not any(matcher.from_.search(form) for form in _senders(env)):
        return False
    if matcher.subject is not None and not matcher.subject.search(env.subject):
        return False
    return matcher.body is None or matcher.body.search(body) is not None


def _token_pattern(number: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in number.split()]
    # Not glued to a letter/digit on either side, nor to "-<letter/digit>" (INV-14-2).
    return re.compile(r"(?<!\w)(?<!\w-)" + r"\s+".join(words) + r"(?!-?\w)", re.IGNORECASE)


def names_invoice(number: str, text: str) -> bool:
    """True when ``text`` names invoice ``number`` as a whole token (rule 2)."""
    return bool(number.strip()) and _token_pattern(number).search(text) is not None


def match_payment(
    matchers: Sequence[PaymentMatcher],
    env: Envelope,
    body_text: str,
    open_invoices: Iterable[str],
) -> list[str]:
    """Return the numbers among ``open_invoices`` that message ``env`` (with decoded
    body ``body_text``) confirms paid, in the order given, without duplicates.

    Empty when no matcher matches the message whole (rule 1) or the message names
    none of the numbers (rule 2).
    """
    if not any(_matches(m, env, body_text) for m in matchers):
        return []
    text = f"{env.subject}\n{body_text[:_MAX_TEXT]}"
    numbers = dict.fromkeys(open_invoices)
    return [n for n in numbers if names_invoice(n, text)]


def message_text(raw: bytes, *, html_fallback: bool = True) -> str:
    """Return the first text/plain part of message ``raw``, decoded by mail-parser
    (declared charset, else UTF-8, bad bytes replaced); without one, the first
    text/html part with its tags removed (unless ``html_fallback`` is false).
    Attachments are skipped; a message that cannot be parsed gives "". Never raises."""
    return message_body(raw, html_fallback=html_fallback, limit=_MAX_TEXT).text


# --- status and summary rows ---------------------------------------------------------


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z") if at else None


def _steps_sent(client: ClientState, ladder: str, anchor: str) -> int:
    return max((r.step for r in ladder_records(client, ladder, anchor)), default=0)


def _next_step(
    client: ClientState, decisions: Sequence[Decision], ladder: str, anchor: str
) -> dict[str, Any] | None:
    """The pending decision of one ladder instance of ``client`` as ``{template, step,
    action, at, reason}``; None when the ladder has ended (paid, met, all steps sent)."""
    for d in decisions:
        if (d.client, d.ladder, d.anchor) == (client.name, ladder, anchor):
            return {
                "template": d.template,
                "step": d.step,
                "action": d.action.value,
                "at": _iso(d.at),
                "reason": d.reason,
            }
    return None


def invoice_rows(client: ClientState, decisions: Sequence[Decision]) -> list[dict[str, Any]]:
    """Return one row per invoice of ``client`` (by due date, then number) for
    ``status --json`` and the daily summary: ``number``, ``amount``, ``due`` (ISO
    date), ``paid``, ``replied_at`` (the client's latest human message since the due
    date, which pauses chasing), ``steps_sent``, ``next_step`` (see ``_next_step``)
    and ``note`` -- "Acme replied about INV-014 — check" while an unpaid invoice has
    a reply, else None; ``paused_since`` (ISO) when its ladder ran out unpaid and work
    is paused (``next_step`` is then None: nothing more goes out about it);
    ``expected_by`` (ISO date) and ``promise`` (the sentence) while the client's
    promise to pay is on record (docs/promises.md), the note then quoting it.
    ``decisions`` are ``policy.decide``'s for the account."""
    paused = {inv.number: since for inv, since in paused_invoices(client)}
    rows = []
    for inv in sorted(client.invoices, key=lambda i: (i.due, i.number)):
        anchor = inv.due.isoformat()
        replied = inv.replied_at if not inv.paid else None
        waiting = not inv.paid and inv.number not in paused
        promised = inv.expected_by if not inv.paid else None
        note = f"{client.name} replied about {inv.number} — check" if replied else None
        if promised is not None:
            said = f"'{inv.promise}' → " if inv.promise else ""
            note = f"{client.name}: {said}expected by {promised:%a %d %b}"
        rows.append(
            {
                "number": inv.number,
                "amount": inv.amount,
                "due": anchor,
                "paid": inv.paid,
                "replied_at": _iso(inv.replied_at),
                "steps_sent": _steps_sent(client, inv.key, anchor),
                "next_step": _next_step(client, decisions, inv.key, anchor) if waiting else None,
                "note": note,
                "paused_since": _iso(paused.get(inv.number)),
                "expected_by": promised.isoformat() if promised else None,
                "promise": inv.promise or None if promised else None,
            }
        )
    return rows


def deadline_rows(client: ClientState, decisions: Sequence[Decision]) -> list[dict[str, Any]]:
    """Return one row per deadline of ``client`` (by due date): ``what``, ``due``,
    ``met`` (the client wrote since the due date, or since their promise), ``steps_sent``,
    ``next_step``; ``expected_by`` (ISO date) and ``promise`` (the sentence) while the
    client's promise to deliver is on record and the deadline not met (docs/promises.md),
    else None."""
    rows = []
    for d in sorted(client.deadlines, key=lambda d: (d.due, d.what)):
        promised = d.expected_by if not d.met else None
        anchor = d.due.isoformat()
        rows.append(
            {
                "what": d.what,
                "due": anchor,
                "met": d.met,
                "steps_sent": _steps_sent(client, d.key, anchor),
                "next_step": None if d.met else _next_step(client, decisions, d.key, anchor),
                "expected_by": promised.isoformat() if promised else None,
                "promise": (d.promise or None) if promised else None,
            }
        )
    return rows
