"""Durations and times of day as users write them: ``30s``, ``90m``, ``36h``, ``7d``, ``2w``;
``08:00``; send windows ``09:00-17:00``.

Units may be combined largest first (``1h30m``, ``1w2d``); each unit at most once.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from datetime import time, timedelta

_UNITS: dict[str, timedelta] = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
    "s": timedelta(seconds=1),
}

_DURATION = re.compile(
    r"(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?"
)

HINT = "use a number and a unit: 30s, 90m, 36h, 7d, 2w, or combined like 1h30m"


def parse_duration(text: str) -> timedelta:
    """Given ``text`` like ``"7d"`` or ``"1h30m"``, return the ``timedelta``.

    Raise ``ValueError`` (whose message quotes ``text`` and shows the accepted forms)
    if ``text`` is empty or not made of ``<digits><unit>`` parts in the order w d h m s.
    """
    match = _DURATION.fullmatch(text.strip())
    if not text.strip() or match is None:
        raise ValueError(f"{text!r} is not a duration ({HINT})")
    total = timedelta()
    for unit, amount in match.groupdict().items():
        if amount is not None:
            total += int(amount) * _UNITS[unit]
    return total


def format_duration(value: timedelta) -> str:
    """Return ``value`` in the configuration's notation, in the largest unit that divides it
    (``"1w"``, ``"90d"``, ``"90m"``, ``"0s"``); sub-second parts are dropped, so
    ``parse_duration(format_duration(d)) == d`` for whole seconds."""
    seconds = max(int(value.total_seconds()), 0)
    for unit, size in _UNITS.items():
        step = int(size.total_seconds())
        if seconds and seconds % step == 0:
            return f"{seconds // step}{unit}"
    return "0s"


_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


def parse_clock(text: str) -> time:
    """Given ``"HH:MM"`` (24-hour), return the ``time``; raise ``ValueError`` otherwise."""
    match = _CLOCK.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        return time(int(match[1]), int(match[2]))
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day (write it as HH:MM, like 08:00)") from None


def parse_window(text: str) -> tuple[time, time]:
    """Given ``"HH:MM-HH:MM"``, return ``(start, end)`` with ``start < end``.

    Raise ``ValueError`` if malformed or if the window is empty or crosses midnight.
    """
    start_text, dash, end_text = text.partition("-")
    if not dash:
        raise ValueError(
            f"{text!r} is not a send window (write it as HH:MM-HH:MM, like 09:00-17:00)"
        )
    start, end = parse_clock(start_text), parse_clock(end_text)
    if start >= end:
        raise ValueError(
            f"send window {text!r} must end after it starts (no windows across midnight)"
        )
    return start, end
