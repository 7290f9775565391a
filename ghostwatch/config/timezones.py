"""PURE: IANA time zone names as people write them, and what to suggest instead.

``Tbilisi`` means ``Asia/Tbilisi`` (the city part of a zone's name); ``GMT+4`` is an
offset, for which POSIX's ``Etc/GMT-4`` is the zone (its sign is reversed), and a city
zone is better still. No I/O beyond ``zoneinfo``'s tz database.
"""

from __future__ import annotations

import difflib
import functools
import re
import zoneinfo

__all__ = ["offset_hint", "suggest_timezone", "timezone_problem"]


@functools.cache
def _zone_names() -> dict[str, str]:
    """Every zone the tz database has, by its case-folded name."""
    return {name.casefold(): name for name in zoneinfo.available_timezones()}


# "GMT+4", "UTC-05:30": an offset written the way people mean it (east is +)
_OFFSET = re.compile(r"(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d\d))?", re.I)


def suggest_timezone(value: str) -> str | None:
    """Return the known zone ``value`` most likely meant: the same name in other case,
    else the one zone whose city part is ``value`` (``Tbilisi`` -> ``Asia/Tbilisi``),
    else the closest spelling by ``difflib``; None when nothing is close. An offset like
    ``GMT+4`` gets no guess here (``offset_hint`` explains it): difflib would offer
    ``GMT+0``, and POSIX's ``Etc/GMT+4`` is UTC-4."""
    names = _zone_names()
    folded = value.strip().casefold()
    if folded in names:
        return names[folded]
    if _OFFSET.fullmatch(value.strip()):
        return None
    city = folded.replace(" ", "_")
    cities = [n for k, n in names.items() if "/" in k and k.rpartition("/")[2] == city]
    if cities:  # several (an old link and its zone): the shortest name
        return min(cities, key=lambda n: (len(n), n))
    close = difflib.get_close_matches(folded, list(names), n=1, cutoff=0.8)
    return names[close[0]] if close else None


def offset_hint(value: str) -> str | None:
    """For an offset like ``GMT+4``: name the place-free zone of that offset, minding
    POSIX's reversed sign (``Etc/GMT-4`` is UTC+4), and advise a city zone (which also
    follows daylight saving time); None for anything else."""
    match = _OFFSET.fullmatch(value.strip())
    if match is None:
        return None
    sign, hours, minutes = match.group(1), int(match.group(2)), match.group(3) or "00"
    if hours == 0 and minutes == "00":
        return "write UTC"
    offset = f"UTC{sign}{hours}" + (f":{minutes}" if minutes != "00" else "")
    posix = f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"
    if minutes != "00" or posix.casefold() not in _zone_names():
        return f"no zone is a fixed {offset}: name your city's zone (like Asia/Kolkata)"
    return (
        f"for a fixed {offset} write {posix} (POSIX reverses the sign: {posix} is "
        f"{offset}); better, name your city's zone (like Asia/Tbilisi), which also "
        "follows daylight saving time"
    )


def timezone_problem(value: str) -> str | None:
    """What is wrong with ``value`` as an IANA time zone, with a suggestion, or None."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        guess = suggest_timezone(value)
        hint = f": did you mean {guess}?" if guess else ""
        offset = offset_hint(value)
        hint = f": {offset}" if offset else hint
        return f"unknown time zone {value!r}{hint}"
    return None
