"""The sections of the configuration file, one frozen model each (config.example.toml):
rules and ladders, clients (invoices, recurring invoices, deadlines), the database,
templates and the daily summary. Accounts and their servers are in
``ghostwatch.config.accounts``, ``[health]`` in ``ghostwatch.config.health``.

``ghostwatch.config.loader`` assembles them into ``Config`` and re-exports them; import them
from there. Every model refuses unknown keys; cross-section checks (unique names,
existing accounts) live in ``ghostwatch.config.cross`` and ``ghostwatch.config.loader``.
"""

from __future__ import annotations

import calendar
import importlib.util
import os
import re
from collections.abc import Mapping
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    Field,
    field_validator,
    model_validator,
)

from ghostwatch.config.types import (
    Clock,
    Country,
    Domain,
    Duration,
    Email,
    FrozenModel,
    IsoDate,
    Label,
    Language,
    OptionalEmail,
    OptionalPath,
    PositiveDuration,
    TemplateName,
    Text,
    TextOrNumber,
    TimeZone,
    Window,
    problem,
)
from ghostwatch.core import domain, i18n


class LadderStepConfig(FrozenModel):
    """One step: due ``after`` the previous one (step 1: after the anchor), sends ``template``."""

    after: PositiveDuration  # a zero step sends the next nudge at once (no real wait)
    template: TemplateName

    def to_domain(self) -> domain.LadderStep:
        return domain.LadderStep(after=self.after, template=self.template)


Ladder = Annotated[tuple[LadderStepConfig, ...], Field(min_length=1)]


class RulesConfig(FrozenModel):
    """``[rules]``, and a client's partial ``rules = {...}``. ``None`` = not set at this level."""

    ladder: Ladder | None = None
    give_up_after: PositiveDuration | None = None
    send_window: Window | None = None
    business_days: bool | None = None
    holidays_country: Country | None = None
    invoice_ladder: Ladder | None = None
    deadline_ladder: Ladder | None = None
    reply_defers_invoice: Duration | None = None
    min_gap: Duration | None = None
    return_grace: Duration | None = None
    away_default: Duration | None = None
    work_resumed: bool | None = None
    promise_grace: Duration | None = None


def _step(after_days: int, template: str) -> LadderStepConfig:
    return LadderStepConfig(after=timedelta(days=after_days), template=template)


DEFAULT_RULES = RulesConfig(
    ladder=(_step(7, "check_in"), _step(7, "closing_notice")),
    give_up_after=timedelta(days=7),
    send_window=domain.SendWindow(time(9, 0), time(17, 0)),
    business_days=True,
    holidays_country="",
    invoice_ladder=(_step(3, "payment_reminder"), _step(7, "work_paused")),
    deadline_ladder=(_step(2, "deadline_reminder"),),
    reply_defers_invoice=timedelta(days=3),
    min_gap=timedelta(days=2),
    return_grace=timedelta(days=2),
    away_default=timedelta(days=7),
    work_resumed=True,
    promise_grace=timedelta(days=1),
)


class InvoiceConfig(FrozenModel):
    number: Label
    amount: TextOrNumber = ""
    due: IsoDate

    def to_domain(self) -> domain.Invoice:
        return domain.Invoice(
            key=f"invoice:{self.number}", number=self.number, amount=self.amount, due=self.due
        )


class RecurringConfig(FrozenModel):
    """An expected payment every month on ``day`` (29-31 mean that day or the month's last)."""

    name: Text
    amount: TextOrNumber = ""
    every: Literal["month"] = "month"
    day: int = Field(default=1, ge=1, le=31)
    start: IsoDate | None = None

    def due_in(self, year: int, month: int) -> date:
        """Return the due date in ``year``-``month``, clamped to the month's last day."""
        return date(year, month, min(self.day, calendar.monthrange(year, month)[1]))

    def invoices_between(self, first: date, last: date) -> list[domain.Invoice]:
        """Return the occurrences due in ``[max(first, start), last]`` as invoices numbered
        ``"<name> YYYY-MM"`` (ladder key ``invoice:<name> YYYY-MM``), oldest first."""
        first = max(first, self.start) if self.start else first
        year, month, found = first.year, first.month, []
        while (year, month) <= (last.year, last.month):
            due = self.due_in(year, month)
            if first <= due <= last:
                number = f"{self.name} {year:04d}-{month:02d}"
                found.append(domain.Invoice(f"invoice:{number}", number, self.amount, due))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found


class DeadlineConfig(FrozenModel):
    what: Text
    due: IsoDate

    def to_domain(self) -> domain.Deadline:
        return domain.Deadline(key=f"deadline:{self.what}", what=self.what, due=self.due)


