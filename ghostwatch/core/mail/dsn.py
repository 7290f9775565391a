"""Full-message refinement for ``classify.classify_body``: bounce recipients, ARF, OOO dates.

PURE: bytes in, Classification out; no I/O, no clock. Whole messages are read with
mail-parser (``message_body``); nothing here walks or decodes MIME parts by hand.

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
- Rule 5: a *suspected* bounce (``Classification.bounce_suspect``) becomes BOUNCE only
  on evidence in the body: DSN fields, an Amazon SES notice, a flufl.bounce hit, or a
  failure phrase next to the returned original. Without it the kind stays what the
  headers said (a person's "Delivery failed, can you resend?" stays HUMAN). A bounce a
  person forwards marks nobody bouncing: the failure was theirs, not ours.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import replace
from email.message import Message
from functools import cached_property

import mailparser
from flufl.bounce import all_failures

from ghostwatch.core.domain import Classification, Envelope, Kind, normalise_address
from ghostwatch.core.mail.ooo import parse_return_date

__all__ = ["Body", "message_body", "refine"]

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


class Body:
    """A whole message, read lazily: ``raw_text`` (for DSN fields, read as text: RFC
    3464) and ``content_types`` (every part's declared type, nested ones included)
    come from the bytes; ``text`` (the first plain-text part, else the first HTML part
    without tags) and ``message`` (the parsed tree, for flufl.bounce) from mail-parser,
    which runs only when one of them is asked for: a DSN needs neither, and
    mail-parser costs ~1 ms a message (bench/initial_scan.py reads every bounce)."""

    def __init__(self, raw: bytes, *, html_fallback: bool = True, limit: int = _MAX_TEXT):
        self._raw = bytes(raw)
        self._html_fallback = html_fallback
        self._limit = limit

    @cached_property
    def raw_text(self) -> str:
        return self._raw.decode("utf-8", "replace")

    @cached_property
    def content_types(self) -> frozenset[str]:
        return frozenset(_DECLARED_TYPE.findall(self.raw_text.lower()))

    @property
    def text(self) -> str:
        return self._parsed[0]

    @property
    def message(self) -> Message | None:
        return self._parsed[1]

    @cached_property
    def _parsed(self) -> tuple[str, Message | None]:
        """mail-parser's reading. Bad charsets and transfer encodings decode with
        replacement; a message it cannot read at all gives ("", None). Never raises
        (mail-parser re-raises whatever the stdlib parser and codecs raise)."""
        try:
            mail = mailparser.parse_from_bytes(self._raw)
            plain, html_parts = list(mail.text_plain), list(mail.text_html)
            message = mail.message
        except Exception:
            return "", None
        limit = self._limit
        if plain:
            return plain[0][:limit], message
        if html_parts and self._html_fallback:
            return html.unescape(_TAG.sub(" ", html_parts[0][: limit * 4]))[:limit], message
        return "", message


def message_body(raw: bytes, *, html_fallback: bool = True, limit: int = _MAX_TEXT) -> Body:
    """``raw`` as a Body (read by mail-parser when its text or tree is used). Never
    raises, nor does any attribute of the Body."""
    return Body(raw, html_fallback=html_fallback, limit=limit)


# every part's declared type, nested ones included (a DSN carries the original inside)
_DECLARED_TYPE = re.compile(r"^content-type:\s*([\w.+-]+/[\w.+-]+)", re.MULTILINE)


def refine(raw: bytes, first: Classification, env: Envelope) -> Classification:
    """See ``classify.classify_body``."""
    done = replace(first, needs_body=False, bounce_suspect=False)
    if first.kind not in (Kind.BOUNCE, Kind.AUTO_REPLY) and not first.bounce_suspect:
        return done
    try:
        body = message_body(raw)
        blocks = _dsn_blocks(body.raw_text)
        if first.kind is Kind.BOUNCE:
            return _refine_bounce(body, blocks, done)
        if first.bounce_suspect:
            evidence = _bounce_evidence(body, blocks, person=first.kind is Kind.HUMAN)
            if evidence is not None:
                reason = f"{done.reason}; body: {evidence}"
                bounce = _refine_bounce(
                    body, blocks, replace(done, kind=Kind.BOUNCE, reason=reason)
                )
                # a person forwarding a bounce: their failure, nobody of ours bounced
                return replace(bounce, bounced=()) if first.kind is Kind.HUMAN else bounce
        if first.kind is Kind.AUTO_REPLY:
            return _refine_auto_reply(body, done, env)
        return done
    # The body is arbitrary bytes run through mail-parser and flufl.bounce's heuristics
    # (which re-raise whatever a detector raises): Rule 1 needs a wide net.
    except Exception:
        return done


_FAILURE_TEXT = re.compile(
    r"could not be delivered|undeliverable|delivery (?:has )?failed|permanent(?:ly)? fatal"
    r"|failed permanently|delivery to the following recipients? failed|returned to sender"
    r"|message (?:was )?not delivered|mailbox (?:is )?(?:full|unavailable)",
    re.IGNORECASE,
)
_ORIGINAL_TYPES = frozenset({"message/rfc822", "text/rfc822-headers", "message/global"})


def _bounce_evidence(body: Body, blocks: list[tuple[str, str, str]], *, person: bool) -> str | None:
    """Rule 5: what in the body shows a suspected bounce is one, or None. From a
    person's address (``person``) wording is never enough, only a report's own fields:
    "the delivery failed, here is the mail again" with the mail attached stays human."""
    if blocks:
        return f"DSN fields for {len(blocks)} recipient(s)"
    if _ses_notice(body.text) == "Bounce":  # not "Delivery": that one says it arrived
        return "Amazon SES bounce notice"
    if body.message is not None:
        temporary, permanent = all_failures(body.message)
        if _unique(a.decode("ascii", "replace") for a in temporary | permanent):
            return "flufl.bounce"
    if person:
        return None
    if _FAILURE_TEXT.search(body.text) and body.content_types & _ORIGINAL_TYPES:
        return "failure notice with the returned message"
    return None


_SES_TYPE = re.compile(r'"notificationType"\s*:\s*"(\w+)"')
_SES_BOUNCE_TYPE = re.compile(r'"bounceType"\s*:\s*"(\w+)"')
_SES_RECIPIENTS = re.compile(r'"bouncedRecipients"\s*:\s*\[(.*?)\]', re.DOTALL)
_SES_ADDRESS = re.compile(r'"emailAddress"\s*:\s*"([^"]+)"')


def _ses_notice(text: str) -> str | None:
    """The notificationType of an Amazon SES notice (SNS email: JSON, sometimes itself
    quoted inside JSON, often wrapped mid-token by the mailer), else None. Read with
    patterns rather than ``json``: the wrapped notices do not parse."""
    if "notificationType" not in text:
        return None
    found = _SES_TYPE.search(text.replace('\\"', '"'))
    return found.group(1) if found else None


def _ses_bounce(body: Body, done: Classification) -> Classification | None:
    kind = _ses_notice(body.text)
    if kind == "Complaint":
        return replace(done, kind=Kind.BULK, reason="Amazon SES complaint notice", bounced=())
    if kind != "Bounce":
        return None
    text = body.text.replace('\\"', '"')
    bounce_type = _SES_BOUNCE_TYPE.search(text)
    recipients = _SES_RECIPIENTS.search(text)
    found: tuple[str, ...] = ()
    if bounce_type and bounce_type.group(1) == "Permanent" and recipients:
        found = _unique(_SES_ADDRESS.findall(recipients.group(1)))
    return replace(done, kind=Kind.BOUNCE, bounced=found,
                   reason=f"Amazon SES notice: {len(found)} permanent")  # fmt: skip


def _refine_bounce(
    body: Body, blocks: list[tuple[str, str, str]], done: Classification
) -> Classification:
    if "message/feedback-report" in body.content_types:
        return replace(done, kind=Kind.BULK, reason="ARF feedback report", bounced=())
    if blocks:
        hard = _unique(addr for addr, action, status in blocks if _is_hard(action, status))
        soft = len(blocks) - len(hard)
        return replace(done, kind=Kind.BOUNCE, bounced=hard,
                       reason=f"DSN: {len(hard)} permanent, {soft} other")  # fmt: skip
    ses = _ses_bounce(body, done)
    if ses is not None:
        return ses
    permanent: Iterable[bytes] = ()
    if body.message is not None:
        _temporary, permanent = all_failures(body.message)
    found = _unique(a.decode("ascii", "replace") for a in permanent) or done.bounced
    if found and _SOFT_TEXT.search(body.text) and not _HARD_TEXT.search(body.text):
        return replace(done, bounced=(), reason=done.reason + "; temporary failure")
    return replace(done, bounced=found, reason=done.reason + f"; {len(found)} permanent")


def _refine_auto_reply(body: Body, done: Classification, env: Envelope) -> Classification:
    sent = env.date or env.received  # a Date-less notice: when the server got it
    if done.away_until is not None or sent is None:
        return done
    quote = _QUOTE_START.search(body.text)
    text = f"{env.subject}\n{body.text[: quote.start()] if quote else body.text}"
    return replace(done, away_until=parse_return_date(text, sent=sent))


_PARAGRAPH = re.compile(r"\n[ \t>]*\n")
_QUOTE_PREFIX = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.MULTILINE)
_FIELD = re.compile(r"^([A-Za-z][\w-]*)[ \t]*:[ \t]*(.*)$", re.MULTILINE)
_RECIPIENT_FIELDS = ("original-recipient", "final-recipient", "x-actual-recipient")


def _dsn_blocks(raw_text: str) -> list[tuple[str, str, str]]:
    """(recipient, action, status) for each RFC 3464 per-recipient block in the text:
    a paragraph with a recipient field and an Action or Status field. Read as text, so
    a DSN forwarded or quoted ("> Action: failed") is found too."""
    if "recipient" not in raw_text.lower():
        return []
    text = _QUOTE_PREFIX.sub("", raw_text.replace("\r\n", "\n"))
    out: list[tuple[str, str, str]] = []
    for paragraph in _PARAGRAPH.split(text):
        fields: dict[str, str] = {}
        for name, value in _FIELD.findall(paragraph):
            fields.setdefault(name.lower(), value.strip())
        recipient = _recipient(fields)
        if recipient and ("action" in fields or "status" in fields):
            out.append((recipient, fields.get("action", "").lower(), fields.get("status", "")))
    return out


def _recipient(fields: dict[str, str]) -> str:
    for field in _RECIPIENT_FIELDS:
        address = fields.get(field, "").rpartition(";")[2].strip().strip("<>").strip()
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


_ADDRESS = re.compile(r"[^\s\"'{}\[\]<>(),;:@\\]+@[^\s\"'{}\[\]<>(),;:@\\]+")


def _unique(addresses: Iterable[str]) -> tuple[str, ...]:
    """The well-formed addresses among ``addresses``, normalised, first seen first
    (flufl.bounce's vendor patterns sometimes capture a whole line of JSON)."""
    seen: dict[str, None] = {}
    for address in addresses:
        norm = normalise_address(address)
        if _ADDRESS.fullmatch(norm):
            seen.setdefault(norm)
    return tuple(seen)
