"""``ghostwatch.app.retries``: how a nudge's transient SMTP failure is tried again.

Proves the module's contract directly (tests/unit/app/test_courier.py checks the App
side): in the run a 451 costs two more tries, the first soon and the second later;
the outbox row then waits RETRY_LATER, which stays under RETRY_CAP; ``set_testing``
is a switch (stamina's shape) that keeps the number of tries and drops only the
waits, and switching it off gives the real waits back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from ghostwatch.app import retries


@pytest.fixture(autouse=True)
def switched_off_after() -> Iterator[None]:
    """Whatever a test leaves switched, the next one starts with real waits."""
    yield
    retries.set_testing(False)


def test_a_run_retries_twice_and_waits_longer_the_second_time() -> None:
    delays = retries.retry_delays()
    assert len(delays) == 2
    assert 0 < delays[0] < delays[1]


def test_a_later_cycle_retries_within_the_cap() -> None:
    assert timedelta(0) < retries.RETRY_LATER < retries.RETRY_CAP
    assert timedelta(seconds=sum(retries.RETRY_DELAYS_S)) < retries.RETRY_LATER


@pytest.mark.parametrize("switches", [[True], [True, True], [False, True]])
def test_testing_keeps_every_try_and_drops_every_wait(switches: list[bool]) -> None:
    for testing in switches:
        retries.set_testing(testing)
    assert retries.is_testing()
    assert retries.retry_delays() == (0.0,) * len(retries.RETRY_DELAYS_S)


@pytest.mark.parametrize("switches", [[False], [True, False], [True, True, False]])
def test_switching_testing_off_gives_the_real_waits_back(switches: list[bool]) -> None:
    for testing in switches:
        retries.set_testing(testing)
    assert not retries.is_testing()
    assert retries.retry_delays() == retries.RETRY_DELAYS_S == (1.0, 4.0)
