"""Header bytes -> Envelope -> Classification: who wrote a message, and was it a human.

PURE: no asyncio, imapclient, aiosmtplib, sqlmodel or structlog; never reads the clock.

Invariants:
- Rule 1: no public function raises. Bad input gives the emptiest honest answer
  (an Envelope with blanks, HUMAN/UNRELATED, or ``first`` unchanged).
- Rule 2: bounces are checked first (many DSNs carry ``Auto-Submitted``), then ARF
  complaint reports, then auto-replies, then list/bulk mail; everything else is HUMAN.
- Rule 3: only the account's own mail is OUTBOUND; only a client's mail is INBOUND.
  In the Sent folder a message not from the account is UNRELATED; Drafts are never
  contact (they were not sent).
- Rule 4: addresses compare case-insensitively, ignoring a "+tag" in the local part,
  with IDNA domains compared in their ASCII form.
- Rule 5: a client's ``domains`` include their subdomains (``uk.acme.example`` is Acme),
  the most specific configured domain winning; exact ``emails`` win over domains.

Decisions (see also ``ghostwatch.core.mail.ooo`` and ``ghostwatch.core.mail.dsn``):
- ``X-Auto-Response-Suppress`` alone is not an auto-reply sign: Exchange stamps it on
  ordinary human mail and list traffic. It counts only together with
  ``X-MS-Exchange-Inbox-Rules-Loop``. A null ``Return-Path: <>`` alone is decisive:
  RFC 5321 reserves it for DSNs and RFC 3834 responders; people never send with it.
- ARF abuse/complaint reports (``report-type=feedback-report``) are BULK: automated,
  never contact, and never mark an address bouncing.
- Senders like ``noreply@`` are BULK: nobody can answer them, so they are not a person.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from ghostwatch.core.domain import (
    Classification,
    ClientMatcher,
    Direction,
    Envelope,
    FolderRole,
    Kind,
    normalise_address,
)
from ghostwatch.core.mail.bounce_signs import NOREPLY, bounce_reason, bounce_suspect
from ghostwatch.core.mail.dsn import refine
from ghostwatch.core.mail.headers import HEADER_FIELDS, PARSE_ERRORS, address_list, parse_headers
from ghostwatch.core.mail.ooo import parse_return_date
from ghostwatch.core.mail.subject_prefixes import (
    AUTO_REPLY_PREFIXES,
    AUTO_REPLY_WEAK_WORDS,
    REPLY_MARKERS,
)

__all__ = [
    "HEADER_FIELDS",
    "ClientIndex",
    "classify",
    "classify_body",
    "match_client",
    "parse_headers",
    "parse_return_date",
    "raw_sender",
]

# --- matching -------------------------------------------------------------------------


class ClientIndex:
    """The clients' addresses and domains as dicts, built once per sync, so matching a
    message costs a few dict lookups instead of a scan of every client. Answers exactly
    as scanning ``clients`` in order would (Rules 4 and 5; the first client listing an
    address or domain wins). Immutable after construction."""

    __slots__ = ("_by_address", "_by_domain", "clients")

    def __init__(self, clients: Sequence[ClientMatcher]) -> None:
        self.clients: tuple[ClientMatcher, ...] = tuple(clients)
        self._by_address: dict[str, str] = {}
        self._by_domain: dict[str, str] = {}
        for client in self.clients:
            for email in client.emails:
                self._by_address.setdefault(_base(email), client.name)
            for domain in client.domains:
                ascii_domain = _ascii_domain(domain)
                if ascii_domain:
                    self._by_domain.setdefault(ascii_domain, client.name)

    def match(self, address: str) -> str | None:
        """``match_client(address, self.clients)``, in O(labels of the domain)."""
        try:
            base = _base(address)
            domain = base.rpartition("@")[2]
            if "@" not in base or not domain:
                return None
            name = self._by_address.get(base)
            if name is not None:
                return name
            # The domain itself, then each parent: the first hit is the longest match.
            name = self._by_domain.get(domain)
            dot = domain.find(".")
            while name is None and dot >= 0:
                name = self._by_domain.get(domain[dot + 1 :])
                dot = domain.find(".", dot + 1)
            return name
        except PARSE_ERRORS:
            return None


Clients = Sequence[ClientMatcher] | ClientIndex  # what matching accepts


def match_client(address: str, clients: Clients) -> str | None:
    """Return the name of the client ``address`` belongs to, or None. Exact addresses
    (ignoring case and "+tags") win; then the longest configured domain that equals
    the address's domain or is a parent of it. Never raises. Pass a ClientIndex when
    matching many addresses against the same clients."""
    return _as_index(clients).match(address)


def _as_index(clients: Clients) -> ClientIndex:
    if isinstance(clients, ClientIndex):
        return clients
    try:
        return _cached_index(tuple(clients))
    except PARSE_ERRORS:
        return ClientIndex(())


@lru_cache(maxsize=64)
def _cached_index(clients: tuple[ClientMatcher, ...]) -> ClientIndex:
    return ClientIndex(clients)


@lru_cache(maxsize=4096)
def _base(address: str) -> str:
    """Normalised address without "+tag", domain in IDNA ASCII form."""
    local, _, domain = normalise_address(address).rpartition("@")
    stem = local.split("+", 1)[0] or local
    return f"{stem}@{_ascii_domain(domain)}" if local else _ascii_domain(domain)


@lru_cache(maxsize=1024)
def _ascii_domain(domain: str) -> str:
    domain = domain.strip().strip("@.").lower()
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


@lru_cache(maxsize=64)
def _account_bases(accounts: frozenset[str]) -> frozenset[str]:
    return frozenset(_base(a) for a in accounts)


# --- classification ---------------------------------------------------------------------


def classify(
    env: Envelope,
    *,
    role: FolderRole,
    account_addresses: frozenset[str],
    clients: Clients,
) -> Classification:
    """Given a message's Envelope and the folder it was found in, say who it is between
    and whether a human wrote it. Header-only and pure; never raises. ``needs_body`` asks
    the shell to call ``classify_body``: always for bounces (to learn the hard-bounced
    recipients), for a client's auto-reply whose subject gave no return date.
    ``clients`` may be a ClientIndex (built once for many messages)."""
    clients = _as_index(clients)
    direction, client, counterpart = _direction(env, role, account_addresses, clients)
    if client is None and role is not FolderRole.DRAFTS and not _ADDR_SPEC.fullmatch(env.from_addr):
        unreadable = _unreadable_sender(env, role, clients)
        if unreadable is not None:
            return unreadable
    kind, reason = _kind(env)
    suspect = kind is not Kind.BOUNCE and bounce_suspect(env, kind, reason)
    away = None
    needs_body = kind is Kind.BOUNCE or suspect
    bounced: tuple[str, ...] = ()
    sent = env.date or env.received  # a Date-less notice: when the server got it
    if kind is Kind.AUTO_REPLY and sent is not None:
        away = parse_return_date(env.subject, sent=sent)
        needs_body = needs_body or (away is None and direction is Direction.INBOUND)
    if kind is Kind.BOUNCE:
        bounced = address_list(env.headers.get("x-failed-recipients", ""))
        if client is None:
            client, counterpart = _first_client(bounced, clients)
    if role is FolderRole.DRAFTS:
        reason += "; draft (never sent)"
    return Classification(
        kind, direction, client, counterpart, reason, away, bounced, needs_body, suspect
    )


_ADDR_SPEC = re.compile(r"[^\s<>\"'(),;:@\x00\ufffd]+@[^\s<>\"'(),;:@\x00\ufffd]+")


def _unreadable_sender(
    env: Envelope, role: FolderRole, clients: ClientIndex
) -> Classification | None:
    """A From field that parses to no well-formed address but holds a client's (8-bit
    garbage, NULs, broken quoting): UNREADABLE contact of that client, never a silent
    drop; None when no client's address is in it."""
    if role is FolderRole.SENT:
        return None
    raw_from = env.headers.get("from", "")
    found = _client_in(raw_from, clients)
    if found is None:
        return None
    reason = f"unreadable From field {raw_from[:80]!r}"
    return Classification(Kind.UNREADABLE, Direction.INBOUND, found[0], found[1], reason)


