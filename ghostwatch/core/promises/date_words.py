"""PURE: the date vocabulary of ``dates``: day arithmetic and one table per language.

Each ``Words`` table lists a language's weekdays, months and fixed phrases with the rule
(``dates`` Rules 1-7) that resolves them; nothing here reads the clock.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

NEVER = r"(?!x)x"
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
    end_of: str = NEVER  # before a month's name: "end of" (Rule 4, "end of January")
    end_of_post: str = NEVER  # after it, as Georgian's "ბოლომდე"


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
            r"\b(?:(?:the\s+)?end of (?:the\s+|this\s+)?week|this week|(?:the|this) weekend|eow)\b",
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
    end_of=r"\b(?:the\s+)?(?:end|close) of\s+",
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
    end_of_post=r"\s+ბოლო\w*",
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
    end_of=r"(?:สิ้น|ปลาย)(?:เดือน)?\s*",
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
        # "Anfang der nächsten Woche", and without the article "Anfang nächster Woche"
        (r"\banfang (?:der )?(?:nächste[nr]|kommende[nr]) woche\b", _next_week_day(1)),
        (
            r"\b(?:ende )?(?:der )?(?:nächste[nr]|kommende[nr]) woche\b|\bnächste woche\b",
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
    end_of=r"\bende\s+",
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
    end_of=r"\bfin\s+(?:de\s+|d')?",
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
    end_of=r"\b(?:в|до)\s+конц\w*\s+",
    dom=r"\b(?P<d>\d{1,2})-?го\b",
)

WORDS = {"en": EN, "ka": KA, "th": TH, "de": DE, "fr": FR, "ru": RU}
