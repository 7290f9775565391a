"""The configuration file: TOML -> frozen, validated pydantic models (config.example.toml).

Invariants:
- Rule 1: every problem is reported at once, one line each, as ``FILE: key.path: message``
  (``ConfigError.problems``); pydantic's own wording and URLs never reach the user.
- Rule 2: unknown keys are errors, with a did-you-mean when a known key is close.
- Rule 3: secrets stay out of ``repr``, ``str``, ``model_dump`` and every error message;
  they are read only when ``Secret.reveal()`` is called (``ghostwatch.config.secrets``).
- Rule 4: loading reads the one file and nothing else; the helpers are pure.

Value types live in ``config.types``, section models in ``config.models`` and
``config.accounts``; all are re-exported here, so the rest of ghostwatch imports from
``ghostwatch.config.loader`` only.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import Field, PrivateAttr, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from ghostwatch.adapters.net import is_loopback
from ghostwatch.config.accounts import (
    AccountConfig,
    ImapConfig,
    ImapFolders,
    PaymentMatcher,
    ServerConfig,
    SmtpConfig,
)
from ghostwatch.config.cross import cross_problems
from ghostwatch.config.health import HealthConfig
from ghostwatch.config.models import (
    DEFAULT_DATABASE_URL,
    DEFAULT_RULES,
    ClientConfig,
    DatabaseConfig,
    DeadlineConfig,
    InvoiceConfig,
    LadderStepConfig,
    RecurringConfig,
    RulesConfig,
    SummaryConfig,
    TemplatesConfig,
)
from ghostwatch.config.types import FrozenModel, describe, format_loc, toml_position
from ghostwatch.core import domain
from ghostwatch.core.domain import normalise_address
from ghostwatch.errors import ConfigError

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_RULES",
    "AccountConfig",
    "ClientConfig",
    "Config",
    "DatabaseConfig",
    "DeadlineConfig",
    "HealthConfig",
    "ImapConfig",
    "ImapFolders",
    "InvoiceConfig",
    "LadderStepConfig",
    "PaymentMatcher",
    "RecurringConfig",
    "RulesConfig",
    "ServerConfig",
    "SmtpConfig",
    "SummaryConfig",
    "TemplatesConfig",
    "find_config_path",
    "is_loopback",
    "load_config",
    "parse_config",
    "read_config_data",
    "template_names",
    "templates_of",
]

Loc = tuple[str | int, ...]
_CROSS = "ghostwatch_cross"  # error type carrying a list of (loc, message) in its context


class Config(FrozenModel):
    """The whole configuration file. Build with ``load_config`` (or ``parse_config``)."""

    database: DatabaseConfig = DatabaseConfig()
    accounts: Annotated[tuple[AccountConfig, ...], Field(min_length=1)]
    rules: RulesConfig = RulesConfig()
    templates: TemplatesConfig = TemplatesConfig()
    summary: SummaryConfig = SummaryConfig()
    health: HealthConfig = HealthConfig()
    clients: tuple[ClientConfig, ...] = ()
    _path: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = cross_problems(self.model_dump(by_alias=True))
        if problems:
            raise PydanticCustomError(
                _CROSS, "{count} problems", {"count": len(problems), "problems": problems}
            )
        return self

    @property
    def path(self) -> Path | None:
        """The file this was loaded from (None when built from a mapping)."""
        return self._path

    def account(self, name: str) -> AccountConfig:
        """Return the account called ``name``; raise ``KeyError`` if there is none."""
        for account in self.accounts:
            if account.name == name:
                return account
        raise KeyError(name)

    def account_for(self, client: ClientConfig) -> AccountConfig:
        """Return the account ``client`` belongs to: its ``account``, else the first one."""
        return self.account(client.account) if client.account else self.accounts[0]

    def clients_of(self, account_name: str) -> list[ClientConfig]:
        """Return the clients of account ``account_name``, in file order."""
        return [c for c in self.clients if self.account_for(c).name == account_name]

    def client(self, name: str) -> ClientConfig:
        """Return the client called ``name`` (exact, then case-insensitive); raise ``KeyError``."""
        for client in self.clients:
            if client.name == name:
                return client
        for client in self.clients:
            if client.name.casefold() == name.casefold():
                return client
        raise KeyError(name)

    def matchers(self, account_name: str) -> list[domain.ClientMatcher]:
        """Return how to recognise each client of ``account_name`` (lower-cased)."""
        return [
            domain.ClientMatcher(
                name=c.name,
                emails=frozenset(normalise_address(e) for e in c.emails),
                domains=frozenset(d.lower() for d in c.domains),
            )
            for c in self.clients_of(account_name)
        ]

    def rules_for(self, client: ClientConfig) -> domain.Rules:
        """Resolve ``client``'s rules key by key: its ``rules`` -> ``[rules]`` -> built-ins.

        The time zone is the client's ``timezone``, else its account's.
        """
        layers = (client.rules, self.rules, DEFAULT_RULES)
        tz = client.timezone or self.account_for(client).timezone
        return _resolve(layers, tz)

    def default_rules(self, account: AccountConfig) -> domain.Rules:
        """``[rules]`` over the built-ins, in ``account``'s time zone (no client)."""
        return _resolve((self.rules, DEFAULT_RULES), account.timezone)

    def invoices_of(self, client: ClientConfig, today: date) -> list[domain.Invoice]:
        """Return ``client``'s invoices: the configured ones, then each recurring payment's
        occurrences due from its ``start`` (without one: from ``today``) to 31 days after
        ``today``. Callers store them as they appear, so an occurrence stays known once seen;
        without ``start``, past occurrences are never invented (no reminder for a month
        that may already be paid)."""
        found = [invoice.to_domain() for invoice in client.invoices]
        until = today + timedelta(days=31)
        for recurring in client.recurring:
            found += recurring.invoices_between(recurring.start or today, until)
        return found

    def summary_account(self) -> AccountConfig:
        """The account that sends the daily summary: ``[summary].account``, else the first."""
        return self.account(self.summary.account) if self.summary.account else self.accounts[0]

    def summary_to(self) -> str:
        """Where the daily summary goes: ``[summary].to``, else the summary account's address."""
        return self.summary.to or self.summary_account().address


