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
  next month (its first working days).
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

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
NEVER = r"(?!x)x"


@dataclass(frozen=True, slots=True)
class DateHit:
    """A date expression at ``start:end`` of the text, naming the local day ``by``."""

    start: int
    end: int
    by: date
    past: bool


Resolver = Callable[[re.Match[str], date], date | None]


def _monday(today: date) -> date:
    return today - timedelta(days=today.weekday())


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _next_month(today: date) -> tuple[int, int]:
    return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)


def _day_of_month(today: date, day: int) -> date | None:
    """The first ``day`` of a month on or after today (the month's last day if it is short)."""
    if not 1 <= day <= 31:
        return None
    year, month = today.year, today.month
    candidate = date(year, month, min(day, calendar.monthrange(year, month)[1]))
    if candidate >= today:
        return candidate
    year, month = _next_month(today)
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _year(raw: str | None, language: str) -> int | None:
    """A written year as a Gregorian year: Buddhist era from 2400, Thai two digits from 43."""
    if raw is None:
        return None
    year = int(raw)
    if year < 100:
        year = 2500 + year if language == "th" and year >= 43 else 2000 + year
    return year - 543 if year >= 2400 else year


def _calendar_date(today: date, year: int | None, month: int, day: int) -> date | None:
    """The date, or without a year its occurrence nearest to today; None if it is no date."""
    years = [year] if year is not None else [today.year - 1, today.year, today.year + 1]
    found: list[date] = []
    for y in years:
        try:
            found.append(date(y, month, day))
        except ValueError:
            continue
    return min(found, key=lambda d: abs((d - today).days)) if found else None


def _fixed(days: int) -> Resolver:
    return lambda _m, today: today + timedelta(days=days)


def _this_week(_m: re.Match[str], today: date) -> date:
    return max(today, _monday(today) + timedelta(days=4))


def _next_week_day(weekday: int) -> Resolver:
    return lambda _m, today: _monday(today) + timedelta(days=7 + weekday)


def _month_end_this(_m: re.Match[str], today: date) -> date:
    return _month_end(today.year, today.month)


def _month_end_next(_m: re.Match[str], today: date) -> date:
    return _month_end(*_next_month(today))


def _month_start_next(_m: re.Match[str], today: date) -> date:
    year, month = _next_month(today)
    return date(year, month, 5)


def _mid_month(_m: re.Match[str], today: date) -> date | None:
    return _day_of_month(today, 15)


def _dom(m: re.Match[str], today: date) -> date | None:
    return _day_of_month(today, int(m["d"]))


def _iso(m: re.Match[str], today: date) -> date | None:
    return _calendar_date(today, _year(m["y"], "en"), int(m["m"]), int(m["d"]))


@dataclass(frozen=True, slots=True)
class Words:
    """One language's date vocabulary, as regular expressions.

    ``weekdays`` and ``months`` are seven and twelve alternatives (Monday and January
    first); ``phrases`` are fixed expressions with their resolvers, tried first.
    ``next_before``/``next_after`` mark "next <weekday>", ``last`` "last <weekday>";
    ``after``/``before`` are the prepositions of Rule 7 (``after_post`` follows the date,
    as Georgian შემდეგ does); ``dom`` is a bare day of the month with group ``d``.
    """

    weekdays: tuple[str, ...]
    months: tuple[str, ...]
    phrases: tuple[tuple[str, Resolver], ...]
    next_before: str = NEVER
    next_after: str = NEVER
    last: str = NEVER
    after: str = NEVER
    before: str = NEVER
    after_post: str = NEVER
    dom: str = NEVER
    month_first: bool = False


_PAST = _fixed(-1)  # "yesterday", "last week": any day before today; only "past" matters

