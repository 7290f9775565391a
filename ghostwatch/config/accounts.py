"""The ``[[accounts]]`` section: an account, its IMAP and SMTP servers (and where their
passwords come from) and its payment matchers, one frozen model each
(config.example.toml).

``ghostwatch.config.loader`` assembles them into ``Config`` and re-exports them; import
them from there. Every model refuses unknown keys.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
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
    Command,
    ConfigPath,
    Email,
    FrozenModel,
    PositiveDuration,
    Regex,
    Text,
    TimeZone,
    problem,
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