def _resolve(layers: Sequence[RulesConfig], timezone: str) -> domain.Rules:
    def pick(key: str) -> Any:
        return next(v for v in (getattr(layer, key) for layer in layers) if v is not None)

    def ladder(key: str) -> tuple[domain.LadderStep, ...]:
        return tuple(step.to_domain() for step in pick(key))

    return domain.Rules(
        timezone=timezone,
        ladder=ladder("ladder"),
        give_up_after=pick("give_up_after"),
        send_window=pick("send_window"),
        business_days=pick("business_days"),
        holidays_country=pick("holidays_country"),
        invoice_ladder=ladder("invoice_ladder"),
        deadline_ladder=ladder("deadline_ladder"),
        reply_defers_invoice=pick("reply_defers_invoice"),
        min_gap=pick("min_gap"),
        return_grace=pick("return_grace"),
        away_default=pick("away_default"),
        work_resumed=pick("work_resumed"),
        promise_grace=pick("promise_grace"),
    )


def template_names(config: Config) -> set[tuple[str, str]]:
    """Return every ``(template, language)`` the resolved ladders of ``config`` name:
    each client's three ladders in the client's language, and the ``[rules]`` ladders in
    English (so a config without clients still checks its templates)."""
    resolved = [(config.rules_for(c), c.language) for c in config.clients]
    resolved.append((config.default_rules(config.accounts[0]), "en"))
    return {(name, language) for rules, language in resolved for name in templates_of(rules)}


