"""Dates as people write them in the client's language: "27 November 2026",
"27 ნოემბრის", "วันศุกร์ที่ 27 พฤศจิกายน 2569" (docs/templates.md, "Dates").

``format_date`` and ``LocalDay`` are what templates print; pure, no clock: the day is
always given, already local to the client. Unknown languages get the English form.
"""

from __future__ import annotations

from datetime import date

__all__ = ["LocalDay", "format_date", "local_day"]

_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "ka": [
        "იანვარი",
        "თებერვალი",
        "მარტი",
        "აპრილი",
        "მაისი",
        "ივნისი",
        "ივლისი",
        "აგვისტო",
        "სექტემბერი",
        "ოქტომბერი",
        "ნოემბერი",
        "დეკემბერი",
    ],
    "th": [
        "มกราคม",
        "กุมภาพันธ์",
        "มีนาคม",
        "เมษายน",
        "พฤษภาคม",
        "มิถุนายน",
        "กรกฎาคม",
        "สิงหาคม",
        "กันยายน",
        "ตุลาคม",
        "พฤศจิกายน",
        "ธันวาคม",
    ],
}
_THAI_ERA_OFFSET = 543  # Thai business letters use the Buddhist era: 2026 CE = 2569 BE


def format_date(day: date, language: str) -> str:
    """Return ``day`` as a person writing ``language`` would: "1 December 2026",
    "1 დეკემბერი 2026", "1 ธันวาคม 2569". Unknown languages get the English form."""
    months = _MONTHS.get(language, _MONTHS["en"])
    year = day.year + _THAI_ERA_OFFSET if language == "th" else day.year
    return f"{day.day} {months[day.month - 1]} {year}"


# Georgian nouns decline: "27 ნოემბრის" (of 27 November), "27 ნოემბრამდე" (by 27 November).
_KA_MONTH_STEMS = [
    ("იანვრ", "იანვარ"),
    ("თებერვლ", "თებერვალ"),
    ("მარტ", "მარტ"),
    ("აპრილ", "აპრილ"),
    ("მაის", "მაის"),
    ("ივნის", "ივნის"),
    ("ივლის", "ივლის"),
    ("აგვისტო", "აგვისტო"),
    ("სექტემბრ", "სექტემბერ"),
    ("ოქტომბრ", "ოქტომბერ"),
    ("ნოემბრ", "ნოემბერ"),
    ("დეკემბრ", "დეკემბერ"),
]
_WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "ka": ["ორშაბათი", "სამშაბათი", "ოთხშაბათი", "ხუთშაბათი", "პარასკევი", "შაბათი", "კვირა"],
    "th": ["จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์", "อาทิตย์"],
}


class LocalDay:
    """A local date as templates write it, in the client's language.

    ``{{ day }}`` is ``format_date`` ("27 November 2026"); ``day.weekday`` ("Friday");
    ``day.short`` (with the weekday, no year: "Friday 27 November",
    "პარასკევი, 27 ნოემბერი", "วันศุกร์ที่ 27 พฤศจิกายน"); ``day.of`` the genitive
    where the language declines ("27 ნოემბრის"; elsewhere the plain form);
    ``day.until`` "by ..." ("by Friday 27 November", "27 ნოემბრამდე",
    "ภายในวันศุกร์ที่ 27 พฤศจิกายน"); ``day.date`` the ``date`` itself.
    """

    __slots__ = ("date", "language")

    def __init__(self, day: date, language: str) -> None:
        self.date = day
        self.language = language if language in _WEEKDAYS else "en"

    def __str__(self) -> str:
        return format_date(self.date, self.language)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalDay) and (self.date, self.language) == (
            other.date,
            other.language,
        )

    def __hash__(self) -> int:
        return hash((self.date, self.language))

    @property
    def weekday(self) -> str:
        return _WEEKDAYS[self.language][self.date.weekday()]

    @property
    def short(self) -> str:
        months = _MONTHS[self.language]
        day, month = self.date.day, months[self.date.month - 1]
        if self.language == "th":
            return f"วัน{self.weekday}ที่ {day} {month}"
        if self.language == "ka":
            return f"{self.weekday}, {day} {month}"
        return f"{self.weekday} {day} {month}"

    @property
    def of(self) -> str:
        if self.language == "ka":
            stem = _KA_MONTH_STEMS[self.date.month - 1][0]
            ending = "ს" if stem.endswith("ო") else "ის"
            return f"{self.date.day} {stem}{ending}"
        return str(self)

    @property
    def until(self) -> str:
        if self.language == "ka":
            stem = _KA_MONTH_STEMS[self.date.month - 1][0]
            ending = "მდე" if stem.endswith("ო") else "ამდე"
            return f"{self.date.day} {stem}{ending}"
        if self.language == "th":
            return f"ภายใน{self.short}"
        return f"by {self.short}"


def local_day(day: date, language: str) -> LocalDay:
    """Return ``day`` as a ``LocalDay`` in ``language``."""
    return LocalDay(day, language)
