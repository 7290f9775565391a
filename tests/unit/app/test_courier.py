"""The courier's in-run SMTP retries: how many, how long between them, and the test
switch that drops the waits (stamina's ``set_testing`` shape), all held by the App and
the Courier instead of a module constant a test patches."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from ghostwatch.adapters.smtp import SendReceipt
from ghostwatch.app import retries
from ghostwatch.app.bootstrap import App
from ghostwatch.app.courier import Courier
from ghostwatch.app.retries import RETRY_DELAYS_S
from ghostwatch.config.loader import load_config
from ghostwatch.core.domain import AccountState, Action, Decision, LadderKind, OutboxStatus
from ghostwatch.core.templates import TemplateSet
from ghostwatch.errors import SendRetryable
from ghostwatch.store.database import Store

ROOT = Path(__file__).parents[3]
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def testing() -> Iterator[None]:
    retries.set_testing(True)
    try:
        yield
    finally:
        retries.set_testing(False)


def test_the_retries_wait_one_then_four_seconds_unless_testing() -> None:
    assert not retries.is_testing()
    assert retries.retry_delays() == RETRY_DELAYS_S == (1.0, 4.0)


def test_set_testing_keeps_the_number_of_retries_and_drops_the_waits(testing: None) -> None:
    assert retries.is_testing()
    assert retries.retry_delays() == (0.0, 0.0)


def _app(tmp_path: Path) -> App:
    text = (ROOT / "config.example.toml").read_text()
    default = 'url = "sqlite:///~/.local/state/ghostwatch/ghostwatch.db"'
    path = tmp_path / "config.toml"
    path.write_text(text.replace(default, f'url = "sqlite:///{tmp_path / "gw.db"}"'))
    return App.open(load_config(path))


def test_the_app_holds_the_delays_of_when_it_was_built(tmp_path: Path) -> None:
    app = _app(tmp_path)
    try:
        assert app.retry_delays == (1.0, 4.0)
    finally:
        app.close()
    retries.set_testing(True)
    try:
        app = _app(tmp_path)
    finally:
        retries.set_testing(False)
    try:
        assert app.retry_delays == (0.0, 0.0)  # switched off since: it keeps its own
    finally:
        app.close()


class Busy:
    """A mailer (the ``Mailer`` port) whose server always answers 451."""

    def __init__(self) -> None:
        self.sends = 0

    async def send(self, msg: EmailMessage) -> SendReceipt:
        self.sends += 1
        raise SendRetryable("451 try again later")

    async def close(self) -> None:
        return None


def test_the_courier_tries_once_more_than_its_own_delays_then_plans_later(
    tmp_path: Path,
) -> None:
    """Three delays given to the Courier: four attempts (the module's two would make
    three), then the row is planned again for a later cycle."""
    store = Store.open(f"sqlite:///{tmp_path / 'gw.db'}")
    try:
        decision = Decision(
            "Acme", "studio", Action.SEND, "silence", LadderKind.SILENCE, "a", 1,
            "check_in", NOW, "due", to_addr="ap@acme.example",
        )  # fmt: skip
        msg = EmailMessage()
        msg["To"], msg["Subject"] = "ap@acme.example", "Checking in"
        row = store.plan_nudge(
            account="studio", client="Acme", ladder="silence", anchor="a", step=1,
            template="check_in", message_id="<n1@studio>", to_addr="ap@acme.example",
            subject="Checking in", raw=msg.as_bytes(), due_at=NOW, planned_at=NOW,
        )  # fmt: skip
        assert row is not None and store.claim_outbox(row.id, at=NOW)
        account = AccountState(
            "studio", "me@studio.example", "Me", "UTC", False, NOW, timedelta(hours=1), 10
        )
        mailer = Busy()
        sender = Courier(
            store, account, None, mailer, {}, TemplateSet(None),  # type: ignore[arg-type]
            recheck=None, retry_delays=(0.0, 0.0, 0.0),  # type: ignore[arg-type]
        )  # fmt: skip
        delivery = asyncio.run(sender._transmit(row, decision, NOW))
        assert mailer.sends == 4
        assert delivery.status is OutboxStatus.PLANNED
        (stored,) = store.outbox_all("studio")
        assert stored.status is OutboxStatus.PLANNED
        assert stored.next_attempt_at is not None and stored.next_attempt_at > NOW
    finally:
        store.close()
