"""When a nudge may go out: send windows, business days, public holidays. PURE.

Everything here takes the instant or the local day it works on (arq's ``next_cron``
shape); nothing reads the clock. Send windows are wall-clock times in the client's
zone, so they follow DST changes; local days begin at local midnight.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from ghostwatch.core.domain import Rules

__all__ = [
    "add_business_days",
    "is_business_day",
    "local_date",
    "local_day_start",
    "next_slot",
]

# How far ahead a send slot is searched for before giving up (a window on no day).
_MAX_SLOT_SEARCH_DAYS = 370


@lru_cache(maxsize=64)
def _holidays(code: str, year: int) -> frozenset[date]:
    """Public holidays of ``code`` in ``year``: a country (``GE``), or a country and one
    of its subdivisions (``DE-BY``: Bavaria's, which add to Germany's)."""
    country, _, subdivision = code.partition("-")
    found = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return frozenset(found.keys())


def is_business_day(day: date, rules: Rules) -> bool:
    """True when nudges may go out on ``day`` (a local date in the client's zone)."""
    if rules.business_days and day.weekday() >= 5:
        return False
    return not (rules.holidays_country and day in _holidays(rules.holidays_country, day.year))


def next_slot(earliest: datetime, rules: Rules) -> datetime:
    """Return the first instant >= ``earliest`` inside a send window on an allowed day.

    Raise ValueError if no slot exists within a year (a calendar with no allowed day).
    """
    zone = ZoneInfo(rules.timezone)
    day = earliest.astimezone(zone).date()
    for _ in range(_MAX_SLOT_SEARCH_DAYS):
        if is_business_day(day, rules):
            start = _wall(day, rules.send_window.start, zone)
            end = _wall(day, rules.send_window.end, zone)
            if earliest < start:
                return start
            if earliest < end:
                return earliest
        day += timedelta(days=1)
    raise ValueError("no send window on any day within a year")


def add_business_days(first_back: date, grace: timedelta, rules: Rules) -> datetime:
    """Return the instant a grace period that starts on ``first_back`` ends.

    Whole days of ``grace`` are counted on days nudges may go out (``is_business_day``),
    from the first such day on or after ``first_back``; the rest of ``grace`` is added
    as time. Back on Monday with a 2-day grace: Wednesday 00:00 local. Back on a
    Sunday: counted from Monday, so Wednesday too.
    """
    day = first_back
    for _ in range(_MAX_SLOT_SEARCH_DAYS):
        if is_business_day(day, rules):
            break
        day += timedelta(days=1)
    left = grace.days
    while left > 0:
        day += timedelta(days=1)
        if is_business_day(day, rules):
            left -= 1
    return local_day_start(day, rules.timezone) + (grace - timedelta(days=grace.days))


def local_day_start(day: date, zone_name: str) -> datetime:
    """Return the UTC instant at which ``day`` begins in the given zone."""
    return _wall(day, time(0, 0), ZoneInfo(zone_name))


def local_date(at: datetime, zone_name: str) -> date:
    """Return the local date of the aware instant ``at`` in the given zone."""
    return at.astimezone(ZoneInfo(zone_name)).date()


def _wall(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
