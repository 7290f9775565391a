"""The user's language: gettext catalogues, and dates, times and zones as its readers
write them. PURE: reads only the catalogues shipped in ``ghostwatch/core/locale/``, never the
clock.

How to add a language: ``docs/translating.md``.

Rule 1: English is the source language. A msgid is the English text itself, so English
needs no catalogue; a string missing from a catalogue would show in English, which
``tests/unit/core/test_i18n.py`` forbids for every shipped language.
Rule 2: a language is one file, ``locale/<language>/LC_MESSAGES/ghostwatch.po``. Babel
compiles it in memory on first use, so a wheel (which ships the ``.po`` files) works
with no build step and a compiled copy can never be older than its source.
Rule 3: placeholders are ``str.format`` names (``{client}``), as in ``reasons.ENGLISH``;
a translation has exactly the placeholders of its msgid (the test checks it).
Rule 4: plurals are gettext's: each catalogue's ``Plural-Forms`` header (Georgian two
forms, Thai one) picks the form; the count is always passed as ``n``.
Rule 5: dates use Babel's CLDR month and weekday names through a pattern that is itself
a message (context ``date``), so each language chooses its own order. A Thai date that
shows a year shows the Buddhist era (CE + 543), as Thai business writing does.
"""

from __future__ import annotations

import gettext
import io
import unicodedata
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, get_timezone_name
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = [
    "DOMAIN",
    "LOCALE_DIR",
    "Translator",
    "catalogue",
    "display_width",
    "languages",
    "po_path",
    "resolve",
]

DOMAIN = "ghostwatch"
LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE = "en"
_ERA_OFFSET = {"th": 543}  # Buddhist era: 2026 CE is 2569 BE


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal or a plain-text mail: combining marks (Thai
    vowels and tone marks; Georgian has none) take none, wide East Asian characters two."""
    return sum(
        0
        if unicodedata.category(ch) in ("Mn", "Me", "Cf")
        else 2
        if unicodedata.east_asian_width(ch) in "WF"
        else 1
        for ch in text
    )


def po_path(language: str) -> Path:
    """The catalogue file of ``language`` (which may not exist)."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages() -> tuple[str, ...]:
    """English, then every language with a shipped catalogue, sorted."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (SOURCE, *found)


def resolve(language: str) -> str:
    """The shipped language that ``language`` is written in: itself, else its base
    language ("th-TH" -> "th", "ka_GE" -> "ka"), else English."""
    base = language.replace("_", "-").split("-")[0].lower()
    for candidate in (language, base):
        if candidate == SOURCE or po_path(candidate).is_file():
            return candidate
    return SOURCE


@lru_cache(maxsize=16)
def catalogue(language: str) -> gettext.NullTranslations:
    """Return the translations of ``language`` (see ``resolve``): English (the msgids)
    for English and any language without a catalogue. Fuzzy entries are left out (they
    are guesses)."""
    language = resolve(language)
    path = po_path(language)
    if language == SOURCE:
        return gettext.NullTranslations()
    with path.open("rb") as source:
        parsed = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, parsed, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(SOURCE)


class Translator:
    """Messages, dates, times and the zone name in one language and one time zone.

    ``_``, ``ngettext`` and ``pgettext`` return the translation with its ``{name}``
    placeholders filled from ``values`` (``ngettext`` passes the count as ``n``).
    """

    def __init__(self, language: str, zone: ZoneInfo) -> None:
        self.language, self.zone = resolve(language), zone
        self.locale = _locale(self.language)
        self._t = catalogue(self.language)

    def _(self, message: str, **values: Any) -> str:
        return self._t.gettext(message).format(**values)

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        return self._t.ngettext(singular, plural, n).format(n=n, **values)

    def pgettext(self, context: str, message: str, **values: Any) -> str:
        return self._t.pgettext(context, message).format(**values)

    def _pattern(self, day: date, pattern: str) -> str:
        offset = _ERA_OFFSET.get(self.language, 0)
        if offset and "y" in pattern:
            # Babel knows only the Gregorian calendar: write the era's year as a literal.
            pattern = pattern.replace("yyyy", "y").replace("y", f"'{day.year + offset}'")
        return format_date(day, pattern, locale=self.locale)

    def day(self, at: datetime | date, today: date | None = None) -> str:
        """A day, short, without the year: "Tue 24 Nov", "სამ, 24 ნოე", "อังคาร 24 พ.ย.".
        A datetime is first put in the zone; a date is taken as it is (already local).
        Given ``today`` (the reader's, in this zone), a day of another year shows its
        year ("Wed 1 Jan 2020"), so it cannot read as the next one of that name."""
        day = at.astimezone(self.zone).date() if isinstance(at, datetime) else at
        if today is not None and day.year != today.year:
            return self._pattern(day, self.pgettext("date", "EEE d MMM y"))
        return self._pattern(day, self.pgettext("date", "EEE d MMM"))

    def full_date(self, day: date) -> str:
        """A day with its year: "24 November 2026", "24 ნოემბერი 2026", "24 พฤศจิกายน 2569"."""
        return self._pattern(day, self.pgettext("date", "d MMMM y"))

    def at(self, at: datetime, today: date | None = None) -> str:
        """An instant in the zone: day and wall time ("Tue 24 Nov 09:00"); with
        ``today``, the year too when it is another year (``day``)."""
        local = at.astimezone(self.zone)
        clock = f"{local:%H:%M}"
        day = self.day(local, today)
        return self.pgettext("date and time", "{date} {time}", date=day, time=clock)

    def zone_name(self) -> str:
        """The zone as its readers call it: the IANA key in English ("Asia/Tbilisi"),
        CLDR's name elsewhere ("საქართველოს დრო", "เวลาไทย"); a zone CLDR names only by
        its place, as the catalogue's ``{place} time`` says. CLDR has no name for UTC
        itself ("Unknown Region"), so UTC is a message of the catalogue."""
        key = self.zone.key
        if key in ("UTC", "Etc/UTC", "Etc/GMT", "GMT"):
            return self.pgettext("zone", "UTC")
        if self.language == SOURCE:
            return key
        name = str(get_timezone_name(self.zone, "long", locale=self.locale))
        # A zone without a CLDR name of its own comes in the locale's region format
        # ("დრო: ტაილანდი"), which may not fit the sentence around it ("სასაათო
        # სარტყელი: დრო: ტაილანდი"): the catalogue says how a place reads as a zone.
        before, _, after = str(self.locale.zone_formats.get("region", "")).partition("%s")
        if (before or after) and name.startswith(before) and name.endswith(after):
            place = name[len(before) : len(name) - len(after)]
            return self.pgettext("zone", "{place} time", place=place)
        return name
