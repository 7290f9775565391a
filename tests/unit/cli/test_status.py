"""``status --check``: exit 1 when any account is stale, failing or paused (for cron and
monitors); plain ``status`` keeps exiting 0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ghostwatch.app.bootstrap import App
from ghostwatch.cli import entry as cli
from ghostwatch.cli.status import account_problems
from ghostwatch.config.loader import load_config
from ghostwatch.core.views import HealthRow

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _status(config: Path, *extra: str) -> int:
    return cli.main(["--config", str(config), "status", "--now", NOW.isoformat(), *extra])


def _mark(config: Path, **what: Any) -> None:
    """Record per account what a sync would have: a success at ``synced``, an error at
    ``failed``, paused; through the real store."""
    app = App.open(load_config(config))
    try:
        for account in app.config.accounts:
            if "synced" in what:
                app.store.set_sync_ok(account.name, what["synced"])
            if "failed" in what:
                app.store.set_sync_error(account.name, what["failed"], "connection refused")
            if what.get("paused"):
                app.store.set_paused(account.name, True)
    finally:
        app.close()


def test_a_never_read_mailbox_fails_the_check(config: Path, capsys: Any) -> None:
    assert _status(config) == 0  # without --check, status only reports
    assert "STALE" in capsys.readouterr().out
    assert _status(config, "--check") == 1
    assert "check: account studio: stale" in capsys.readouterr().err


def test_fresh_healthy_accounts_pass_the_check(config: Path, capsys: Any) -> None:
    _mark(config, synced=NOW - timedelta(minutes=1))
    assert _status(config, "--check") == 0
    assert _status(config, "--check", "--json") == 0
    assert "check:" not in capsys.readouterr().err


def test_a_stale_mailbox_fails_the_check(config: Path, capsys: Any) -> None:
    _mark(config, synced=NOW - timedelta(hours=1))  # max_sync_age is 15m
    assert _status(config, "--check", "--json") == 1
    assert "stale" in capsys.readouterr().err


def test_a_failing_or_paused_account_fails_the_check(config: Path, capsys: Any) -> None:
    _mark(config, synced=NOW - timedelta(minutes=5), failed=NOW - timedelta(minutes=1))
    assert _status(config, "--check") == 1
    assert "failing" in capsys.readouterr().err
    _mark(config, synced=NOW - timedelta(seconds=30))  # recovered since the error
    assert _status(config, "--check") == 0
    _mark(config, paused=True)
    assert _status(config, "--check") == 1
    assert "paused" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("row", "problems"),
    [
        (
            {
                "stale": False,
                "paused": False,
                "last_error": None,
                "last_sync": "2026-12-01T09:59:00+00:00",
            },
            [],
        ),
        (
            {"stale": True, "paused": True, "last_error": None, "last_sync": None},
            ["stale", "paused"],
        ),
        (
            {
                "stale": False,
                "paused": False,
                "last_error": "timeout",
                "last_error_at": "2026-12-01T09:00:00+00:00",
                "last_sync": "2026-12-01T09:59:00+00:00",
            },
            [],  # an error from before the last good sync is history, not a failure
        ),
        (
            {
                "stale": True,
                "paused": False,
                "last_error": "timeout",
                "last_error_at": "x",
                "last_sync": None,
            },
            ["stale", "failing"],
        ),
    ],
)
def test_account_problems(row: dict[str, Any], problems: list[str]) -> None:
    health = HealthRow(
        **{
            "account": "studio",
            "last_error_at": None,
            "watch_mode": None,
            "unresolved_nudges": 0,
            "failed_nudges": 0,
            "lease_holder": None,
            "lease_expires_at": None,
            **row,
        }
    )
    assert account_problems(health) == problems
