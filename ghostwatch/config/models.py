"""The sections of the configuration file, one frozen model each (config.example.toml).

``ghostwatch.config.loader`` assembles them into ``Config`` and re-exports them; import them
from there. Every model refuses unknown keys; cross-section checks (unique names,
existing accounts) live in ``ghostwatch.config.loader``.
"""

from __future__ import annotations

import calendar
import importlib.util
import os
import re
from collections.abc import Mapping
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ghostwatch.adapters.net import is_loopback
from ghostwatch.config.secrets import Secret
from ghostwatch.config.types import (
    AccountName,
    Clock,
    Command,
    ConfigPath,
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
    Regex,
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

_PASSWORD_KEYS = ("password", "password_env", "password_file", "password_command")
_SECURITY_PORTS: dict[str, dict[str, int]] = {
    "imap": {"tls": 993, "starttls": 143, "none": 143},
    "smtp": {"tls": 465, "starttls": 587, "none": 25},
}


class ServerConfig(FrozenModel):
    """Connection settings shared by ``[accounts.imap]`` and ``[accounts.smtp]``.

    ``port`` defaults by ``security``; ``username`` defaults to the account address, and
    ``""`` means "do not log in". ``secret`` tells where the password lives. ``auth``:
    ``"password"`` (LOGIN / AUTH PLAIN) or ``"xoauth2"`` (the secret is an OAuth2 access
    token, normally printed by ``password_command``, e.g. ``oama access ADDRESS``; it is
    read afresh for every connection, docs/setup.md).
    """

    protocol: ClassVar[str] = "imap"
    host: Text
    port: int = Field(ge=1, le=65535)
    security: Literal["tls", "starttls", "none"]
    username: str
    auth: Literal["password", "xoauth2"] = "password"
    password: SecretStr | None = None
    password_env: Text | None = None
    password_file: ConfigPath | None = None
    password_command: Command | None = None
    ca_file: ConfigPath | None = None
    timeout: PositiveDuration = timedelta(seconds=30)
    _credential: str = PrivateAttr(default="")

    @model_validator(mode="before")
    @classmethod
    def _default_port(cls, data: Any) -> Any:
        if isinstance(data, dict) and "port" not in data:
            security = data.get("security", cls.model_fields["security"].default)
            port = _SECURITY_PORTS[cls.protocol].get(str(security))
            return data if port is None else {**data, "port": port}
        return data

    @field_validator("security")
    @classmethod
    def _loopback_only(cls, value: str, info: ValidationInfo) -> str:
        host = info.data.get("host")
        if value == "none" and isinstance(host, str) and not is_loopback(host):
            raise problem(f'"none" is only allowed for a loopback host, not {host!r}')
        return value

    @field_validator("password_env", "password_file", "password_command")
    @classmethod
    def _one_source(cls, value: object, info: ValidationInfo) -> object:
        earlier = [k for k in _PASSWORD_KEYS if info.data.get(k) is not None]
        if earlier and info.field_name is not None:
            names = ", ".join(earlier) + f" and {info.field_name}"
            raise problem(f"{names} are not compatible: give only one password source")
        return value

    @model_validator(mode="after")
    def _login_needs_username(self) -> Self:
        given = [key for key in _PASSWORD_KEYS if getattr(self, key) is not None]
        if given and not self.username:
            raise problem(f'{given[0]} is set but username is "" (which means: do not log in)')
        if self.auth == "xoauth2" and not self.username:
            raise problem('auth = "xoauth2" needs a username (the account\'s address)')
        if self.auth == "xoauth2" and self.password is not None:
            # an access token lives about an hour: a fixed one in the file stops working
            raise problem(
                'auth = "xoauth2": an access token expires within hours, so it cannot be '
                'written in the file; use password_command (e.g. ["oama", "access", '
                '"ADDRESS"])'
            )
        return self

    def needs_login(self) -> bool:
        """True when ghostwatch logs in to this server (``username`` is not empty)."""
        return bool(self.username)

    def has_password_key(self) -> bool:
        """True when one of the ``password*`` keys names the secret's source."""
        return any(getattr(self, key) is not None for key in _PASSWORD_KEYS)

    def secret(self) -> Secret:
        """Where the password lives (nothing is read until ``reveal()``).

        With no ``password*`` key: the systemd credential ``<account>-<imap|smtp>``.
        Callers log in only when ``username`` is not empty.
        """
        where = self._credential or self.protocol
        if self.password is not None:
            return Secret.from_password(self.password, where)
        if self.password_env is not None:
            return Secret.from_env(self.password_env, where)
        if self.password_file is not None:
            return Secret.from_file(self.password_file, where)
        if self.password_command is not None:
            return Secret.from_command(self.password_command, where)
        return Secret.from_credential(self._credential or f"ghostwatch-{self.protocol}", where)


class ImapFolders(FrozenModel):
    """Folder names; ``"auto"`` = found by SPECIAL-USE; ``all = ""`` = not watched."""

    inbox: Text = "INBOX"
    sent: Text = "auto"
    drafts: Text = "auto"
    all: str = ""


class ImapConfig(ServerConfig):
    protocol: ClassVar[str] = "imap"
    security: Literal["tls", "starttls", "none"] = "tls"
    folders: ImapFolders = ImapFolders()


class SmtpConfig(ServerConfig):
    protocol: ClassVar[str] = "smtp"
    security: Literal["tls", "starttls", "none"] = "starttls"


class PaymentMatcher(FrozenModel):
    """A message matching all given regexes (``re.search``) is a payment notice.

    ``from`` is required, and at least one of ``subject`` and ``body``.
    """

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)
    from_: Regex = Field(alias="from")
    subject: Regex | None = None
    body: Regex | None = None

    @model_validator(mode="after")
    def _needs_subject_or_body(self) -> PaymentMatcher:
        if self.subject is None and self.body is None:
            raise ValueError("give 'subject' or 'body' (or both) besides 'from'")
        return self


