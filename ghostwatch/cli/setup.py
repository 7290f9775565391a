"""The command line, continued: ``init``, ``completion`` and ``status --check``.

Part of the shell like ``cli.py`` (it prints); ``cli.build_parser`` calls
``add_setup_commands`` and ``cli.HANDLERS`` includes ``SETUP_HANDLERS``. Exit status as
everywhere (docs/cli.md, "Exit status"): 0 ok, 1 failed, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ghostwatch.errors import cannot_write

EXIT_OK, EXIT_FAILED = 0, 1

Cmd = Callable[[str, str], argparse.ArgumentParser]


def add_setup_commands(cmd: Cmd) -> None:
    """Add ``init`` and ``completion`` through ``cmd(name, help)`` (``cli.build_parser``'s)."""
    from ghostwatch.config.providers import PROVIDER_KEYS

    q = cmd(
        "init",
        "write a commented starter config (asks on a terminal), or print the systemd unit",
    )
    q.add_argument("--address", metavar="EMAIL", help="your email address (the account's)")
    q.add_argument(
        "--provider",
        choices=PROVIDER_KEYS,
        help="server preset (default: guessed from the address, else generic)",
    )
    q.add_argument("--timezone", metavar="ZONE", help="IANA time zone (default: this machine's)")
    q.add_argument("--language", metavar="LANG", help="summary language: en, ka, th (default en)")
    q.add_argument(
        "--password-command",
        metavar="CMD",
        help="read the password from this command (e.g. 'pass show mail') instead of a file",
    )
    q.add_argument(
        "--out",
        metavar="FILE",
        help="where to write the config (default: $XDG_CONFIG_HOME/ghostwatch/config.toml); "
        "with --systemd: the config the unit runs with",
    )
    q.add_argument("--force", action="store_true", help="replace an existing config file")
    q.add_argument(
        "--systemd",
        choices=["system", "user"],
        help="print the systemd unit for this installation's executable; with --address, "
        "also write the config for it (system: /etc/ghostwatch, passwords as credentials)",
    )
    q.add_argument(
        "--install", action="store_true", help="with --systemd: write the unit instead of printing"
    )
    q.add_argument(
        "--unit-dir",
        metavar="DIR",
        help="with --install: the folder to write ghostwatch.service to "
        "(default: /etc/systemd/system or ~/.config/systemd/user)",
    )
    q = cmd("completion", "print a shell completion script (bash: source it; zsh: put it on fpath)")
    q.add_argument("shell", choices=["bash", "zsh", "tcsh"], help="the shell to complete for")


def _tty_ask(question: str, default: str) -> str:
    shown = f" [{default}]" if default else ""
    answer = input(f"{question}{shown}: ").strip()
    return answer or default


def cmd_init(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> int:
    """``init``: write the starter config; with ``--systemd`` alone, only print (or
    ``--install``) the unit; with ``--systemd`` and ``--address``, both."""
    from ghostwatch.cli import init

    env = os.environ if env is None else env
    out = Path(args.out).expanduser() if args.out else None
    if args.systemd is None or args.address:
        out = _write_config(args, env, out)
    unit = init.unit_for(args.systemd, sys.argv[0], env, out, args.address) if args.systemd else ""
    if unit and args.install:
        target = init.unit_target(args.systemd, env, args.unit_dir)
        with cannot_write(target):
            _say(init.install_unit(target, unit))
    elif unit:
        sys.stdout.write(unit)
    return EXIT_OK


def _write_config(args: argparse.Namespace, env: Mapping[str, str], out: Path | None) -> Path:
    from ghostwatch.cli import init
    from ghostwatch.config.starter import render

    choices = init.Choices(
        address=args.address,
        provider=args.provider,
        timezone=args.timezone,
        language=args.language,
        password_command=args.password_command,
        systemd=args.systemd,
    )
    ask = _tty_ask if sys.stdin.isatty() and sys.stdout.isatty() else None
    answers = init.answers(choices, ask, env)
    path = out or init.default_config_path(env, args.systemd)
    # the system service's dynamic user must read it; it holds no secret then
    mode = 0o644 if args.systemd == "system" else 0o600
    with cannot_write(path):
        lines = init.write_config(path, render(answers), force=args.force, mode=mode)
    _say(lines if not args.systemd or args.install else [f"# {line}" for line in lines])
    return path


def _say(lines: Sequence[str]) -> None:
    for line in lines:
        print(line)


def cmd_completion(args: argparse.Namespace) -> int:
    """``completion SHELL``: shtab's script for the whole parser."""
    import shtab

    from ghostwatch.cli.entry import build_parser

    parser = build_parser()
    _complete_paths(parser, {"FILE": shtab.FILE, "DIR": shtab.DIRECTORY})
    sys.stdout.write(shtab.complete(parser, shell=args.shell))
    return EXIT_OK


def _complete_paths(parser: argparse.ArgumentParser, kinds: Mapping[str, Any]) -> None:
    """Let shells complete file names for every ``FILE`` / ``DIR`` option (shtab reads
    ``action.complete``)."""
    for action in parser._actions:  # argparse has no public walk over its actions
        if isinstance(action.metavar, str) and action.metavar in kinds:
            action.complete = kinds[action.metavar]  # type: ignore[attr-defined]
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _complete_paths(sub, kinds)


def status_exit(args: argparse.Namespace, health: Sequence[Mapping[str, Any]]) -> int:
    """``status``'s exit status: with ``--check``, 1 if any account is stale, failing
    (its last error is newer than its last successful sync) or paused, else 0."""
    if not getattr(args, "check", False):
        return EXIT_OK
    problems = [h["account"] for h in health if account_problems(h)]
    for h in health:
        if account_problems(h):
            print(
                f"check: account {h['account']}: {', '.join(account_problems(h))}", file=sys.stderr
            )
    return EXIT_FAILED if problems else EXIT_OK


def account_problems(h: Mapping[str, Any]) -> list[str]:
    """What ``status --check`` fails an account for (a health row of ``App.health_rows``)."""
    found = []
    if h.get("stale"):
        found.append("stale")
    error_at, sync = h.get("last_error_at"), h.get("last_sync")
    if h.get("last_error") and (sync is None or (error_at or "") >= sync):
        found.append("failing")
    if h.get("paused"):
        found.append("paused")
    return found


SETUP_HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "init": cmd_init,
    "completion": cmd_completion,
}
