"""``ghostwatch init`` and ``completion``: setting ghostwatch up on a machine.

Part of the shell (it prints and asks); ``cli.init`` does the work and returns lines.
Their options are in ``cli.parser``. Exit status as everywhere (docs/cli.md, "Exit
status"): 0 ok, 1 failed, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ghostwatch.cli.shared import EXIT_OK
from ghostwatch.errors import cannot_write

__all__ = ["cmd_completion", "cmd_init"]


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

    from ghostwatch.cli.parser import build_parser

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
