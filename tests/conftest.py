"""Shared fixtures. Real servers live in tests/support/ (registered as plugins).

Every property test runs the same examples on every run (``derandomize``, no example
database), so a failure is never one run in ten; ``GHOSTWATCH_HYPOTHESIS=explore``
runs fresh random examples instead, to look for new failures (keep each one found as
an ``@example``). tests/proof/test_fuzz.py has its own knob, GHOSTWATCH_FUZZ_EXPLORE.
"""

import os

from hypothesis import settings

pytest_plugins = [
    "tests.support.dovecot",
    "tests.support.smtpd",
    "tests.support.postgres",
    "tests.support.pings",
]

settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("GHOSTWATCH_HYPOTHESIS", "deterministic"))
