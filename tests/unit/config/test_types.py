"""Issue 18, the small ones: holiday subdivisions (DE-BY, US-CA), did-you-mean for
time zones. (Template errors with their key path: tests/unit/app/test_check.py.)"""

from __future__ import annotations

import textwrap
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from ghostwatch.config.loader import parse_config
from ghostwatch.config.types import suggest_timezone
from ghostwatch.core import calendar
from ghostwatch.core.domain import LadderStep, Rules, SendWindow
from ghostwatch.errors import ConfigError

ACCOUNT = """
[[accounts]]
name = "studio"
address = "nino@studio.example"
timezone = "{tz}"
mode = "draft"
[accounts.imap]
host = "imap.example.com"
password_env = "GW_IMAP"
[summary]
enabled = false
"""

DAY = timedelta(days=1)
RULES = Rules(
    timezone="Europe/Berlin",
    ladder=(LadderStep(7 * DAY, "check_in"),),
    give_up_after=7 * DAY,
    send_window=SendWindow(time(9), time(17)),
    business_days=True,
    holidays_country="",
    invoice_ladder=(),
    deadline_ladder=(),
)


def problems(text: str) -> list[str]:
    import tomllib

    with pytest.raises(ConfigError) as caught:
        parse_config(tomllib.loads(textwrap.dedent(text)), Path("config.toml"))
    return caught.value.problems


def country(value: str) -> str:
    import tomllib

    data = tomllib.loads(
        ACCOUNT.format(tz="Europe/Berlin") + f'[rules]\nholidays_country = "{value}"'
    )
    rules = parse_config(data).rules
    assert rules.holidays_country is not None
    return rules.holidays_country


# --- time zones -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("Asia/Tiblisi", "Asia/Tbilisi"),
        ("asia/tbilisi", "Asia/Tbilisi"),  # right name, wrong case
        ("Europe/Berln", "Europe/Berlin"),
        ("Asia/Bangkock", "Asia/Bangkok"),
        ("America/Los_Angles", "America/Los_Angeles"),
    ],
)
def test_a_time_zone_typo_gets_the_zone_it_was_meant_to_be(typo: str, meant: str) -> None:
    assert suggest_timezone(typo) == meant
    assert problems(ACCOUNT.format(tz=typo)) == [
        f"config.toml: accounts[0].timezone: unknown time zone {typo!r}: did you mean {meant}?"
    ]


def test_a_zone_nothing_is_close_to_gets_no_guess() -> None:
    assert suggest_timezone("Mars/Olympus") is None
    assert problems(ACCOUNT.format(tz="Mars/Olympus")) == [
        "config.toml: accounts[0].timezone: unknown time zone 'Mars/Olympus'"
    ]


def test_a_client_time_zone_typo_is_suggested_too() -> None:
    text = ACCOUNT.format(tz="Asia/Tbilisi") + textwrap.dedent(
        """
        [[clients]]
        name = "Acme"
        emails = ["jane@acme.example"]
        timezone = "Europe/Londn"
        """
    )
    assert problems(text) == [
        "config.toml: clients[0].timezone: unknown time zone 'Europe/Londn':"
        " did you mean Europe/London?"
    ]


# --- holiday subdivisions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "stored"),
    [("DE-BY", "DE-BY"), ("de-by", "DE-BY"), ("US-CA", "US-CA"), ("GE", "GE"), ("th", "TH")],
)
def test_a_country_or_a_country_and_subdivision_is_accepted(written: str, stored: str) -> None:
    assert country(written) == stored


def test_an_unknown_subdivision_names_the_country_and_lists_the_known_ones() -> None:
    base = ACCOUNT.format(tz="Europe/Berlin")
    found = problems(base + '[rules]\nholidays_country = "DE-XX"')
    assert len(found) == 1
    assert found[0].startswith("config.toml: rules.holidays_country: DE has no subdivision 'XX'")
    assert "BY" in found[0] and "NW" in found[0]
    # a country without subdivisions says so
    assert problems(base + '[rules]\nholidays_country = "GE-TB"') == [
        "config.toml: rules.holidays_country: GE has no subdivision 'TB' (known: none)"
    ]
    assert problems(base + '[rules]\nholidays_country = "XX-BY"') == [
        "config.toml: rules.holidays_country: unknown country code 'XX-BY'"
        " (use one the holidays package knows)"
    ]


def test_a_client_subdivision_is_checked_where_it_is_written() -> None:
    text = ACCOUNT.format(tz="Europe/Berlin") + textwrap.dedent(
        """
        [[clients]]
        name = "Acme"
        emails = ["jane@acme.example"]
        rules = { holidays_country = "US-ZZ" }
        """
    )
    found = problems(text)
    assert len(found) == 1
    assert found[0].startswith("config.toml: clients[0].rules.holidays_country: US has no")


def test_a_regional_holiday_is_no_business_day_only_in_its_region() -> None:
    """6 January 2027 (a Wednesday) is Epiphany: a holiday in Bavaria, not in Germany
    as a whole; 31 March 2027 is Cesar Chavez Day in California only."""
    epiphany, chavez = date(2027, 1, 6), date(2027, 3, 31)
    assert calendar.is_business_day(epiphany, replace(RULES, holidays_country="DE"))
    assert not calendar.is_business_day(epiphany, replace(RULES, holidays_country="DE-BY"))
    assert calendar.is_business_day(chavez, replace(RULES, holidays_country="US"))
    assert not calendar.is_business_day(chavez, replace(RULES, holidays_country="US-CA"))


def test_a_nudge_due_on_a_regional_holiday_waits_for_the_next_day() -> None:
    rules = replace(RULES, holidays_country="DE-BY")
    due = datetime(2027, 1, 6, 9, 30, tzinfo=UTC)  # 10:30 in Munich, Epiphany
    assert calendar.next_slot(due, rules) == datetime(2027, 1, 7, 8, 0, tzinfo=UTC)
    assert calendar.next_slot(due, replace(rules, holidays_country="DE")) == due
