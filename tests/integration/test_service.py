"""``ghostwatch run`` as a real process against real Dovecot and aiosmtpd.

The daemon runs with ``--now`` (a clock that starts there and runs at real speed) and
JSON logs on stderr, which a reader thread collects so tests can wait for events.
Deadlines are functional and generous, except where the issue states one (a reply
seen over IDLE within 2 s; SIGTERM handled within 10 s).

The outage test kills Dovecot for OUTAGE_S seconds (30 by default, as in the issue;
set GHOSTWATCH_OUTAGE_S to shorten it when iterating locally).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.scenario import ACCOUNT, Scenario, client_toml, iso, mail


def nudges(smtp: Any) -> list[Any]:
    """What the SMTP server received, less the daily summary (sent to ourselves)."""
    return [m for m in smtp.messages if m.rcpt_tos != [ACCOUNT]]


# Monday 2 November 2026, 08:00 UTC: our message. The check-in is due a week later at
# 08:00, before the 09:00-17:00 window opens: it goes out at 09:00 on Monday 9th.
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
WINDOW_OPENS = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
DUE_IN_WINDOW = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)
ACME = client_toml("Acme Ltd", ["jane@acme.example"], ["acme.example"])
GLOBEX = client_toml("Globex", ["hank@globex.example"])
LONG_POLL = 'poll_interval = "10m"'  # only IDLE or a due instant can explain a cycle
IDLE_LATENCY_S = 2.0  # the figure (Dovecot itself delays IDLE by ~0.5 s)
STOP_WITHIN_S = 10.0
OUTAGE_S = float(os.environ.get("GHOSTWATCH_OUTAGE_S", "30"))


class Daemon:
    """A running ``ghostwatch run`` subprocess and the JSON log events it wrote."""

    def __init__(self, scenario: Scenario, now: datetime) -> None:
        self.sim_start = now
        self.proc = scenario.subprocess(["--log-level", "info", "run", "--now", iso(now)])
        self.started = time.monotonic()
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            try:
                event = json.loads(raw)
            except ValueError:
                event = {"event": "raw", "line": raw.decode(errors="replace")}
            with self._lock:
                self.events.append(event)

    def sim_now(self) -> datetime:
        """An upper bound of the daemon's clock (it started after ``self.started``)."""
        return self.sim_start + timedelta(seconds=time.monotonic() - self.started)

    def named(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events if e.get("event") == name]

    def wait_for(self, name: str, *, count: int = 1, timeout: float = 30.0) -> dict[str, Any]:
        """Wait until ``name`` was logged ``count`` times; return the last one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.named(name)
            if len(found) >= count:
                return found[count - 1]
            assert self.proc.poll() is None, f"daemon exited early: {self.tail()}"
            time.sleep(0.05)
        raise AssertionError(f"no {count} x {name!r} within {timeout} s: {self.tail()}")

    def tail(self, lines: int = 30) -> str:
        with self._lock:
            return "\n".join(json.dumps(e) for e in self.events[-lines:])

    def signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def close(self) -> None:
        """Kill the process if it still runs; close the pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()


def start_thread(imap: Any, to: str, mid: str, at: datetime = T0) -> None:
    raw = mail(ACCOUNT, to, "Logo drafts", message_id=mid, date=at)
    imap.append("Sent", raw, internal_date=at)


def reply(imap: Any, frm: str, in_reply_to: str, at: datetime, mid: str) -> None:
    raw = mail(frm, ACCOUNT, "Re: Logo drafts", message_id=mid, date=at, in_reply_to=in_reply_to)
    imap.append("INBOX", raw, internal_date=at)


def acme_replies(imap: Any, at: datetime, mid: str = "<r1@acme>") -> None:
    reply(imap, "Jane <jane@acme.example>", "<m1@studio>", at, mid)


