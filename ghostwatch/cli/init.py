"""``ghostwatch init``: a starter config and the systemd unit for this installation.

Contracts:
- ``write_config`` never overwrites an existing file unless told to, writes it 0600 in
  a 0700 folder, and validates the text with the real config loader first: a config
  ``init`` writes always passes ``check-config`` (the password file may still be empty).
- ``render_unit`` starts from the shipped unit and changes only ``ExecStart=`` (the
  executable actually running, e.g. pipx's ``~/.local/bin/ghostwatch`` as
  ``%h/.local/bin/ghostwatch``) and the credential names of the account, so the
  hardening stays the reviewed one.
This module prints nothing: ``cli.setup`` asks the questions and prints what it returns.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ghostwatch.config.providers import PROVIDER_KEYS, guess_provider, provider_for
from ghostwatch.config.starter import SECRET_FILE, Answers, LoginSource, account_name
from ghostwatch.config.types import is_email, timezone_problem
from ghostwatch.core.i18n import languages
from ghostwatch.errors import ConfigError
from ghostwatch.resources import SYSTEM_UNIT, USER_UNIT, shipped_text

UnitKind = Literal["system", "user"]
Ask = Callable[[str, str], str]  # (question, default) -> answer


@dataclass(frozen=True, slots=True)
class Choices:
    """``init``'s options; ``None`` means "not given" (asked on a TTY, else defaulted)."""

    address: str | None
    provider: str | None
    timezone: str | None
    language: str | None
    password_command: str | None = None
    systemd: UnitKind | None = None


def local_timezone(env: Mapping[str, str], etc: Path = Path("/etc")) -> str:
    """This machine's IANA zone: ``$TZ``, ``/etc/timezone``, the ``/etc/localtime``
    link's target; ``UTC`` if none names one."""
    if env.get("TZ", "").strip(":") and "/" in env["TZ"]:
        return env["TZ"].lstrip(":")
    try:
        named = (etc / "timezone").read_text().strip()
    except OSError:
        named = ""
    if named:
        return named
    try:
        target = os.readlink(etc / "localtime")
    except OSError:
        return "UTC"
    found = re.search(r"zoneinfo/(.+)$", target)
    return found.group(1) if found else "UTC"


def answers(choices: Choices, ask: Ask | None, env: Mapping[str, str]) -> Answers:
    """Fill what ``choices`` leaves open: ``ask`` it (on a TTY) or take the default.

    Raise ``ConfigError`` naming the option (``--address``, ``--timezone``,
    ``--language``) whose value is not an address, a known time zone or a supported
    language, if the address is missing without a TTY, or if the provider is unknown.
    """
    address = (choices.address or (ask("Your email address", "") if ask else "")).strip()
    if not address:
        raise ConfigError(["init: give your address with --address (e.g. me@example.com)"])
    if not is_email(address):
        given = "--address" if choices.address else "the address"
        raise ConfigError(
            [f"init: {given}: {address!r} is not an email address (like me@example.com)"]
        )
    domain = address.rpartition("@")[2]
    key = choices.provider or guess_provider(domain)
    if ask and choices.provider is None:
        key = ask(f"Provider ({'|'.join(PROVIDER_KEYS)})", key)
    if key not in PROVIDER_KEYS:
        raise ConfigError([f"init: unknown provider {key!r} (known: {', '.join(PROVIDER_KEYS)})"])
    zone = choices.timezone or local_timezone(env)
    if ask and choices.timezone is None:
        zone = ask("Your time zone (IANA, e.g. Asia/Tbilisi)", zone)
    wrong = timezone_problem(zone)
    if wrong is not None:
        given = "--timezone" if choices.timezone else "the time zone"
        raise ConfigError([f"init: {given}: {wrong}"])
    language = choices.language or "en"
    if ask and choices.language is None:
        language = ask(f"Language of your daily summary ({', '.join(languages())})", language)
    if language not in languages():
        given = "--language" if choices.language else "the language"
        supported = ", ".join(languages())
        raise ConfigError(
            [f"init: {given}: {language!r} is not supported (supported: {supported})"]
        )
    source: LoginSource = "credential" if choices.systemd == "system" else "file"
    if choices.password_command:
        source = "command"
    return Answers(
        address=address,
        provider=provider_for(key, domain),
        timezone=zone,
        language=language,
        login_from=source,
        password_command=choices.password_command or "",
    )


