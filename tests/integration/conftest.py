"""Integration-tier fixtures (the shared ones, such as ``scenario``, are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import pytest

from tests.integration.test_service import Daemon
from tests.support.scenario import Scenario


@pytest.fixture
def daemons() -> Iterator[Callable[[Scenario, datetime], Daemon]]:
    """Start ``ghostwatch run`` processes (``daemons(scenario, now)``); every one still
    running is killed at the end of the test."""
    started: list[Daemon] = []

    def start(scenario: Scenario, now: datetime) -> Daemon:
        started.append(Daemon(scenario, now))
        return started[-1]

    yield start
    for daemon in started:
        daemon.close()
