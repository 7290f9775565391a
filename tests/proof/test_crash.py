"""Crash injection: ``ghostwatch once`` killed with SIGKILL, then restarted; safety rules 1-2.

Two ways to kill:
- at random instants (``GHOSTWATCH_CRASH_RUNS`` runs, default 200, seeded by
  ``GHOSTWATCH_CRASH_SEED``), against several due clients, a slow SMTP server and
  client replies arriving between runs;
- exactly between two database commits, at every transaction boundary of a cycle
  that sends one nudge (the narrow windows random timing rarely hits).

After every kill the invariants of ``harness.check_invariants`` must hold: each nudge
at most once at the SMTP server (by Message-ID and by slot), none after a reply,
every outbox row with its events in the evidence log.

Processes come from a fork server (``forkserver.py``): real separate processes,
without paying the 1.2 s import each time. Full command:
``GHOSTWATCH_CRASH_RUNS=200 GHOSTWATCH_CRASH_RUNS_PG=200 .venv/bin/pytest
tests/proof/test_crash.py -v`` (both stores; PostgreSQL runs 60 by default).
"""

from __future__ import annotations

import os
import random
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.proof.harness import ForkServer, check_invariants, read_db, smtp_log
from tests.support.scenario import ACCOUNT, Scenario, client_toml, iso, mail

RUNS = int(os.environ.get("GHOSTWATCH_CRASH_RUNS", "200"))
# PostgreSQL: fewer by default (CI time); the full sweep is the same command with
# GHOSTWATCH_CRASH_RUNS_PG=200
RUNS_PG = int(os.environ.get("GHOSTWATCH_CRASH_RUNS_PG", "60"))
SEED = int(os.environ.get("GHOSTWATCH_CRASH_SEED", "20261109"))
PER_SCENARIO = 20
CLIENTS = 8
BASE = datetime(2026, 11, 9, 9, 30, tzinfo=UTC)  # a Monday, inside the send window
STEP = timedelta(minutes=7)  # simulated time between two runs (SENDING_LEASE is 10 min)
RULES = """ladder = [ { after = "7d", template = "check_in" },
                      { after = "30m", template = "closing_notice" } ]
give_up_after = "30m"
"""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def forkserver() -> Iterator[ForkServer]:
    server = ForkServer()
    yield server
    server.close()


def _address(i: int) -> str:
    return f"c{i}@client{i}.example"


def _build(directory: Path, imap: Any, smtp: Any, clients: int, url: str = "") -> Scenario:
    scenario = Scenario(directory, imap.host, imap.port, imap.user, smtp.port, database_url=url)
    scenario.rules = RULES
    scenario.clients = "".join(
        client_toml(f"Client {i}", [_address(i)], [f"client{i}.example"]) for i in range(clients)
    )
    for i in range(clients):
        at = BASE - timedelta(days=7) + i * 2 * STEP  # one more client due every other run
        raw = mail(ACCOUNT, _address(i), f"Project {i}", message_id=f"<t{i}@studio>", date=at)
        imap.append("Sent", raw, internal_date=at)
    scenario.write()
    return scenario


def _reply(imap: Any, i: int, at: datetime) -> None:
    raw = mail(
        _address(i), ACCOUNT, f"Re: Project {i}", message_id=f"<r{i}@client{i}>", date=at,
        in_reply_to=f"<t{i}@studio>",
    )  # fmt: skip
    imap.append("INBOX", raw, internal_date=at)


def _once(forkserver: ForkServer, scenario: Scenario, now: datetime, **kw: Any) -> int:
    out = scenario.directory / "run.log"
    pid = forkserver.spawn(scenario.argv("once", "--now", iso(now)), out, **kw)
    return forkserver.wait(pid)


