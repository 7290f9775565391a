"""Proof-suite fixtures: a Scenario wired to the session's real Dovecot and aiosmtpd."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.scenario import Scenario


@pytest.fixture
def scenario(imap_server: Any, smtp_server: Any, database_url: str) -> Iterator[Scenario]:
    """Once on SQLite, once on PostgreSQL (``database_url``)."""
    with tempfile.TemporaryDirectory(prefix="gw-proof-") as directory:
        yield Scenario(
            directory=Path(directory),
            imap_host=imap_server.host,
            imap_port=imap_server.port,
            imap_user=imap_server.user,
            smtp_port=smtp_server.port,
            database_url=database_url,
        )
