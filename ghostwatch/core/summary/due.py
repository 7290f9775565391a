"""When the daily summary is due: a wall time in the summary account's zone, once a
local day. PURE: every function takes the instant it works on; nothing reads the clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["due_at", "local_day", "next_due"]


def local_day(now: datetime, timezone: str) -> date:
    """Return the date of ``now`` in ``timezone`` (the summary_log key)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def due_at(day: date, timezone: str, at: time) -> datetime:
    """Return the instant (UTC) of the summary for local date ``day`` at wall time ``at``."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def next_due(now: datetime, timezone: str, at: time, *, sent_today: bool) -> datetime:
    """Return when the daily summary is next due: today's ``at`` if still ahead; ``now``
    if it has passed and today's was not sent (a daemon that was down then catches
    up at once); else tomorrow's ``at``."""
    today = local_day(now, timezone)
    if now < due_at(today, timezone, at):
        return due_at(today, timezone, at)
    if not sent_today:
        return now
    return due_at(today + timedelta(days=1), timezone, at)