def outbox(scenario: Scenario) -> list[tuple[str, str, int, str]]:
    with scenario.db() as db:
        return db.execute(
            "SELECT client, template, step, status FROM outbox ORDER BY id"
        ).fetchall()


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.05) -> float:
    """Poll ``check`` until true; return the seconds it took (fail after ``timeout``)."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout, f"not true within {timeout} s"
        time.sleep(interval)
    return time.monotonic() - start


def status_text(scenario: Scenario, now: datetime, capsys: Any) -> str:
    assert scenario.run("status", "--now", iso(now), capsys=capsys) == 0
    return scenario.runs[-1][2]


# --- push-fast -------------------------------------------------------------------------


def test_a_reply_over_idle_updates_status_and_the_window_opening_sends_the_rest(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any, daemons: Any
) -> None:
    scenario.account_extra = LONG_POLL
    scenario.clients = ACME + GLOBEX
    start_thread(imap_server, "jane@acme.example", "<m1@studio>")
    start_thread(imap_server, "hank@globex.example", "<m2@studio>")
    daemon = daemons(scenario, WINDOW_OPENS - timedelta(seconds=30))  # a loaded machine
    daemon.wait_for("watch.idling")
    daemon.wait_for("cycle.done")
    assert scenario.row(daemon.sim_now(), capsys, "Acme Ltd")["waiting_on"] == "client"
    assert daemon.sim_now() < WINDOW_OPENS, "the daemon took too long to start"

    acme_replies(imap_server, WINDOW_OPENS - timedelta(minutes=1))
    took = wait_until(
        lambda: scenario.row(daemon.sim_now(), capsys, "Acme Ltd")["waiting_on"] == "you",
        timeout=IDLE_LATENCY_S,
    )
    print(f"reply -> status over IDLE: {took:.2f} s")
    assert daemon.sim_now() < WINDOW_OPENS, "the reply must land before the window opens"

    # Nothing polls (10 min): only the due instant (09:00) can wake the loop to send.
    daemon.wait_for("nudge.sent", timeout=30)
    time.sleep(1.0)
    assert [m.rcpt_tos for m in nudges(smtp_server)] == [["hank@globex.example"]]
    assert outbox(scenario) == [("Globex", "check_in", 1, "sent")]
    sent = daemon.named("nudge.sent")[0]
    assert datetime.fromisoformat(daemon.named("cycle.done")[-1]["now"]) >= WINDOW_OPENS
    assert sent["client"] == "Globex"
    assert len(daemon.named("cycle.done")) <= 6, "the loop must not busy-poll"
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(STOP_WITHIN_S) == 0


# --- fault-tolerant --------------------------------------------------------------------


@pytest.mark.slow
def test_a_dovecot_outage_is_survived_reported_and_sends_nothing_twice(
    scenario: Scenario,
    imap_server: Any,
    dovecot_server: Any,
    smtp_server: Any,
    capsys: Any,
    daemons: Any,
) -> None:
    scenario.account_extra = LONG_POLL + '\nmax_sync_age = "10s"'
    scenario.clients = ACME
    start_thread(imap_server, "jane@acme.example", "<m1@studio>")
    daemon = daemons(scenario, DUE_IN_WINDOW)
    daemon.wait_for("nudge.sent")
    daemon.wait_for("watch.idling")

    imap_server.close()
    dovecot_server.stop()
    try:
        daemon.wait_for("watch.reconnecting", timeout=20)
        time.sleep(OUTAGE_S)
    finally:
        dovecot_server.start()
    assert daemon.proc.poll() is None
    daemon.wait_for("watch.reconnected", timeout=60)  # backoff is capped at 30 s
    if OUTAGE_S > 20:  # unreadable for longer than max_sync_age: said once, then cleared
        daemon.wait_for("sync.recovered", timeout=60)
        # said once for the outage: before the first recovery there is one sync.stale
        # (with a long poll and max_sync_age = 10s, the quiet mailbox may be reported
        # stale again afterwards, which is right and is a later episode)
        with daemon._lock:
            kinds = [e["event"] for e in daemon.events]
        first_recovery = kinds.index("sync.recovered")
        assert kinds[:first_recovery].count("sync.stale") == 1
    assert "last error" in status_text(scenario, daemon.sim_now(), capsys)

    acme_replies(imap_server, DUE_IN_WINDOW + timedelta(minutes=5))
    wait_until(
        lambda: scenario.row(daemon.sim_now(), capsys, "Acme Ltd")["waiting_on"] == "you",
        timeout=15,
    )
    assert len(nudges(smtp_server)) == 1
    assert outbox(scenario) == [("Acme Ltd", "check_in", 1, "sent")]
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(STOP_WITHIN_S) == 0


@pytest.mark.parametrize(
    ("smtp_delay_s", "status_after_stop"),
    [(2.0, "sent"), (60.0, "sending")],
    ids=["send-finishes", "send-abandoned"],
)
def test_sigterm_during_a_send_exits_in_time_and_never_resends(
    scenario: Scenario,
    imap_server: Any,
    smtp_server: Any,
    daemons: Any,
    smtp_delay_s: float,
    status_after_stop: str,
) -> None:
    scenario.clients = ACME
    start_thread(imap_server, "jane@acme.example", "<m1@studio>")
    smtp_server.delay_next(smtp_delay_s)  # the server has the message; its reply waits
    daemon = daemons(scenario, DUE_IN_WINDOW)
    wait_until(lambda: bool(nudges(smtp_server)), timeout=30)
    assert outbox(scenario) == [("Acme Ltd", "check_in", 1, "sending")]

    daemon.signal(signal.SIGTERM)
    stopping = time.monotonic()
    assert daemon.wait(STOP_WITHIN_S + 5) == 0
    assert time.monotonic() - stopping < STOP_WITHIN_S
    assert outbox(scenario) == [("Acme Ltd", "check_in", 1, status_after_stop)]

    # Restarted an hour later: an in-doubt row is settled as unknown, never resent.
    again = daemons(scenario, DUE_IN_WINDOW + timedelta(hours=1))
    again.wait_for("cycle.done")
    again.signal(signal.SIGTERM)
    assert again.wait(STOP_WITHIN_S) == 0
    assert len(nudges(smtp_server)) == 1
    settled = "sent" if status_after_stop == "sent" else "unknown"
    assert outbox(scenario) == [("Acme Ltd", "check_in", 1, settled)]


def test_a_second_signal_exits_at_once(
    scenario: Scenario, imap_server: Any, smtp_server: Any, daemons: Any
) -> None:
    scenario.clients = ACME
    start_thread(imap_server, "jane@acme.example", "<m1@studio>")
    smtp_server.delay_next(60.0)
    daemon = daemons(scenario, DUE_IN_WINDOW)
    wait_until(lambda: bool(nudges(smtp_server)), timeout=30)
    daemon.signal(signal.SIGTERM)
    daemon.wait_for("service.stopping")
    daemon.signal(signal.SIGTERM)
    stopping = time.monotonic()
    assert daemon.wait(STOP_WITHIN_S) == 128 + signal.SIGTERM
    assert time.monotonic() - stopping < 5.0  # well inside the 7 s grace of the first
    assert daemon.named("service.exit_now")


# --- reload and systemd ------------------------------------------------------------------


def test_sighup_rejects_a_broken_config_and_systemd_hears_the_lifecycle(
    scenario: Scenario,
    imap_server: Any,
    smtp_server: Any,
    capsys: Any,
    daemons: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as systemd:
        systemd.bind(str(tmp_path / "notify"))
        systemd.settimeout(20)
        monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify"))
        monkeypatch.setenv("WATCHDOG_USEC", "2000000")
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
        scenario.account_extra = LONG_POLL
        scenario.clients = ACME
        start_thread(imap_server, "jane@acme.example", "<m1@studio>")
        daemon = daemons(scenario, T0 + timedelta(days=1))
        assert _heard(systemd, "READY=1")
        assert _heard(systemd, "WATCHDOG=1")
        daemon.wait_for("watch.idling")

        good = scenario.config_path.read_text()
        broken = good.replace('name = "Acme Ltd"', 'name = "Acme Ltd"\nnickname = "acme"')
        broken = broken.replace(LONG_POLL, 'poll_interval = "often"')
        scenario.config_path.write_text(broken)
        daemon.signal(signal.SIGHUP)
        kept = daemon.wait_for("config.kept")
        problems = [e["problem"] for e in daemon.named("config.reload_rejected")]
        assert kept["problems"] == len(problems) == 2, problems
        assert any("nickname" in p for p in problems)
        assert any("poll_interval" in p for p in problems)
        assert _heard(systemd, "RELOADING=1")
        assert daemon.proc.poll() is None

        # Still running on the old config: a reply is seen over IDLE.
        acme_replies(imap_server, T0 + timedelta(hours=20))
        wait_until(
            lambda: scenario.row(daemon.sim_now(), capsys, "Acme Ltd")["waiting_on"] == "you",
            timeout=15,
        )
        scenario.clients = ACME + GLOBEX
        scenario.write()
        daemon.signal(signal.SIGHUP)
        assert daemon.wait_for("config.reloaded")["clients"] == 2
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(STOP_WITHIN_S) == 0
        assert _heard(systemd, "STOPPING=1")


def _heard(sock: socket.socket, field: str) -> bool:
    """Read datagrams until one carries ``field`` (raise on the socket timeout)."""
    while True:
        if field in sock.recv(4096).decode().split("\n"):
            return True


def test_run_refuses_to_start_on_a_broken_config(scenario: Scenario) -> None:
    scenario.write()
    scenario.config_path.write_text(scenario.config_path.read_text() + "\nbogus = 1\n")
    done = subprocess.run(
        [sys.executable, "-m", "ghostwatch", "--config", str(scenario.config_path), "run"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert b"bogus" in done.stderr
