"""Never fail quietly: journald priorities on log lines, help for every option, the man
page in step with the parser, shell completion, and the files the wheel ships."""

from __future__ import annotations

import argparse
import json
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest
import structlog

from ghostwatch.adapters import logs
from ghostwatch.cli import entry as cli
from ghostwatch.cli.parser import build_parser
from ghostwatch.resources import EXAMPLE_CONFIG, MAN_PAGE, SYSTEM_UNIT, USER_UNIT, shipped_text
from ghostwatch.tools import manpage

ROOT = Path(__file__).parents[3]


def _log_lines(tmp_path: Path, env: dict[str, str]) -> list[str]:
    path = tmp_path / "journal"
    with path.open("w") as stream:
        logs.configure(level="info", stream=stream, json=True, env=env)
        log = structlog.get_logger("t")
        log.error("imap.failed", account="studio")
        log.warning("smtp.retry", account="studio")
        log.info("cycle.done", sent=0)
    logs.configure(level="warning")
    return path.read_text().splitlines()


def _stream_id(path: Path) -> str:
    st = os.stat(path)
    return f"{st.st_dev}:{st.st_ino}"


def test_lines_carry_their_priority_when_written_to_the_journal(tmp_path: Path) -> None:
    (tmp_path / "journal").touch()
    lines = _log_lines(tmp_path, {"JOURNAL_STREAM": _stream_id(tmp_path / "journal")})
    assert [line[:3] for line in lines] == ["<3>", "<4>", "<6>"]  # err, warning, info
    assert json.loads(lines[0][3:])["event"] == "imap.failed"  # the rest stays JSON


def test_no_prefix_off_the_journal_or_when_stderr_was_redirected(tmp_path: Path) -> None:
    assert all(line.startswith("{") for line in _log_lines(tmp_path, {}))
    other = tmp_path / "elsewhere"
    other.touch()  # JOURNAL_STREAM inherited, but we write to another file now
    lines = _log_lines(tmp_path, {"JOURNAL_STREAM": _stream_id(other)})
    assert all(line.startswith("{") for line in lines)


def _actions(parser: argparse.ArgumentParser, path: str = "ghostwatch") -> list[tuple[str, Any]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _actions(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction):
            found.append((path, action))
    return found


def test_every_option_and_argument_has_help() -> None:
    missing = [
        f"{where}: {'/'.join(a.option_strings) or a.dest}"
        for where, a in _actions(build_parser())
        if not a.help
    ]
    assert missing == []


def test_the_shipped_man_page_is_the_parser_s() -> None:
    pytest.importorskip("argparse_manpage")
    shipped = (ROOT / MAN_PAGE).read_text()
    assert shipped == manpage.render(), (
        "regenerate: python -m ghostwatch.tools.manpage docs/ghostwatch.1"
    )
    assert ".SH SYNOPSIS" in shipped
    assert "\\-\\-check" in shipped and "ghostwatch init" in shipped


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_scripts_know_every_command(shell: str, capsys: Any) -> None:
    assert cli.main(["completion", shell]) == 0
    script = capsys.readouterr().out
    for command in ("check-config", "status", "init", "snooze", "completion"):
        assert command in script
    assert "--provider" in script and "fastmail" in script


def test_the_wheel_ships_the_example_config_units_and_man_page() -> None:
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]
    included = build["targets"]["wheel"]["force-include"]
    for name in (EXAMPLE_CONFIG, SYSTEM_UNIT, USER_UNIT, MAN_PAGE):
        assert included[name] == f"ghostwatch/_shipped/{name}"
        assert shipped_text(name) == (ROOT / name).read_text()
    shared = build["targets"]["wheel"]["shared-data"]
    assert shared[MAN_PAGE] == "share/man/man1/ghostwatch.1"
