"""Email addresses as the headers and SMTP need them (RFC 5321/5322, 6531/6532). PURE.

Invariants:
- Rule 1: every legal addr-spec is accepted: a dot-atom or a quoted-string local part
  (``"jane doe"@acme.example``), UTF-8 in the local part (RFC 6531: ``жанна@acme.example``)
  and an internationalised domain (``giorgi@დიზაინი.გე``).
- Rule 2: a domain is always written as its IDNA A-labels (``xn--lodfjhca1a.xn--node``,
  IDNA 2008 with UTS 46 mapping, by the ``idna`` package): such an address is plain
  ASCII on the wire and in the headers, and only a non-ASCII *local part* needs
  SMTPUTF8 (``MailAddress.needs_smtputf8``).
- Rule 3: an address is never repaired, only accepted or refused (``ValueError``): a
  "repaired" address could belong to someone else. Control characters (CR, LF, NUL,
  U+2028...) are refused, so an address can never inject a header or an SMTP command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.headerregistry import Address

import idna

__all__ = ["MailAddress", "parse_address"]

# C0/C1 controls, DEL, U+2028/U+2029: never part of an address (Rule 3)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# atext (RFC 5322 3.2.3) is ASCII printable but specials; RFC 6531 adds any non-ASCII
_ATOM = r"[^\x00-\x20\x7f\"(),.:;<>@\[\\\]]+"
_DOT_ATOM = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_QUOTED = re.compile(r'"(?P<inner>(?:[^"\\]|\\.)*)"')
_QUOTED_PAIR = re.compile(r"\\(.)")
_ASCII_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_ASCII_DOMAIN = re.compile(rf"{_ASCII_LABEL}(?:\.{_ASCII_LABEL})*\.?")
_DOMAIN_LITERAL = re.compile(r"\[[!-Z^-~]+\]")  # [127.0.0.1], [IPv6:...]
_MAX_LOCAL = 64  # RFC 5321 4.5.3.1.1 (octets)


@dataclass(frozen=True, slots=True)
class MailAddress:
    """One addr-spec: ``local`` unquoted (as ``Address(username=...)`` wants it) and
    ``domain`` in ASCII (IDNA A-labels, or a domain literal)."""

    local: str
    domain: str

    @property
    def needs_smtputf8(self) -> bool:
        """True if the local part is not ASCII: only SMTPUTF8 (RFC 6531) can carry it."""
        return not self.local.isascii()

    @property
    def addr_spec(self) -> str:
        """The address as SMTP and headers write it, quoted where RFC 5322 needs it."""
        return Address(username=self.local, domain=self.domain).addr_spec

    def header(self, display_name: str = "") -> Address:
        """The ``email`` header value for this address with ``display_name``."""
        return Address(display_name=display_name, username=self.local, domain=self.domain)


def parse_address(text: str) -> MailAddress:
    """Return the address ``text`` (``local@domain``, optionally in ``<...>``).

    Raise ``ValueError`` naming the problem if it is not a legal addr-spec (Rule 1),
    contains a control character (Rule 3), or has a domain IDNA cannot encode.
    """
    spec = text.strip()
    if spec.startswith("<") and spec.endswith(">"):
        spec = spec[1:-1].strip()
    if _CONTROL.search(spec):
        raise ValueError(f"{text!r} contains a control character")
    local_text, at, domain_text = spec.rpartition("@")
    if not at or not local_text or not domain_text:
        raise ValueError(f"{text!r} is not an email address (local@domain)")
    return MailAddress(_local(local_text, text), _domain(domain_text, text))


def _local(local: str, text: str) -> str:
    if (quoted := _QUOTED.fullmatch(local)) is not None:
        value = _QUOTED_PAIR.sub(r"\1", quoted["inner"])
    elif _DOT_ATOM.fullmatch(local):
        value = local
    else:
        raise ValueError(f"{text!r}: the part before '@' is not a valid local part")
    if not value or len(value.encode()) > _MAX_LOCAL:
        raise ValueError(f"{text!r}: the local part must be 1 to {_MAX_LOCAL} bytes")
    return value


def _domain(domain: str, text: str) -> str:
    if _DOMAIN_LITERAL.fullmatch(domain):
        return domain
    if domain.isascii():
        if not _ASCII_DOMAIN.fullmatch(domain):
            raise ValueError(f"{text!r}: {domain!r} is not a domain name")
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(f"{text!r}: the domain cannot be written in IDNA: {exc}") from None
