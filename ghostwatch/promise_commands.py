"""Setting or correcting a promise by hand: ``ghostwatch expect`` and the mail command.

``expect(app_or_store, client, invoice, day)`` is the one entry point (the CLI, and
``expect CLIENT INVOICE DATE`` in a reply to the summary, call it): the user says
what the client promised, or that they promised nothing (``day=None``). It goes
through ``Store.set_expected`` like a promise read from a reply, so the invoice
ladder, the summary and ``history`` see it the same way (docs/promises.md).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from ghostwatch.errors import ConfigError
from ghostwatch.store import Store
from ghostwatch.store_records import UnknownInvoice

if TYPE_CHECKING:
    from ghostwatch.daemon import App

__all__ = ["BY_COMMAND", "expect"]

BY_COMMAND = "command"


def expect(
    app_or_store: App | Store,
    client: str,
    invoice: str,
    day: date | None,
    *,
    account: str | None = None,
    at: datetime | None = None,
) -> bool:
    """Set (``day``) or clear (``None``) when ``client`` is expected to pay ``invoice``;
    return False when nothing changed (it was already so, or the invoice is paid).

    With an ``App``, ``client`` is matched case-insensitively to a configured client
    and ``account`` defaults to that client's, ``at`` to the app's clock; with a bare
    ``Store`` both ``account`` and ``at`` are required. Raise ConfigError for an
    unknown client or invoice (the message names what is known)."""
    if isinstance(app_or_store, Store):
        if account is None or at is None:
            raise TypeError("expect() on a Store needs account= and at=")
        store, name = app_or_store, client
    else:
        app = app_or_store
        found = [c for c in app.config.clients if c.name.casefold() == client.casefold()]
        if not found:
            known = ", ".join(c.name for c in app.config.clients) or "none"
            raise ConfigError([f"no client named {client!r} (configured: {known})"])
        store, name = app.store, found[0].name
        account = account or app.config.account_for(found[0]).name
        at = at or app.clock()
    try:
        return store.set_expected(account, name, invoice, day, at=at, by=BY_COMMAND)
    except UnknownInvoice:
        numbers = [i.number for i in store.invoices(account, name)]
        known = ", ".join(numbers) or "none"
        raise ConfigError([f"{name}: no invoice {invoice!r} (known: {known})"]) from None
