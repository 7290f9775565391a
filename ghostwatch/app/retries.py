"""How often and how soon a nudge's transient SMTP failure is tried again.

In the run: RETRY_DELAYS_S between attempts (two retries: 1 s, then 4 s), then the
outbox row waits for a later cycle, RETRY_LATER on, doubling per attempt up to
RETRY_CAP. ``set_testing`` is stamina's switch for tests: the same number of retries,
no waits. The App reads ``retry_delays()`` once when it is built and hands the delays
to each Courier, so nothing reads or patches a module constant at send time.
"""

from __future__ import annotations

from datetime import timedelta

__all__ = [
    "RETRY_CAP",
    "RETRY_DELAYS_S",
    "RETRY_LATER",
    "is_testing",
    "retry_delays",
    "set_testing",
]

RETRY_DELAYS_S: tuple[float, ...] = (1.0, 4.0)
RETRY_LATER = timedelta(minutes=15)  # next cycle's attempt, capped backoff beyond
RETRY_CAP = timedelta(hours=4)
_testing = [False]  # set_testing's switch (a list: no ``global`` statement needed)


def set_testing(testing: bool) -> None:
    """While on, a transient failure is still retried ``len(RETRY_DELAYS_S)`` times in
    the run, without waiting (a test's 451 then costs no 5 s). Tests only; an App
    built while it is on keeps no waits."""
    _testing[0] = testing


def is_testing() -> bool:
    return _testing[0]


def retry_delays() -> tuple[float, ...]:
    """The waits between in-run SMTP attempts: RETRY_DELAYS_S, or zeros while testing."""
    return tuple(0.0 for _ in RETRY_DELAYS_S) if _testing[0] else RETRY_DELAYS_S
