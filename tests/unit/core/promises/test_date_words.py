"""The date vocabulary of ``core/promises/dates.py`` (``core/promises/date_words.py``):
one ``Words`` table per language, its fixed phrases tried first, each with the rule
that turns it into a day.

Proves, from Wednesday 25 November 2026 (and month and year ends): in en, ka, th, de,
fr and ru the fixed phrases resolve to the day a reader means — tomorrow, the day
after, "this week" (Friday, or today at the weekend), "early next week" (Tuesday),
"next week" (Friday), "next month" (its last day), "early next month" (the 5th),
"end of the month", "mid-month" (the next 15th), "yesterday" (a past day); longer
phrases win over their shorter parts; each table names seven weekdays and twelve
months in order. The whole-sentence reading (``find_dates``) is tested in
tests/unit/core/promises/test_reader.py.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from ghostwatch.core.promises.date_words import WORDS

WED = date(2026, 11, 25)  # Wednesday; its week's Monday is 23 Nov


def phrase_day(language: str, text: str, today: date) -> date | None:
    """The day the first of ``language``'s phrases found in ``text`` means (dates.py
    tries them in table order, ignoring case)."""
    for pattern, resolve in WORDS[language].phrases:
        if m := re.search(pattern, text, re.IGNORECASE):
            return resolve(m, today)
    return None


TOMORROW, AFTER, TODAY, PAST = date(2026, 11, 26), date(2026, 11, 27), WED, date(2026, 11, 24)
FRI, NEXT_TUE, NEXT_FRI = date(2026, 11, 27), date(2026, 12, 1), date(2026, 12, 4)
MONTH_END, NEXT_END, NEXT_5TH = date(2026, 11, 30), date(2026, 12, 31), date(2026, 12, 5)


@pytest.mark.parametrize(
    ("language", "text", "day"),
    [
        ("en", "Tomorrow", TOMORROW),
        ("en", "the day after tomorrow", AFTER),
        ("en", "by EOD", TODAY),
        ("en", "I paid it yesterday", PAST),
        ("en", "early next week", NEXT_TUE),
        ("en", "by the end of next week", NEXT_FRI),
        ("en", "by the end of the week", FRI),
        ("en", "early next month", NEXT_5TH),
        ("en", "next month", NEXT_END),
        ("en", "by month-end", MONTH_END),
        ("en", "mid-month", date(2026, 12, 15)),
        ("ka", "ზეგ", AFTER),
        ("ka", "ხვალვე", TOMORROW),
        ("ka", "დღესვე", TODAY),
        ("ka", "გუშინ გადავიხადე", PAST),
        ("ka", "მომავალი კვირის დასაწყისში", NEXT_TUE),
        ("ka", "მომავალ კვირას", NEXT_FRI),
        ("ka", "კვირის ბოლომდე", FRI),
        ("ka", "მომავალი თვის დასაწყისში", NEXT_5TH),
        ("ka", "მომავალ თვეში", NEXT_END),
        ("ka", "თვის ბოლომდე", MONTH_END),
        ("th", "มะรืนนี้", AFTER),
        ("th", "พรุ่งนี้", TOMORROW),
        ("th", "วันนี้", TODAY),
        ("th", "เมื่อวานนี้", PAST),
        ("th", "ต้นสัปดาห์หน้า", NEXT_TUE),
        ("th", "สัปดาห์หน้า", NEXT_FRI),
        ("th", "สิ้นสัปดาห์นี้", FRI),
        ("th", "ต้นเดือนหน้า", NEXT_5TH),
        ("th", "เดือนหน้า", NEXT_END),
        ("th", "สิ้นเดือนนี้", MONTH_END),
        ("th", "กลางเดือน", date(2026, 12, 15)),
        ("de", "übermorgen", AFTER),
        ("de", "Morgen", TOMORROW),
        ("de", "Anfang der nächsten Woche", NEXT_TUE),
        ("de", "nächste Woche", NEXT_FRI),
        ("de", "Ende dieser Woche", FRI),
        ("de", "Ende des Monats", MONTH_END),
        ("fr", "après-demain", AFTER),
        ("fr", "demain", TOMORROW),
        ("fr", "début de la semaine prochaine", NEXT_TUE),
        ("fr", "la semaine prochaine", NEXT_FRI),
        ("fr", "fin du mois prochain", NEXT_END),
        ("ru", "послезавтра", AFTER),
        ("ru", "завтра", TOMORROW),
        ("ru", "в начале следующей недели", NEXT_TUE),
        ("ru", "на следующей неделе", NEXT_FRI),
        ("ru", "до конца месяца", MONTH_END),
    ],
)
def test_fixed_phrases_mean_the_day_a_reader_means(language: str, text: str, day: date) -> None:
    assert phrase_day(language, text, WED) == day


@pytest.mark.parametrize(
    ("text", "today", "day"),
    [
        # "this week" said at the weekend: today, never a day already gone
        ("this week", date(2026, 11, 28), date(2026, 11, 28)),
        ("this week", date(2026, 11, 23), FRI),
        # mid-month before the 15th: this month's
        ("mid-month", date(2026, 11, 10), date(2026, 11, 15)),
        ("mid-month", date(2026, 11, 15), date(2026, 11, 15)),
        # across the year's end
        ("next month", date(2026, 12, 10), date(2027, 1, 31)),
        ("early next month", date(2026, 12, 10), date(2027, 1, 5)),
        ("next week", date(2026, 12, 31), date(2027, 1, 8)),
        # February's end, leap year or not
        ("end of the month", date(2028, 2, 3), date(2028, 2, 29)),
        ("next month", date(2027, 1, 31), date(2027, 2, 28)),
    ],
)
def test_phrases_across_week_month_and_year_ends(text: str, today: date, day: date) -> None:
    assert phrase_day("en", text, today) == day


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("Anfang nächster Woche", NEXT_TUE),
        ("Ende nächster Woche", NEXT_FRI),
        ("Ende kommender Woche", NEXT_FRI),
    ],
)
def test_german_next_week_without_article(text: str, day: date) -> None:
    assert phrase_day("de", text, WED) == day


@pytest.mark.parametrize(
    ("language", "wednesday", "november"),
    [
        ("en", "Wednesday", "November"),
        ("ka", "ოთხშაბათს", "ნოემბერში"),
        ("th", "วันพุธ", "พฤศจิกายน"),
        ("de", "Mittwoch", "November"),
        ("fr", "mercredi", "novembre"),
        ("ru", "среду", "ноября"),
    ],
)
def test_each_table_names_the_week_and_the_year_in_order(
    language: str, wednesday: str, november: str
) -> None:
    words = WORDS[language]
    assert (len(words.weekdays), len(words.months)) == (7, 12)
    days = [i for i, p in enumerate(words.weekdays) if re.fullmatch(p, wednesday, re.IGNORECASE)]
    months = [i for i, p in enumerate(words.months) if re.fullmatch(p, november, re.IGNORECASE)]
    assert (days, months) == ([2], [10])
