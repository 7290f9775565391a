"""The evidence log: every contact, nudge and event with a client, in time order.

``history`` (one client) and ``export_log`` (everyone) read through the store; the
formatters (``to_json``, ``to_csv``, ``format_history``) are pure.

Invariants:
- Read-only: building the log never writes to the database (the event log itself is
  append-only, see ``store.events``).
- Stable: entries are sorted by time, then id -- ``message:<n>`` before ``nudge:<n>``
  before ``event:<n>`` at the same instant, then by row number -- and no export
  carries the time it was made, so the same database always exports the same bytes.
- A nudge appears once, as a ``nudge`` entry with the exact text that was (or would
  have been) sent; its copy in the Sent folder is not listed again as a message.
- CSV is UTF-8 *with* a byte-order mark: Excel needs the BOM to read a CSV as UTF-8
  (without it Georgian and Thai turn into mojibake); LibreOffice, Numbers and
  Python's ``utf-8-sig`` codec accept it. Rows end in CRLF (RFC 4180).
- The CSV speaks plainly: a message's ``classified`` detail is the classifier's reason in
  words ("human reply", "automatic reply (its headers say so: ...)") rather than its
  diagnostic text ("no automation signs"); JSON keeps the diagnostic text.
- CSV cells that a spreadsheet would run as a formula -- starting with ``=``, ``+``,
  ``-``, ``@``, tab or carriage return -- get a leading apostrophe (OWASP, "CSV
  Injection"). A subject "-20% off" reads "'-20% off" in the CSV; JSON is unchanged.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ghostwatch.core.payments import message_text
from ghostwatch.core.records import OutboxRow
from ghostwatch.core.views import iso
from ghostwatch.store.database import EventRow, SeenMessage, Store

__all__ = [
    "CSV_COLUMNS",
    "Entry",
    "csv_safe",
    "entry_dict",
    "export_log",
    "format_history",
    "history",
    "plain_reason",
    "to_csv",
    "to_json",
]

_RANK = {"message": 0, "nudge": 1, "event": 2}
CSV_COLUMNS = (
    "at",
    "id",
    "account",
    "client",
    "type",
    "direction",
    "kind",
    "from",
    "to",
    "subject",
    "message_id",
    "template",
    "step",
    "status",
    "text",
    "detail",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the evidence log.

    ``type`` is "message" (a mail seen in the mailbox), "nudge" (a mail ghostwatch
    planned; ``status`` says whether it went out) or "event" (``kind`` is the dotted
    event name). ``kind`` of a message is human/auto_reply/bounce/bulk; of a nudge
    its ladder kind (silence/invoice/deadline).
    """

    at: datetime
    type: str
    row: int
    account: str
    client: str | None
    kind: str
    direction: str | None = None
    sender: str = ""
    recipients: tuple[str, ...] = ()
    subject: str = ""
    message_id: str | None = None
    template: str | None = None
    step: int | None = None
    status: str | None = None
    text: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.type}:{self.row}"

    def sort_key(self) -> tuple[datetime, int, int]:
        return (self.at, _RANK[self.type], self.row)


# --- building the log ---------------------------------------------------------------


def _message_entry(m: SeenMessage) -> Entry:
    sender = f"{m.from_name} <{m.from_addr}>" if m.from_name else m.from_addr
    return Entry(
        at=m.date,
        type="message",
        row=m.id,
        account=m.account,
        client=m.client,
        kind=m.kind.value,
        direction=m.direction.value,
        sender=sender,
        recipients=m.to_addrs,
        subject=m.subject,
        message_id=m.message_id,
        detail={"folder": m.folder, "classified": m.reason},
    )