def templates_of(rules: domain.Rules) -> set[str]:
    """Every template a client with ``rules`` can receive: its three ladders' steps,
    ``work_resumed`` / ``promise_reminder`` with an invoice ladder, and
    ``deadline_promise_reminder`` with a deadline ladder."""
    names = {s.template for s in (*rules.ladder, *rules.invoice_ladder, *rules.deadline_ladder)}
    if rules.work_resumed and rules.invoice_ladder:
        names.add("work_resumed")
    if rules.invoice_ladder:
        names.add("promise_reminder")
    if rules.deadline_ladder:
        names.add("deadline_promise_reminder")
    return names


# --- loading and error messages ----------------------------------------------------------


def load_config(path: Path) -> Config:
    """Read and validate the TOML file at ``path``.

    Raise ``ConfigError`` listing every problem, each ``FILE: key.path: message``
    (``FILE: line L, column C: message`` for TOML syntax; one problem if unreadable).
    """
    return parse_config(read_config_data(path), path)


def read_config_data(path: Path) -> dict[str, Any]:
    """Read the TOML file at ``path`` into a mapping, validating nothing yet; raise
    ``ConfigError`` (one problem) if it is unreadable, not UTF-8 or not TOML."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text (byte {exc.start})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: {toml_position(str(exc))}"]) from None
    return data


def parse_config(data: Mapping[str, Any], path: Path = Path("config.toml")) -> Config:
    """Validate already-parsed TOML ``data``; ``path`` names the file in problems and
    anchors relative paths (``templates.dir``, ``password_file``, ``ca_file``).

    Raise ``ConfigError`` with every problem found.
    """
    try:
        config = Config.model_validate(dict(data), context={"base_dir": path.parent})
    except ValidationError as exc:
        problems = [
            f"{path}: {format_loc(loc)}: {message}" for loc, message in _problems(exc, data)
        ]
        raise ConfigError(list(dict.fromkeys(problems))) from None
    config._path = path
    return config


def _problems(exc: ValidationError, data: Mapping[str, Any]) -> list[tuple[Loc, str]]:
    found: list[tuple[Loc, str]] = []
    errors = exc.errors(include_url=False)
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == _CROSS:
            found += error.get("ctx", {})["problems"]
        elif error["type"] != "too_short" or not any(
            len(e["loc"]) > len(loc) and e["loc"][: len(loc)] == loc for e in errors
        ):  # pydantic adds "too short" to a list whose items failed: noise
            found.append((loc, describe(error, Config)))
    if not any(e["type"] == _CROSS for e in exc.errors()):
        found += cross_problems(data)
    return found


# --- where the file is -----------------------------------------------------------------------


def find_config_path(cli_value: str | None, env: Mapping[str, str]) -> Path:
    """Return the config file to use: ``--config`` (``cli_value``), else
    ``$GHOSTWATCH_CONFIG``, else ``$XDG_CONFIG_HOME/ghostwatch/config.toml`` (default
    ``~/.config``). An explicitly named file must exist.

    Raise ``ConfigError`` naming what was tried if no file is found.
    """
    home = env.get("HOME") or str(Path.home())

    def expand(text: str) -> Path:
        return Path(home + text[1:]) if text == "~" or text.startswith("~/") else Path(text)

    for origin, value in (
        ("--config", cli_value),
        ("$GHOSTWATCH_CONFIG", env.get("GHOSTWATCH_CONFIG")),
    ):
        if value:
            path = expand(value)
            if path.is_dir():
                raise ConfigError(
                    [f"{path}: is a directory, not a config file (named by {origin})"]
                )
            if not path.is_file():
                raise ConfigError([f"{path}: file not found (named by {origin})"])
            return path
    xdg = env.get("XDG_CONFIG_HOME", "")
    base = expand(xdg) if xdg and Path(xdg).is_absolute() else Path(home) / ".config"
    path = base / "ghostwatch" / "config.toml"
    if path.is_file():
        return path
    raise ConfigError(
        [
            "no configuration file found; tried --config (not given), $GHOSTWATCH_CONFIG "
            f"(not set), {path} (not found). Run `ghostwatch init` to write one."
        ]
    )
