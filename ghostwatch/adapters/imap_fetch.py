"""A header FETCH reply read fast, with imapclient's parser as the fallback.

imapclient's ``parse_fetch_response`` tokenizes every byte of every reply line in
Python. For ghostwatch's header FETCH that line repeats the 27 requested field
names, so the tokenizer costs about 70 us per message: on a first sync it is the
largest single cost, and it runs on the worker thread while the caller classifies
and stores the previous batch, competing with it for the GIL.

``fetch_headers_reply`` sends the same ``UID FETCH`` imapclient's ``fetch()`` sends,
through the same imaplib object; ``imap_wire`` reads the reply off the socket in
chunks into exactly the list imaplib would build (imaplib's own line-by-line reading
was most of what remained), and this module reads that list with one regular
expression per message when every response has the one shape servers send for this
request::

    * 12 FETCH (UID 345 [MODSEQ (6)] INTERNALDATE "..." RFC822.SIZE 789
                BODY[HEADER.FIELDS (FROM TO ...)] {412}<literal>)

(items before the literal in any order). Anything else -- an unsolicited FETCH, a
missing item, a header sent as a quoted string or NIL, a literal that is not last,
an unknown item or date format -- sends the whole reply through imapclient's
parser instead, so the result is always what ``IMAPClient.fetch`` would return.
tests/unit/adapters/test_imap_fetch.py checks both paths agree, shape by shape, and
tests/integration/test_imap.py on real Dovecot replies.
"""

from __future__ import annotations

import imaplib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from imapclient import IMAPClient
from imapclient.response_parser import parse_fetch_response

from ghostwatch.adapters import imap_wire


@dataclass(frozen=True, slots=True)
class FetchedHeaders:
    uid: int
    internal_date: datetime  # aware UTC
    size: int  # RFC822.SIZE in bytes
    header: bytes  # the requested header fields, raw, ending with a blank line


class FetchReplyError(ValueError):
    """A FETCH reply ghostwatch cannot use (e.g. no INTERNALDATE, or an impossible one)."""


# "<seq> (<items> BODY[HEADER.FIELDS (...)] {n}" -- the part of a response before its
# literal, as imaplib hands it over. The items are checked one by one below.
_LINE = re.compile(
    rb"(\d+) \(((?:[A-Z0-9.]+ (?:\d+|\(\d+\)|\"[^\"\\]*\") )*)"
    rb"BODY\[HEADER\.FIELDS \([^()\[\]]*\)\] \{(\d+)\}",
    re.IGNORECASE,
)
# the same, in the order Dovecot sends (a case-sensitive subset of _LINE)
_USUAL = re.compile(
    rb"\d+ \(UID (\d+) (?:MODSEQ \(\d+\) )?INTERNALDATE (\"[^\"\\]*\") RFC822\.SIZE (\d+) "
    rb"BODY\[HEADER\.FIELDS \([^()\[\]]*\)\] \{(\d+)\}"
)
_ITEM = re.compile(rb"([A-Z0-9.]+) (\d+|\(\d+\)|\"[^\"\\]*\") ", re.IGNORECASE)
# imapclient's INTERNALDATE: " 2-Jun-2025 11:50:00 +0200" (day may be space-padded)
_DATE = re.compile(
    rb"\"\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\""
)
_MONTH_NAMES = b"jan feb mar apr may jun jul aug sep oct nov dec".split()
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_KNOWN = frozenset({b"UID", b"INTERNALDATE", b"RFC822.SIZE", b"MODSEQ"})
_ZONES: dict[bytes, timezone] = {}


def fetch_headers_reply(
    client: IMAPClient, uids: Sequence[int], items: Sequence[bytes]
) -> dict[int, FetchedHeaders]:
    """``UID FETCH uids items`` on the examined folder; return UID -> FetchedHeaders for
    the requested UIDs the server answered (vanished ones are left out).

    ``items`` must be one ``BODY.PEEK[HEADER.FIELDS (...)]``, INTERNALDATE and
    RFC822.SIZE. Raise imaplib's errors as ``IMAPClient.fetch`` does (IMAP4.error
    for a NO/BAD reply, IMAP4.abort or OSError for a broken connection), and
    FetchReplyError for a message without a usable INTERNALDATE.
    """
    if not uids:
        return {}
    wanted = [int(uid) for uid in uids]
    # imapclient's fetch() drives this same imaplib object the same way (UID FETCH,
    # then the untagged FETCH responses); only the reading of the reply differs.
    imap: imaplib.IMAP4 = client._imap
    what = "(" + " ".join(bytes(item).decode("ascii") for item in items) + ")"
    typ, data = imap_wire.uid_fetch(imap, ",".join(map(str, wanted)), what)
    if typ != "OK":
        raise imaplib.IMAP4.error(f"fetch failed: {data!r}")
    fast = read_fast(data)
    if fast is not None:
        return {uid: fast[uid] for uid in wanted if uid in fast}
    return read_slow(data, wanted)


