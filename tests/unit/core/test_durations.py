"""Times of day and send windows as users write them (ghostwatch/core/durations.py).
Durations themselves (``7d``, ``1h30m``) are tested with the config that reads them:
tests/unit/config/test_loader.py (test_parse_duration*, test_format_duration*)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from ghostwatch.core.durations import format_duration, parse_clock, parse_window


@pytest.mark.parametrize(
    ("text", "expected"),
    [("08:00", time(8, 0)), ("8:05", time(8, 5)), (" 23:59 ", time(23, 59)), ("0:00", time(0))],
)
def test_a_time_of_day_is_hh_mm(text: str, expected: time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize(
    "text", ["", "8", "8am", "08:00pm", "08.00", "24:00", "12:60", "123:00", "-1:00"]
)
def test_anything_else_is_not_a_time_of_day(text: str) -> None:
    with pytest.raises(ValueError, match="is not a time of day"):
        parse_clock(text)


def test_a_send_window_is_start_and_end() -> None:
    assert parse_window("09:00-17:30") == (time(9, 0), time(17, 30))


@pytest.mark.parametrize("text", ["17:00-09:00", "09:00-09:00"])
def test_a_window_must_end_after_it_starts(text: str) -> None:
    with pytest.raises(ValueError, match="must end after it starts"):
        parse_window(text)


@pytest.mark.parametrize(("text", "message"), [("09:00", "not a send window"), ("9-17", "time")])
def test_a_malformed_window_names_the_form(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_window(text)


def test_a_negative_or_sub_second_duration_formats_as_whole_seconds() -> None:
    assert format_duration(timedelta(seconds=-5)) == "0s"
    assert format_duration(timedelta(seconds=90, microseconds=5)) == "90s"
    assert format_duration(timedelta(0)) == "0s"
