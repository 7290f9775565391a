"""Whom to greet: a person's first name from a mail display name. PURE: no I/O, no clock.

Nudges greet a person, never a company: "Hi Jane," or each language's neutral
greeting. ``first_name`` returns "" whenever the display name is missing, looks like
a company or a role ("Acme Billing", "info", "Accounts Payable"), or gives nothing
that reads as a given name; the templates then greet neutrally.
"""

from __future__ import annotations

import re

__all__ = ["first_name"]

# Words that make a display name a role or a department, not a person (casefolded).
_ROLES = frozenset(
    {
        "info",
        "information",
        "office",
        "billing",
        "bill",
        "bills",
        "accounts",
        "account",
        "accounting",
        "accountant",
        "payable",
        "receivable",
        "team",
        "support",
        "help",
        "helpdesk",
        "service",
        "services",
        "sales",
        "admin",
        "administrator",
        "hello",
        "contact",
        "contacts",
        "hr",
        "finance",
        "financial",
        "noreply",
        "no-reply",
        "donotreply",
        "marketing",
        "management",
        "manager",
        "reception",
        "invoices",
        "invoice",
        "invoicing",
        "payments",
        "payment",
        "bookkeeping",
        "orders",
        "order",
        "projects",
        "project",
        "studio",
        "agency",
        "group",
        "department",
        "dept",
        "desk",
        "customer",
        "customers",
        "care",
        "mail",
        "mailbox",
        "inbox",
        "news",
        "newsletter",
        "notifications",
        "system",
        "postmaster",
        "webmaster",
        "legal",
        "procurement",
        "purchasing",
        "ოფისი",
        "ინფო",
        "ბუღალტერია",
        "გაყიდვები",
        "მხარდაჭერა",
        "ადმინისტრაცია",
        "ფინანსები",
        "ฝ่าย",
        "บัญชี",
        "การเงิน",
        "ธุรการ",
        "สำนักงาน",
        "บริษัท",
    }
)
# Legal forms and filler words that say nothing about who a client is.
_LEGAL = frozenset(
    {
        "ltd",
        "llc",
        "inc",
        "co",
        "corp",
        "gmbh",
        "ag",
        "sa",
        "srl",
        "bv",
        "plc",
        "limited",
        "company",
        "the",
        "and",
        "of",
        "შპს",
        "სს",
        "ბრთ",
        "บจก",
        "บมจ",
        "จำกัด",
    }
)
_HONORIFICS = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "ბატონი", "ქალბატონი"}
)
_THAI_TITLES = ("คุณ", "นาย", "นางสาว", "นาง", "ดร.")
_WORD = re.compile(r"[^\s,;:()\[\]<>\"'|/\\@]+")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _distinctive(client_name: str) -> set[str]:
    """The words of a client's name that identify it ("Acme Ltd" -> {"acme"})."""
    return {w for w in (x.casefold() for x in _words(client_name)) if len(w) >= 3} - _LEGAL


def first_name(display_name: str, client_name: str = "") -> str:
    """Return the given name in ``display_name`` ("Jane Cooper" -> "Jane",
    "Cooper, Jane" -> "Jane", "გიორგი მაისურაძე" -> "გიორგი", "สมชาย ใจดี" -> "สมชาย"),
    or "" when it names a company or a role, contains a word of ``client_name``, is an
    address, or is missing."""
    name = display_name.strip().strip("\"'").strip()
    if not name or "@" in name:
        return ""
    words = _words(name)
    folded = [w.casefold().strip(".") for w in words]
    if not words or any(w in _ROLES for w in folded):
        return ""
    if _distinctive(client_name) & set(folded):
        return ""
    if "," in name:
        # "Cooper, Jane": the given name follows the comma
        after = _words(name.split(",", 1)[1])
        words = after or words
    words = [w for w in words if w.casefold().strip(".") not in _HONORIFICS]
    if not words:
        return ""
    given = words[0]
    for title in _THAI_TITLES:
        if given.startswith(title) and len(given) > len(title):
            given = given[len(title) :]
            break
    letters = _LETTER.findall(given)
    if len(letters) < 2 or given.endswith("."):
        return ""  # an initial ("J."), or no letters at all
    if given.isupper() and given.isascii() and len(words) == 1:
        return ""  # "ACME": a shouting single word is a company more often than a person
    return given
