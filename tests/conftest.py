"""Shared fixtures. Real servers live in tests/support/ (registered as plugins)."""

pytest_plugins = [
    "tests.support.dovecot",
    "tests.support.smtpd",
    "tests.support.postgres",
    "tests.support.pings",
]
