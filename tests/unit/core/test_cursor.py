"""``core.cursor.plan_read``: what one folder's sync reads, given its stored cursor and
the server's STATUS (UIDVALIDITY, UIDNEXT), one row per case of its invariants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from ghostwatch.core.cursor import Read, ReadPlan, plan_read, settled_uid

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SCAN = timedelta(days=30)
SINCE = date(2026, 11, 1)  # NOW - SCAN
KEY = "k-now"


@dataclass(frozen=True)
class Stored:
    uidvalidity: int
    last_uid: int
    clients_key: str | None = KEY


CASES = [
    # (stored cursor, STATUS uidvalidity, STATUS uidnext) -> plan
    pytest.param(None, 7, 1, ReadPlan(Read.FIRST, 0, since=SINCE), id="never-synced-empty"),
    pytest.param(None, 7, 500, ReadPlan(Read.FIRST, 0, since=SINCE), id="never-synced"),
    pytest.param(Stored(7, 41), 7, 42, ReadPlan(Read.NOTHING, 41), id="nothing-new"),
    pytest.param(Stored(7, 41), 7, 30, ReadPlan(Read.NOTHING, 41), id="uidnext-behind"),
    pytest.param(Stored(7, 41), 7, 43, ReadPlan(Read.NEW, 41, min_uid=42), id="one-new"),
    pytest.param(Stored(7, 0), 7, 2, ReadPlan(Read.NEW, 0, min_uid=1), id="empty-then-one"),
    pytest.param(
        Stored(7, 41), 8, 42, ReadPlan(Read.RENUMBERED, 0, since=SINCE), id="uidvalidity-changed"
    ),
    pytest.param(
        Stored(7, 41, "k-before"),
        8,
        42,
        ReadPlan(Read.RENUMBERED, 0, since=SINCE),
        id="renumbered-wins-over-clients",
    ),
    pytest.param(
        Stored(7, 41, "k-before"),
        7,
        42,
        ReadPlan(Read.CLIENTS_CHANGED, 0, since=SINCE, min_uid=42),
        id="clients-changed",
    ),
    pytest.param(
        Stored(7, 41, None), 7, 42, ReadPlan(Read.NOTHING, 41), id="cursor-before-keys-adopts"
    ),
    pytest.param(
        Stored(7, 41, None), 7, 50, ReadPlan(Read.NEW, 41, min_uid=42), id="keyless-cursor-new"
    ),
]


@pytest.mark.parametrize(("stored", "uidvalidity", "uidnext", "expected"), CASES)
def test_plan_read(
    stored: Stored | None, uidvalidity: int, uidnext: int, expected: ReadPlan
) -> None:
    plan = plan_read(
        stored, uidvalidity=uidvalidity, uidnext=uidnext, clients_key=KEY, now=NOW,
        initial_scan=SCAN,
    )  # fmt: skip
    assert plan == expected


@pytest.mark.parametrize(
    ("read", "rescanned"),
    [(Read.FIRST, False), (Read.NEW, False), (Read.NOTHING, False),
     (Read.RENUMBERED, True), (Read.CLIENTS_CHANGED, True)],
)  # fmt: skip
def test_only_a_folder_read_before_counts_as_rescanned(read: Read, rescanned: bool) -> None:
    assert ReadPlan(read, 0).rescanned is rescanned


def test_the_window_is_counted_back_from_now_in_days() -> None:
    late = datetime(2026, 12, 1, 23, 59, tzinfo=UTC)
    plan = plan_read(
        None, uidvalidity=1, uidnext=1, clients_key=KEY, now=late, initial_scan=timedelta(days=1)
    )
    assert plan.since == date(2026, 11, 30)


@pytest.mark.parametrize(
    ("last_uid", "uidnext", "settled"), [(0, 1, 0), (0, 120, 119), (41, 42, 41), (50, 42, 50)]
)
def test_a_read_that_found_nothing_settles_the_cursor_up_to_uidnext(
    last_uid: int, uidnext: int, settled: int
) -> None:
    assert settled_uid(last_uid, uidnext) == settled
