"""When the daily summary is due (``core/summary/due.py``): a wall time in the summary
account's zone, once per local day, caught up at once by a daemon that was down then.

Proves: the local day is the account's, not UTC's; the due instant follows the zone's
offset through a DST change; ``next_due`` picks today's time while ahead, ``now`` when
it passed unsent, tomorrow's once sent. All instants are literals: no clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from ghostwatch.core.summary.due import due_at, local_day, next_due

EIGHT = time(8, 0)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "zone", "day"),
    [
        # 21:30 UTC on 30 Nov is already 1 Dec in Tbilisi (UTC+4)
        (utc(2026, 11, 30, 21, 30), "Asia/Tbilisi", date(2026, 12, 1)),
        # 03:00 UTC on 1 Dec is still 30 Nov in New York (UTC-5)
        (utc(2026, 12, 1, 3, 0), "America/New_York", date(2026, 11, 30)),
        (utc(2026, 12, 1, 3, 0), "UTC", date(2026, 12, 1)),
    ],
)
def test_the_summary_day_is_the_accounts_local_day(now: datetime, zone: str, day: date) -> None:
    assert local_day(now, zone) == day


@pytest.mark.parametrize(
    ("day", "zone", "instant"),
    [
        (date(2026, 12, 1), "Asia/Tbilisi", utc(2026, 12, 1, 4, 0)),
        (date(2026, 12, 1), "Asia/Bangkok", utc(2026, 12, 1, 1, 0)),
        # Berlin: 08:00 is 07:00 UTC in winter, 06:00 UTC in summer
        (date(2026, 12, 1), "Europe/Berlin", utc(2026, 12, 1, 7, 0)),
        (date(2026, 7, 1), "Europe/Berlin", utc(2026, 7, 1, 6, 0)),
        # the Sunday clocks go forward (29 March 2026): still 08:00 local
        (date(2026, 3, 29), "Europe/Berlin", utc(2026, 3, 29, 6, 0)),
    ],
)
def test_due_at_is_the_wall_time_in_the_zone(day: date, zone: str, instant: datetime) -> None:
    got = due_at(day, zone, EIGHT)
    assert got == instant and got.utcoffset() == UTC.utcoffset(None)


@pytest.mark.parametrize(
    ("now", "sent_today", "expected"),
    [
        # before 08:00 Tbilisi (04:00 UTC): today's summary, whether or not "sent"
        (utc(2026, 12, 1, 3, 59), False, utc(2026, 12, 1, 4, 0)),
        (utc(2026, 12, 1, 3, 59), True, utc(2026, 12, 1, 4, 0)),
        # exactly due and unsent: now
        (utc(2026, 12, 1, 4, 0), False, utc(2026, 12, 1, 4, 0)),
        # the daemon was down at 08:00: it catches up at once
        (utc(2026, 12, 1, 15, 17), False, utc(2026, 12, 1, 15, 17)),
        # already sent today: tomorrow's 08:00
        (utc(2026, 12, 1, 4, 0), True, utc(2026, 12, 2, 4, 0)),
        (utc(2026, 12, 1, 15, 17), True, utc(2026, 12, 2, 4, 0)),
        # 21:00 UTC is 01:00 on 2 Dec in Tbilisi: a new local day, its 08:00 still ahead
        (utc(2026, 12, 1, 21, 0), True, utc(2026, 12, 2, 4, 0)),
    ],
)
def test_next_due(now: datetime, sent_today: bool, expected: datetime) -> None:
    assert next_due(now, "Asia/Tbilisi", EIGHT, sent_today=sent_today) == expected


def test_next_due_across_the_night_clocks_go_back() -> None:
    """Sent on Saturday 24 Oct 2026 in Berlin (UTC+2); Sunday's 08:00 is UTC+1."""
    now = utc(2026, 10, 24, 12, 0)
    assert next_due(now, "Europe/Berlin", EIGHT, sent_today=True) == utc(2026, 10, 25, 7, 0)
