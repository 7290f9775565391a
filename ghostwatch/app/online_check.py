"""``check-config --online``, and the secret checks plain ``check-config`` makes.

Online: per account, resolve every secret, log in to the IMAP and the SMTP server,
find the Sent and Drafts folders (SPECIAL-USE, then the usual names); then open the
database (``check_database``); and say each
result in plain words, one line per check, with a hint for the usual causes (app
passwords, IMAP disabled, TLS on a STARTTLS port and back, certificates).

Invariants:
- Rule 1: nothing is sent and nothing in the mailbox changes: the IMAP side only
  LISTs, the SMTP side says EHLO, AUTH and QUIT; the database is neither created nor
  migrated (PostgreSQL: ``SELECT 1``; SQLite: file permissions only).
- Rule 2: one account's failure does not stop the checks of the others; a failed
  login skips only the checks that need that connection.
- Rule 3: no secret is printed; a command's standard output never appears.
- Offline (``secret_source_problems``): a server that logs in but names no password
  source needs systemd's credentials directory; outside it, that is a config error.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ghostwatch.adapters.net import connection_hint, login_hint
from ghostwatch.adapters.ports import MailboxFactory
from ghostwatch.adapters.smtp import SmtpEndpoint
from ghostwatch.app.endpoints import imap_endpoint, smtp_endpoint
from ghostwatch.config.loader import AccountConfig, Config, ServerConfig
from ghostwatch.core.domain import FolderRole
from ghostwatch.errors import (
    GhostwatchError,
    MailboxAuthError,
    SecretError,
    SendAuthError,
    StoreError,
)
from ghostwatch.store.engine import parse_url, probe

# Where clients keep Sent and Drafts when the server flags neither (RFC 6154 absent):
# Dovecot/Courier, Outlook/Exchange, Apple Mail, Gmail's labels, Courier's INBOX. tree.
USUAL_NAMES: dict[FolderRole, tuple[str, ...]] = {
    FolderRole.SENT: (
        "Sent", "Sent Items", "Sent Messages", "Sent Mail", "[Gmail]/Sent Mail", "INBOX.Sent",
        "INBOX/Sent",
    ),
    FolderRole.DRAFTS: ("Drafts", "Draft", "[Gmail]/Drafts", "INBOX.Drafts", "INBOX/Drafts"),
}  # fmt: skip
# What the daemon itself uses for "auto" when nothing is flagged (sync.resolve_folders)
_DAEMON_FALLBACK = {FolderRole.SENT: "Sent", FolderRole.DRAFTS: "Drafts"}


@dataclass(frozen=True, slots=True)
class Check:
    """One check's outcome, said in plain words: ``account: what: OK|FAILED: detail``."""

    account: str
    what: str
    ok: bool
    detail: str = ""
    hint: str = ""

    def line(self) -> str:
        state = "OK" if self.ok else "FAILED"
        text = f"{self.account}: {self.what}: {state}"
        if self.detail:
            text += f": {self.detail}"
        if self.hint:
            text += f" — {self.hint}"
        return text


# --- offline ---------------------------------------------------------------------------


def secret_source_problems(config: Config, env: Mapping[str, str]) -> list[str]:
    """Return ``accounts[i].imap|smtp: ...`` for each server that logs in but names no
    password key, while ``env`` has no systemd credentials directory to read it from
    (or the credential file is not in it). ``username = ""`` means no login: no problem.
    """
    problems = []
    for index, account in enumerate(config.accounts):
        for protocol, server in (("imap", account.imap), ("smtp", account.smtp)):
            if server is None or not server.needs_login() or server.has_password_key():
                continue
            where = f"accounts[{index}].{protocol}"
            credential = f"{account.name}-{protocol}"
            directory = env.get("CREDENTIALS_DIRECTORY", "")
            if not directory:
                problems.append(
                    f"{where}: no password source: set password_command, password_file or "
                    f"password_env, or run under systemd with LoadCredential={credential}:FILE "
                    f"(to check such a config by hand: "
                    f"CREDENTIALS_DIRECTORY=/etc/ghostwatch/credentials ghostwatch check-config)"
                )
            elif not (Path(directory) / credential).is_file():
                problems.append(
                    f"{where}: the systemd credential {credential!r} is not in "
                    f"$CREDENTIALS_DIRECTORY ({directory}): add LoadCredential={credential}:FILE"
                )
    return problems


