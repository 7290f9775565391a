"""[health]: the heartbeat against a real HTTP server on loopback, the Prometheus
endpoint scraped for real, the textfile, and the config rules (loopback, redaction)."""

from __future__ import annotations

import asyncio
import re
import threading
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families

from ghostwatch.app.courier import Delivery
from ghostwatch.app.health import Heartbeat, Monitor
from ghostwatch.app.metrics import Metrics
from ghostwatch.app.reports import AccountReport, CycleReport
from ghostwatch.app.sync import SyncReport
from ghostwatch.config.health import HealthConfig, redact_url
from ghostwatch.core.domain import Action, Decision, LadderKind, OutboxStatus
from ghostwatch.errors import ConfigError
from tests.support.pings import TOKEN, PingServer

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("every_log_level")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def heartbeat(url: str, clock: Clock, **kw: Any) -> Heartbeat:
    return Heartbeat(url, timeout_s=kw.pop("timeout_s", 2.0), monotonic=clock, **kw)


# --- the heartbeat ------------------------------------------------------------------------


async def test_a_good_cycle_pings_the_url_and_a_failing_one_pings_fail(pings: PingServer) -> None:
    clock = Clock()
    beat = heartbeat(pings.url, clock, min_interval_s=60)
    beat.cycle_ok()
    await beat.drain()
    beat.cycle_failed()  # a change is pinged at once
    await beat.drain()
    beat.cycle_failed()  # the same news within a minute is not
    await beat.drain()
    clock.now += 61
    beat.cycle_failed()
    await beat.drain()
    beat.cycle_ok()
    await beat.drain()
    path = f"/ping/{TOKEN}"
    assert pings.paths == [path, f"{path}/fail", f"{path}/fail", path]


async def test_a_ping_never_holds_up_the_cycle(pings: PingServer) -> None:
    """The server holds its answer; cycle_ok() returns before the GET has been answered,
    and a slow monitor only times out in the background."""
    pings.gate = threading.Event()
    beat = heartbeat(pings.url, Clock(), timeout_s=0.5)
    with structlog.testing.capture_logs() as logs:
        beat.cycle_ok()
        assert pings.paths == []  # returned while the request is still unanswered
        await beat.drain()
    assert [e["event"] for e in logs] == ["health.ping_failed"]
    pings.gate.set()


async def test_a_failing_monitor_is_logged_once_then_backed_off(pings: PingServer) -> None:
    clock = Clock()
    pings.status = 500
    beat = heartbeat(pings.url, clock, min_interval_s=0, backoff_first_s=60, backoff_cap_s=900)
    with structlog.testing.capture_logs() as logs:
        beat.cycle_ok()
        await beat.drain()
        for _ in range(5):  # within the backoff: no request at all
            clock.now += 10
            beat.cycle_ok()
            await beat.drain()
        assert len(pings.paths) == 1
        clock.now += 11  # 60 s after the failure
        beat.cycle_ok()
        await beat.drain()
        assert len(pings.paths) == 2
        clock.now += 100  # the second backoff is 120 s
        beat.cycle_ok()
        await beat.drain()
        assert len(pings.paths) == 2
        pings.status = 200
        clock.now += 21
        beat.cycle_ok()
        await beat.drain()
    assert len(pings.paths) == 3
    events = [(e["event"], e["log_level"]) for e in logs]
    assert events == [
        ("health.ping_failed", "warning"),
        ("health.ping_failed", "debug"),
        ("health.ping_recovered", "info"),
    ]
    text = repr(logs) + repr(beat)
    assert TOKEN[:5] not in text and "/ping…" in text  # Rule 3: only a redacted URL


async def test_an_unreachable_monitor_fails_quietly(pings: PingServer) -> None:
    url = pings.url
    pings.close()  # nothing listens there any more
    beat = heartbeat(url, Clock())
    with structlog.testing.capture_logs() as logs:
        beat.cycle_ok()
        await beat.drain()
    assert [e["event"] for e in logs] == ["health.ping_failed"]
    assert TOKEN not in repr(logs)


def test_a_url_is_shown_redacted() -> None:
    assert redact_url(f"https://hc-ping.com/{TOKEN}") == "https://hc-ping.com/0f4c…"
    assert (
        redact_url(f"https://me:pw@hc.example:8443/ping/{TOKEN}") == "https://hc.example:8443/ping…"
    )
    assert redact_url("http://[::1]:8000/") == "http://[::1]:8000/"


# --- the metrics --------------------------------------------------------------------------


def decision(action: Action, client: str = "Acme") -> Decision:
    return Decision(
        client=client,
        account="studio",
        action=action,
        ladder="silence",
        kind=LadderKind.SILENCE,
        anchor="a",
        step=1,
        template="check_in",
        at=NOW,
        reason="test",
    )