def _sender(raw: bytes) -> str:
    """The decoded From header of a stored nudge ("" if it cannot be read)."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        return str(msg.get("From", ""))
    except (ValueError, TypeError, LookupError, UnicodeError, IndexError):
        return ""


def _nudge_entry(n: OutboxRow, seen_in: str | None) -> Entry:
    detail = {
        "ladder": n.ladder,
        "anchor": n.anchor,
        "reason": n.reason,
        "due_at": iso(n.due_at),
        "planned_at": iso(n.planned_at),
        "sent_at": iso(n.sent_at),
        "attempts": n.attempts,
        "last_error": n.last_error,
        "seen_in": seen_in,
    }
    return Entry(
        at=n.sent_at or n.planned_at,
        type="nudge",
        row=n.id,
        account=n.account,
        client=n.client,
        kind=n.ladder.split(":", 1)[0],
        direction="outbound",
        sender=_sender(n.raw),
        recipients=(n.to_addr,),
        subject=n.subject,
        message_id=n.message_id,
        template=n.template,
        step=n.step,
        status=n.status.value,
        text=message_text(n.raw, html_fallback=False),
        detail=detail,
    )


def _event_entry(e: EventRow) -> Entry:
    return Entry(
        at=e.at,
        type="event",
        row=e.id,
        account=e.account,
        client=e.client,
        kind=e.kind,
        message_id=e.message_id,
        detail=e.data,
    )


def build(
    messages: Iterable[SeenMessage], planned: Iterable[OutboxRow], events: Iterable[EventRow]
) -> list[Entry]:
    """Return the sorted log of these records; a message whose Message-ID is a
    nudge's is folded into that nudge (``detail.seen_in`` names its folder)."""
    by_id = {(n.account, n.message_id): n for n in planned}
    seen: dict[tuple[str, str], str] = {}
    entries: list[Entry] = []
    for m in messages:
        key = (m.account, m.message_id or "")
        if key in by_id:
            seen.setdefault(key, m.folder)
        else:
            entries.append(_message_entry(m))
    entries += [_nudge_entry(n, seen.get(key)) for key, n in by_id.items()]
    entries += [_event_entry(e) for e in events]
    return sorted(entries, key=Entry.sort_key)


def history(store: Store, account: str, client: str) -> list[Entry]:
    """Return every message, nudge and event of ``client`` under ``account``, sorted."""
    return build(
        store.seen_messages(account, client),
        store.nudges(account, client),
        store.events(account, client),
    )


def export_log(store: Store) -> list[Entry]:
    """Return the whole evidence log: every client's messages and nudges, and every
    event (account-wide ones, such as ``account.paused``, have no client), sorted."""
    return build(store.seen_messages(), store.nudges(), store.events())


# --- formats --------------------------------------------------------------------------


def entry_dict(e: Entry) -> dict[str, Any]:
    """Return ``e`` as a JSON-ready dict (times ISO-8601 UTC with ``Z``)."""
    return {
        "at": iso(e.at),
        "id": e.id,
        "account": e.account,
        "client": e.client,
        "type": e.type,
        "direction": e.direction,
        "kind": e.kind,
        "from": e.sender,
        "to": list(e.recipients),
        "subject": e.subject,
        "message_id": e.message_id,
        "template": e.template,
        "step": e.step,
        "status": e.status,
        "text": e.text,
        "detail": e.detail,
    }


def to_json(entries: Sequence[Entry]) -> str:
    """Return ``entries`` as a JSON array (UTF-8 text, not \\u-escaped), newline-ended."""
    return json.dumps([entry_dict(e) for e in entries], ensure_ascii=False, indent=2) + "\n"


