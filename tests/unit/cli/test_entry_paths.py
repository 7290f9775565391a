"""The command line on what a new user types wrong: output paths it cannot write, a
folder given as the config, a hold shown as a made-up date, dates in JSON logs."""

from __future__ import annotations

import json
from datetime import date, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from ghostwatch.cli import entry as cli

NOW = "2026-12-01T10:00Z"


@pytest.mark.parametrize(
    ("argv", "target"),
    [
        (["summary", "--now", NOW, "--out", "/nonexistent/dir/x.html"], "/nonexistent/dir/x.html"),
        (["summary", "--now", NOW, "--out", "{tmp}"], "{tmp}"),
        (["export", "--out", "/nonexistent/x.csv"], "/nonexistent/x.csv"),
        (["export", "--out", "{tmp}"], "{tmp}"),
    ],
)
def test_an_unwritable_output_path_is_one_line_and_exit_2(
    config: Path, tmp_path: Path, capsys: Any, argv: list[str], target: str
) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert cli.main(["--config", str(config), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cannot write {target.replace('{tmp}', str(tmp_path))}: ")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["init", "--address", "a@b.example", "--provider", "gmail", "--timezone", "UTC",
         "--out", "/proc/x/c.toml"],
        ["init", "--systemd", "user", "--install", "--unit-dir", "/proc/nope"],
        ["demo", "--out", "/proc/nope"],
    ],
)  # fmt: skip
def test_setup_commands_say_which_path_they_cannot_write(argv: list[str], capsys: Any) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("cannot write /proc/") and "Traceback" not in err


def test_a_folder_as_the_config_is_named_a_folder(tmp_path: Path, capsys: Any) -> None:
    assert cli.main(["--config", str(tmp_path), "status"]) == 2
    err = capsys.readouterr().err
    assert "is a directory" in err and "file not found" not in err


def test_a_hold_shows_as_held_never_as_a_date(config: Path, capsys: Any) -> None:
    base = ["--config", str(config)]
    assert cli.main([*base, "status", "--json", "--now", NOW]) == 0
    name = json.loads(capsys.readouterr().out)[0]["client"]
    assert cli.main([*base, "hold", name, "--now", NOW]) == 0
    capsys.readouterr()
    assert cli.main([*base, "status", "--json", "--now", NOW]) == 0
    [row] = [r for r in json.loads(capsys.readouterr().out) if r["client"] == name]
    assert row["state"] == "held" and row["held_until_resume"] is True
    assert row["snoozed_until"] is None and row["next_action"] is None
    assert cli.main([*base, "status", "--now", NOW]) == 0
    [line] = [x for x in capsys.readouterr().out.splitlines() if x.startswith(name)]
    assert "held until you resume it" in line and "31 Dec" not in line
    html = config.parent / "s.html"
    assert cli.main([*base, "summary", "--now", NOW, "--out", str(html)]) == 0
    text = html.read_text()
    assert "2999" not in text and "31 Dec" not in text
    assert cli.main([*base, "history", name]) == 0
    assert "2999" not in capsys.readouterr().out


def test_json_logs_write_dates_as_iso(capsys: Any) -> None:
    import structlog

    from ghostwatch.adapters import logs

    out = StringIO()
    logs.configure(level="info", stream=out, json=True)
    at = datetime.fromisoformat("2026-12-01T09:00:00+00:00")
    structlog.get_logger("t").info("summary.sent", day=date(2026, 12, 1), at=at)
    line = json.loads(out.getvalue())
    assert line["day"] == "2026-12-01" and line["at"] == "2026-12-01T09:00:00+00:00"
