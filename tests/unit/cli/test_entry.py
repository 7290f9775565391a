"""The command line: check-config, usage errors, exit codes, and no secret in output."""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ghostwatch.cli import entry as cli
from ghostwatch.cli import status_table
from ghostwatch.core.i18n import display_width
from ghostwatch.core.views import HealthRow, NextAction, StatusRow

ROOT = Path(__file__).parents[3]

BROKEN = """\
[[accounts]]
name = "studio"
address = "nino@studio.example"
timezone = "Asia/Tbilisi"

[accounts.imap]
host = "imap.example.com"
security = "none"
username = "nino@studio.example"
password = "hunter2-do-not-show"

[accounts.smtp]
host = "smtp.example.com"
password = "hunter2-do-not-show"

[rules]
ladderr = [ { after = "7d", template = "check_in" } ]

[[clients]]
name = "Acme Ltd"
emails = ["jane@"]
timezone = "Mars/Olympus"
"""


def test_the_example_config_passes_check_config(capsys: Any) -> None:
    assert cli.main(["--config", str(ROOT / "config.example.toml"), "check-config"]) == 0
    assert "OK" in capsys.readouterr().out


def test_every_mistake_is_named_with_its_key_path_in_one_run(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "config.toml"
    path.write_text(BROKEN)
    assert cli.main(["--config", str(path), "check-config"]) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert "config.toml: clients[0].emails[0]: 'jane@' is not an email address" in err
    assert "config.toml: rules.ladderr: unknown key (did you mean 'ladder'?)" in err
    assert "config.toml: clients[0].timezone: unknown time zone 'Mars/Olympus'" in err
    assert "config.toml: accounts[0].imap.security:" in err
    assert "imap.example.com" in err
    assert "hunter2" not in captured.out + captured.err


def test_a_missing_config_file_is_a_usage_error(tmp_path: Path, capsys: Any) -> None:
    assert cli.main(["--config", str(tmp_path / "nope.toml"), "check-config"]) == 2
    assert "nope.toml" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["once", "--now", "yesterday"],
        ["snooze", "Acme"],  # --until is required
        ["summary"],  # --send or --out is required
    ],
)
def test_bad_usage_exits_2(argv: list[str], capsys: Any) -> None:
    assert cli.main(argv) == 2


def test_every_spec_command_has_help(capsys: Any) -> None:
    commands = [
        "check-config",
        "run",
        "once",
        "status",
        "summary",
        "history",
        "export",
        "snooze",
        "resume",
        "pause",
        "unpause",
        "paid",
        "demo",
    ]
    for command in commands:
        assert cli.main([command, "--help"]) == 0
        assert len(capsys.readouterr().out) > 80, command


def test_status_json_on_a_fresh_database(tmp_path: Path, capsys: Any) -> None:
    config = (ROOT / "config.example.toml").read_text()
    db = tmp_path / "gw.db"
    config = config.replace(
        'url = "sqlite:///~/.local/state/ghostwatch/ghostwatch.db"', f'url = "sqlite:///{db}"'
    )
    path = tmp_path / "config.toml"
    path.write_text(config)
    assert f"sqlite:///{db}" in config
    assert cli.main(["--config", str(path), "status", "--json", "--now", "2026-12-01T10:00Z"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows
    for row in rows:
        assert {
            "client",
            "last_inbound",
            "last_outbound",
            "waiting_on",
            "state",
            "step",
            "next_action",
        } <= row.keys()
        assert row["state"] in {"ok", "waiting", "nudged", "ghosted", "snoozed", "away", "bouncing"}
    assert db.stat().st_mode & 0o777 == 0o600


def test_logs_never_carry_a_secret(capsys: Any) -> None:
    from io import StringIO

    import structlog

    from ghostwatch.adapters import logs

    out = StringIO()
    logs.configure(level="info", stream=out, json=True)
    structlog.get_logger("t").info("imap.login", user="nino", password="hunter2", api_token="x1")
    line = json.loads(out.getvalue())
    assert line["password"] == logs.MASK
    assert line["api_token"] == logs.MASK
    assert "hunter2" not in out.getvalue()
    assert line["event"] == "imap.login"


def test_config_repr_and_errors_never_show_a_password(tmp_path: Path) -> None:
    from ghostwatch.config.loader import load_config

    path = tmp_path / "config.toml"
    path.write_text(
        textwrap.dedent(
            BROKEN.replace('security = "none"', 'security = "tls"')
            .replace("ladderr", "ladder")
            .replace('"jane@"', '"jane@acme.example"')
            .replace("Mars/Olympus", "Asia/Bangkok")
        )
    )
    config = load_config(path)
    text = repr(config) + str(config) + repr(config.accounts[0].imap.secret())
    assert "hunter2" not in text
    assert config.accounts[0].imap.secret().reveal() == "hunter2-do-not-show"


def test_status_table_aligns_thai_and_georgian_names() -> None:
    rows = [
        StatusRow(
            client=name,
            account="studio",
            state="ok",
            waiting_on=None,
            last_inbound=None,
            last_outbound=None,
            step=0,
            next_action=None,
        )
        for name in ("Acme Ltd", "สยาม ดีไซน์", "ქვევრი და კო")
    ]
    lines = status_table.format_table(rows).splitlines()[:4]
    columns = {display_width(line.split("ok")[0]) for line in lines[1:]}
    assert len(columns) == 1  # the STATE column starts at the same place on every row
    assert display_width("สยาม ดีไซน์") == 9


def test_status_table_speaks_local_time_and_plain_words() -> None:
    row = StatusRow(
        client="Acme Ltd",
        account="studio",
        state="nudged",
        waiting_on="client",
        last_inbound="2026-11-02T08:00:00Z",
        last_outbound="2026-11-16T21:30:00Z",  # already the 17th in Tbilisi
        step=1,
        next_action=NextAction("closing_notice", "2026-11-26T05:00:00Z", "x"),
    )
    ghost = replace(row, client="Initech", next_action=NextAction("ghost", "2026-11-30T05:00:00Z"))
    held = replace(
        row,
        client="Globex",
        next_action=None,
        held=("Globex: 9 days; check-in due; held: Globex: x is bouncing",),
    )
    zones = {"studio": ZoneInfo("Asia/Tbilisi")}
    lines = status_table.format_table([row, ghost, held], zones).splitlines()
    assert lines[1].split() == [
        *("Acme", "Ltd", "nudged", "(1", "sent)", "them"),
        *("Mon", "2", "Nov", "12:00", "Tue", "17", "Nov", "01:30"),
        *("closing", "notice", "on", "Thu", "26", "Nov", "09:00"),
    ]
    assert lines[2].endswith("marked ghosted on Mon 30 Nov 09:00")
    assert lines[3].endswith("held: x is bouncing")
    assert lines[-1] == "Times in Asia/Tbilisi."
    text = "\n".join(lines)
    assert "UTC" not in text and "closing_notice" not in text and "T05" not in text
    health = HealthRow(
        account="studio",
        last_sync="2026-11-26T04:55:00Z",
        stale=False,
        paused=False,
        watch_mode="idle",
        last_error="timed out",
        last_error_at="2026-11-26T04:00:00Z",
        unresolved_nudges=0,
        failed_nudges=1,
        lease_holder=None,
        lease_expires_at=None,
    )
    assert status_table.format_health(health, zones["studio"]) == (
        "account studio: last read Thu 26 Nov 08:55; watching by idle; "
        "last error Thu 26 Nov 08:00: timed out; 1 failed nudge(s)"
    )
