"""A quiet cycle skips the delivery step (App._has_work), but never work that waits.

Real Dovecot and aiosmtpd, both stores. The delivery step is skipped when no
decision sends; these prove what must still run then: a planned nudge whose retry
time has come (a 451 earlier), which no decision asks for again.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from ghostwatch.app.bootstrap import App
from ghostwatch.app.retries import RETRY_DELAYS_S, RETRY_LATER
from ghostwatch.config.loader import load_config
from ghostwatch.core.domain import Action
from tests.support.scenario import ACCOUNT, Scenario, client_toml, mail

NOW = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)  # a Tuesday, in the send window


def _nudges(smtp: Any) -> list[Any]:
    return [m for m in smtp.messages if m.rcpt_tos != [ACCOUNT]]


def test_a_planned_retry_goes_out_when_its_time_comes_though_no_decision_sends(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    at = NOW - timedelta(days=8)
    raw = mail(ACCOUNT, "jane@acme.example", "Logo", message_id="<m1@studio>", date=at)
    imap_server.append("Sent", raw, internal_date=at)
    scenario.clients = client_toml("Acme", ["jane@acme.example"])
    for _ in range(len(RETRY_DELAYS_S) + 1):  # every attempt of this cycle: 451
        smtp_server.fail_next(451, "MAIL")
    app = App.open(load_config(scenario.write()))
    try:
        first = asyncio.run(app.cycle(NOW))
        assert [d.status.value for d in first.accounts[0].deliveries] == ["planned"]
        assert _nudges(smtp_server) == []
        later = NOW + RETRY_LATER + timedelta(minutes=1)
        decisions = app.decide(app.config.accounts[0], later)
        assert not any(d.action is Action.SEND for d in decisions)  # the outbox's job now
        second = asyncio.run(app.cycle(later))
    finally:
        app.close()
    assert second.ok
    assert [m.rcpt_tos for m in _nudges(smtp_server)] == [["jane@acme.example"]]
