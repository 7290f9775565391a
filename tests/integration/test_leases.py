"""Leases through the real daemon code (App.cycle), real Dovecot and aiosmtpd, both stores.

The lease keeper is injected through the composition root (``App.leases``) with a
fake monotonic clock, so "the lease ran out" happens at an exact point of a cycle.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from ghostwatch.app import views
from ghostwatch.app.bootstrap import App
from ghostwatch.app.lease import LeaseKeeper
from ghostwatch.config.loader import load_config
from tests.support.scenario import ACCOUNT, Scenario, client_toml, mail

NOW = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)  # a Tuesday, in the send window
TTL = timedelta(seconds=60)


def _due(imap: Any, n: int) -> str:
    toml = ""
    for i in range(n):
        address = f"c{i}@c{i}.example"
        at = NOW - timedelta(days=8, minutes=i)
        imap.append(
            "Sent",
            mail(ACCOUNT, address, f"P{i}", message_id=f"<p{i}@s>", date=at),
            internal_date=at,
        )
        toml += client_toml(f"Client {i}", [address])
    return toml


def _nudges(smtp: Any) -> list[Any]:
    return [m for m in smtp.messages if m.rcpt_tos != [ACCOUNT]]


def test_a_lease_that_runs_out_mid_cycle_stops_sending_at_once(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    scenario.clients = _due(imap_server, 3)
    app = App.open(load_config(scenario.write()))
    clock = [1000.0]
    app.leases = LeaseKeeper(
        app.store, ttl=TTL, holder="here:b:1:0", shared=False, background=False,
        monotonic=lambda: clock[0],
    )  # fmt: skip

    def lease_runs_out() -> None:  # during the first send: its renewal never came
        clock[0] += TTL.total_seconds()

    app.before_recheck = lease_runs_out
    try:
        report = asyncio.run(app.cycle(NOW))
    finally:
        app.close()
    assert report.ok
    assert len(_nudges(smtp_server)) == 1  # the send in flight finished; no other began


def test_an_account_held_elsewhere_is_skipped_and_said_so(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    scenario.clients = _due(imap_server, 2)
    app = App.open(load_config(scenario.write()))
    try:
        other = LeaseKeeper(
            app.store, ttl=TTL, holder="elsewhere:b:7:0", shared=False, background=False
        )
        assert other.refresh(["studio"]) == {"studio"}
        report = asyncio.run(app.cycle(NOW))
        assert [(a.account, a.held_by, a.sync) for a in report.accounts] == [
            ("studio", "elsewhere:b:7:0", None)
        ]
        assert report.ok and not report.summary_sent  # the summary account is held too
        assert _nudges(smtp_server) == []
        [health] = views.health_rows(app, NOW)
        assert health.lease_holder == "elsewhere:b:7:0"
        other.close()
        report = asyncio.run(app.cycle(NOW))  # free again: this process works on it
        assert report.accounts[0].held_by is None and len(_nudges(smtp_server)) == 2
        assert views.health_rows(app, NOW)[0].lease_holder == app.leases.holder  # type: ignore[union-attr]
    finally:
        app.close()
