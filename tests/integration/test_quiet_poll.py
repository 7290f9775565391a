"""``run``'s quiet polls (ghostwatch.app.quiet_poll), on a real daemon against real Dovecot
and aiosmtpd, on both stores: a poll that finds nothing changed decides and logs
nothing, but whatever changed -- in a folder IDLE does not watch, or by a command from
another process -- is synced and decided at that very poll, as before."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.test_service import STOP_WITHIN_S, Daemon, wait_until
from tests.integration.test_service_accounts import Accounts, accounts, thread
from tests.support.scenario import iso, mail

__all__ = ["accounts"]  # the fixture, shared with test_service_accounts

POLL = "2s"
# Tuesday 10 November 2026, 10:00 UTC: inside the 09:00-17:00 send window.
NOW = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)


class DebugDaemon(Daemon):
    """``run`` at debug level: quiet polls say so only there."""

    def __init__(self, scenario: Accounts, now: datetime) -> None:
        self.sim_start = now
        self.proc = scenario.subprocess(["--log-level", "debug", "run", "--now", iso(now)])
        self.started = time.monotonic()
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()


@pytest.fixture
def start() -> Iterator[Callable[[Accounts, datetime], DebugDaemon]]:
    started: list[DebugDaemon] = []

    def run(scenario: Accounts, now: datetime) -> DebugDaemon:
        started.append(DebugDaemon(scenario, now))
        return started[-1]

    yield run
    for daemon in started:
        daemon.close()


def _quiet(daemon: Daemon) -> int:
    return len(daemon.named("poll.quiet"))


def test_a_quiet_poll_decides_nothing_yet_a_change_in_sent_is_synced_at_once(
    accounts: Callable[[int], Accounts], start: Any, capsys: Any
) -> None:
    scenario = accounts(1)
    scenario.poll = POLL
    [box] = scenario.boxes
    scenario.clients = thread(box, 0, "c0", NOW - timedelta(days=1))  # due in six days
    daemon = start(scenario, NOW)
    wait_until(lambda: _quiet(daemon) >= 2, timeout=60)
    cycles, quiet = len(daemon.named("cycle.done")), _quiet(daemon)
    wait_until(lambda: _quiet(daemon) >= quiet + 2, timeout=30)
    assert len(daemon.named("cycle.done")) == cycles  # polls, and not one decide pass

    # Sent is not watched over IDLE: only the poll can see our own new message
    at = NOW - timedelta(minutes=5)
    raw = mail("me0@studio.example", "c0@c0.example", "Re: Project c0",
               message_id="<later@studio>", date=at, in_reply_to="<c0@studio>")  # fmt: skip
    box.append("Sent", raw, internal_date=at)
    wait_until(lambda: len(daemon.named("cycle.done")) > cycles, timeout=30)
    row = scenario.row(daemon.sim_now(), capsys, "c0")
    assert row["last_outbound"] == iso(at).replace("+00:00", "Z")
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(STOP_WITHIN_S) == 0


def test_a_command_from_another_process_is_decided_at_the_next_poll(
    accounts: Callable[[int], Accounts], start: Any, smtp_server: Any, capsys: Any
) -> None:
    evening = NOW.replace(hour=20)  # outside the send window: the check-in waits
    scenario = accounts(1)
    scenario.poll = POLL
    [box] = scenario.boxes
    scenario.clients = thread(box, 0, "c0", evening - timedelta(days=8))  # due already
    daemon = start(scenario, evening)
    wait_until(lambda: _quiet(daemon) >= 2, timeout=60)
    nudges = lambda: [m for m in smtp_server.messages if m.rcpt_tos == ["c0@c0.example"]]  # noqa: E731
    assert nudges() == []  # the window is closed: it waits for 09:00

    code = scenario.run("send-now", "c0", "--now", iso(daemon.sim_now()), capsys=capsys)
    assert code == 0  # another process: only the account's new event tells the daemon
    wait_until(lambda: len(nudges()) == 1, timeout=30)
    time.sleep(2 * 2.0)  # two more polls: nothing goes twice
    assert len(nudges()) == 1
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(STOP_WITHIN_S) == 0
