"""Many ghostwatch processes on one PostgreSQL database (issue 17).

- Ten ``ghostwatch once`` started together on an empty database: all exit 0, the
  schema is migrated once, every due nudge arrives exactly once.
- Three ``ghostwatch run`` daemons share six accounts (one holder each); the holder
  of two is SIGKILLed: its accounts are taken over within ``lease_ttl`` plus a
  cycle, a reply that arrived in the gap is seen, nothing is sent twice or after a
  reply, and the daily summary goes out once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.proof.harness import check_invariants, smtp_log
from tests.support.scenario import ACCOUNT, Scenario, client_toml, iso, mail

NOW = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)  # a Tuesday, in the send window
pytestmark = pytest.mark.slow


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(sa.text(sql))]
    finally:
        engine.dispose()


def _due_clients(imap: Any, n: int, *, prefix: str = "c") -> str:
    """n clients whose check-in is due at NOW (our last message 8 days before)."""
    toml = ""
    for i in range(n):
        address = f"{prefix}{i}@{prefix}{i}.example"
        at = NOW - timedelta(days=8, minutes=i)
        raw = mail(ACCOUNT, address, f"Project {i}", message_id=f"<{prefix}{i}@studio>", date=at)
        imap.append("Sent", raw, internal_date=at)
        toml += client_toml(f"Client {prefix}{i}", [address])
    return toml


def test_ten_once_together_on_an_empty_database(
    tmp_path: Path, imap_server: Any, smtp_server: Any, postgres_url: str
) -> None:
    scenario = Scenario(
        tmp_path, imap_server.host, imap_server.port, imap_server.user, smtp_server.port,
        database_url=postgres_url,
    )  # fmt: skip
    scenario.clients = _due_clients(imap_server, 3)
    procs = [scenario.subprocess(["once", "--now", iso(NOW)]) for _ in range(10)]
    outputs = [p.communicate(timeout=180) for p in procs]
    codes = [p.returncode for p in procs]
    assert codes == [0] * 10, [err.decode()[-2000:] for _out, err in outputs]
    assert _query(postgres_url, "SELECT version_num FROM alembic_version") == [("0010_idle",)]
    received = smtp_log(smtp_server)
    recipients = Counter(r for _mid, rcpts in received for r in rcpts)
    assert recipients == {f"c{i}@c{i}.example": 1 for i in range(3)}
    assert check_invariants(postgres_url, received) == []
    # every account was worked on by one process at a time; the others said so
    skipped = sum(b"skipped (worked on by" in out for out, _err in outputs)
    synced = sum(b"synced (" in out for out, _err in outputs)
    assert skipped + synced == 10 and synced >= 1


# --- three daemons, six accounts ----------------------------------------------------

ACCOUNTS = 6
TTL_S = 6
LATE_S = 60  # the "late" clients' check-ins fall due this long after the daemons start
BOSS = "boss@studio.example"  # the daily summary goes here


class SixAccounts(Scenario):
    """Six accounts (one Dovecot mailbox each) on one PostgreSQL database."""

    mailboxes: list[Any]

    def write(self) -> Path:
        parts = [
            f"""
            [database]
            url = "{self.url}"
            lease_ttl = "{TTL_S}s"

            [rules]
            send_window = "09:00-17:00"

            [summary]
            to = "{BOSS}"
            account = "a0"
            """
        ]
        for k, box in enumerate(self.mailboxes):
            parts.append(
                f"""
                [[accounts]]
                name = "a{k}"
                address = "me{k}@studio.example"
                timezone = "UTC"
                poll_interval = "5s"

                [accounts.imap]
                host = "{box.host}"
                port = {box.port}
                security = "none"
                username = "{box.user}"
                password = "secret"

                [accounts.smtp]
                host = "127.0.0.1"
                port = {self.smtp_port}
                security = "none"
                username = ""
                """
            )
        text = "".join(textwrap.dedent(p) for p in parts) + "\n" + self.clients
        self.config_path.write_text(text, encoding="utf-8")
        return self.config_path


def _fill(box: Any, k: int) -> str:
    """Account k's clients: "now k" due at start, "late k" due LATE_S later."""
    me = f"me{k}@studio.example"
    toml = ""
    for name, at in (
        (f"now{k}", NOW - timedelta(days=8)),
        (f"late{k}", NOW - timedelta(days=7) + timedelta(seconds=LATE_S)),
    ):
        address = f"{name}@{name}.example"
        raw = mail(me, address, f"Project {name}", message_id=f"<{name}@studio>", date=at)
        box.append("Sent", raw, internal_date=at)
        toml += client_toml(name, [address], account=f'"a{k}"')
    return toml


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def _holders(url: str) -> dict[str, tuple[str, datetime]]:
    try:
        rows = _query(url, "SELECT account, holder, expires_at FROM account_lease")
    except sa.exc.ProgrammingError:  # not migrated yet: the daemons are starting
        return {}
    return {a: (h, e.replace(tzinfo=UTC)) for a, h, e in rows if not a.startswith("@")}