def report(now: datetime, *, ok: bool = True, summary: bool = False) -> CycleReport:
    send = decision(Action.SEND)
    studio = AccountReport(
        "studio",
        sync=SyncReport("studio"),
        decisions=[send, decision(Action.HOLD, "Beta"), decision(Action.HOLD, "Gamma")],
        deliveries=[
            Delivery(send, OutboxStatus.SENT, "<1@s>"),
            Delivery(send, OutboxStatus.FAILED, None, "550 no"),
            Delivery(send, None),  # slot already taken: not a nudge
        ],
    )
    other = AccountReport("other", error=None if ok else "LoginError: refused")
    return CycleReport(now, [studio, other], summary_sent=summary)


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback http
        text = answer.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_the_endpoint_serves_what_the_cycles_did() -> None:
    now = [NOW]
    metrics = Metrics(["studio", "other"], clock=lambda: now[0])
    metrics.seed_last_sync("other", NOW - timedelta(hours=2))
    metrics.observe(report(NOW, summary=True))
    metrics.observe(report(NOW + timedelta(minutes=1), ok=False))
    now[0] = NOW + timedelta(minutes=5)
    host, port = metrics.serve("127.0.0.1", 0)
    try:
        got = scrape(f"http://{host}:{port}/metrics")
    finally:
        metrics.stop()
    studio, other = (("account", "studio"),), (("account", "other"),)
    assert got["ghostwatch_sync_age_seconds", studio] == 240.0  # last good read at NOW+1m
    assert got["ghostwatch_sync_age_seconds", other] == 7500.0  # never read since start
    assert got["ghostwatch_last_sync_timestamp_seconds", studio] == (NOW.timestamp() + 60)
    sent = (("account", "studio"), ("outcome", "sent"))
    failed = (("account", "studio"), ("outcome", "failed"))
    assert got["ghostwatch_nudges_total", sent] == 2.0
    assert got["ghostwatch_nudges_total", failed] == 2.0
    assert got["ghostwatch_nudges_total", (("account", "other"), ("outcome", "sent"))] == 0.0
    assert got["ghostwatch_nudges_held", studio] == 2.0  # a gauge: the last cycle's
    assert got["ghostwatch_summary_sent_timestamp_seconds", ()] == NOW.timestamp()
    assert got["ghostwatch_cycles_total", ()] == 2.0
    assert got["ghostwatch_cycle_failures_total", ()] == 1.0


def test_an_account_never_read_has_an_infinite_sync_age() -> None:
    metrics = Metrics(["studio"], clock=lambda: NOW)
    ages = [v for n, _l, v in metrics.samples() if n == "ghostwatch_sync_age_seconds"]
    assert ages == [float("inf")]


async def test_the_monitor_writes_the_textfile_and_pings(pings: PingServer, tmp_path: Path) -> None:
    path = tmp_path / "ghostwatch.prom"
    config = HealthConfig.model_validate({"ping_url": pings.url, "metrics_textfile": str(path)})
    monitor = Monitor.from_config(config, ["studio", "other"], clock=lambda: NOW)
    monitor.cycle_done(report(NOW, ok=False))
    await monitor.aclose()
    assert pings.paths == [f"/ping/{TOKEN}/fail"]
    text = path.read_text()
    assert 'ghostwatch_nudges_total{account="studio",outcome="sent"} 1.0' in text
    assert "ghostwatch_cycle_failures_total 1.0" in text


async def test_a_textfile_that_cannot_be_written_is_logged_once(tmp_path: Path) -> None:
    path = tmp_path / "missing-dir" / "ghostwatch.prom"
    config = HealthConfig.model_validate({"metrics_textfile": str(path)})
    monitor = Monitor.from_config(config, ["studio", "other"], clock=lambda: NOW)
    with structlog.testing.capture_logs() as logs:
        for _ in range(3):
            monitor.cycle_done(report(NOW))
    assert [e["event"] for e in logs] == ["health.textfile_failed"]


def test_an_endpoint_that_cannot_listen_is_a_config_error() -> None:
    taken = Metrics(["studio"], clock=lambda: NOW)
    host, port = taken.serve("127.0.0.1", 0)
    try:
        config = HealthConfig.model_validate({"metrics": f"{host}:{port}"})
        monitor = Monitor.from_config(config, ["studio"], clock=lambda: NOW)

        class NoStore:
            def account_state(self, _name: str) -> None:
                return None

        with pytest.raises(ConfigError, match=r"health.metrics: cannot listen on 127.0.0.1:"):
            monitor.start(NoStore(), serve=True)  # type: ignore[arg-type]
    finally:
        taken.stop()


# --- [health] in the config ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"metrics": "0.0.0.0:9187"}, "0.0.0.0 is not a loopback address"),
        ({"metrics": "9187"}, "'9187' is not HOST:PORT"),
        ({"metrics": "127.0.0.1:99999"}, "the port must be a number from 1 to 65535"),
        ({"metrics": "metrics.example:9187"}, "give an IP address"),
        ({"ping_url": "http://hc-ping.com/x"}, "use https"),
        ({"ping_url": "hc-ping.com/x"}, "expected an http(s) URL"),
        ({"ping_url": "https://hc-ping.com/x?a=1"}, "without ?query"),
        ({"ping_timeout": "2m"}, "at most 30s"),
        ({"metrics_textfile": "/tmp/gw.txt"}, "ending in .prom"),
    ],
)
def test_health_config_mistakes(table: dict[str, str], message: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=re.escape(message)):
        HealthConfig.model_validate(table)


def test_a_remote_endpoint_needs_to_be_asked_for() -> None:
    config = HealthConfig.model_validate({"metrics": "0.0.0.0:9187", "metrics_allow_remote": True})
    assert config.listen() == ("0.0.0.0", 9187)  # noqa: S104 - asked for explicitly
    assert HealthConfig.model_validate({"metrics": "[::1]:9187"}).listen() == ("::1", 9187)


def test_the_ping_url_stays_out_of_repr_and_dumps() -> None:
    config = HealthConfig.model_validate({"ping_url": f"https://hc-ping.com/{TOKEN}/"})
    assert TOKEN not in repr(config) and TOKEN not in str(config.model_dump())
    assert config.ping_url is not None
    assert config.ping_url.get_secret_value() == f"https://hc-ping.com/{TOKEN}"  # no "/"


def test_nothing_runs_in_the_background_without_a_health_table() -> None:
    monitor = Monitor.from_config(HealthConfig(), ["studio"], clock=lambda: NOW)
    assert monitor.heartbeat is None and monitor.metrics is None
    asyncio.run(monitor.aclose())