def read_fast(data: Sequence[Any]) -> dict[int, FetchedHeaders] | None:
    """The reply as UID -> FetchedHeaders, or None if any response is not of the one
    expected shape (then use read_slow). Raise FetchReplyError as read_slow would."""
    out: dict[int, FetchedHeaders] = {}
    parts = iter(data)
    for part in parts:
        if not isinstance(part, tuple) or len(part) != 2:
            return None
        prefix, literal = part
        items = _items(prefix, len(literal))
        if items is None or next(parts, None) != b")":
            return None
        uid, stamp, size = items
        when = _internal_date(stamp)
        if when is None:
            return None
        out[int(uid)] = FetchedHeaders(int(uid), when, int(size), bytes(literal))
    return out


def _items(prefix: bytes, length: int) -> tuple[bytes, bytes, bytes] | None:
    """UID, quoted INTERNALDATE and RFC822.SIZE of a response whose literal has
    ``length`` bytes; None if it is not of the expected shape."""
    usual = _USUAL.fullmatch(prefix)
    if usual is not None:  # one match, no item loop: ~30 % of read_fast's time
        uid, stamp, size, count = usual.groups()
        return (uid, stamp, size) if int(count) == length else None
    match = _LINE.fullmatch(prefix)
    if match is None or int(match[3]) != length:
        return None
    fields: dict[bytes, bytes] = {}
    for name, value in _ITEM.findall(match[2]):
        name = name.upper()
        if name not in _KNOWN or name in fields:
            return None
        fields[name] = value
    uid, size, stamp = fields.get(b"UID"), fields.get(b"RFC822.SIZE"), fields.get(b"INTERNALDATE")
    if uid is None or size is None or stamp is None or uid[:1] == b"(" or size[:1] == b"(":
        return None
    return uid, stamp, size


def read_slow(data: Sequence[Any], wanted: Iterable[int]) -> dict[int, FetchedHeaders]:
    """UID -> FetchedHeaders for the ``wanted`` UIDs in the reply, through imapclient's
    own parser; other responses (e.g. an unsolicited FLAGS FETCH) are left out, as
    ``IMAPClient.fetch`` leaves them out."""
    try:
        parsed = parse_fetch_response(list(data), normalise_times=False, uid_is_key=True)
        return {uid: _from_parsed(uid, parsed[uid]) for uid in wanted if uid in parsed}
    except (ValueError, OverflowError) as exc:  # e.g. an INTERNALDATE of 31-Feb
        if isinstance(exc, FetchReplyError):
            raise
        raise FetchReplyError(f"IMAP fetch: unusable reply: {exc}") from exc


def _from_parsed(uid: int, item: dict[bytes, Any]) -> FetchedHeaders:
    internal = item.get(b"INTERNALDATE")
    if not isinstance(internal, datetime) or internal.tzinfo is None:
        raise FetchReplyError(f"IMAP fetch: UID {uid} has no usable INTERNALDATE: {internal!r}")
    return FetchedHeaders(
        uid=uid,
        internal_date=internal.astimezone(UTC),
        size=int(item.get(b"RFC822.SIZE", 0)),
        header=section(item, b"BODY[HEADER.FIELDS"),
    )


def section(item: dict[bytes, Any], prefix: bytes) -> bytes:
    """The value of the first FETCH key starting with ``prefix`` (NIL -> b"")."""
    for key, value in item.items():
        if isinstance(key, bytes) and key.upper().startswith(prefix):
            return bytes(value) if value is not None else b""
    return b""


def _internal_date(stamp: bytes) -> datetime | None:
    """``"02-Jun-2025 11:50:00 +0200"`` as aware UTC; None for any other shape or an
    impossible date (the slow path then decides)."""
    match = _DATE.fullmatch(stamp)
    if match is None:
        return None
    day, month, year, hour, minute, second, sign, zh, zm = match.groups()
    number = _MONTHS.get(month.lower())
    if number is None:
        return None
    offset = sign + zh + zm
    try:
        zone = _ZONES.get(offset)
        if zone is None:
            minutes = int(zh) * 60 + int(zm)
            zone = timezone(timedelta(minutes=-minutes if sign == b"-" else minutes))
            _ZONES[offset] = zone
        local = datetime(
            int(year), number, int(day), int(hour), int(minute), int(second), tzinfo=zone
        )
        return local.astimezone(UTC)
    except (ValueError, OverflowError):  # +9959, 31-Feb, year 0001 at -1200...
        return None
