"""Setting or correcting a promise by hand: ``ghostwatch expect`` and the mail command.

``expect(app_or_store, client, invoice, day)`` sets an invoice's day;
``expect_any(app, client, what, day)`` is what the CLI and ``expect CLIENT WHAT DATE``
in a reply to the summary call: ``what`` names an invoice or a deadline (``which``):
the user says what the client promised, or that they promised nothing (``day=None``).
Both go through the store (``set_expected``, ``set_deadline_expected``) like a promise
read from a reply, so the ladders, the summary and ``history`` see it the same way
(docs/promises.md, "See and correct it").
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from ghostwatch.errors import ConfigError
from ghostwatch.store.database import Store, UnknownInvoice

if TYPE_CHECKING:
    from ghostwatch.adapters.ports import Clock
    from ghostwatch.config.loader import ClientConfig, Config

__all__ = ["BY_COMMAND", "Expected", "Ledger", "expect", "expect_any", "which"]


class Ledger(Protocol):
    """What a promise command needs of the App: the configuration, the store, the
    invoices copied into it and the clock (``at``'s default)."""

    @property
    def config(self) -> Config: ...

    @property
    def store(self) -> Store: ...

    @property
    def clock(self) -> Clock: ...

    def sync_invoices(self, now: datetime, accounts: Collection[str] | None = None) -> None: ...


BY_COMMAND = "command"


def expect(
    app_or_store: Ledger | Store,
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


@dataclass(frozen=True, slots=True)
class Expected:
    """What ``expect_any`` set: ``kind`` "invoice" or "deadline", ``name`` the invoice
    number or the deadline's ``what``, ``client`` as configured, ``changed``."""

    kind: str
    name: str
    client: str
    changed: bool


def which(app: Ledger, client: ClientConfig, what: str, at: datetime) -> tuple[str, str]:
    """Whether ``what`` names one of ``client``'s invoices or deadlines:
    ("invoice", number) or ("deadline", what). In order: "deadline:X" is the deadline X;
    an invoice number (any case); a deadline's ``what`` (any case); the one deadline
    whose ``what`` contains it ("logo" for "logo feedback"). Raise ConfigError naming
    what is known when nothing, or more than one deadline, matches."""
    wanted = what.strip().casefold()
    app.sync_invoices(at)
    account = app.config.account_for(client).name
    numbers = [i.number for i in app.store.invoices(account, client.name)]
    deadlines = [d.what for d in client.deadlines]
    if wanted.startswith("deadline:"):
        wanted, numbers = wanted.removeprefix("deadline:").strip(), []
    for number in numbers:
        if number.casefold() == wanted:
            return "invoice", number
    exact = [d for d in deadlines if d.casefold() == wanted]
    found = exact or [d for d in deadlines if wanted and wanted in d.casefold()]
    if len(found) == 1:
        return "deadline", found[0]
    known = ", ".join([*numbers, *(f"deadline {d!r}" for d in deadlines)]) or "none"
    raise ConfigError([f"{client.name}: no invoice or deadline {what!r} (known: {known})"])


def expect_any(app: Ledger, client: str, what: str, day: date | None, *, at: datetime) -> Expected:
    """Set (``day``) or clear (``None``) the day ``client`` promised ``what`` (an invoice
    or a deadline, see ``which``) by. Raise ConfigError for an unknown client or
    ``what``."""
    found = [c for c in app.config.clients if c.name.casefold() == client.casefold()]
    if not found:
        known = ", ".join(c.name for c in app.config.clients) or "none"
        raise ConfigError([f"no client named {client!r} (configured: {known})"])
    config = found[0]
    kind, name = which(app, config, what, at)
    if kind == "invoice":
        return Expected(kind, name, config.name, expect(app, config.name, name, day, at=at))
    account = app.config.account_for(config).name
    changed = app.store.set_deadline_expected(
        account, config.name, f"deadline:{name}", day, at=at, by=BY_COMMAND
    )
    return Expected(kind, name, config.name, changed)