EN = Words(
    weekdays=(r"monday", r"tuesday", r"wednesday", r"thursday", r"friday", r"saturday", r"sunday"),
    months=(
        r"jan(?:uary)?",
        r"feb(?:ruary)?",
        r"mar(?:ch)?",
        r"apr(?:il)?",
        r"may",
        r"june?",
        r"july?",
        r"aug(?:ust)?",
        r"sept?(?:ember)?",
        r"oct(?:ober)?",
        r"nov(?:ember)?",
        r"dec(?:ember)?",
    ),
    phrases=(
        (r"\b(?:the\s+)?day after tomorrow\b", _fixed(2)),
        (r"\btomorrow\b", _fixed(1)),
        (
            r"\b(?:today|tonight|(?:the\s+)?end of (?:the\s+)?(?:business\s+)?day|eod|cob|close of "
            r"business)\b",
            _fixed(0),
        ),
        (r"\b(?:yesterday|last (?:week|month)|(?:a|one|two|\d+) (?:days?|weeks?) ago)\b", _PAST),
        (
            r"\b(?:early|the beginning of|the start of|beginning of|start of) next week\b",
            _next_week_day(1),
        ),
        (r"\b(?:(?:the\s+)?end of\s+)?next week\b", _next_week_day(4)),
        (
            r"\b(?:(?:the\s+)?end of (?:the|this) week|this week|the weekend|this weekend)\b",
            _this_week,
        ),
        (
            r"\b(?:(?:the\s+)?(?:beginning|start) of next month|early next month)\b",
            _month_start_next,
        ),
        (r"\b(?:(?:the\s+)?(?:end|close) of next month|next month)\b", _month_end_next),
        (
            r"\b(?:(?:the\s+)?(?:end|close) of (?:the|this) month|(?:the\s+)?month[- ]end|"
            r"end of month|eom)\b",
            _month_end_this,
        ),
        (r"\b(?:mid[- ]month|the middle of (?:the|this) month)\b", _mid_month),
    ),
    next_before=r"\b(?:next|the following)\s+",
    last=r"\b(?:last|past|previous)\s+",
    after=r"\bafter\s+(?:the\s+)?",
    before=r"\bbefore\s+(?:the\s+)?",
    dom=r"\b(?:the\s+)?(?P<d>\d{1,2})(?:st|nd|rd|th)\b",
    month_first=True,
)

_KA_MONTHS = ("იანვ", "თებერვ", "მარტ", "აპრილ", "მაის", "ივნის", "ივლის", "აგვისტ",
              "სექტემბ", "ოქტომბ", "ნოემბ", "დეკემბ")  # fmt: skip
KA = Words(
    # Stems: the case endings follow (ორშაბათს "on Monday", ორშაბათამდე "by Monday").
    # Sunday (კვირა) is also "week"; it is a weekday only in the forms listed.
    weekdays=(
        r"ორშაბათ\w*",
        r"სამშაბათ\w*",
        r"ოთხშაბათ\w*",
        r"ხუთშაბათ\w*",
        r"პარასკევ\w*",
        r"შაბათ\w*",
        r"კვირა(?:ს|მდე|ისთვის)\b",
    ),
    months=tuple(rf"{m}\w*" for m in _KA_MONTHS),
    phrases=(
        (r"ზეგ(?:ამდე|ვე)?\b", _fixed(2)),
        (r"ხვალ(?:ამდე|ვე|ისთვის)?\b", _fixed(1)),
        (r"დღეს(?:ვე)?\b|დღის ბოლომდე", _fixed(0)),
        (r"გუშინ\w*|გასულ კვირა\w*|წინა კვირა\w*|გასულ თვე\w*", _PAST),
        (r"(?:მომავალი|შემდეგი) კვირის (?:დასაწყისში|დასაწყისისთვის)", _next_week_day(1)),
        (r"(?:მომავალ|შემდეგ|მომდევნო)(?:ი)? კვირ\w*", _next_week_day(4)),
        (r"(?:ამ )?კვირის ბოლო\w*|ამ კვირ\w*", _this_week),
        (r"(?:მომავალი|შემდეგი) თვის დასაწყის\w*", _month_start_next),
        (r"(?:მომავალი|შემდეგი) თვის ბოლო\w*|(?:მომავალ|შემდეგ) თვეში", _month_end_next),
        (r"(?:ამ )?თვის ბოლო\w*|თვის ბოლომდე", _month_end_this),
    ),
    next_before=r"(?:მომავალ|შემდეგ|მომდევნო)\s+",
    last=r"(?:გასულ|წინა)\s+",
    after_post=r"\s+შემდეგ",
    dom=r"(?<![\d.,])(?P<d>\d{1,2})(?:-?(?:ში|მდე|ისთვის|ის|ს)\b|\s+რიცხვ\w*)",
)

