"""``ghostwatch.config.timezones``: what a user who mistypes a time zone is told.

Proves the module's own contract beyond tests/unit/config/test_warnings.py and
test_types.py: a valid zone (in any spelling the tz database knows) is no problem; a
name that is right but for its case or stray spaces gets the real name back; a city
with an underscore or a space finds its zone; an offset is always answered by
``offset_hint`` (POSIX's reversed sign, the limits of the ``Etc/GMT`` zones, zero means
UTC) and never by a spelling guess; input that is not a zone at all is reported
without a guess and without an exception.
"""

from __future__ import annotations

import pytest

from ghostwatch.config.timezones import offset_hint, suggest_timezone, timezone_problem


@pytest.mark.parametrize("zone", ["Asia/Tbilisi", "UTC", "Etc/GMT+12", "Etc/GMT-14"])
def test_a_known_zone_is_no_problem(zone: str) -> None:
    assert timezone_problem(zone) is None


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        (" Asia/Tbilisi ", "Asia/Tbilisi"),  # stray spaces
        ("EUROPE/BERLIN", "Europe/Berlin"),  # case only
        ("buenos aires", "America/Buenos_Aires"),  # a city, space for underscore
        ("Buenos_Aires", "America/Buenos_Aires"),
        ("Kolkata", "Asia/Kolkata"),
    ],
)
def test_a_near_miss_is_answered_with_the_real_name(written: str, meant: str) -> None:
    assert suggest_timezone(written) == meant
    assert timezone_problem(written) == f"unknown time zone {written!r}: did you mean {meant}?"


@pytest.mark.parametrize(
    ("offset", "posix", "fixed"),
    [
        ("GMT+4", "Etc/GMT-4", "UTC+4"),
        ("utc - 3", "Etc/GMT+3", "UTC-3"),  # any case, spaces around the sign
        ("GMT+4:00", "Etc/GMT-4", "UTC+4"),  # whole hours written with minutes
        ("UTC+14", "Etc/GMT-14", "UTC+14"),  # the easternmost Etc zone
        ("UTC-12", "Etc/GMT+12", "UTC-12"),  # the westernmost Etc zone
    ],
)
def test_an_offset_names_the_etc_zone_with_the_sign_reversed(
    offset: str, posix: str, fixed: str
) -> None:
    hint = offset_hint(offset) or ""
    assert f"for a fixed {fixed} write {posix} " in hint
    assert f"{posix} is {fixed}" in hint and "daylight saving" in hint
    assert suggest_timezone(offset) is None  # no difflib guess like GMT+0
    assert timezone_problem(offset) == f"unknown time zone {offset!r}: {hint}"


@pytest.mark.parametrize(
    ("offset", "fixed"),
    [("GMT+15", "UTC+15"), ("UTC-13", "UTC-13"), ("UTC+05:45", "UTC+5:45")],
)
def test_an_offset_no_etc_zone_has_asks_for_a_city(offset: str, fixed: str) -> None:
    assert offset_hint(offset) == (
        f"no zone is a fixed {fixed}: name your city's zone (like Asia/Kolkata)"
    )


@pytest.mark.parametrize("zero", ["UTC+0", "GMT-00:00"])
def test_a_zero_offset_is_told_to_write_utc(zero: str) -> None:
    assert offset_hint(zero) == "write UTC"


@pytest.mark.parametrize("value", ["Asia/Tbilisi", "Tbilisi", "GMT", "+4", "GMT+4 Tbilisi"])
def test_only_an_offset_gets_an_offset_hint(value: str) -> None:
    assert offset_hint(value) is None


@pytest.mark.parametrize("value", ["", "../etc/passwd", "Nowhere/At_All_Really"])
def test_what_is_no_zone_at_all_is_reported_without_a_guess(value: str) -> None:
    assert suggest_timezone(value) is None
    assert timezone_problem(value) == f"unknown time zone {value!r}"