# --- online ----------------------------------------------------------------------------


# Connect, (STARTTLS,) log in and QUIT; raise as a send does before MAIL
# (``SmtpMailer.check_login``, given by the composition root).
SmtpLogin = Callable[[SmtpEndpoint], Awaitable[None]]


async def check_online(
    config: Config,
    env: Mapping[str, str] | None = None,
    *,
    mailbox_factory: MailboxFactory,
    smtp_login: SmtpLogin,
) -> list[Check]:
    """Run every online check of every account (Rule 2), then the database's; return
    them in order. ``env`` (default ``os.environ``) resolves the database URL; the
    servers are reached through the composition root's ``mailbox_factory`` and
    ``smtp_login`` (``ghostwatch.app.bootstrap.check_online``)."""
    checks: list[Check] = []
    for account in config.accounts:
        checks += await check_imap(account, mailbox_factory)
        checks += await check_smtp(account, smtp_login)
    url = config.database.resolved_url(os.environ if env is None else env)
    checks.append(await asyncio.to_thread(check_database, url))
    return checks


def check_database(url: str) -> Check:
    """Can the daemon open the database at ``url``? PostgreSQL: connect and ``SELECT 1``
    (nothing is created or migrated). SQLite: the file, or else the nearest existing
    folder it would be created in, is writable (nothing is created). The URL is shown
    masked; a failure names the cause without the password."""
    try:
        parsed, masked = parse_url(url)
    except StoreError as exc:
        return Check("database", "database", False, str(exc))
    what = masked
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_check(what, parsed.database or "")
    try:
        version = probe(url)
    except StoreError as exc:
        hint = "is the server running, and do the user, password and database exist?"
        return Check("database", what, False, str(exc).partition(f"{masked}: ")[2], hint)
    return Check("database", what, True, f"connected (server {version})")


def _sqlite_check(what: str, database: str) -> Check:
    if not database or database == ":memory:" or database.startswith("file:"):
        return Check("database", what, True, "not a file (nothing to check)")
    path = Path(os.path.expanduser(database))
    if path.exists():
        # the folder too: SQLite writes its -wal and -shm files next to the database
        writable = os.access(path, os.R_OK | os.W_OK) and os.access(path.parent, os.W_OK)
        detail = "readable and writable" if writable else "not writable by this user"
        return Check("database", what, writable, detail)
    folder = next(p for p in path.parents if p.exists())
    if not folder.is_dir():
        return Check("database", what, False, f"cannot be created: {folder} is not a folder")
    if os.access(folder, os.W_OK | os.X_OK):
        return Check("database", what, True, f"not there yet; will be created in {folder}")
    return Check("database", what, False, f"cannot be created: {folder} is not writable")


def _secret_check(account: AccountConfig, label: str, server: ServerConfig) -> Check:
    """Resolve the server's secret now (the token command runs, its output unseen)."""
    what = f"{label} password" if server.auth == "password" else f"{label} token"
    try:
        server.secret().reveal()
    except SecretError as exc:
        return Check(account.name, what, False, str(exc))
    return Check(account.name, what, True, f"read from {server.secret().source}")


def _server(label: str, server: ServerConfig) -> str:
    return f"{label} {server.host}:{server.port} ({server.security})"


