"""Shared fixtures, one definition each. Real servers live in tests/support/ (registered
as plugins); fixtures only one tier needs stay in that tier's conftest.

Every property test runs the same examples on every run (``derandomize``, no example
database), so a failure is never one run in ten; ``GHOSTWATCH_HYPOTHESIS=explore``
runs fresh random examples instead, to look for new failures (keep each one found as
an ``@example``). tests/proof/test_fuzz.py has its own knob, GHOSTWATCH_FUZZ_EXPLORE.
"""

import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from hypothesis import settings

from ghostwatch.store.database import Store
from tests.support.scenario import Scenario

pytest_plugins = [
    "tests.support.dovecot",
    "tests.support.smtpd",
    "tests.support.postgres",
    "tests.support.pings",
]

settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("GHOSTWATCH_HYPOTHESIS", "deterministic"))


@pytest.fixture
def scenario(imap_server: Any, smtp_server: Any, database_url: str) -> Iterator[Scenario]:
    """A Scenario wired to the session's real Dovecot and aiosmtpd: once on SQLite, once on
    PostgreSQL (``database_url``)."""
    with tempfile.TemporaryDirectory(prefix="gw-scenario-") as directory:
        yield Scenario(
            directory=Path(directory),
            imap_host=imap_server.host,
            imap_port=imap_server.port,
            imap_user=imap_server.user,
            smtp_port=smtp_server.port,
            database_url=database_url,
        )


@pytest.fixture
def every_log_level() -> Iterator[None]:
    """Whatever level an earlier test's CLI run left configured, the test reads every
    event (capture_logs replaces the processors, not the level filter). Use it with
    ``pytestmark = pytest.mark.usefixtures("every_log_level")``."""
    old = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    yield
    structlog.configure(**old)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open Store on the suite's stores (``store_url``: SQLite, and PostgreSQL when
    the rig has one), closed after the test."""
    with Store.open(store_url) as opened:
        yield opened
