"""check-config's warnings: values that are valid but probably not what was meant, and
password sources that cannot be found from where check-config runs.

A warning never makes the file invalid (tests use "30m" ladder steps; systemd may set
a variable or create a file only for the service): check-config prints each one as
``FILE: key.path: warning: message`` and still says OK. Errors are ``ghostwatch.config.loader``'s.

- short waits: a silence-ladder step or ``give_up_after`` under a day;
- languages: a client language with no template of its own for something the client
  can receive (English is used for it, ``TemplateSet`` falls back);
- secrets: ``password`` written in the file; ``password_env`` not set, ``password_file``
  missing, ``password_command``'s program not on PATH here.

Pure apart from what is passed in: the environment, and ``which``/``exists`` (default
``shutil.which`` and ``Path.exists``); no secret is read and none appears in a warning.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path

from ghostwatch.config.loader import Config, RulesConfig, ServerConfig, templates_of
from ghostwatch.core.durations import format_duration
from ghostwatch.core.i18n import SOURCE
from ghostwatch.core.templates import TemplateSet

__all__ = ["config_warnings", "language_warnings", "secret_warnings", "short_wait_warnings"]

Loc = tuple[str | int, ...]
Found = tuple[Loc, str]
_DAY = timedelta(days=1)


def config_warnings(
    config: Config,
    templates: TemplateSet,
    env: Mapping[str, str],
    which: Callable[[str], str | None] = shutil.which,
    exists: Callable[[Path], bool] = Path.exists,
) -> list[Found]:
    """Every warning about ``config`` (module docstring), in file order per kind."""
    return [
        *short_wait_warnings(config),
        *language_warnings(config, templates),
        *secret_warnings(config, env, which, exists),
    ]


def _meant(value: timedelta) -> str:
    """``30m`` -> ``30d``: the same number, in days (what a short value usually meant)."""
    written = format_duration(value)
    return written.rstrip("smhdw") + "d"


def short_wait_warnings(config: Config) -> list[Found]:
    """A silence-ladder step or ``give_up_after`` shorter than a day, where it is written."""
    levels: list[tuple[Loc, RulesConfig]] = [(("rules",), config.rules)]
    levels += [(("clients", i, "rules"), c.rules) for i, c in enumerate(config.clients)]
    found: list[Found] = []
    for loc, rules in levels:
        for i, step in enumerate(rules.ladder or ()):
            if step.after < _DAY:
                found.append(
                    (
                        (*loc, "ladder", i, "after"),
                        f"a {step.template} {format_duration(step.after)} after your message"
                        f" is unusual — did you mean {_meant(step.after)}?",
                    )
                )
        give_up = rules.give_up_after
        if give_up is not None and give_up < _DAY:
            found.append(
                (
                    (*loc, "give_up_after"),
                    f"giving up {format_duration(give_up)} after the last nudge is unusual"
                    f" — did you mean {_meant(give_up)}?",
                )
            )
    return found


def language_warnings(config: Config, templates: TemplateSet) -> list[Found]:
    """A client whose language lacks some template it can receive (English is sent)."""
    found: list[Found] = []
    for i, client in enumerate(config.clients):
        language = client.language
        if language == SOURCE:
            continue
        names = sorted(templates_of(config.rules_for(client)))
        missing = [n for n in names if not templates.has_own(n, language)]
        if not missing:
            continue
        if len(missing) == len(names):
            message = f"no templates in {language!r} — English will be used"
        else:
            message = (
                f"no {language!r} template for {', '.join(missing)} — English will be used"
                " for those"
            )
        found.append((("clients", i, "language"), message))
    return found


def secret_warnings(
    config: Config,
    env: Mapping[str, str],
    which: Callable[[str], str | None] = shutil.which,
    exists: Callable[[Path], bool] = Path.exists,
) -> list[Found]:
    """Each server's password source, judged from here without reading it."""
    found: list[Found] = []
    for index, account in enumerate(config.accounts):
        for protocol, server in (("imap", account.imap), ("smtp", account.smtp)):
            if server is not None and server.needs_login():
                loc: Loc = ("accounts", index, protocol)
                found += _source_warnings(loc, server, env, which, exists)
    return found


def _source_warnings(
    loc: Loc,
    server: ServerConfig,
    env: Mapping[str, str],
    which: Callable[[str], str | None],
    exists: Callable[[Path], bool],
) -> Iterator[Found]:
    fail = "else the login will fail"
    if server.password is not None:
        yield (
            (*loc, "password"),
            "the password is written in the config, readable by anyone who can read this"
            " file: move it to password_file (mode 0600) or password_command",
        )
    if server.password_env is not None and server.password_env not in env:
        yield (
            (*loc, "password_env"),
            f"${server.password_env} is not set here; fine if systemd sets it for the service"
            f" (Environment=, EnvironmentFile=), {fail}",
        )
    if server.password_file is not None and not exists(server.password_file):
        yield (
            (*loc, "password_file"),
            f"{server.password_file} does not exist; fine if it is put there before"
            f" ghostwatch runs (by you, systemd or a secrets tool), {fail}",
        )
    command = server.password_command
    if command and which(command[0]) is None:
        yield (
            (*loc, "password_command"),
            f"the program {command[0]!r} is not found here (on PATH, or at the path given);"
            f" fine if the service's PATH has it, {fail}",
        )