def _finished(pid: int) -> bool:
    """True once the child has exited (a zombie, not yet reaped by the fork server)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


def _run_and_kill(
    forkserver: ForkServer, argv: list[str], out: Path, kill_after: float
) -> tuple[int, float]:
    """Run; SIGKILL after ``kill_after`` s unless done. Return (status, seconds it ran)."""
    pid = forkserver.spawn(argv, out)
    start = time.monotonic()
    while time.monotonic() - start < kill_after and not _finished(pid):
        time.sleep(0.003)
    ran = time.monotonic() - start
    os.kill(pid, signal.SIGKILL)
    return forkserver.wait(pid), ran


def _calibrate(forkserver: ForkServer, make: Callable[[], tuple[Any, Any]]) -> float:
    imap, smtp = make()
    with tempfile.TemporaryDirectory(prefix="gw-crash-") as d:
        scenario = _build(Path(d), imap, smtp, 5)
        start = time.monotonic()
        assert _once(forkserver, scenario, BASE) == 0
        return time.monotonic() - start


def _db(scenario: Scenario) -> Path | str:
    """What check_invariants reads: the SQLite file, or the PostgreSQL URL."""
    return scenario.database_url or scenario.directory / "gw.db"


@pytest.mark.timeout(900)  # 200 runs of a real process each; slower on a loaded machine
def test_random_sigkill_never_sends_twice(
    forkserver: ForkServer,
    imap_account_factory: Callable[[], Any],
    smtp_server_factory: Callable[..., Any],
    database_factory: Callable[[], str],
) -> None:
    def make() -> tuple[Any, Any]:
        return imap_account_factory(), smtp_server_factory()

    full_run_s = _calibrate(forkserver, make)
    url = database_factory()
    runs = RUNS_PG if url else RUNS
    durations = [full_run_s]
    outcomes: Counter[str] = Counter()
    delivered = 0
    rng = random.Random(SEED)
    killed = completed = 0
    started = time.monotonic()
    for number in range(-(-runs // PER_SCENARIO)):
        imap, smtp = make()
        with tempfile.TemporaryDirectory(prefix="gw-crash-") as d:
            fresh = url if number == 0 else url and database_factory()  # an empty database
            scenario = _build(Path(d), imap, smtp, CLIENTS, fresh)
            db = _db(scenario)
            replied: dict[str, int] = {}
            now = BASE
            for run in range(min(PER_SCENARIO, runs - number * PER_SCENARIO)):
                now = BASE + run * STEP
                if rng.random() < 0.15 and len(replied) < CLIENTS - 2:
                    i = rng.choice([i for i in range(CLIENTS) if _address(i) not in replied])
                    replied[_address(i)] = len(smtp_log(smtp))
                    _reply(imap, i, now - timedelta(minutes=1))
                while len(smtp.faults.delay["DATA"]) < 3:
                    smtp.delay_next(rng.uniform(0.02, 0.3))
                argv = scenario.argv("once", "--now", iso(now))
                estimate = sorted(durations[-5:])[len(durations[-5:]) // 2]
                status, ran = _run_and_kill(
                    forkserver, argv, Path(d) / "out", rng.uniform(0.0, 1.8 * estimate)
                )
                if status != -signal.SIGKILL:
                    durations.append(ran)
                killed += status == -signal.SIGKILL
                completed += status != -signal.SIGKILL
                assert status in (0, 1, -signal.SIGKILL), (SEED, number, run, status)
                problems = check_invariants(db, smtp_log(smtp), replied_at_index=replied)
                assert not problems, f"seed={SEED} scenario={number} run={run}: {problems}"
            # A clean restart past the sending lease settles every interrupted row.
            assert _once(forkserver, scenario, now + timedelta(minutes=15)) in (0, 1)
            problems = check_invariants(db, smtp_log(smtp), replied_at_index=replied)
            assert not problems, f"seed={SEED} scenario={number} final: {problems}"
            rows, _ = read_db(db)
            assert not [r for r in rows if r.status == "sending"], (SEED, number, rows)
            outcomes.update(r.status for r in rows)
            delivered += len(smtp_log(smtp))
    print(
        f"\ncrash: {killed + completed} runs ({killed} killed mid-run, {completed} finished "
        f"first), seed {SEED}, full run {full_run_s:.2f} s, {time.monotonic() - started:.0f} s; "
        f"{delivered} nudges at the server, outbox {dict(outcomes)}"
    )
    assert killed >= (killed + completed) // 2  # the kills really land mid-run


@pytest.mark.timeout(600)  # two real processes per commit boundary, ~40 boundaries
def test_crash_between_any_two_commits_never_sends_twice_nor_loses_evidence(
    forkserver: ForkServer,
    imap_account_factory: Callable[[], Any],
    smtp_server_factory: Callable[..., Any],
    database_factory: Callable[[], str],
) -> None:
    """Kill at the start of transaction N (1..N-1 committed), for every N of a cycle."""
    n = 1
    while True:
        imap, smtp = imap_account_factory(), smtp_server_factory()
        with tempfile.TemporaryDirectory(prefix="gw-crash-") as d:
            scenario = _build(Path(d), imap, smtp, 1, database_factory())
            db = _db(scenario)
            status = _once(forkserver, scenario, BASE, crash_at_tx=n)
            assert status in (0, -signal.SIGKILL), (n, status)
            problems = check_invariants(db, smtp_log(smtp))
            assert not problems, f"crash at transaction {n}: {problems}"
            later = BASE + timedelta(minutes=11)  # past the sending lease
            assert _once(forkserver, scenario, later) == 0, n
            problems = check_invariants(db, smtp_log(smtp))
            assert not problems, f"crash at transaction {n}, after restart: {problems}"
            rows, _ = read_db(db)
            statuses = sorted(r.status for r in rows)
            assert statuses in (["sent"], ["unknown"]), (n, statuses)
            # "unknown" only when the crash came after the server had it
            assert statuses == ["sent"] or len(smtp_log(smtp)) == 1, (n, statuses)
        if status == 0:
            break
        n += 1
    print(f"\ncrash: {n - 1} commit boundaries of one cycle tested")
    assert n > 10
