"""A shortened soak (50 clients, 30 simulated days) of bench/soak.py, for CI.

On both stores. The full one, once per store:
``.venv/bin/python -m bench.soak --clients 1000 --messages 50000 --days 200 [--store postgresql]``.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from bench.soak import soak
from ghostwatch.adapters import logs


@pytest.mark.timeout(300)  # 90 real cycles; slower on a loaded machine
async def test_thirty_simulated_days_keep_every_invariant(
    imap_server: Any, smtp_server: Any, database_url: str
) -> None:
    logs.configure(level="warning", stream=sys.stderr)  # not a stream an earlier test closed
    totals = await soak(
        imap_server, smtp_server, clients=50, messages=1500, days=30, seed=7,
        database_url=database_url,
    )  # fmt: skip
    print(f"\nsoak: {totals}")
    assert totals["nudges sent"] > 5
    assert totals["cycles"] == 90
