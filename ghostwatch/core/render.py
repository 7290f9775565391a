"""Turn a Decision into the email that carries it. PURE: no I/O but template files, no clock.

Invariants:
- Rule 1: no header value we set can contain a control character (CR, LF, NUL, tab,
  U+2028...). Each is replaced by a space before the value reaches ``email``, so a
  hostile display name or subject can never inject a header (the stdlib itself only
  refuses such values from Python 3.11.10/3.12.5 on).
- Rule 2: a nudge answering a thread replies in it: ``In-Reply-To`` is the thread's
  Message-ID, ``References`` its references plus that id (deduplicated, bounded),
  ``Subject`` is ``reply_subject(thread.subject)``.
- Rule 3: a nudge with no thread (an invoice or deadline ladder that was never
  discussed by mail) takes its subject from the template: a first line
  ``Subject: ...`` (removed from the body, with the blank line after it). A template
  may always have that line; it is ignored when there is a thread to reply in.
- Rule 4: the Message-ID is the caller's, verbatim (it is stored before sending).
- Rule 5: nudges look like a person's follow-up: no ``Auto-Submitted`` (RFC 3834 would
  make the client's auto-responders stay silent, fine, but also marks the mail as
  machine-made to filters); instead ``X-Ghostwatch-Nudge`` lets our own sync tell a
  nudge from a hand-written message in Sent. It names the ladder and step for a human
  reader and, after ``slots=``, every slot the message holds and its template
  (``nudge_header``): enough to rebuild the outbox from Sent when the database is lost.
"""

from __future__ import annotations

import base64
import email.header
import email.policy
import email.utils
import json
import re
from datetime import date, datetime
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import Policy
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ghostwatch.core.domain import AccountState, ClientState, Deadline, Decision, Invoice, ThreadRef
from ghostwatch.core.human_dates import local_day
from ghostwatch.core.mail.addresses import parse_address
from ghostwatch.core.templates import TemplateSet

__all__ = [
    "NUDGE_HEADER",
    "POLICY",
    "is_own_message_id",
    "make_message_id",
    "nudge_header",
    "parse_nudge_header",
    "render_nudge",
    "reply_subject",
    "sanitize_header",
    "template_context",
]

NUDGE_HEADER = "X-Ghostwatch-Nudge"
MAX_REFERENCES = 20  # keep the first id (thread root) and the most recent ones

# Reply prefixes mail clients add, in several languages: Re, RE, Re[2], Re(2), "RE :",
# German AW, Scandinavian SV/VS, Dutch Antw, Polish Odp.
_REPLY_PREFIX = re.compile(
    r"^(?:\s*(?:re|aw|sv|vs|antw|odp)\s*(?:\[\d+\]|\(\d+\))?\s*:)+\s*", re.IGNORECASE
)
# Cc + Zl + Zp: C0/C1 controls, DEL, U+2028, U+2029 (some MUAs treat these as line breaks)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"\s+")
_MSG_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")  # visible ASCII but < and >, one @
_SUBJECT_LINE = re.compile(r"\ASubject:[ \t]*(?P<subject>[^\r\n]*)\r?\n(?:[ \t]*\r?\n)?")
_DOMAIN = re.compile(r"[A-Za-z0-9.-]+")
_OWN_ID = re.compile(r"<gw\.[0-9a-f]{32}@[A-Za-z0-9.-]+>")
_SLOTS = re.compile(r"slots=([A-Za-z0-9_\s-]+)")
_CHUNK = 60  # the token is split by spaces so the header folds without RFC 2047
_LEGACY = re.compile(r"^(?P<ladder>[^;]+); step=(?P<step>\d+)")
_TOKEN = re.compile(r"[A-Za-z0-9]+")


class _MessageIdListHeader(UnstructuredHeader, BaseHeader):
    """``References``/``In-Reply-To``: folded only between ids, never RFC 2047 encoded.

    The stdlib treats these as unstructured text and encodes a long id as
    ``=?utf-8?q?...?=``, which breaks threading in every mail client.
    """

    max_count = 1

    def fold(self, *, policy: Policy) -> str:
        limit = policy.max_line_length or 998
        lines = [f"{self.name}:"]
        for index, token in enumerate(str(self).split()):
            # the first id stays on the header line, however long (RFC 5322 allows 998)
            if index and len(lines[-1]) + 1 + len(token) > limit:
                lines.append("")
            lines[-1] += f" {token}"
        return policy.linesep.join(lines) + policy.linesep


