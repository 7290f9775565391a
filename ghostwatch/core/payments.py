"""Invoices seen from the mailbox: which open invoices a message says were paid (what
``status`` says about each invoice and deadline is ``core.views``).

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
from typing import Protocol

from ghostwatch.core.domain import Envelope
from ghostwatch.core.mail.dsn import message_body


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