def default_config_path(env: Mapping[str, str], kind: UnitKind | None = None) -> Path:
    """Where the config is looked for by default: ``$XDG_CONFIG_HOME/ghostwatch/config.toml``
    (``/etc/ghostwatch/config.toml`` for the system service)."""
    if kind == "system":
        return Path("/etc/ghostwatch/config.toml")
    xdg = env.get("XDG_CONFIG_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".config"
    return base / "ghostwatch" / "config.toml"


def write_config(path: Path, text: str, *, force: bool = False, mode: int = 0o600) -> list[str]:
    """Validate ``text`` with the config loader, then write it to ``path`` (``mode``).

    Return the next steps to tell the user. Raise ``ConfigError`` if ``path`` exists
    (and not ``force``) or the text does not validate (nothing is written then).
    """
    from ghostwatch.config.loader import load_config

    path = path.absolute()
    if path.exists() and not force:
        raise ConfigError([f"{path}: already exists (use --force to replace it)"])
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".init-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        load_config(Path(tmp))  # the same rules as check-config, before it is in place
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    steps = [f"wrote {path}"]
    if f'password_file = "{SECRET_FILE}"' in text:
        secret = path.parent / SECRET_FILE
        # typed at the terminal, not on the command line: it stays out of shell history
        steps.append(f"put your password in {secret}: install -m 0600 /dev/stdin {secret}")
        steps.append("  then type or paste the password, press Enter, then Ctrl-D")
    steps.append(f"then: ghostwatch --config {path} check-config")
    return steps


def resolve_executable(argv0: str, which: Callable[[str], str | None] = shutil.which) -> str:
    """The ``ghostwatch`` executable running now: ``argv0`` when it is one (kept as
    given, not resolved: pipx's ``~/.local/bin`` link survives upgrades), else the one
    on ``$PATH``, else this interpreter with ``-m ghostwatch``."""
    if Path(argv0).name == "ghostwatch" and Path(argv0).is_file():
        return str(Path(argv0).absolute())
    found = which("ghostwatch")
    if found:
        return str(Path(found).absolute())
    return f"{_unit_word(sys.executable)} -m ghostwatch"


def _unit_word(text: str) -> str:
    """``text`` as one word of a unit's command line: ``%`` doubled, quoted if spaced."""
    text = text.replace("%", "%%")
    return f'"{text}"' if re.search(r"\s", text) else text


def unit_path(path: str, home: str) -> str:
    """A path for a user unit: under ``home`` it is written ``%h/...``."""
    if home and (path == home or path.startswith(home.rstrip("/") + "/")):
        return "%h" + _unit_word(path[len(home.rstrip("/")) :])
    return _unit_word(path)


def render_unit(
    kind: UnitKind, executable: str, *, config: str | None = None, account: str | None = None
) -> str:
    """The shipped ``kind`` unit with ``ExecStart=`` running ``executable`` (already a
    unit command word, see ``resolve_executable``/``unit_path``) on ``config`` (default:
    the unit's own lookup), and credentials named after ``account`` (system unit)."""
    text = shipped_text(SYSTEM_UNIT if kind == "system" else USER_UNIT)
    default = (
        "${CONFIGURATION_DIRECTORY}/config.toml"
        if kind == "system"
        else "%E/ghostwatch/config.toml"
    )
    exec_start = f"ExecStart={executable} --config {config or default} run"
    text = re.sub(r"^ExecStart=.*$", lambda _m: exec_start, text, count=1, flags=re.M)
    if account:
        text = re.sub(r"\bstudio-(imap|smtp)\b", lambda m: f"{account}-{m.group(1)}", text)
    return text


def unit_target(kind: UnitKind, env: Mapping[str, str], unit_dir: str | None = None) -> Path:
    """Where ``--install`` writes the unit: ``unit_dir``, else ``/etc/systemd/system``
    (system) or ``$XDG_CONFIG_HOME/systemd/user`` (user)."""
    if unit_dir:
        return Path(unit_dir) / "ghostwatch.service"
    if kind == "system":
        return Path("/etc/systemd/system/ghostwatch.service")
    return default_config_path(env).parents[1] / "systemd" / "user" / "ghostwatch.service"


def install_unit(path: Path, text: str) -> list[str]:
    """Write the unit to ``path`` (0644) and return the commands that start it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o644)
    user = "/user/" in str(path) or path.parent.name == "user"
    ctl = "systemctl --user" if user else "systemctl"
    return [
        f"wrote {path}",
        f"then: {ctl} daemon-reload && {ctl} enable --now ghostwatch",
    ]


def unit_for(
    kind: UnitKind, argv0: str, env: Mapping[str, str], config: Path | None, address: str | None
) -> str:
    """The unit ``init --systemd KIND`` prints for this installation."""
    home = env.get("HOME") or str(Path.home())
    exe = resolve_executable(argv0)
    exe_word = exe  # "python -m ghostwatch" is already in unit words
    if " -m " not in exe:
        exe_word = unit_path(exe, home) if kind == "user" else _unit_word(exe)
    config_word = None
    if config is not None and config != default_config_path(env, kind):
        absolute = str(config.absolute())
        config_word = unit_path(absolute, home) if kind == "user" else _unit_word(absolute)
    return render_unit(
        kind, exe_word, config=config_word, account=account_name(address) if address else None
    )
