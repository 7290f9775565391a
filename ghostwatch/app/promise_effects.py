"""What a client's reply promises, recorded as it is synced (docs/promises.md).

Part of ``sync`` (its Invariant 6): a human reply from a client with an open invoice
has its body read; ``promises`` finds the promises in its new text, and each payment
promise about an open invoice (its number named, or the client's only open one) sets
that invoice's ``expected_by`` through ``Store.set_expected``, with an
``invoice.promise`` event; each delivery promise about one of the client's deadlines
(named, or their only one) sets that deadline's day through
``Store.set_deadline_expected`` (``deadline.promise``); any other promise found is
logged (``client.promise``) so ``history`` shows it. Idempotent: a reply read again
sets and logs nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import structlog

from ghostwatch.core.calendar import local_date, local_day_start
from ghostwatch.core.promises import reader as promises
from ghostwatch.store.database import MessageRow, Store

log = structlog.get_logger("ghostwatch.app.sync")

__all__ = ["OTHER_PROMISE", "PromiseReader", "readers", "record_promises"]

OTHER_PROMISE = "client.promise"  # a promise found that sets nothing (history shows it)


@dataclass(frozen=True, slots=True)
class PromiseReader:
    """How one client's replies are read: their language and time zone (a promised
    "Friday" is a day of the client's week), and the ``what`` and due day of each of
    their configured deadlines (a promise to deliver may set one)."""

    language: str
    timezone: str
    deadlines: tuple[tuple[str, date], ...] = ()


def readers(
    languages: Mapping[str, str],
    zones: Mapping[str, str],
    watched: set[str],
    deadlines: Mapping[str, tuple[tuple[str, date], ...]] | None = None,
) -> dict[str, PromiseReader]:
    """The clients whose replies are read for promises: ``watched``, those with an open
    invoice or a deadline (``deadlines``: each client's (``what``, due day) pairs)."""
    known = deadlines or {}
    return {
        name: PromiseReader(languages.get(name, "en"), zones.get(name, "UTC"), known.get(name, ()))
        for name in sorted(watched)
    }


def record_promises(
    store: Store, account: str, reader: PromiseReader, row: MessageRow, body: str
) -> int:
    """Set ``expected_by`` for each open invoice of ``row.client`` that the reply
    ``row`` (its decoded text ``body``) promises to pay, and the day of each deadline it
    promises to deliver; return how many were set. Every other promise found (a
    delivery naming no deadline, a payment that names no invoice while several are
    open) is logged as a ``client.promise`` event, once, for ``history``."""
    client = row.client
    if client is None:
        return 0
    open_invoices = [i.number for i in store.invoices(account, client) if i.paid_at is None]
    text = promises.new_text(body, reader.language)
    found = promises.find_promises(
        text,
        today=local_date(row.date, reader.timezone),
        language=reader.language,
        open_invoices=open_invoices,
    )
    by = row.message_id or f"{row.folder}/{row.uidvalidity}/{row.uid}"
    applied = promises.invoice_promises(found, open_invoices)
    delivered = promises.deadline_promises(found, _open_deadlines(store, account, reader, row))
    used = [*applied.values(), *delivered.values()]
    _note_others(store, account, row, by, [p for p in found if p not in used], reader)
    asks = promises.asks_something(text)
    changed = _set_deadlines(store, account, row, by, delivered, asks)
    for number, promise in applied.items():
        sentence = promise.sentence
        if store.set_expected(
            account, client, number, promise.by, at=row.date, by=by, sentence=sentence, asks=asks
        ):
            changed += 1
            log.info("invoice.promise", client=client, invoice=number, by=promise.by.isoformat())
    return changed


def _open_deadlines(
    store: Store, account: str, reader: PromiseReader, row: MessageRow
) -> list[str]:
    """The client's deadlines still open when ``row`` came: not met by an earlier reply
    (after the due day began, and after any promise on record). A deadline done with
    takes no new promise, so that a later "I'll send it Monday" about something else
    never brings a reminder about it (docs/promises.md, Rule 19)."""
    if not reader.deadlines or row.client is None:
        return []
    before = store.last_inbound_before(account, row.client, row.date)
    if before is None:
        return [what for what, _ in reader.deadlines]
    promised = {
        p.deadline: p.promised_at
        for p in store.deadline_promises(account, row.client)
        if p.expected_by is not None
    }
    return [
        what
        for what, due in reader.deadlines
        if not _met(before, local_day_start(due, reader.timezone), promised.get(f"deadline:{what}"))
    ]


def _met(before: datetime, due_start: datetime, promised_at: datetime | None) -> bool:
    """``state``'s rule for a deadline met, as of the reply ``before``."""
    return before > promised_at if promised_at is not None else before >= due_start


def _set_deadlines(
    store: Store,
    account: str,
    row: MessageRow,
    by: str,
    delivered: Mapping[str, promises.Promise],
    asks: bool,
) -> int:
    """Set each promised deadline's day (``Store.set_deadline_expected``)."""
    changed = 0
    assert row.client is not None
    for what, promise in delivered.items():
        key = f"deadline:{what}"
        day, sentence = promise.by, promise.sentence
        if store.set_deadline_expected(
            account, row.client, key, day, at=row.date, by=by, sentence=sentence, asks=asks
        ):
            changed += 1
            log.info("deadline.promise", client=row.client, deadline=what, by=day.isoformat())
    return changed


def _note_others(
    store: Store,
    account: str,
    row: MessageRow,
    by: str,
    others: list[promises.Promise],
    reader: PromiseReader,
) -> None:
    """Log the promises that set nothing (``client.promise``), each once per reply."""
    if not others:
        return
    seen = {
        (e.data.get("by"), e.data.get("sentence"), e.data.get("promise"))
        for e in store.events(account, row.client)
        if e.kind == OTHER_PROMISE
    }
    for p in others:
        if (by, p.sentence, p.kind) in seen:
            continue
        if p.kind == "payment":
            why = "names no open invoice"
        else:
            why = "names no open deadline" if reader.deadlines else "a delivery"
        store.append_event(
            OTHER_PROMISE,
            at=row.date,
            account=account,
            client=row.client,
            message_id=row.message_id,
            promise=p.kind,
            expected_by=p.by,
            sentence=p.sentence,
            by=by,
            not_applied=why,
        )
        seen.add((by, p.sentence, p.kind))