def csv_safe(value: str) -> str:
    """Return ``value`` with a leading apostrophe if a spreadsheet would take it for a
    formula (it starts with = + - @, tab or CR); otherwise unchanged."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    return str(value)


_KIND_WORDS = {
    "auto_reply": "automatic reply",
    "bounce": "bounce (the mail could not be delivered)",
    "bulk": "newsletter, list or notification",
    "unreadable": "could not be read",
}
_DRAFT = "; draft (never sent)"


def _cue(reason: str) -> str:
    """What gave a non-human message away, in words."""
    if reason.startswith("header "):
        return f"its headers say so: {reason.removeprefix('header ')}"
    if reason.startswith("subject "):
        return f"its subject says so: {reason.removeprefix('subject ')}"
    if reason.startswith("From "):
        return f"sent by {reason.removeprefix('From ')}"
    if reason.startswith("multipart/report"):
        return "a delivery report"
    return reason


def plain_reason(kind: str, direction: str | None, reason: str) -> str:
    """The classifier's ``reason`` for a message of ``kind`` as a freelancer says it:
    "human reply" (from the client), "your own message", "automatic reply (...)"."""
    draft = reason.endswith(_DRAFT)
    reason = reason.removesuffix(_DRAFT)
    if kind == "human":
        words = "your own message" if direction == "outbound" else "human reply"
    else:
        cue = _cue(reason)
        words = _KIND_WORDS.get(kind, kind.replace("_", " ")) + (f" ({cue})" if cue else "")
    return words + (", a draft (never sent)" if draft else "")


def _csv_dict(e: Entry) -> dict[str, Any]:
    d = entry_dict(e)
    if e.type == "message" and isinstance(e.detail.get("classified"), str):
        plain = plain_reason(e.kind, e.direction, e.detail["classified"])
        d["detail"] = {**e.detail, "classified": plain}
    return d


def to_csv(entries: Sequence[Entry]) -> bytes:
    """Return ``entries`` as CSV bytes: UTF-8 with BOM, a header row of CSV_COLUMNS,
    CRLF line ends, every cell guarded by ``csv_safe``; a message's reason in words."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        d = _csv_dict(e)
        writer.writerow([csv_safe(_cell(d[column])) for column in CSV_COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def _line(e: Entry) -> list[str]:
    when = (iso(e.at) or "")[:16].replace("T", " ")
    if e.type == "message":
        head = f"{when}  {e.direction:<8}  {e.kind:<10}  {e.subject!r}  {e.message_id or '-'}"
        return [head]
    if e.type == "nudge":
        to = ", ".join(e.recipients)
        head = f"{when}  nudge     {e.status:<10}  {e.template} (step {e.step}) to {to}"
        body = [f"    | {line}".rstrip() for line in e.text.splitlines()]
        return [head, f"    {e.subject!r}  {e.message_id}", *body]
    if e.kind == "invoice.promise":  # the sentence quoted, so the user can judge it
        d = e.detail
        said = f"{d.get('invoice')} expected by {d.get('expected_by') or '- (cleared)'}"
        quote = f": {d['sentence']!r}" if d.get("sentence") else ""
        return [f"{when}  event     {e.kind:<10}  {said}{quote} (by {d.get('by')})"]
    if e.kind == "deadline.promise":  # the same for a promise to deliver
        d = e.detail
        said = f"{d.get('deadline')} expected by {d.get('expected_by') or '- (cleared)'}"
        quote = f": {d['sentence']!r}" if d.get("sentence") else ""
        return [f"{when}  event     {e.kind:<10}  {said}{quote} (by {d.get('by')})"]
    if e.kind == "client.promise":  # found, set nothing: shown so nothing is lost
        d = e.detail
        said = f"{d.get('promise')} by {d.get('expected_by')}: {d.get('sentence')!r}"
        return [f"{when}  event     {e.kind:<10}  {said} (not applied: {d.get('not_applied')})"]
    facts = ", ".join(f"{k}={v}" for k, v in sorted(e.detail.items()) if v not in (None, ""))
    return [f"{when}  event     {e.kind:<10}  {facts}".rstrip()]


def format_history(client: str, entries: Sequence[Entry]) -> str:
    """Return a plain-text history of one client: one block per entry, times in UTC.

    ``nudge.*`` events are left out here (the nudge's own entry shows its status);
    ``--json`` and ``export`` keep them.
    """
    shown = [e for e in entries if not (e.type == "event" and e.kind.startswith("nudge."))]
    lines = [f"{client}: {len(shown)} entr{'y' if len(shown) == 1 else 'ies'} (times in UTC)"]
    for e in shown:
        lines += _line(e)
    return "\n".join(lines)