def _live(url: str, alive: set[int]) -> dict[str, int]:
    """account -> pid of the live daemon holding it (accounts held by none left out)."""
    [(db_now,)] = _query(url, "SELECT clock_timestamp() AT TIME ZONE 'UTC'")
    found = {}
    for account, (holder, expires) in _holders(url).items():
        pid = int(holder.rsplit(":", 2)[1])
        if pid in alive and expires > db_now.replace(tzinfo=UTC):
            found[account] = pid
    return found


def _wait(check: Callable[[], bool], timeout: float, what: str) -> float:
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout, f"{what}: not within {timeout} s"
        time.sleep(0.2)
    return time.monotonic() - start


def test_three_daemons_share_six_accounts_and_survive_a_sigkill(
    tmp_path: Path,
    imap_account_factory: Callable[[], Any],
    smtp_server: Any,
    postgres_url: str,
    started: list[subprocess.Popen[bytes]],
) -> None:
    boxes = [imap_account_factory() for _ in range(ACCOUNTS)]
    scenario = SixAccounts(
        tmp_path, boxes[0].host, boxes[0].port, boxes[0].user, smtp_server.port,
        database_url=postgres_url,
    )  # fmt: skip
    scenario.mailboxes = boxes
    scenario.clients = "".join(_fill(box, k) for k, box in enumerate(boxes))
    argv = [sys.executable, "-m", "ghostwatch", *scenario.argv("run", "--now", iso(NOW))]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    for i in range(3):
        with (tmp_path / f"daemon{i}.log").open("wb") as log:
            started.append(subprocess.Popen(argv, env=env, stdout=log, stderr=log))
    pids = {p.pid for p in started}

    # every account held by exactly one (the primary key), two each, all six nudged
    _wait(
        lambda: sorted(Counter(_live(postgres_url, pids).values()).values()) == [2, 2, 2],
        60,
        "an even split",
    )
    nows = {f"now{k}@now{k}.example" for k in range(ACCOUNTS)}
    _wait(lambda: nows <= {r for _m, rs in smtp_log(smtp_server, BOSS) for r in rs}, 30, "6 nudges")

    # SIGKILL the holder of a0 (the summary account) and two accounts in all
    holders = _live(postgres_url, pids)
    victim = next(p for p in started if p.pid == holders["a0"])
    orphans = {a for a, pid in holders.items() if pid == victim.pid}
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    killed_at = time.monotonic()
    # a reply arrives while nobody watches the orphaned accounts
    k = int(sorted(orphans)[-1][1:])
    replier = f"late{k}@late{k}.example"
    reply_at = NOW + timedelta(seconds=5)
    raw = mail(
        replier, f"me{k}@studio.example", f"Re: Project late{k}",
        message_id=f"<r{k}@late>", date=reply_at, in_reply_to=f"<late{k}@studio>",
    )  # fmt: skip
    boxes[k].append("INBOX", raw, internal_date=reply_at)
    replied_index = len(smtp_log(smtp_server, BOSS))

    survivors = pids - {victim.pid}
    took = _wait(lambda: set(_live(postgres_url, survivors)) == {f"a{i}" for i in range(6)},
                 TTL_S + 10, "the orphans taken over")  # fmt: skip
    print(f"failover after SIGKILL: {time.monotonic() - killed_at:.1f} s (ttl {TTL_S} s)")
    assert took <= TTL_S + 5  # lease_ttl + one cycle (poll_interval 5 s)

    # the late check-ins fall due: everyone but the replier gets exactly one
    lates = {f"late{i}@late{i}.example" for i in range(ACCOUNTS)} - {replier}
    _wait(lambda: lates <= {r for _m, rs in smtp_log(smtp_server, BOSS) for r in rs},
          LATE_S + 30, "the late check-ins")  # fmt: skip
    time.sleep(3)  # anything that would go out twice or to the replier goes now
    received = smtp_log(smtp_server, BOSS)
    recipients = Counter(r for _m, rs in received for r in rs)
    assert recipients == dict.fromkeys(nows | lates, 1)
    assert check_invariants(postgres_url, received, replied_at_index={replier: replied_index}) == []
    summaries = [m for m in smtp_server.messages if m.rcpt_tos == [BOSS]]
    assert len(summaries) == 1

    # the reply was seen, and status shows who works on each account
    status = subprocess.run(
        [sys.executable, "-m", "ghostwatch", *scenario.argv("status", "--json", "--now",
         iso(NOW + timedelta(seconds=LATE_S + 30)))],
        capture_output=True, check=True, env=env,
    )  # fmt: skip
    rows = {r["client"]: r for r in json.loads(status.stdout)}
    assert rows[f"late{k}"]["waiting_on"] == "you"
    holding = {r["account_health"]["lease_holder"] for r in rows.values()}
    assert {int(h.rsplit(":", 2)[1]) for h in holding} <= survivors
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    assert [p.wait(timeout=15) for p in started if p is not victim] == [0, 0]
