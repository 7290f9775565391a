"""The benches still run: each at a tiny size, as a user would run it (no timing
assertions; the table with its ratio column is all that is checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.dovecot import DovecotUnavailable, dovecot_unavailable, find_dovecot

REPO = Path(__file__).resolve().parents[2]


def run_bench(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def assert_table(out: str) -> None:
    assert "| what" in out and "| ratio" in out, out
    assert "command: `.venv/bin/python bench/" in out, out


@pytest.fixture
def needs_dovecot() -> None:
    try:
        find_dovecot()
    except DovecotUnavailable as exc:
        dovecot_unavailable(str(exc))


@pytest.mark.dovecot
@pytest.mark.usefixtures("needs_dovecot")
def test_initial_scan_bench_runs() -> None:
    out = run_bench("initial_scan.py", "--messages", "200", "--no-warmup", "--compare-progress")
    assert_table(out)
    assert "| messages/s" in out and "| 200 / " in out, out
    assert "| fraction of the socket ceiling" in out, out
    assert "| with progress: a tqdm bar" in out and "| with progress: log events" in out, out


@pytest.mark.dovecot
@pytest.mark.usefixtures("needs_dovecot")
def test_incremental_poll_bench_runs() -> None:
    out = run_bench("incremental_poll.py", "--messages", "100", "--polls", "3")
    assert_table(out)
    assert "status 2" in out, out


@pytest.mark.dovecot
@pytest.mark.usefixtures("needs_dovecot")
def test_idle_levers_bench_runs() -> None:
    out = run_bench("idle_levers.py", "--accounts", "2", "--seconds", "1")
    assert_table(out)
    assert "| 2 waiting IDLEs: process CPU" in out and "one UPDATE" in out, out


def test_decide_bench_runs() -> None:
    out = run_bench("decide.py", "--clients", "100", "--repeat", "2")
    assert_table(out)
    assert "| µs per client" in out, out


def test_send_bench_runs() -> None:
    out = run_bench("send.py", "--nudges", "5", "--rounds", "1")
    assert_table(out)
    assert "outbox" in out, out


def test_render_budget_bench_runs() -> None:
    out = run_bench("render_budget.py", "--renders", "5", "--repeat", "2")
    assert_table(out)
    assert "budget only" in out, out