def _policy() -> email.policy.EmailPolicy[EmailMessage]:
    registry = HeaderRegistry()
    registry.map_to_type("references", _MessageIdListHeader)
    registry.map_to_type("in-reply-to", _MessageIdListHeader)
    # SMTP policy: CRLF line ends, as both SMTP DATA and IMAP APPEND want them.
    return email.policy.SMTP.clone(header_factory=registry)


POLICY = _policy()
POLICY_UTF8 = POLICY.clone(utf8=True)  # RFC 6532 headers, for non-ASCII local parts


def sanitize_header(value: str) -> str:
    """Return ``value`` with every control character replaced by a space and runs of
    whitespace collapsed: safe to put in any header."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()


def reply_subject(subject: str) -> str:
    """Return ``subject`` with exactly one leading ``Re: ``.

    Any stack of reply prefixes (``Re:``, ``RE :``, ``Re[3]:``, ``AW:``, ``SV:``...) is
    replaced by a single ``Re: ``; forward prefixes are kept (a reply to "Fwd: x" is
    "Re: Fwd: x"). An empty subject gives ``"Re:"``, as mail clients do.
    """
    topic = _REPLY_PREFIX.sub("", sanitize_header(subject))
    return f"Re: {topic}" if topic else "Re:"


def make_message_id(domain: str, token: str) -> str:
    """Return ``<gw.{token}@{domain}>``.

    ``token`` is random (uuid4 hex) and stored by the caller *before* sending, so an
    unknown outcome can be resolved by finding this id in Sent. Raise ``ValueError``
    unless ``token`` is alphanumeric and ``domain`` a plain host name.
    """
    if not _TOKEN.fullmatch(token):
        raise ValueError(f"Message-ID token must be alphanumeric: {token!r}")
    if not _DOMAIN.fullmatch(domain):
        raise ValueError(f"Message-ID domain must be a host name: {domain!r}")
    return f"<gw.{token}@{domain.lower()}>"


def is_own_message_id(message_id: str | None) -> bool:
    """True for a Message-ID of the form ``make_message_id`` produces (a nudge of ours)."""
    return message_id is not None and _OWN_ID.fullmatch(message_id.strip()) is not None


Slot = tuple[str, str, int]


def nudge_header(decision: Decision) -> str:
    """Return the ``X-Ghostwatch-Nudge`` value for ``decision``'s message:
    ``<ladder>; step=<n>; slots=<base64url JSON of the template and every slot>``,
    the token in space-separated chunks (a long word would be RFC 2047 encoded)."""
    data = {"t": decision.template or "", "s": [list(s) for s in decision.slots]}
    token = base64.urlsafe_b64encode(json.dumps(data, ensure_ascii=True).encode()).decode()
    token = token.rstrip("=")
    chunks = " ".join(token[i : i + _CHUNK] for i in range(0, len(token), _CHUNK))
    return f"{decision.ladder}; step={decision.step}; slots={chunks}"


def parse_nudge_header(value: str, in_reply_to: str | None) -> tuple[str, list[Slot]] | None:
    """Return ``(template, slots)`` from an ``X-Ghostwatch-Nudge`` value, or None if it
    says too little. A value from before ``slots=`` (``silence; step=2``) gives the
    silence slot anchored on the message it answered, template unknown ("")."""
    try:
        value = str(email.header.make_header(email.header.decode_header(value)))
    except (ValueError, LookupError, UnicodeError):
        return None
    found = _SLOTS.search(value)
    if found is not None:
        token = _SPACES.sub("", found.group(1))
        try:
            data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            slots = [(str(a), str(b), int(c)) for a, b, c in data["s"]]
            return str(data.get("t", "")), slots
        except (ValueError, KeyError, TypeError):
            return None
    legacy = _LEGACY.match(value)
    if legacy is None or legacy["ladder"] != "silence" or not in_reply_to:
        return None
    return "", [("silence", in_reply_to.strip(), int(legacy["step"]))]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def template_context(
    decision: Decision, client: ClientState, account: AccountState, now: datetime
) -> dict[str, Any]:
    """Return the variables of docs/templates.md for rendering ``decision``'s template.

    ``client`` (``name``, ``first_name``: the person's first name, "" when unknown:
    templates then greet neutrally, never by the company name),
    ``account`` (``display_name``, ``address``), ``thread`` (``subject`` without reply
    prefixes, ``last_sent_at`` as a date for humans, ``sent_at`` aware datetime; or
    ``None``), ``days_silent`` (whole days since our last message, 0 if unknown),
    ``step``, ``language``, and ``invoice`` / ``deadline`` (``None`` when the
    decision is about neither). One message may carry several due steps: ``invoices``
    and ``deadlines`` list all it is about (``invoice``/``deadline`` are the first of
    each). ``close_on``: the local day the client will be marked ghosted (silence
    ladder; else ``None``), written in the client's language. ``returned``: true when
    the step follows an out-of-office ("welcome back"). Names and subjects are
    single-line (control characters replaced by spaces). Dates are written in the
    client's language, in the client's time zone.
    """
    lang = client.language
    zone = _zone(client.rules.timezone)
    thread = decision.thread
    last_out = thread.sent_at if thread is not None else client.last_outbound
    signature = dict(account.display_names).get(lang, account.display_name)
    today = now.astimezone(zone).date()
    invoices = [_invoice_vars(inv, today, lang) for inv in decision.invoices]
    deadlines = [_deadline_vars(dl, today, lang) for dl in decision.deadlines]
    return {
        "client": {
            "name": sanitize_header(client.name),
            "first_name": sanitize_header(client.first_name),
        },
        "account": {
            "display_name": sanitize_header(signature),
            "address": sanitize_header(account.address),
        },
        "thread": _thread_vars(thread, zone, lang) if thread is not None else None,
        "days_silent": max((now - last_out).days, 0) if last_out is not None else 0,
        "step": decision.step,
        "language": lang,
        "invoice": next(iter(invoices), None),
        "deadline": next(iter(deadlines), None),
        "invoices": invoices,
        "deadlines": deadlines,
        "close_on": local_day(decision.close_on, lang) if decision.close_on else None,
        "returned": decision.returned,
    }


def _thread_vars(thread: ThreadRef, zone: ZoneInfo, language: str) -> dict[str, Any]:
    return {
        "subject": _REPLY_PREFIX.sub("", sanitize_header(thread.subject)),
        "last_sent_at": local_day(thread.sent_at.astimezone(zone).date(), language),
        "sent_at": thread.sent_at,
    }


def _invoice_vars(inv: Invoice, today: date, language: str) -> dict[str, Any]:
    return {
        "number": sanitize_header(inv.number),
        "amount": sanitize_header(inv.amount),
        **_due_vars(inv.due, today, language),
        # the day the client promised to pay by (docs/promises.md), or None
        "promised": local_day(inv.expected_by, language) if inv.expected_by else None,
    }


def _deadline_vars(dl: Deadline, today: date, language: str) -> dict[str, Any]:
    return {
        "what": sanitize_header(dl.what),
        **_due_vars(dl.due, today, language),
        # the day the client promised to deliver by (docs/promises.md), or None
        "promised": local_day(dl.expected_by, language) if dl.expected_by else None,
    }


def _due_vars(due: date, today: date, language: str) -> dict[str, Any]:
    return {
        "due": local_day(due, language),
        "due_date": due,
        "days_overdue": max((today - due).days, 0),
    }


def _split_subject(text: str) -> tuple[str | None, str]:
    """Return ``(subject or None, body)`` per Rule 3."""
    match = _SUBJECT_LINE.match(text)
    if match is None:
        return None, text
    return match["subject"], text[match.end() :]


def _fallback_subject(decision: Decision) -> str:
    """The subject of a threadless nudge whose template has none: single-line (Rule 1)
    and never empty, whatever the configured invoice number or deadline holds."""
    if decision.invoices:
        numbers = ", ".join(sanitize_header(i.number) for i in decision.invoices)
        subject = f"Invoice {numbers}"
    elif decision.deadline is not None:
        subject = sanitize_header(decision.deadline.what)
    else:
        subject = ""
    return subject or "Following up"


def _address(display_name: str, addr: str, what: str) -> Address:
    """Return the header value for ``addr``: any legal addr-spec (quoted local part,
    UTF-8 local part, internationalised domain written as IDNA A-labels; see
    ``addresses``). Raise ``ValueError`` naming ``what`` if it is not one."""
    try:
        parsed = parse_address(addr)
    except ValueError as exc:
        raise ValueError(f"{what} is not a usable email address: {exc}") from None
    return parsed.header(sanitize_header(display_name))


def _references(references: tuple[str, ...], parent: str) -> list[str]:
    """Return valid, deduplicated ids ending with ``parent``, at most MAX_REFERENCES."""
    ids = [sanitize_header(r) for r in (*references, parent)]
    unique = list(dict.fromkeys(i for i in ids if _MSG_ID.fullmatch(i)))
    if len(unique) > MAX_REFERENCES:
        unique = [unique[0], *unique[-(MAX_REFERENCES - 1) :]]
    return unique


def render_nudge(
    decision: Decision,
    client: ClientState,
    account: AccountState,
    templates: TemplateSet,
    *,
    message_id: str,
    now: datetime,
) -> EmailMessage:
    """Return the nudge for ``decision``, ready for SMTP or IMAP APPEND (policy ``POLICY``).

    From ``account``, To ``decision.to_addr``, threading and subject per Rules 2-3,
    Message-ID ``message_id`` verbatim, Date ``now`` shown in the account's time zone,
    text/plain UTF-8 plus a text/html alternative when the template has one.
    Raise ``TemplateError`` if the template is missing or fails to render;
    ``ValueError`` if the decision has no template or recipient, an address is not a
    plain address, or ``message_id`` is not ``<left@right>``.
    """
    if decision.template is None or decision.to_addr is None:
        raise ValueError(f"decision for {decision.client!r} has no template or recipient")
    if not _MSG_ID.fullmatch(message_id):
        raise ValueError(f"not a Message-ID: {message_id!r}")
    context = template_context(decision, client, account, now)
    text, html = templates.render(decision.template, client.language, context)
    own_subject, body = _split_subject(text)
    if html is not None:
        html = _split_subject(html)[1]

    signature = dict(account.display_names).get(client.language, account.display_name)
    sender = _address(signature, account.address, "account address")
    recipient = _address("", decision.to_addr, "recipient")
    # A UTF-8 local part can only be written as UTF-8 (RFC 6532; RFC 2047 words are
    # not allowed in an addr-spec): such a message needs SMTPUTF8 anyway.
    eai = not (sender.username.isascii() and recipient.username.isascii())
    msg = EmailMessage(policy=POLICY_UTF8 if eai else POLICY)
    msg["From"] = sender
    msg["To"] = recipient
    _subject_and_thread(msg, decision, own_subject)
    msg["Date"] = email.utils.format_datetime(now.astimezone(_zone(account.timezone)))
    msg["Message-ID"] = message_id
    msg[NUDGE_HEADER] = sanitize_header(nudge_header(decision))
    msg.set_content(body, subtype="plain", charset="utf-8", cte=_cte(body))
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8", cte=_cte(html))
    return msg


def _subject_and_thread(msg: EmailMessage, decision: Decision, own_subject: str | None) -> None:
    """Set Subject, In-Reply-To and References per Rules 2-3: a reply to the thread
    keeps its subject; a threadless nudge takes the template's own, else a fallback."""
    if decision.thread is not None:
        msg["Subject"] = reply_subject(decision.thread.subject)
        parent = sanitize_header(decision.thread.message_id)
        if _MSG_ID.fullmatch(parent):
            msg["In-Reply-To"] = parent
        if refs := _references(decision.thread.references, parent):
            msg["References"] = " ".join(refs)
    else:
        msg["Subject"] = sanitize_header(own_subject or "") or _fallback_subject(decision)


def _cte(text: str) -> str:
    """7bit for plain ASCII, else quoted-printable or base64, whichever is shorter:
    never 8bit, so no server needs 8BITMIME."""
    if text.isascii() and all(len(line) <= 998 for line in text.splitlines()):
        return "7bit"
    latin_share = sum(ch.isascii() for ch in text) / max(len(text), 1)
    return "quoted-printable" if latin_share > 0.8 else "base64"
