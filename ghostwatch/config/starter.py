"""PURE: the starter configuration ``ghostwatch init`` writes.

Invariants:
- The text never holds a password: the account's passwords come from ``password_file``
  (a file the user fills, next to the config), ``password_command`` (a password
  manager), or, for the system service, systemd credentials (no password key at all).
- Every value is quoted with ``json.dumps``: a TOML basic string accepts every JSON
  string escape, so an address or a command with quotes or non-ASCII stays one value.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from ghostwatch.config.providers import Provider

LoginSource = Literal["file", "command", "credential"]
SECRET_FILE = "app-password"  # noqa: S105 (a file name, not a password)


@dataclass(frozen=True, slots=True)
class Answers:
    """What the starter config is made from (flags or answers on a TTY)."""

    address: str
    provider: Provider
    timezone: str
    language: str
    login_from: LoginSource = "file"
    password_command: str = ""


def account_name(address: str) -> str:
    """A config ``name`` from an address's local part: letters, digits, ``_ . -``;
    ``mail`` if nothing is left. It also names the systemd credentials."""
    local = address.partition("@")[0].lower()
    name = re.sub(r"[^a-z0-9_.-]+", "-", local).strip("-.")
    return name or "mail"


def _q(value: str | list[str]) -> str:
    return json.dumps(value, ensure_ascii=False)


def _password_lines(a: Answers, protocol: str) -> list[str]:
    name = account_name(a.address)
    if a.provider.auth == "xoauth2":
        return _token_lines(a)
    if a.login_from == "command":
        return [
            "# The password is the first line of this command's output (run without a shell).",
            f"password_command = {_q(a.password_command)}",
        ]
    if a.login_from == "credential":
        return [
            "# No password key: the system service reads the systemd credential",
            f"# {name}-{protocol} (LoadCredential= in the unit `ghostwatch init --systemd "
            "system` prints).",
        ]
    return [
        "# The password is read from this file, next to this config (mode 0600).",
        f"# For {a.provider.label} it is {a.provider.login_hint}.",
        '# Or use password_command = "pass show mail" instead.',
        f"password_file = {_q(SECRET_FILE)}",
    ]


def _token_lines(a: Answers) -> list[str]:
    """OAuth2 providers: a fresh access token from a helper at every login; a password
    file or credential would hold a token that expires within the hour."""
    command = _q(a.password_command) if a.password_command else _q(["oama", "access", a.address])
    return [
        f"# {a.provider.label}: {a.provider.login_hint}.",
        "# The command prints a fresh access token for each login (run without a shell);",
        "# set the helper up once, then prove it with `ghostwatch check-config --online`.",
        'auth = "xoauth2"',
        f"password_command = {command}",
    ]


def render(a: Answers) -> str:
    """Return the commented TOML text of a one-account starter config for ``a``."""
    return "\n".join([*_header(a), *_account(a), *_servers(a), *_rest(a)])


def _header(a: Answers) -> list[str]:
    return [
        "# ghostwatch configuration, written by `ghostwatch init`.",
        "# Check it with `ghostwatch check-config`; every key is described in",
        "# config.example.toml (shipped with ghostwatch; docs/behaviour.md has the rules).",
        f"# Servers: the {a.provider.label} preset, from {a.provider.source}",
        "",
        "# [database] url defaults to ~/.local/state/ghostwatch/ghostwatch.db",
        "# (or $STATE_DIRECTORY/ghostwatch.db under systemd's StateDirectory=).",
        "",
    ]


def _account(a: Answers) -> list[str]:
    return [
        "[[accounts]]",
        f"name = {_q(account_name(a.address))}",
        f"address = {_q(a.address)}",
        '# display_name = "Your Name"      # shown in From:',
        f"timezone = {_q(a.timezone)}",
        '# "send" sends nudges; "draft" puts them in Drafts for you to send.',
        'mode = "send"',
        "# Watch first: report what would be sent, send nothing. Set to false when happy.",
        "dry_run = true",
        "",
    ]


def _servers(a: Answers) -> list[str]:
    """The provider preset's ``[accounts.imap]`` and ``[accounts.smtp]`` tables."""
    p = a.provider
    local = a.address.partition("@")[0]
    imap_user = local if p.imap_user_is_local_part else a.address
    lines = [
        "[accounts.imap]",
        f"host = {_q(p.imap.host)}",
        f"port = {p.imap.port}",
        f"security = {_q(p.imap.security)}",
        f"username = {_q(imap_user)}",
        *_password_lines(a, "imap"),
    ]
    if p.all_folder:
        lines.append(f"folders = {{ all = {_q(p.all_folder)} }}   # also watch All Mail")
    return [
        *lines,
        "",
        "[accounts.smtp]",
        f"host = {_q(p.smtp.host)}",
        f"port = {p.smtp.port}",
        f"security = {_q(p.smtp.security)}",
        f"username = {_q(a.address)}",
        *_password_lines(a, "smtp"),
        "",
    ]


def _rest(a: Answers) -> list[str]:
    """``[rules]``, ``[summary]`` and a commented-out client."""
    return [
        "[rules]",
        "# Defaults: a check-in after 7 days of silence, a closing notice 7 days later,",
        "# 09:00-17:00 on business days in the client's time zone. Skip public holidays:",
        '# holidays_country = "GE"',
        "",
        "[summary]",
        "# A daily summary to you at 08:00 in the account's time zone.",
        f"language = {_q(a.language)}",
        "",
        "# One [[clients]] table per client:",
        "# [[clients]]",
        '# name = "Acme Ltd"',
        '# emails = ["jane@acme.example"]',
        '# domains = ["acme.example"]',
        f"# language = {_q(a.language)}",
        f"# timezone = {_q(a.timezone)}",
        "",
    ]
