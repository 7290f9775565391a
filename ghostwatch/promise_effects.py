"""What a client's reply promises, recorded as it is synced (docs/promises.md).

Part of ``sync`` (its Invariant 6): a human reply from a client with an open invoice
has its body read; ``promises`` finds the promises in its new text, and each payment
promise about an open invoice (its number named, or the client's only open one) sets
that invoice's ``expected_by`` through ``Store.set_expected``, with an
``invoice.promise`` event. Idempotent: a reply read again sets nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import structlog

from ghostwatch import promises
from ghostwatch.calendar import local_date
from ghostwatch.store import MessageRow, Store

log = structlog.get_logger("ghostwatch.sync")

__all__ = ["PromiseReader", "readers", "record_promises"]


@dataclass(frozen=True, slots=True)
class PromiseReader:
    """How one client's replies are read: their language and time zone (a promised
    "Friday" is a day of the client's week)."""

    language: str
    timezone: str


def readers(
    languages: Mapping[str, str], zones: Mapping[str, str], with_open_invoices: set[str]
) -> dict[str, PromiseReader]:
    """The clients whose replies are read for promises: those with an open invoice."""
    return {
        name: PromiseReader(languages.get(name, "en"), zones.get(name, "UTC"))
        for name in sorted(with_open_invoices)
    }


def record_promises(
    store: Store, account: str, reader: PromiseReader, row: MessageRow, body: str
) -> int:
    """Set ``expected_by`` for each open invoice of ``row.client`` that the reply
    ``row`` (its decoded text ``body``) promises to pay; return how many were set."""
    client = row.client
    if client is None:
        return 0
    open_invoices = [i.number for i in store.invoices(account, client) if i.paid_at is None]
    if not open_invoices:
        return 0
    text = promises.new_text(body, reader.language)
    found = promises.find_promises(
        text,
        today=local_date(row.date, reader.timezone),
        language=reader.language,
        open_invoices=open_invoices,
    )
    by = row.message_id or f"{row.folder}/{row.uidvalidity}/{row.uid}"
    changed = 0
    for number, promise in promises.invoice_promises(found, open_invoices).items():
        sentence = promise.sentence
        if store.set_expected(
            account, client, number, promise.by, at=row.date, by=by, sentence=sentence
        ):
            changed += 1
            log.info("invoice.promise", client=client, invoice=number, by=promise.by.isoformat())
    return changed