class ClientConfig(FrozenModel):
    name: Text
    emails: tuple[Email, ...] = ()
    domains: tuple[Domain, ...] = ()
    timezone: TimeZone | None = None
    language: Language = "en"
    first_name: str = ""
    account: str | None = None
    rules: RulesConfig = RulesConfig()
    invoices: tuple[InvoiceConfig, ...] = ()
    recurring: tuple[RecurringConfig, ...] = ()
    deadlines: tuple[DeadlineConfig, ...] = ()

    @model_validator(mode="after")
    def _recognisable(self) -> Self:
        if not self.emails and not self.domains:
            raise problem("a client needs at least one address in emails or domains")
        return self


DEFAULT_DATABASE_URL = "sqlite:///~/.local/state/ghostwatch/ghostwatch.db"


# backend -> (accepted driver names, the module that driver needs, how to get it).
# ghostwatch is tested with exactly these; store.engine.SUPPORTED says the same.
DATABASE_DRIVERS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "sqlite": (("", "pysqlite"), "sqlite3", "it is part of Python"),
    "postgresql": (("", "psycopg"), "psycopg", "pip install 'ghostwatch[postgres]'"),
}
SUPPORTED_DATABASES = "sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE"


def check_database_url(value: str) -> str | None:
    """Return what is wrong with database URL ``value`` (backend, driver, the driver's
    module importable), or None if ghostwatch can use it. Never repeats a URL that
    has a scheme (it may hold a password)."""
    match = re.match(r"([A-Za-z][A-Za-z0-9.-]*)(?:\+([A-Za-z0-9_.-]+))?://", value)
    if match is None:  # no scheme at all: no password to hide either
        return f"{value!r} is not a database URL (like sqlite:///path/to/file.db)"
    backend, driver = match.group(1).lower(), (match.group(2) or "").lower()
    if backend == "postgres":
        return "unknown backend 'postgres': write postgresql+psycopg://..."
    known = DATABASE_DRIVERS.get(backend)
    if known is None:
        return f"backend {backend!r} is not supported; supported: {SUPPORTED_DATABASES}"
    drivers, module, install = known
    if driver not in drivers:
        listed = ", ".join(repr(d) for d in drivers if d)
        return f"driver {driver!r} is not supported for {backend}; supported: {listed}"
    if importlib.util.find_spec(module) is None:
        return f"the {backend} driver ({module}) is not installed: {install}"
    return None


class DatabaseConfig(FrozenModel):
    """``url``: SQLite file or PostgreSQL database. ``lease_ttl``: how long a daemon's
    claim on an account lasts without renewal (another daemon takes over after it)."""

    url: str = ""
    lease_ttl: PositiveDuration = timedelta(seconds=60)

    @field_validator("url")
    @classmethod
    def _supported_url(cls, value: str) -> str:
        wrong = check_database_url(value) if value else None
        if wrong is not None:
            raise problem(wrong)
        return value

    @field_validator("lease_ttl")
    @classmethod
    def _long_enough(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=3):
            raise problem("lease_ttl must be at least 3s (it is renewed every third of it)")
        return value

    def resolved_url(self, env: Mapping[str, str] | None = None) -> str:
        """Return the SQLAlchemy URL: ``url``, else ``sqlite:///$STATE_DIRECTORY/ghostwatch.db``
        (systemd ``StateDirectory=``), else ``DEFAULT_DATABASE_URL``; a leading ``~`` in a
        SQLite path becomes ``$HOME``. ``env`` defaults to ``os.environ``."""
        env = os.environ if env is None else env
        url = self.url
        if not url and env.get("STATE_DIRECTORY"):
            url = f"sqlite:///{env['STATE_DIRECTORY'].split(':')[0]}/ghostwatch.db"
        url = url or DEFAULT_DATABASE_URL
        prefix, _, path = url.partition(":///")
        if prefix.startswith("sqlite") and path.startswith("~"):
            home = env.get("HOME") or str(Path.home())
            url = f"{prefix}:///{home}{path[1:]}"
        return url


class TemplatesConfig(FrozenModel):
    """``dir``: your templates (relative to the config file's folder); None = built-ins."""

    dir: OptionalPath = None


def _has_catalogue(value: str) -> str:
    """The summary is written from the shipped catalogues only: another language would
    silently come out in English (``i18n.resolve`` falls back)."""
    if i18n.resolve(value) == i18n.SOURCE and value.split("-")[0].lower() != i18n.SOURCE:
        listed = ", ".join(i18n.languages())
        raise problem(f"the summary is not translated into {value!r} (supported: {listed})")
    return value


class SummaryConfig(FrozenModel):
    enabled: bool = True
    to: OptionalEmail = None
    at: Clock = time(8, 0)
    language: Annotated[Language, AfterValidator(_has_catalogue)] = "en"
    account: str | None = None
    # replies to the summary may steer ghostwatch (docs/commands.md)
    commands: bool = True