async def check_imap(account: AccountConfig, mailbox_factory: MailboxFactory) -> list[Check]:
    """The IMAP secret, login and folders of ``account``."""
    imap, name = account.imap, account.name
    checks = [_secret_check(account, "IMAP", imap)] if imap.needs_login() else []
    if checks and not checks[0].ok:
        return checks
    what = f"{_server('IMAP', imap)} login as {imap.username!r}"
    try:
        async with mailbox_factory(imap_endpoint(account)) as mailbox:
            checks.append(Check(name, what, True, f"{imap.auth} accepted"))
            special = await mailbox.special_folders()
            names = await mailbox.folder_names()
    except MailboxAuthError as exc:
        return [
            *checks,
            Check(name, what, False, str(exc), login_hint(imap.host, imap.auth, str(exc))),
        ]
    except GhostwatchError as exc:
        hint = connection_hint("imap", imap.security, imap.port, str(exc))
        return [*checks, Check(name, what, False, str(exc), hint)]
    wanted = {FolderRole.SENT: imap.folders.sent, FolderRole.DRAFTS: imap.folders.drafts}
    for role, configured in wanted.items():
        checks.append(
            folder_check(name, role, configured, special, names, needed=_needed(account, role))
        )
    return checks


def _needed(account: AccountConfig, role: FolderRole) -> bool:
    """Sent is always read (our own messages, the crash recovery); Drafts only in
    ``mode = "draft"``."""
    return role is FolderRole.SENT or account.mode == "draft"


def folder_check(
    account: str,
    role: FolderRole,
    configured: str,
    special: Mapping[FolderRole, str],
    names: list[str],
    *,
    needed: bool,
) -> Check:
    """PURE: say which folder serves ``role`` and how it was found. ``configured`` is
    ``folders.sent`` / ``folders.drafts`` (``"auto"``, a name, or ``""``: not used)."""
    label = "Sent folder" if role is FolderRole.SENT else "Drafts folder"
    key = "folders.sent" if role is FolderRole.SENT else "folders.drafts"
    if not configured:
        return Check(account, label, not needed, f'not used ({key} = "")')
    if configured != "auto":
        if configured in names:
            return Check(account, label, True, f"{configured!r} ({key})")
        return Check(account, label, False, f"{configured!r} does not exist", f"set {key}")
    if role in special:
        return Check(account, label, True, f"{special[role]!r} (SPECIAL-USE)")
    by_name = [n for n in USUAL_NAMES[role] if n in names]
    if by_name and by_name[0] == _DAEMON_FALLBACK[role]:
        return Check(account, label, True, f"{by_name[0]!r} (by its name; not flagged)")
    if by_name:
        return Check(
            account,
            label,
            False,
            f"no folder is flagged {role.value}",
            f'set {key} = "{by_name[0]}"',
        )
    detail = f"none flagged {role.value} and none of {', '.join(USUAL_NAMES[role])}"
    if not needed:
        return Check(account, label, True, f'{detail} (needed only for mode = "draft")')
    return Check(account, label, False, detail, f"set {key} to the folder's name")


async def check_smtp(account: AccountConfig, smtp_login: SmtpLogin) -> list[Check]:
    """The SMTP secret and login of ``account`` (nothing is sent)."""
    smtp = account.smtp
    if smtp is None:
        return []
    checks = [_secret_check(account, "SMTP", smtp)] if smtp.needs_login() else []
    if checks and not checks[0].ok:
        return checks
    login = f"login as {smtp.username!r}" if smtp.needs_login() else "connection (no login)"
    what = f"{_server('SMTP', smtp)} {login}"
    try:
        await smtp_login(smtp_endpoint(account))
    except SendAuthError as exc:
        return [
            *checks,
            Check(account.name, what, False, str(exc), login_hint(smtp.host, smtp.auth, str(exc))),
        ]
    except GhostwatchError as exc:
        hint = connection_hint("smtp", smtp.security, smtp.port, str(exc))
        return [*checks, Check(account.name, what, False, str(exc), hint)]
    detail = f"{smtp.auth} accepted" if smtp.needs_login() else "greeted"
    return [*checks, Check(account.name, what, True, detail)]


__all__ = ["Check", "check_database", "check_online", "folder_check", "secret_source_problems"]
