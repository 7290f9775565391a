"""PURE: the date expressions of a promise, read in en, ka, th, de, fr and ru.

``find_dates(text, today=..., language=...)`` returns every date expression in ``text``
as a ``DateHit`` (its span and the local day it names). No I/O, no clock: ``today`` is
the local date the reply was received. The rules (docs/promises.md has the same list):

Rule 1, weekdays: "Friday" is the first Friday on or after ``today`` (said on a Friday it
  means today: the earlier reading only brings a reminder sooner, never delays one);
  "this Friday" is the same; "next Friday" is the Friday of next week (weeks start on
  Monday); "last Friday" is in the past.
Rule 2, relative days: "today", "end of day" = today; "tomorrow" = +1; "the day after
  tomorrow" = +2; "in/within N days" = +N; "in/within N weeks" = +7N.
Rule 3, weeks: "this week", "end of the week" = Friday of this week (today on a weekend);
  "next week", "end of next week" = Friday of next week; "early next week" = Tuesday of
  next week.
Rule 4, months: "end of the month" = its last day (said on the 31st: today); "next month",
  "end of next month" = the last day of next month; "beginning of next month" = the 5th of
  next month (its first working days); "end of January" = 31 January (its nearest
  occurrence); "mid-month" = the 15th.
Rule 5, days of the month: "the 15th" is the first 15th on or after today (a month too
  short for it counts as its last day).
Rule 6, explicit dates: "20 Nov", "Nov 20th", "20 November 2026", "2026-11-20",
  "20.11.2026", "20/11", "20.11." (numbers are day first, as in Georgia, Thailand and
  Europe; in English a second number above 12 reads month first). A year of 2400 or more
  is Buddhist era (2569 = 2026); in Thai a two-digit year of 43 or more is too (69 = 2026).
  A date without a year is its occurrence nearest to today, so "5 Jan" on 28 Dec is next
  year and "20 Nov" on 1 Dec is in the past.
Rule 7, prepositions: "by/until/on X" = X; "after X" = the day after X; "before X" = the
  day before X (for a point in time; "before the end of the month" = its last day).
Thai digits (๐-๙) count as digits. A hit whose day is before ``today`` has ``past`` set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from ghostwatch.core.promises.date_words import (
    EN,
    WORDS,
    Resolver,
    Words,
    _calendar_date,
    _dom,
    _iso,
    _monday,
    _month_end,
    _year,
)

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


@dataclass(frozen=True, slots=True)
class DateHit:
    """A date expression at ``start:end`` of the text, naming the local day ``by``."""

    start: int
    end: int
    by: date
    past: bool


_NUM_WORDS = r"\d+|a couple of|a couple|a few|an?|one|two|three|four|five|ten|ორ|სამ|ერთ"
_NUMBERS = {"a couple of": 2, "a couple": 2, "a few": 3, "a": 1, "an": 1, "one": 1, "two": 2,
            "three": 3, "four": 4, "five": 5, "ten": 10, "ორ": 2, "სამ": 3, "ერთ": 1}  # fmt: skip


_SPANS = (
    rf"(?:\b(?:in|within)\s+|ภายใน\s*|\bв течение\s+|\bчерез\s+|\bd'ici\s+|\bdans\s+|"
    rf"\binnerhalb von\s+|\bin\s+)(?P<n>{_NUM_WORDS})\s*(?:(?:business |working )?days?\b|"
    rf"วัน(?!ที่)|дн(?:я|ей)\b|jours?\b|tage?n?\b|(?P<w>weeks?\b|สัปดาห์|อาทิตย์|недел[иья]\b|"
    rf"semaines?\b|wochen?\b))|(?P<n2>{_NUM_WORDS})\s*(?:სამუშაო )?(?:დღეში|(?P<w2>კვირაში))"
)


def _spans(m: re.Match[str], today: date) -> date:
    n = (m["n"] or m["n2"]).lower()
    count = int(n) if n.isdigit() else _NUMBERS[n]
    return today + timedelta(days=count * (7 if m["w"] or m["w2"] else 1))


def _numeric(month_first: bool, language: str) -> Resolver:
    def resolve(m: re.Match[str], today: date) -> date | None:
        a, b = int(m["a"]), int(m["b"] or m["b2"])
        day, month = (b, a) if month_first and b > 12 >= a else (a, b)
        year = m.groupdict().get("y")
        return _calendar_date(today, _year(year, language), month, day)

    return resolve


def _index(patterns: tuple[str, ...], text: str) -> int:
    """Which of ``patterns`` ``text`` is (it matched one of them)."""
    for i, pattern in enumerate(patterns):
        if re.fullmatch(pattern, text, re.IGNORECASE):
            return i
    raise ValueError(text)  # pragma: no cover - the text matched the alternation


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: re.Pattern[str]
    resolve: Resolver
    point: bool  # a day, not the end of a period: "before" moves it back a day


def _rules(language: str) -> list[_Rule]:
    """The expressions of ``language`` (with English's, as clients mix), most specific first."""
    own = WORDS.get(language, EN)
    year = r"\d{4}|\d{2}(?!\d)" if language == "th" else r"\d{4}"
    found: list[tuple[str, Resolver, bool]] = [
        (r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b", _iso, True),
        (
            r"(?<![\d.,/])(?P<a>\d{1,2})[./](?P<b>\d{1,2})[./](?P<y>\d{4}|\d{2})(?![\d.,/]\d)",
            _numeric(own.month_first, language),
            True,
        ),
        (
            r"(?<![\d.,/])(?P<a>\d{1,2})(?:/(?P<b>\d{1,2})(?![\d/.,]\d)|\.(?P<b2>\d{1,2})\.(?!\d))",
            _numeric(own.month_first, language),
            True,
        ),
    ]
    for words in dict.fromkeys((own, EN)):
        found += _language_rules(words, year, language)
    found.append((_SPANS, _spans, False))
    found += [(words.dom, _dom, True) for words in dict.fromkeys((own, EN))]
    return [_Rule(re.compile(p, re.IGNORECASE), r, point) for p, r, point in found]


def _language_rules(words: Words, year: str, language: str) -> list[tuple[str, Resolver, bool]]:
    wd = "|".join(f"(?:{w})" for w in words.weekdays)
    mon = "|".join(f"(?:{m})" for m in words.months)

    def day_month(m: re.Match[str], today: date) -> date | None:
        month = _index(words.months, m["mon"]) + 1
        return _calendar_date(today, _year(m["y"], language), month, int(m["d"]))

    def month_end(m: re.Match[str], today: date) -> date | None:
        month = _index(words.months, m["mon"]) + 1
        near = _calendar_date(today, None, month, 1)
        return None if near is None else _month_end(near.year, month)

    def weekday(m: re.Match[str], today: date) -> date:
        shift = (_index(words.weekdays, m["wd"]) - today.weekday()) % 7
        return today + timedelta(days=shift)

    def next_weekday(m: re.Match[str], today: date) -> date:
        return _monday(today) + timedelta(days=7 + _index(words.weekdays, m["wd"]))

    def last_weekday(m: re.Match[str], today: date) -> date:
        return next_weekday(m, today) - timedelta(days=14)

    latin_end = r"(?![a-zà-ÿ])"
    return [
        (rf"{words.end_of}(?P<mon>{mon}){latin_end}", month_end, False),
        (rf"(?P<mon>{mon}){words.end_of_post}", month_end, False),
        (
            rf"(?<![\d.,])(?P<d>\d{{1,2}})(?:st|nd|rd|th|er|\.|-?ს|-?ში|-?მდე|-го)?\s*(?:of\s+)?"
            rf"(?:วันที่\s*)?(?P<mon>{mon}){latin_end}\.?(?:,?\s*(?:(?:พ\.ศ\.|ค\.ศ\.)\s*)?"
            rf"(?P<y>{year}))?",
            day_month,
            True,
        ),
        (
            rf"\b(?P<mon>{mon}){latin_end}\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b"
            rf"(?:,?\s*(?P<y>\d{{4}}))?",
            day_month,
            True,
        ),
        *((p, r, False) for p, r in words.phrases),
        (rf"{words.last}(?P<wd>{wd})", last_weekday, True),
        (rf"{words.next_before}(?P<wd>{wd})", next_weekday, True),
        (rf"(?P<wd>{wd}){words.next_after}", next_weekday, True),
        (
            rf"(?:\b(?:this|this coming|coming)\s+|ამ\s+)?(?P<wd>{wd})(?:นี้)?{latin_end}",
            weekday,
            True,
        ),
    ]


_CACHE: dict[str, list[_Rule]] = {}


def find_dates(text: str, *, today: date, language: str) -> list[DateHit]:
    """Every date expression in ``text``, in text order, none overlapping another.

    ``today`` is the local date of the reply; ``language`` picks the vocabulary (an
    unknown one reads English). A hit's ``by`` follows the module's rules.
    """
    rules = _CACHE.setdefault(language, _rules(language))
    words = WORDS.get(language, EN)
    plain = text.translate(THAI_DIGITS)
    taken = [False] * len(plain)
    hits: list[DateHit] = []
    for rule in rules:
        for m in rule.pattern.finditer(plain):
            if any(taken[m.start() : m.end()]) or m.start() == m.end():
                continue
            by = rule.resolve(m, today)
            if by is None:
                continue
            by = _preposition(plain, m.start(), m.end(), by, words, point=rule.point)
            taken[m.start() : m.end()] = [True] * (m.end() - m.start())
            hits.append(DateHit(m.start(), m.end(), by, past=by < today))
    return sorted(hits, key=lambda h: h.start)


def _preposition(text: str, start: int, end: int, by: date, words: Words, *, point: bool) -> date:
    """Rule 7: "after X" is the day after X, "before X" the day before (for a point)."""
    head = text[max(0, start - 24) : start]
    for own in dict.fromkeys((words, EN)):
        if re.search(own.after + "$", head, re.IGNORECASE) or re.match(
            own.after_post, text[end:], re.IGNORECASE
        ):
            return by + timedelta(days=1)
        if point and re.search(own.before + "$", head, re.IGNORECASE):
            return by - timedelta(days=1)
    return by
