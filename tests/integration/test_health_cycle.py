"""[health] through the real commands: ``once`` pings the heartbeat and writes the
textfile; ``run`` serves the Prometheus endpoint, scraped for real, and pings."""

from __future__ import annotations

import signal
import socket
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.test_service import ACME, Daemon, wait_until
from tests.support.pings import TOKEN, PingServer
from tests.support.scenario import ACCOUNT, Scenario, mail

pytestmark = pytest.mark.dovecot

NOW = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)  # a Monday, inside the send window


def health(scenario: Scenario, table: str) -> None:
    scenario.clients = ACME + "\n[health]\n" + table


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def a_reply(imap_server: Any) -> None:
    at = NOW - timedelta(days=1)
    raw = mail("jane@acme.example", ACCOUNT, "Logo", message_id="<r1@acme.example>", date=at)
    imap_server.append("INBOX", raw, internal_date=at)


def test_once_pings_after_a_good_cycle_and_fail_after_a_failing_one(
    scenario: Scenario, imap_server: Any, pings: PingServer
) -> None:
    textfile = scenario.directory / "ghostwatch.prom"
    health(scenario, f'ping_url = "{pings.url}"\nmetrics_textfile = "{textfile}"')
    a_reply(imap_server)
    assert scenario.once(NOW, "--dry-run") == 0
    assert pings.paths == [f"/ping/{TOKEN}"]
    got = samples(textfile.read_text())
    studio = (("account", "studio"),)
    assert got["ghostwatch_sync_age_seconds", studio] == 0.0  # read at --now
    assert got["ghostwatch_cycle_failures_total", ()] == 0.0

    imap_server.stop()  # the mailbox cannot be read: a failing cycle
    try:
        assert scenario.once(NOW + timedelta(minutes=5), "--dry-run") == 1
    finally:
        imap_server.start()
    assert pings.paths == [f"/ping/{TOKEN}", f"/ping/{TOKEN}/fail"]
    got = samples(textfile.read_text())
    assert got["ghostwatch_cycle_failures_total", ()] == 1.0
    # the last good read (from the store): 5 minutes before this failing cycle
    assert got["ghostwatch_sync_age_seconds", studio] == 300.0


def test_run_serves_metrics_on_loopback_and_pings(
    scenario: Scenario, imap_server: Any, pings: PingServer
) -> None:
    port = free_port()
    health(scenario, f'ping_url = "{pings.url}"\nmetrics = "127.0.0.1:{port}"')
    a_reply(imap_server)
    daemon = Daemon(scenario, NOW)
    try:
        serving = daemon.wait_for("health.metrics_serving")
        assert serving["address"] == f"127.0.0.1:{port}"
        daemon.wait_for("cycle.done")
        wait_until(lambda: len(pings.paths) >= 1, timeout=15)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            got = samples(answer.read().decode())
        assert got["ghostwatch_cycles_total", ()] >= 1.0
        assert got["ghostwatch_sync_age_seconds", (("account", "studio"),)] < 3600
        assert pings.paths[0] == f"/ping/{TOKEN}"
        assert TOKEN not in daemon.tail(200)  # the URL is never logged in full
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.proc.wait(timeout=20) == 0
    finally:
        daemon.close()
