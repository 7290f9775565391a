"""Fault injection against the real servers: for each fault, nothing lost, nothing sent
twice, a clear error (exit 1), and ``status`` tells the user.

Faults: Dovecot killed mid-fetch; SMTP 421/451/550 and a connection dropped after
DATA; the database locked by another process; the database on a full disk (tmpfs,
root only); the clock jumping backwards and months forwards.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ghostwatch.app import retries
from ghostwatch.cli import entry as cli
from tests.proof.harness import check_invariants, read_db, smtp_log
from tests.support.scenario import ACCOUNT, Scenario, client_toml, iso, mail

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # Monday
DUE = T0 + timedelta(days=7)
DAY = timedelta(days=1)
ACME = client_toml("Acme Ltd", ["jane@acme.example"], ["acme.example"])


def start_thread(imap: Any, i: int = 0, at: datetime = T0) -> str:
    to = "jane@acme.example" if i == 0 else f"c{i}@client{i}.example"
    raw = mail(ACCOUNT, to, f"Project {i}", message_id=f"<t{i}@studio>", date=at)
    imap.append("Sent", raw, internal_date=at)
    return to


def db_of(scenario: Scenario) -> Path | str:
    """What check_invariants reads: the SQLite file, or the PostgreSQL URL."""
    return scenario.database_url or scenario.directory / "gw.db"


def sqlite_file(scenario: Scenario) -> Path:
    """The SQLite file of a test about SQLite's own failure modes (a locked file, a
    full disk): on PostgreSQL those are the server's, so the test is SQLite's only."""
    if scenario.database_url:
        pytest.skip("about the SQLite file itself; PostgreSQL's faults are the server's")
    return scenario.directory / "gw.db"


def invariants(scenario: Scenario, smtp: Any, **kw: Any) -> None:
    problems = check_invariants(db_of(scenario), smtp_log(smtp), **kw)
    assert not problems, problems


def statuses(scenario: Scenario) -> list[str]:
    return [r.status for r in read_db(db_of(scenario))[0]]


def run_cli(scenario: Scenario, capsys: Any, *args: str) -> tuple[int, str, str]:
    """Run the command line in-process; return (exit status, stdout, stderr)."""
    capsys.readouterr()
    code = cli.main(scenario.argv(*args))
    out, err = capsys.readouterr()
    return code, out, err


def status_text(scenario: Scenario, now: datetime, capsys: Any) -> str:
    assert scenario.run("status", "--now", iso(now), capsys=capsys) == 0
    return scenario.runs[-1][2]


@pytest.fixture
def no_backoff() -> Iterator[None]:
    """In-run SMTP retries without the 1 s + 4 s waits (stamina's set_testing, for us):
    every App built meanwhile (``scenario.run`` builds one) retries at once."""
    retries.set_testing(True)
    try:
        yield
    finally:
        retries.set_testing(False)


# --- IMAP -----------------------------------------------------------------------------


def test_dovecot_killed_mid_fetch_loses_nothing_and_sends_once(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    start_thread(imap_server)
    # 6,000 messages, every 100th from a colleague at Acme (older than our message, so
    # the ball stays in Acme's court); only those 60 concern a client and are stored
    before = T0 - DAY

    def sender(i: int) -> str:
        return f"c{i}@acme.example" if i % 100 == 0 else f"n{i}@news.example"

    noise = (
        (mail(sender(i), ACCOUNT, f"note {i}", message_id=f"<n{i}@x>", date=before), before)
        for i in range(6000)
    )
    assert imap_server.write_maildir("INBOX", noise) == 6000
    stopped = threading.Event()

    def stop_once_a_batch_is_stored() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception), scenario.db() as db:  # not created yet
                if db.execute("SELECT count(*) FROM message").fetchone()[0] > 0:
                    imap_server.stop()
                    stopped.set()
                    return
            time.sleep(0.005)

    killer = threading.Thread(target=stop_once_a_batch_is_stored)
    killer.start()
    code = scenario.run("once", "--now", iso(DUE), capsys=capsys)
    killer.join()
    assert stopped.is_set()
    assert code == 1
    assert "FAILED: IMAP " in scenario.runs[-1][2]  # plain words, no Python class name
    assert smtp_log(smtp_server) == []
    assert "last error" in status_text(scenario, DUE, capsys)

    imap_server.start()
    assert scenario.once(DUE + timedelta(minutes=5)) == 0
    with scenario.db() as db:
        assert db.execute("SELECT count(*) FROM message").fetchone()[0] == 60 + 1
    assert len(smtp_log(smtp_server)) == 1
    assert scenario.once(DUE + timedelta(minutes=10)) == 0
    assert len(smtp_log(smtp_server)) == 1
    invariants(scenario, smtp_server)


# --- SMTP -----------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "stage"), [(421, "MAIL"), (451, "RCPT"), (451, "DATA")])
def test_one_transient_smtp_reply_is_retried_in_run_and_sent_once(
    scenario: Scenario, imap_server: Any, smtp_server: Any, no_backoff: None, code: int, stage: str
) -> None:
    scenario.clients = ACME
    start_thread(imap_server)
    smtp_server.fail_next(code, stage)
    assert scenario.once(DUE) == 0
    assert len(smtp_log(smtp_server)) == 1
    assert statuses(scenario) == ["sent"]
    invariants(scenario, smtp_server)


def test_persistent_451_keeps_the_nudge_planned_then_sends_it_once(
    scenario: Scenario, imap_server: Any, smtp_server: Any, no_backoff: None, capsys: Any
) -> None:
    scenario.clients = ACME
    start_thread(imap_server)
    for _ in range(3):  # the first try and both in-run retries
        smtp_server.fail_next(451, "MAIL")
    assert scenario.run("once", "--now", iso(DUE), capsys=capsys) == 0
    assert "planned: check_in" in scenario.runs[-1][2]
    assert "451" in scenario.runs[-1][2]
    assert smtp_log(smtp_server) == []
    assert statuses(scenario) == ["planned"]
    assert scenario.once(DUE + timedelta(minutes=5)) == 0  # before next_attempt_at
    assert smtp_log(smtp_server) == []
    assert scenario.once(DUE + timedelta(minutes=20)) == 0
    assert len(smtp_log(smtp_server)) == 1
    assert statuses(scenario) == ["sent"]
    invariants(scenario, smtp_server)


def test_550_fails_once_is_reported_and_never_retried(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    start_thread(imap_server)
    smtp_server.fail_next(550, "DATA")
    assert scenario.run("once", "--now", iso(DUE), capsys=capsys) == 1
    assert "failed: check_in" in scenario.runs[-1][2]
    for later in (timedelta(hours=1), DAY, 2 * DAY):  # before step 2 is due
        scenario.once(DUE + later)
    assert smtp_log(smtp_server) == []
    assert statuses(scenario) == ["failed"]
    assert "1 failed nudge(s)" in status_text(scenario, DUE + 2 * DAY, capsys)
    invariants(scenario, smtp_server)


def test_connection_dropped_after_data_is_unknown_and_never_resent(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    start_thread(imap_server)
    smtp_server.drop_after_data_next()
    scenario.run("once", "--now", iso(DUE), capsys=capsys)
    assert "unknown: check_in" in scenario.runs[-1][2]
    for later in (timedelta(minutes=11), timedelta(hours=1), DAY, 6 * DAY):
        scenario.once(DUE + later)  # (step 2 would be due on day 7)
    assert len(smtp_log(smtp_server)) == 1  # the server has it; nobody sent it again
    assert statuses(scenario) == ["unknown"]
    assert "1 nudge(s) of unknown outcome" in status_text(scenario, DUE + DAY, capsys)
    invariants(scenario, smtp_server)


# --- the database -----------------------------------------------------------------------

_LOCKER = textwrap.dedent(
    """
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    db.execute("COMMIT")
    """
)


@contextlib.contextmanager
def locked(db: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _LOCKER, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    try:
        yield proc
    finally:
        proc.wait(timeout=seconds + 10)
        proc.stdout.close()


def test_database_locked_by_another_process_waits_then_fails_clearly(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    start_thread(imap_server)
    assert scenario.once(T0 + DAY) == 0  # creates the database; nothing due
    with locked(sqlite_file(scenario), 7.0):
        start = time.monotonic()
        code, _out, err = run_cli(scenario, capsys, "once", "--now", iso(DUE))
        waited = time.monotonic() - start
    assert code == 1
    assert waited >= 4.5  # busy_timeout (5 s) was honoured before giving up
    assert "database is locked" in err
    assert "Traceback" not in err
    assert smtp_log(smtp_server) == []
    assert scenario.once(DUE + timedelta(minutes=1)) == 0
    assert len(smtp_log(smtp_server)) == 1
    invariants(scenario, smtp_server)


def test_database_locked_mid_send_never_resends(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    """The lock arrives while the SMTP server holds its final reply: the 'sent' record
    cannot be written. The nudge stays in 'sending', then 'unknown', never resent."""
    scenario.clients = ACME
    start_thread(imap_server)
    assert scenario.once(T0 + DAY) == 0
    smtp_server.delay_next(1.0)
    result: dict[str, int] = {}
    argv = scenario.argv("once", "--now", iso(DUE))
    capsys.readouterr()
    runner = threading.Thread(target=lambda: result.update(code=cli.main(argv)))
    runner.start()
    deadline = time.monotonic() + 30
    while not smtp_log(smtp_server) and time.monotonic() < deadline:
        time.sleep(0.01)
    with locked(sqlite_file(scenario), 7.0):
        runner.join(timeout=30)
    assert result["code"] == 1
    err = capsys.readouterr().err
    assert "database is locked" in err and "Traceback" not in err
    for later in (timedelta(minutes=1), timedelta(minutes=15), DAY):
        scenario.once(DUE + later)
    assert len(smtp_log(smtp_server)) == 1
    assert statuses(scenario) == ["unknown"]
    assert "1 nudge(s) of unknown outcome" in status_text(scenario, DUE + DAY, capsys)
    invariants(scenario, smtp_server)


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 16 MiB tmpfs, mounted for the test (root only; skipped otherwise)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    directory = Path(tempfile.mkdtemp(prefix="gw-full-"))
    done = subprocess.run(
        ["/usr/bin/mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", str(directory)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        directory.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield directory
    finally:
        subprocess.run(["/usr/bin/umount", "-l", str(directory)], check=False)
        directory.rmdir()


def test_database_on_a_full_disk_fails_clearly_and_recovers(
    scenario: Scenario, imap_server: Any, smtp_server: Any, small_disk: Path, capsys: Any
) -> None:
    sqlite_file(scenario)
    scenario.clients = ACME
    scenario.directory = small_disk  # config and database on the small disk
    start_thread(imap_server)
    assert scenario.once(T0 + DAY) == 0
    filler = small_disk / "filler"
    # suppress outermost: closing the file flushes what the last write left buffered,
    # and on a full disk that raises too
    with contextlib.suppress(OSError), filler.open("wb") as f:
        while True:
            f.write(b"\0" * 65536)
            f.flush()
    # old mail from Acme colleagues: stored (it concerns a client), the ball stays in
    # Acme's court
    before = T0 - DAY
    noise = [
        (mail(f"c{i}@acme.example", ACCOUNT, "x" * 200, message_id=f"<n{i}@x>", date=before),
         before)
        for i in range(3000)
    ]  # fmt: skip
    imap_server.write_maildir("INBOX", noise)
    code, out, err = run_cli(scenario, capsys, "once", "--now", iso(DUE))
    assert code == 1
    assert "full" in (err + out).lower(), (out, err)
    assert "Traceback" not in err
    assert smtp_log(smtp_server) == []
    filler.unlink()
    code, out, err = run_cli(scenario, capsys, "once", "--now", iso(DUE + timedelta(minutes=1)))
    assert code == 0, (out, err)
    with contextlib.closing(sqlite3.connect(sqlite_file(scenario))) as db:
        assert db.execute("SELECT count(*) FROM message").fetchone()[0] == 3001
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert len(smtp_log(smtp_server)) == 1
    invariants(scenario, smtp_server)


# --- the clock --------------------------------------------------------------------------


def test_clock_going_backwards_never_repeats_a_nudge(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    start_thread(imap_server)
    assert scenario.once(DUE) == 0
    assert len(smtp_log(smtp_server)) == 1
    for back in (timedelta(minutes=1), timedelta(hours=3), DAY, 3 * DAY):
        assert scenario.once(DUE - back) == 0
        assert scenario.once(DUE + timedelta(minutes=5)) == 0
    assert len(smtp_log(smtp_server)) == 1
    row = scenario.row(DUE, capsys, "Acme Ltd")
    assert (row["state"], row["step"]) == ("nudged", 1)
    invariants(scenario, smtp_server)


def test_clock_jumping_months_forward_respects_the_daily_cap(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.account_extra = "max_nudges_per_day = 4"
    scenario.clients = "".join(
        client_toml(f"Client {i}", [f"c{i}@client{i}.example"]) for i in range(1, 11)
    )
    for i in range(1, 11):
        start_thread(imap_server, i)
    assert scenario.once(T0 + DAY) == 0
    jump = T0 + timedelta(days=120) + timedelta(hours=1)  # a Tuesday, 11:00
    assert scenario.run("once", "--now", iso(jump), capsys=capsys) == 0
    assert "daily limit of 4 reached" in scenario.runs[-1][2]
    assert len(smtp_log(smtp_server)) == 4
    for minutes in (1, 30, 300):
        assert scenario.once(jump + timedelta(minutes=minutes)) == 0
    assert len(smtp_log(smtp_server)) == 4  # same day: the cap holds
    held = [r for r in scenario.status(jump, capsys) if r["held"]]
    assert len(held) == 6 and all("daily limit" in r["held"][0] for r in held)
    for day in (1, 2, 3, 4):
        assert scenario.once(jump + day * DAY) == 0
        sent = len(smtp_log(smtp_server))
        assert sent <= 4 * (day + 1)
    invariants(scenario, smtp_server)
    per_day: dict[str, int] = {}
    for r in read_db(db_of(scenario))[0]:
        assert r.sent_at is not None
        per_day[r.sent_at[:10]] = per_day.get(r.sent_at[:10], 0) + 1
    assert max(per_day.values()) <= 4, per_day
