"""Dates as the client's reader writes them (``core/human_dates.py``, docs/templates.md
"Days"): what ``{{ day }}``, ``day.weekday``, ``day.short``, ``day.of`` and ``day.until``
print in English, Georgian and Thai.

Proves: Thai years are Buddhist-era years (both sides of New Year); the weekday is the
date's own; Georgian months decline (genitive "-ის"/"-ს", "by" "-ამდე"/"-მდე", with the
stems that lose a vowel); Thai and English "by" forms; an unknown language reads as
English everywhere; a ``LocalDay`` is a value (equal and hashable by date and language).
The plain ``format_date`` table in tests/unit/core/test_templates.py is not repeated.
"""

from __future__ import annotations

from datetime import date

import pytest

from ghostwatch.core.human_dates import LocalDay, format_date, local_day

FRI = date(2026, 11, 27)  # a Friday


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 12, 31), "31 ธันวาคม 2569"),
        (date(2027, 1, 1), "1 มกราคม 2570"),
        (date(2000, 2, 29), "29 กุมภาพันธ์ 2543"),
    ],
)
def test_thai_years_are_buddhist_era(day: date, expected: str) -> None:
    assert format_date(day, "th") == expected


@pytest.mark.parametrize(
    ("language", "weekday", "short"),
    [
        ("en", "Friday", "Friday 27 November"),
        ("ka", "პარასკევი", "პარასკევი, 27 ნოემბერი"),
        ("th", "ศุกร์", "วันศุกร์ที่ 27 พฤศจิกายน"),
    ],
)
def test_weekday_and_short_form(language: str, weekday: str, short: str) -> None:
    day = local_day(FRI, language)
    assert (day.weekday, day.short) == (weekday, short)


@pytest.mark.parametrize(
    ("day", "weekday"),
    [
        (date(2026, 11, 30), "Monday"),
        (date(2026, 12, 1), "Tuesday"),
        (date(2026, 12, 6), "Sunday"),
        (date(2028, 2, 29), "Tuesday"),
    ],
)
def test_the_weekday_is_the_dates_own(day: date, weekday: str) -> None:
    assert local_day(day, "en").weekday == weekday


@pytest.mark.parametrize(
    ("day", "of", "until"),
    [
        (date(2026, 11, 27), "27 ნოემბრის", "27 ნოემბრამდე"),
        (date(2026, 1, 5), "5 იანვრის", "5 იანვრამდე"),
        (date(2026, 2, 14), "14 თებერვლის", "14 თებერვლამდე"),
        (date(2026, 3, 8), "8 მარტის", "8 მარტამდე"),
        # a stem ending in a vowel takes the short endings
        (date(2026, 8, 26), "26 აგვისტოს", "26 აგვისტომდე"),
    ],
)
def test_georgian_months_decline(day: date, of: str, until: str) -> None:
    d = local_day(day, "ka")
    assert (d.of, d.until) == (of, until)
    assert str(d) == format_date(day, "ka")  # the plain form keeps the nominative


@pytest.mark.parametrize(
    ("language", "of", "until"),
    [
        ("en", "27 November 2026", "by Friday 27 November"),
        ("th", "27 พฤศจิกายน 2569", "ภายในวันศุกร์ที่ 27 พฤศจิกายน"),
    ],
)
def test_languages_without_declension(language: str, of: str, until: str) -> None:
    d = local_day(FRI, language)
    assert (d.of, d.until, str(d)) == (of, until, of)


@pytest.mark.parametrize("language", ["xx", "de", ""])
def test_an_unknown_language_reads_as_english(language: str) -> None:
    d = local_day(FRI, language)
    english = local_day(FRI, "en")
    assert (str(d), d.weekday, d.short, d.of, d.until) == (
        "27 November 2026",
        "Friday",
        "Friday 27 November",
        "27 November 2026",
        "by Friday 27 November",
    )
    assert d == english and d.language == "en"


def test_a_local_day_is_a_value() -> None:
    assert LocalDay(FRI, "ka") == local_day(FRI, "ka")
    assert LocalDay(FRI, "ka") != LocalDay(FRI, "th")
    assert LocalDay(FRI, "en") != LocalDay(date(2026, 11, 28), "en")
    assert LocalDay(FRI, "en") != FRI  # not equal to a bare date
    assert len({LocalDay(FRI, "th"), local_day(FRI, "th"), LocalDay(FRI, "en")}) == 2
    assert local_day(FRI, "th").date == FRI