_TH_MONTHS = (("มกราคม", "ม.ค."), ("กุมภาพันธ์", "ก.พ."), ("มีนาคม", "มี.ค."),
              ("เมษายน", "เม.ย."), ("พฤษภาคม", "พ.ค."), ("มิถุนายน", "มิ.ย."),
              ("กรกฎาคม", "ก.ค."), ("สิงหาคม", "ส.ค."), ("กันยายน", "ก.ย."),
              ("ตุลาคม", "ต.ค."), ("พฤศจิกายน", "พ.ย."), ("ธันวาคม", "ธ.ค."))  # fmt: skip
TH = Words(
    # อาทิตย์ alone is also "week": Sunday needs its วัน.
    weekdays=(
        r"(?:วัน)?จันทร์",
        r"(?:วัน)?อังคาร",
        r"(?:วัน)?พุธ",
        r"(?:วัน)?พฤหัส(?:บดี)?",
        r"(?:วัน)?ศุกร์",
        r"(?:วัน)?เสาร์",
        r"วันอาทิตย์",
    ),
    months=tuple(f"{re.escape(long)}|{re.escape(short)}" for long, short in _TH_MONTHS),
    phrases=(
        (r"มะรืน(?:นี้)?", _fixed(2)),
        (r"พรุ่งนี้", _fixed(1)),
        (r"วันนี้", _fixed(0)),
        (r"เมื่อวาน(?:นี้)?|(?:สัปดาห์|อาทิตย์|เดือน)(?:ที่แล้ว|ก่อน)", _PAST),
        (r"ต้น(?:สัปดาห์|อาทิตย์)หน้า", _next_week_day(1)),
        (r"(?:ปลาย|สิ้น)?(?:สัปดาห์|อาทิตย์)หน้า", _next_week_day(4)),
        (r"(?:ปลาย|สิ้น)(?:สัปดาห์|อาทิตย์)(?:นี้)?|(?:สัปดาห์|อาทิตย์)นี้", _this_week),
        (r"ต้นเดือนหน้า", _month_start_next),
        (r"(?:สิ้น|ปลาย)?เดือนหน้า", _month_end_next),
        (r"(?:สิ้น|ปลาย)เดือน(?:นี้)?", _month_end_this),
        (r"กลางเดือน(?:นี้)?", _mid_month),
    ),
    next_after=r"\s*หน้า",
    after=r"(?:หลัง(?:จาก)?)\s*",
    before=r"ก่อน\s*",
    dom=r"วันที่\s*(?P<d>\d{1,2})(?!\d)",
)

DE = Words(
    weekdays=(
        r"montag",
        r"dienstag",
        r"mittwoch",
        r"donnerstag",
        r"freitag",
        r"samstag",
        r"sonntag",
    ),
    months=(
        r"jan(?:uar)?",
        r"feb(?:ruar)?",
        r"märz",
        r"apr(?:il)?",
        r"mai",
        r"juni?",
        r"juli?",
        r"aug(?:ust)?",
        r"sept?(?:ember)?",
        r"okt(?:ober)?",
        r"nov(?:ember)?",
        r"dez(?:ember)?",
    ),
    phrases=(
        (r"\bübermorgen\b", _fixed(2)),
        (r"\bmorgen\b(?! früh\b)", _fixed(1)),
        (r"\bheute\b", _fixed(0)),
        (r"\bgestern\b|\bletzte[nr]? (?:woche|monat)\b", _PAST),
        (r"\banfang (?:der )?(?:nächsten|kommenden) woche\b", _next_week_day(1)),
        (
            r"\b(?:ende )?(?:der )?(?:nächsten|kommenden) woche\b|\bnächste woche\b",
            _next_week_day(4),
        ),
        (r"\b(?:ende (?:dieser|der) woche|diese woche|diesen freitag)\b", _this_week),
        (r"\banfang (?:des )?(?:nächsten|kommenden) monats\b", _month_start_next),
        (
            r"\b(?:ende )?(?:des )?(?:nächsten|kommenden) monats\b|\bnächsten monat\b",
            _month_end_next,
        ),
        (r"\b(?:ende (?:des|dieses) monats|monatsende|ende des monats)\b", _month_end_this),
    ),
    next_before=r"\b(?:nächsten|kommenden)\s+",
    last=r"\b(?:letzten|vergangenen)\s+",
    after=r"\bnach (?:dem\s+)?",
    before=r"\bvor (?:dem\s+)?",
    dom=r"\b(?:zum|am|den|dem)\s+(?P<d>\d{1,2})\.(?!\d)",
)

