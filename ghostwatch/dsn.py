"""Full-message refinement for ``classify.classify_body``: bounce recipients, ARF, OOO dates.

PURE: bytes in, Classification out; no I/O, no clock.

Invariants:
- Rule 1: never raises; unusable input returns ``first`` with ``needs_body=False``.
- Rule 2: ``bounced`` holds only permanent failures. In an RFC 3464 DSN that is
  ``Action: failed`` with a 5.x.x status other than "mailbox full" (x.2.2) and "mail
  system full" (x.3.1), which servers also send for conditions that clear. A failed
  block with no status counts as permanent (RFC 3464: "failed" is final).
- Rule 3: non-DSN bounces go through flufl.bounce's vendor detectors; their
  "permanent" set is dropped when the text reads like a temporary condition (quota,
  delay, "will retry") and names no permanent one (unknown user ...).
- Rule 4: a message whose body holds an ARF ``message/feedback-report`` is BULK.
"""

from __future__ import annotations

import email
import html
import re
from collections.abc import Iterable
from dataclasses import replace
from email.message import Message

from flufl.bounce import all_failures

from ghostwatch.domain import Classification, Envelope, Kind, normalise_address
from ghostwatch.ooo import parse_return_date

__all__ = ["refine"]

_SOFT_DETAILS = frozenset({(2, 2), (3, 1)})
_STATUS = re.compile(r"\s*([245])\.(\d{1,3})\.(\d{1,3})")
_SOFT_TEXT = re.compile(
    r"mailbox (?:is )?full|over quota|quota exceeded|exceeded (?:the|their|its) quota"
    r"|temporar|try again later|will (?:be )?retr|still trying|delivery (?:has been )?delayed"
    r"|\(delay\)|has not yet been delivered|warning: message",
    re.IGNORECASE,
)
_HARD_TEXT = re.compile(
    r"user unknown|unknown user|no such (?:user|mailbox|address)|does not exist"
    r"|mailbox (?:not found|unavailable)|invalid (?:recipient|mailbox|address)"
    r"|address rejected|not our customer|account (?:has been )?disabled|\b5\.1\.[0-3]\b",
    re.IGNORECASE,
)
_QUOTE_START = re.compile(
    r"^(?:-{2,}\s*(?:original|ursprüngliche|message d'origine|mensaje original"
    r"|messaggio originale|oorspronkelijk|исходное)|>|on .{0,100} wrote:|from:\s)",
    re.IGNORECASE | re.MULTILINE,
)
_TAG = re.compile(r"<(?:style|script)\b.*?</(?:style|script)>|<[^>]+>", re.DOTALL | re.IGNORECASE)
_MAX_TEXT = 20_000


def refine(raw: bytes, first: Classification, env: Envelope) -> Classification:
    """See ``classify.classify_body``."""
    done = replace(first, needs_body=False)
    if first.kind not in (Kind.BOUNCE, Kind.AUTO_REPLY):
        return done
    try:
        msg = email.message_from_bytes(bytes(raw))
        if first.kind is Kind.BOUNCE or _dsn_blocks(msg):
            return _refine_bounce(msg, done)
        return _refine_auto_reply(msg, done, env)
    # The body is arbitrary bytes run through the stdlib parser and flufl.bounce's
    # heuristics (which re-raise whatever a detector raises): Rule 1 needs a wide net.
    except Exception:
        return done


def _refine_bounce(msg: Message, done: Classification) -> Classification:
    if _has_part(msg, "message/feedback-report"):
        return replace(done, kind=Kind.BULK, reason="ARF feedback report", bounced=())
    blocks = _dsn_blocks(msg)
    if blocks:
        hard = _unique(addr for addr, action, status in blocks if _is_hard(action, status))
        soft = len(blocks) - len(hard)
        return replace(done, kind=Kind.BOUNCE, bounced=hard,
                       reason=f"DSN: {len(hard)} permanent, {soft} other")  # fmt: skip
    _temporary, permanent = all_failures(msg)
    found = _unique(a.decode("ascii", "replace") for a in permanent) or done.bounced
    text = _text(msg)
    if found and _SOFT_TEXT.search(text) and not _HARD_TEXT.search(text):
        return replace(done, bounced=(), reason=done.reason + "; temporary failure")
    return replace(done, bounced=found, reason=done.reason + f"; {len(found)} permanent")


def _refine_auto_reply(msg: Message, done: Classification, env: Envelope) -> Classification:
    if done.away_until is not None or env.date is None:
        return done
    body = _text(msg)
    quote = _QUOTE_START.search(body)
    text = f"{env.subject}\n{body[: quote.start()] if quote else body}"
    return replace(done, away_until=parse_return_date(text, sent=env.date))


def _dsn_blocks(msg: Message) -> list[tuple[str, str, str]]:
    """(recipient, action, status) for each per-recipient block of every DSN part."""
    out: list[tuple[str, str, str]] = []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        for block in payload if isinstance(payload, list) else []:
            if not isinstance(block, Message):
                continue
            recipient = _recipient(block)
            if recipient:
                action = str(block.get("action", "")).strip().lower()
                out.append((recipient, action, str(block.get("status", ""))))
    return out


def _recipient(block: Message) -> str:
    for field in ("original-recipient", "final-recipient", "x-actual-recipient"):
        value = str(block.get(field, ""))
        address = value.rpartition(";")[2].strip().strip("<>").strip()
        if "@" in address:
            return normalise_address(address)
    return ""


def _is_hard(action: str, status: str) -> bool:
    if not action.startswith(("fail", "error")):
        return False
    found = _STATUS.match(status)
    if found is None:
        return True
    klass, subject, detail = (int(g) for g in found.groups())
    return klass == 5 and (subject, detail) not in _SOFT_DETAILS


def _unique(addresses: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for address in addresses:
        norm = normalise_address(address)
        if "@" in norm:
            seen.setdefault(norm)
    return tuple(seen)


def _has_part(msg: Message, content_type: str) -> bool:
    return any(part.get_content_type() == content_type for part in msg.walk())


def _text(msg: Message) -> str:
    """The first text/plain part (else text/html without tags), decoded, capped."""
    html_part: Message | None = None
    for part in msg.walk():
        ctype = part.get_content_type()
        if part.get_content_disposition() == "attachment":
            continue
        if ctype == "text/plain":
            return decode_part(part)[:_MAX_TEXT]
        if ctype == "text/html" and html_part is None:
            html_part = part
    if html_part is None:
        return ""
    return html.unescape(_TAG.sub(" ", decode_part(html_part)[: _MAX_TEXT * 4]))[:_MAX_TEXT]


def decode_part(part: Message) -> str:
    """Return a MIME part's payload as text in its declared charset ("replace" on bad
    bytes; UTF-8 when the charset is unknown); "" when it has no bytes."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")