_LANGUAGE_KEY = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")


def _display_name(value: Any) -> Any:
    """A display name is a string, or a table of them by language with a ``default``."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        raise problem('expected a name, or a table like { default = "...", ka = "..." }')
    if "default" not in value:
        raise problem("a table of names needs a 'default' (used for other languages)")
    for key, name in value.items():
        if key != "default" and not _LANGUAGE_KEY.fullmatch(key):
            raise problem(f"{key!r} is not a language code (like 'en', 'ka', 'th')")
        if not isinstance(name, str):
            raise problem(f"{key}: expected a name (a string)")
    return value


class AccountConfig(FrozenModel):
    name: AccountName
    address: Email
    # a name, or one per language: { default = "Nino Beridze", ka = "ნინო ბერიძე" }
    display_name: Annotated[str | dict[str, str], BeforeValidator(_display_name)] = ""
    timezone: TimeZone
    mode: Literal["send", "draft"] = "send"
    max_nudges_per_day: int = Field(default=20, ge=0)
    payment_matchers: tuple[PaymentMatcher, ...] = ()
    dry_run: bool = False
    max_sync_age: PositiveDuration = timedelta(minutes=15)
    poll_interval: PositiveDuration = timedelta(seconds=60)
    initial_scan: PositiveDuration = timedelta(days=90)
    # after a server refuses a login, no new login to it before this (docs/setup.md)
    auth_retry: PositiveDuration = timedelta(minutes=15)
    aliases: tuple[Email, ...] = ()
    imap: ImapConfig
    smtp: SmtpConfig | None = Field(default=None, validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _default_usernames(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        address = data.get("address")
        data = dict(data)
        for key in ("imap", "smtp"):
            if isinstance(data.get(key), dict) and "username" not in data[key]:
                data[key] = {**data[key], "username": address if isinstance(address, str) else ""}
        return data

    def name_in(self, language: str | None = None) -> str:
        """The display name to sign with in ``language`` (the default one if none)."""
        if isinstance(self.display_name, str):
            return self.display_name
        return self.display_name.get(language or "default") or self.display_name["default"]

    def display_names(self) -> tuple[tuple[str, str], ...]:
        """Every (language, name) of a table of names, the default left out."""
        if isinstance(self.display_name, str):
            return ()
        return tuple(sorted((k, v) for k, v in self.display_name.items() if k != "default"))

    @field_validator("smtp")
    @classmethod
    def _smtp_needed(cls, value: SmtpConfig | None, info: ValidationInfo) -> SmtpConfig | None:
        if value is None and info.data.get("mode") == "send":
            raise problem('[accounts.smtp] is required when mode = "send"')
        return value

    @model_validator(mode="after")
    def _name_credentials(self) -> Self:
        for server in (self.imap, self.smtp):
            if server is not None:
                server._credential = f"{self.name}-{server.protocol}"
        return self


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
# ghostwatch is tested with exactly these; store_engine.SUPPORTED says the same.
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