FR = Words(
    weekdays=(r"lundi", r"mardi", r"mercredi", r"jeudi", r"vendredi", r"samedi", r"dimanche"),
    months=(
        r"janv(?:ier)?",
        r"févr(?:ier)?",
        r"mars",
        r"avr(?:il)?",
        r"mai",
        r"juin",
        r"juil(?:let)?",
        r"août",
        r"sept(?:embre)?",
        r"oct(?:obre)?",
        r"nov(?:embre)?",
        r"déc(?:embre)?",
    ),
    phrases=(
        (r"\baprès-demain\b", _fixed(2)),
        (r"\bdemain\b", _fixed(1)),
        (r"\baujourd'hui\b|\bce soir\b", _fixed(0)),
        (r"\bhier\b|\bla semaine dernière\b|\ble mois dernier\b", _PAST),
        (r"\bdébut de la semaine prochaine\b", _next_week_day(1)),
        (r"\b(?:(?:la )?fin de )?la semaine prochaine\b", _next_week_day(4)),
        (r"\b(?:(?:la )?fin de (?:la|cette) semaine|cette semaine)\b", _this_week),
        (r"\bdébut du mois prochain\b", _month_start_next),
        (r"\b(?:(?:la )?fin du mois prochain|le mois prochain)\b", _month_end_next),
        (r"\b(?:(?:la )?fin (?:du|de ce) mois|fin de mois)\b", _month_end_this),
    ),
    next_after=r"\s+prochain",
    last=NEVER,
    after=r"\baprès (?:le\s+)?",
    before=r"\bavant (?:le\s+)?",
    dom=r"\ble\s+(?P<d>\d{1,2})(?:er)?\b(?!\s*(?:%|€|h\b|[.,]\d))",
)

RU = Words(
    weekdays=(
        r"понедельник\w*",
        r"вторник\w*",
        r"сред[уыа]\b",
        r"четверг\w*",
        r"пятниц\w*",
        r"суббот\w*",
        r"воскресень\w*",
    ),
    months=(
        r"январ\w*",
        r"феврал\w*",
        r"март\w*",
        r"апрел\w*",
        r"ма[яй]\b",
        r"июн\w*",
        r"июл\w*",
        r"август\w*",
        r"сентябр\w*",
        r"октябр\w*",
        r"ноябр\w*",
        r"декабр\w*",
    ),
    phrases=(
        (r"\bпослезавтра\b", _fixed(2)),
        (r"\bзавтра\b", _fixed(1)),
        (r"\bсегодня\b", _fixed(0)),
        (r"\bвчера\b|\bна прошлой неделе\b|\bв прошлом месяце\b", _PAST),
        (r"\bв начале следующей недели\b", _next_week_day(1)),
        (r"\b(?:на|до конца) следующей недел\w*", _next_week_day(4)),
        (r"\b(?:на этой неделе|до конца недели|в конце недели)\b", _this_week),
        (r"\bв начале следующего месяца\b", _month_start_next),
        (r"\b(?:в|до) конц\w* следующего месяца\b|\bв следующем месяце\b", _month_end_next),
        (r"\b(?:в|до) конц\w* (?:этого )?месяца\b", _month_end_this),
    ),
    next_before=r"\b(?:в\s+)?следующ\w*\s+",
    last=r"\b(?:в\s+)?прошл\w*\s+",
    after=r"\bпосле\s+",
    dom=r"\b(?P<d>\d{1,2})-?го\b",
)

WORDS = {"en": EN, "ka": KA, "th": TH, "de": DE, "fr": FR, "ru": RU}

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

    def weekday(m: re.Match[str], today: date) -> date:
        shift = (_index(words.weekdays, m["wd"]) - today.weekday()) % 7
        return today + timedelta(days=shift)

    def next_weekday(m: re.Match[str], today: date) -> date:
        return _monday(today) + timedelta(days=7 + _index(words.weekdays, m["wd"]))

    def last_weekday(m: re.Match[str], today: date) -> date:
        return next_weekday(m, today) - timedelta(days=14)

    latin_end = r"(?![a-zà-ÿ])"
    return [
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
