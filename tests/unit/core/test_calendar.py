"""calendar: send windows in the client's wall-clock time, business days, public
holidays, grace periods counted in business days (ghostwatch/core/calendar.py). Pure:
literal instants, no clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from ghostwatch.core import calendar
from ghostwatch.core.domain import Rules, SendWindow

TBILISI = Rules(
    timezone="Asia/Tbilisi",  # UTC+4, no DST
    ladder=(),
    give_up_after=timedelta(days=30),
    send_window=SendWindow(time(9, 0), time(17, 0)),
    business_days=True,
    holidays_country="",
    invoice_ladder=(),
    deadline_ladder=(),
)
BERLIN = replace(TBILISI, timezone="Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_inside_the_window_the_slot_is_now() -> None:
    at = utc(2026, 12, 1, 8, 0)  # Tuesday 12:00 in Tbilisi
    assert calendar.next_slot(at, TBILISI) == at


def test_before_the_window_the_slot_is_its_opening() -> None:
    assert calendar.next_slot(utc(2026, 12, 1, 3, 0), TBILISI) == utc(2026, 12, 1, 5, 0)


def test_the_window_end_is_exclusive_and_the_next_day_opens() -> None:
    closing = utc(2026, 12, 1, 13, 0)  # Tuesday 17:00 in Tbilisi
    assert calendar.next_slot(closing, TBILISI) == utc(2026, 12, 2, 5, 0)


def test_a_weekend_waits_for_monday_unless_business_days_are_off() -> None:
    saturday = utc(2026, 12, 5, 8, 0)
    assert calendar.next_slot(saturday, TBILISI) == utc(2026, 12, 7, 5, 0)
    assert calendar.next_slot(saturday, replace(TBILISI, business_days=False)) == saturday


def test_a_public_holiday_is_no_business_day() -> None:
    georgia = replace(TBILISI, holidays_country="GE")
    assert not calendar.is_business_day(date(2027, 1, 7), georgia)  # Orthodox Christmas
    assert calendar.is_business_day(date(2027, 1, 7), TBILISI)  # no country, no holidays
    assert calendar.next_slot(utc(2027, 1, 7, 8, 0), georgia) == utc(2027, 1, 8, 5, 0)


def test_the_window_follows_the_clients_dst_change() -> None:
    # Berlin: 09:00 is 07:00 UTC in summer (CEST), 08:00 UTC after 25 October 2026
    assert calendar.next_slot(utc(2026, 10, 23, 0, 0), BERLIN) == utc(2026, 10, 23, 7, 0)
    assert calendar.next_slot(utc(2026, 10, 26, 0, 0), BERLIN) == utc(2026, 10, 26, 8, 0)


def test_grace_days_are_counted_on_business_days_from_the_first_one() -> None:
    two = timedelta(days=2)
    # back Monday 30 November: Wednesday 00:00 in Tbilisi (Tuesday 20:00 UTC)
    assert calendar.add_business_days(date(2026, 11, 30), two, TBILISI) == utc(2026, 12, 1, 20, 0)
    # back Sunday 6 December: counted from Monday, so Wednesday 9th 00:00 local
    assert calendar.add_business_days(date(2026, 12, 6), two, TBILISI) == utc(2026, 12, 8, 20, 0)
    # back Thursday 3 December: Friday, then (no weekend) Monday 7th 00:00 local
    assert calendar.add_business_days(date(2026, 12, 3), two, TBILISI) == utc(2026, 12, 6, 20, 0)
    # without business days, the weekend counts
    every_day = replace(TBILISI, business_days=False)
    assert calendar.add_business_days(date(2026, 12, 3), two, every_day) == utc(2026, 12, 4, 20, 0)


def test_the_part_of_a_grace_under_a_day_is_added_as_time() -> None:
    grace = timedelta(days=1, hours=6)
    assert calendar.add_business_days(date(2026, 11, 30), grace, TBILISI) == utc(
        2026, 11, 30, 20, 0
    ) + timedelta(hours=6)


def test_local_days_begin_at_local_midnight() -> None:
    assert calendar.local_day_start(date(2026, 12, 1), "Asia/Tbilisi") == utc(2026, 11, 30, 20, 0)
    assert calendar.local_date(utc(2026, 11, 30, 20, 0), "Asia/Tbilisi") == date(2026, 12, 1)
    assert calendar.local_date(utc(2026, 11, 30, 19, 59), "Asia/Tbilisi") == date(2026, 11, 30)