def _client_in(text: str, clients: ClientIndex) -> tuple[str, str] | None:
    for candidate in _ADDR_SPEC.findall(text):
        name = clients.match(candidate.strip(".[]"))
        if name is not None:
            return name, candidate
    return None


_RAW_FROM = re.compile(rb"^from[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.I | re.M)


def raw_sender(header: bytes, clients: Clients) -> tuple[str, str] | None:
    """(client, address) when a client's address is in the raw From field(s) of
    ``header``, read without the email package (for mail that failed to parse);
    None otherwise. Never raises."""
    try:
        index = _as_index(clients)
        for m in _RAW_FROM.finditer(bytes(header)[:65536]):
            found = _client_in(m.group(1).decode("utf-8", "replace"), index)
            if found is not None:
                return found
    except PARSE_ERRORS:
        return None
    return None


def _direction(
    env: Envelope,
    role: FolderRole,
    accounts: frozenset[str],
    clients: ClientIndex,
) -> tuple[Direction, str | None, str | None]:
    unrelated = (Direction.UNRELATED, None, None)
    if role is FolderRole.DRAFTS or not env.from_addr:
        return unrelated
    if _base(env.from_addr) in _account_bases(accounts):
        client, rcpt = _first_client((*env.to, *env.cc), clients)
        return (Direction.OUTBOUND, client, rcpt) if client else unrelated
    if role is FolderRole.SENT:
        return unrelated  # someone else's copy in Sent is never the client writing to us
    client = clients.match(env.from_addr)
    return (Direction.INBOUND, client, env.from_addr) if client else unrelated


def _first_client(addresses: Sequence[str], clients: ClientIndex) -> tuple[str | None, str | None]:
    for addr in addresses:
        name = clients.match(addr)
        if name:
            return name, addr
    return None, None


def _kind(env: Envelope) -> tuple[Kind, str]:
    """Rule 2's order: bounce, complaint report, auto-reply, bulk, human."""
    h = env.headers
    report = _report_type(h.get("content-type", ""))
    if report == "feedback-report" or h.get("feedback-type") or _subject_is_complaint(env):
        return Kind.BULK, "ARF feedback/complaint report"
    bounce = bounce_reason(env, report)
    if bounce:
        return Kind.BOUNCE, bounce
    auto = _auto_reply_reason(env, report)
    if auto:
        return Kind.AUTO_REPLY, auto
    bulk = _bulk_reason(env)
    if bulk:
        return Kind.BULK, bulk
    return Kind.HUMAN, "no automation signs"


def _report_type(content_type: str) -> str | None:
    """For multipart/report: the report-type parameter ("" when absent); else None."""
    ct = content_type.lower()
    if not ct.startswith("multipart/report"):
        return None
    found = re.search(r"report-type\s*=\s*\"?([\w-]+)", ct)
    return found.group(1) if found else ""


# Delivery systems and the antivirus / mail-gateway filters that return mail.
_COMPLAINT_SUBJECTS = ("complaint about message from", "abuse report", "email feedback report")


def _subject_is_complaint(env: Envelope) -> bool:
    return env.subject.casefold().startswith(_COMPLAINT_SUBJECTS)


def _auto_reply_reason(env: Envelope, report: str | None) -> str | None:
    h = env.headers
    submitted = h.get("auto-submitted", "").split(";", 1)[0].strip().lower()
    if submitted and submitted != "no":
        return f"header Auto-Submitted: {submitted}"
    for name in ("x-autoreply", "x-autorespond", "x-autoreply-from", "x-mail-autoreply"):
        if h.get(name, "").strip().lower() not in ("", "no", "false", "0"):
            return f"header {name}"
    if h.get("x-autogenerated", "").lower() == "reply":
        return "header X-Autogenerated: reply"
    if h.get("x-fc-machinegenerated", "").lower() == "true":
        return "header X-FC-MachineGenerated"
    if _precedence(env) == "auto_reply":
        return "header Precedence: auto_reply"
    if report == "disposition-notification":
        return "read receipt (MDN)"
    if "return-path" in h and h["return-path"].strip() in ("<>", ""):
        return "null Return-Path"
    if h.get("x-ms-exchange-inbox-rules-loop") and h.get("x-auto-response-suppress"):
        return "Exchange inbox rule reply"
    return _auto_reply_subject(env.subject)


def _precedence(env: Envelope) -> str:
    h = env.headers
    return (h.get("precedence") or h.get("x-precedence") or "").strip().lower()


def _build_subject_res() -> tuple[re.Pattern[str], re.Pattern[str]]:
    def alt(words: tuple[str, ...]) -> str:
        return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))

    sep = r"\s*[:：]"
    markers = alt(REPLY_MARKERS)
    strong = re.compile(rf"^[\[【(（]?\s*(?:{alt(AUTO_REPLY_PREFIXES)})\s*(?:[\]】)）]|{sep}|$)")
    weak = re.compile(
        rf"^[\[【(（]?\s*(?:{alt(AUTO_REPLY_WEAK_WORDS)})\s*"
        rf"(?:[\]】)）]|$|{sep}\s*(?:{markers}){sep}|\s+(?:until|till|back|returning)\b)"
    )
    return strong, weak


_STRONG_SUBJECT, _WEAK_SUBJECT = _build_subject_res()


def _auto_reply_subject(subject: str) -> str | None:
    folded = subject.casefold().strip()
    found = _STRONG_SUBJECT.match(folded) or _WEAK_SUBJECT.match(folded)
    if found is None:
        return None
    if folded == "auto":  # alone it is a car in German, not a responder
        return None
    return f"subject {subject[: found.end()].strip()!r}"


def _bulk_reason(env: Envelope) -> str | None:
    h = env.headers
    if h.get("list-id"):
        return "header List-Id"
    precedence = _precedence(env)
    if precedence in ("bulk", "list", "junk"):
        return f"header Precedence: {precedence}"
    if NOREPLY.match(env.from_addr.partition("@")[0]):
        return "no-reply sender"
    return None


def classify_body(raw: bytes, first: Classification, env: Envelope) -> Classification:
    """Given the full message behind ``first``, refine it: for a bounce, the recipients
    that failed permanently (temporary failures are not ``bounced``) or, if the body is
    an ARF report, BULK; for an auto-reply, the return date. Always returns
    ``needs_body=False``; bad input returns ``first`` otherwise unchanged. Never raises."""
    return refine(raw, first, env)
