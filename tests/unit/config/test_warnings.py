"""A hostile new user's configs (hconf): zero waits, the user as a client, names equal
ignoring case, unsupported languages, time zones, password sources found offline,
the database in ``check-config --online``, and ``init``'s own words."""

from __future__ import annotations

import os
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest

from ghostwatch.app.online_check import check_database
from ghostwatch.cli import entry as cli
from ghostwatch.config.loader import Config, parse_config
from ghostwatch.config.types import format_loc, suggest_timezone, timezone_problem
from ghostwatch.config.warnings import (
    language_warnings,
    secret_warnings,
    short_wait_warnings,
)
from ghostwatch.core.summary.facts import BAR_WIDTH, bar_segments, text_bar, tick_labels
from ghostwatch.core.templates import BUILTIN_NAMES, TemplateSet
from ghostwatch.errors import ConfigError
from tests.support.one_account import one_account_text

ROOT = Path(__file__).parents[3]
ACCOUNT = """
[[accounts]]
name = "studio"
address = "nino@studio.example"
aliases = ["hello@studio.example"]
timezone = "Asia/Tbilisi"
mode = "draft"
[accounts.imap]
host = "imap.example.com"
password_env = "GW_IMAP"
[summary]
enabled = false
"""
CLIENT = """
[[clients]]
name = "Acme Ltd"
emails = ["jane@acme.example"]
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(tomllib.loads(textwrap.dedent(text)), Path("config.toml"))
    return caught.value.problems


def config(text: str, path: Path = Path("config.toml")) -> Config:
    return parse_config(tomllib.loads(textwrap.dedent(text)), path)


def shown(found: list[tuple[tuple[str | int, ...], str]]) -> list[str]:
    return [f"{format_loc(loc)}: {message}" for loc, message in found]


# --- 1. zero and absurd durations -------------------------------------------------------


def test_zero_waits_in_every_ladder_and_give_up_after_are_errors_all_at_once() -> None:
    found = problems(
        ACCOUNT
        + """
        [rules]
        ladder = [{ after = "0s", template = "check_in" },
                  { after = "0d", template = "closing_notice" }]
        give_up_after = "0s"
        invoice_ladder = [{ after = "0s", template = "payment_reminder" }]
        deadline_ladder = [{ after = "0m", template = "deadline_reminder" }]
        """
        + CLIENT
        + 'rules = { ladder = [{ after = "0h", template = "check_in" }] }\n'
    )
    assert found == [
        f"config.toml: {key}: must be longer than zero"
        for key in (
            "rules.ladder[0].after",
            "rules.ladder[1].after",
            "rules.give_up_after",
            "rules.invoice_ladder[0].after",
            "rules.deadline_ladder[0].after",
            "clients[0].rules.ladder[0].after",
        )
    ]


def test_a_silence_step_or_give_up_under_a_day_is_a_warning_not_an_error() -> None:
    loaded = config(
        ACCOUNT
        + """
        [rules]
        ladder = [{ after = "30m", template = "check_in" },
                  { after = "7d", template = "closing_notice" }]
        give_up_after = "12h"
        invoice_ladder = [{ after = "1h", template = "payment_reminder" }]
        """
        + CLIENT
        + 'rules = { ladder = [{ after = "2h", template = "check_in" }] }\n'
    )
    assert shown(short_wait_warnings(loaded)) == [
        "rules.ladder[0].after: a check_in 30m after your message is unusual — did you mean 30d?",
        "rules.give_up_after: giving up 12h after the last nudge is unusual — did you mean 12d?",
        "clients[0].rules.ladder[0].after: a check_in 2h after your message is unusual"
        " — did you mean 2d?",
    ]  # an invoice step of 1h is no silence ladder: no warning
    assert short_wait_warnings(config(ACCOUNT + CLIENT)) == []  # the built-in 7d steps


@pytest.mark.parametrize("ticks", [(), (0.0,), (0.0, 0.0, 0.0), (0.0, 7.0), (-1.0,)])
@pytest.mark.parametrize("days", [0.0, 3.0, 40.0])
def test_no_ladder_shape_crashes_the_summary_bar(ticks: tuple[float, ...], days: float) -> None:
    """Ladders stored before zero steps were refused reach the summary too: all zeros
    once made the bar's scale 0 and every daily summary a ZeroDivisionError."""
    labels = tick_labels(days, ticks, lambda d: f"{d:g}d")
    assert sum(cell["pct"] for cell in labels) == pytest.approx(100, abs=0.5)
    assert sum(cell["pct"] for cell in bar_segments(days, ticks)) == pytest.approx(100, abs=0.5)
    assert len(text_bar(days, ticks)) == BAR_WIDTH + 2  # [ and ]


# --- 2. the user as a client ------------------------------------------------------------


def test_a_client_that_is_the_user_or_a_colleague_is_refused() -> None:
    found = problems(
        ACCOUNT
        + """
        [[clients]]
        name = "Me"
        emails = ["ok@acme.example", "Nino@Studio.example"]
        [[clients]]
        name = "Alias"
        emails = ["hello@studio.example"]
        [[clients]]
        name = "Colleagues"
        domains = ["Studio.Example"]
        """
    )
    assert found == [
        "config.toml: clients[0].emails[1]: 'Nino@Studio.example' is your own address"
        " (account 'studio'): ghostwatch would nudge you; a client lists only its own people",
        "config.toml: clients[1].emails[0]: 'hello@studio.example' is your own alias"
        " (account 'studio'): ghostwatch would nudge you; a client lists only its own people",
        "config.toml: clients[2].domains[0]: 'studio.example' is your own domain"
        " (account 'studio'): ghostwatch would nudge you; a client lists only its own people",
    ]


def test_two_accounts_with_one_address_are_refused_ignoring_case() -> None:
    second = ACCOUNT.replace('name = "studio"', 'name = "other"').replace(
        "nino@studio.example", "NINO@studio.example"
    )
    found = problems(ACCOUNT.replace("[summary]\nenabled = false\n", "") + second)
    assert "config.toml: accounts[1].address: 'NINO@studio.example' is already accounts[0]'s" in (
        found
    )


# --- 3. client names equal ignoring case -------------------------------------------------


def test_client_names_equal_ignoring_case_are_refused() -> None:
    found = problems(ACCOUNT + CLIENT + '[[clients]]\nname = "acme ltd"\ndomains = ["b.example"]\n')
    assert found == [
        "config.toml: clients[1].name: duplicate client name 'acme ltd' (clients[0] is"
        " 'Acme Ltd'; names are told apart ignoring case)"
    ]


# --- 4. languages -------------------------------------------------------------------------


def test_a_summary_language_without_a_catalogue_is_an_error_listing_the_supported() -> None:
    found = problems(ACCOUNT.replace("enabled = false", 'enabled = false\nlanguage = "de"'))
    assert found == [
        "config.toml: summary.language: the summary is not translated into 'de'"
        " (supported: en, ka, th)"
    ]
    for fine in ("ka", "th", "th-TH", "en-GB"):
        assert config(ACCOUNT.replace("enabled = false", f'language = "{fine}"\nenabled = false'))


def test_a_client_language_without_templates_is_a_warning(tmp_path: Path) -> None:
    text = ACCOUNT + CLIENT.replace("Acme Ltd", "A") + 'language = "fr"\n'
    text += CLIENT.replace("Acme Ltd", "B").replace("jane", "bob") + 'language = "ka"\n'
    loaded = config(text)
    assert shown(language_warnings(loaded, TemplateSet(None))) == [
        "clients[0].language: no templates in 'fr' — English will be used"
    ]
    # your own French check-in only: the rest is still English, and said so
    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "check_in.txt").write_text("Bonjour {{ first_name }}\n")
    mine = TemplateSet(tmp_path)
    [(_loc, message)] = language_warnings(loaded, mine)
    assert message.startswith("no 'fr' template for closing_notice, deadline_promise_reminder,")
    assert "check_in" not in message and message.endswith("English will be used for those")
    for name in BUILTIN_NAMES:
        (tmp_path / "fr" / f"{name}.txt").write_text("Bonjour\n")
    assert language_warnings(loaded, mine) == []


# --- 5. time zones ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("city", "zone"),
    [("Tbilisi", "Asia/Tbilisi"), ("bangkok", "Asia/Bangkok"), ("New York", "America/New_York")],
)
def test_a_bare_city_suggests_its_zone(city: str, zone: str) -> None:
    assert suggest_timezone(city) == zone
    assert timezone_problem(city) == f"unknown time zone {city!r}: did you mean {zone}?"


def test_an_offset_is_explained_with_posix_reversed_sign_never_gmt0() -> None:
    east = timezone_problem("GMT+4") or ""
    assert "GMT+0" not in east and suggest_timezone("GMT+4") is None
    assert "write Etc/GMT-4 (POSIX reverses the sign: Etc/GMT-4 is UTC+4)" in east
    assert "write Etc/GMT+5" in (timezone_problem("UTC-5") or "")
    assert "no zone is a fixed UTC+5:30" in (timezone_problem("GMT+5:30") or "")
    assert timezone_problem("Etc/GMT-4") is None


def test_init_names_its_own_options_not_a_temp_file(tmp_path: Path, capsys: Any) -> None:
    assert cli.main(["init", "--address", "me@example.com", "--timezone", "Tbilisi",
                     "--out", str(tmp_path / "c.toml")]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "init: --timezone: unknown time zone 'Tbilisi': did you mean Asia/Tbilisi?" in err
    assert ".init-" not in err and not (tmp_path / "c.toml").exists()
    assert cli.main(["init", "--address", "bad address", "--out", str(tmp_path / "c.toml")]) == 2
    err = capsys.readouterr().err
    assert "init: --address: 'bad address' is not an email address" in err
    assert "give your address" not in err
    assert cli.main(["init", "--address", "me@example.com", "--timezone", "Asia/Tbilisi",
                     "--language", "fr", "--out", str(tmp_path / "c.toml")]) == 2  # fmt: skip
    assert "init: --language: 'fr' is not supported (supported: en, ka, th)" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "c.toml").exists()


# --- 6. password sources and the database ------------------------------------------------


def test_password_sources_that_cannot_be_found_here_are_warnings(tmp_path: Path) -> None:
    (tmp_path / "there").write_text("pw\n")
    text = one_account_text(imap='password_env = "GW_NOPE"', smtp='password_file = "missing"')
    loaded = config(text, tmp_path / "config.toml")
    found = shown(secret_warnings(loaded, {}, which=lambda _p: None))
    assert found[0].startswith("accounts[0].imap.password_env: $GW_NOPE is not set here;")
    assert "fine if systemd sets it for the service" in found[0]
    assert found[1].startswith(f"accounts[0].smtp.password_file: {tmp_path / 'missing'} does")
    assert len(found) == 2
    assert (
        secret_warnings(loaded, {"GW_NOPE": "x"}, which=lambda _p: None)
        == (secret_warnings(loaded, {}, which=lambda _p: None)[1:])
    )
    good = one_account_text(
        imap='password_command = "pass show mail"', smtp='password_file = "there"'
    )
    loaded = config(good, tmp_path / "config.toml")
    assert secret_warnings(loaded, {}, which=lambda p: f"/usr/bin/{p}") == []
    [(loc, message)] = secret_warnings(loaded, {}, which=lambda _p: None)
    assert format_loc(loc) == "accounts[0].imap.password_command"
    assert message.startswith("the program 'pass' is not found here")


def test_a_password_in_the_file_is_a_warning_that_never_shows_it() -> None:
    loaded = config(one_account_text(imap='password = "hunter2"', smtp='password_env = "X"'))
    found = shown(secret_warnings(loaded, {"X": "1"}))
    assert found == [
        "accounts[0].imap.password: the password is written in the config, readable by"
        " anyone who can read this file: move it to password_file (mode 0600) or"
        " password_command"
    ]
    assert "hunter2" not in str(found)


def test_check_config_prints_warnings_and_still_says_ok(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "config.toml"
    path.write_text(ACCOUNT.replace('"GW_IMAP"', '"GW_HCONF_UNSET"') + CLIENT)
    assert cli.main(["--config", str(path), "check-config"]) == 0
    out, err = capsys.readouterr()
    assert "OK (1 account(s), 1 client(s))" in out
    assert f"{path}: accounts[0].imap.password_env: warning: $GW_HCONF_UNSET is not set" in err


def test_the_example_config_warns_only_about_this_machine(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With its variables set and its password manager installed, the example config
    gives no warning at all (no short wait, language or password in the file)."""
    fake = tmp_path / "bin" / "pass"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho pw\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("GHOSTWATCH_IMAP_PASSWORD", "x")
    monkeypatch.setenv("GHOSTWATCH_SMTP_PASSWORD", "x")
    assert cli.main(["--config", str(ROOT / "config.example.toml"), "check-config"]) == 0
    assert capsys.readouterr().err == ""


def test_the_database_check_says_whether_a_sqlite_file_can_be_opened(tmp_path: Path) -> None:
    new = check_database(f"sqlite:///{tmp_path}/deeper/state.db")
    assert new.ok and f"will be created in {tmp_path}" in new.detail
    assert not (tmp_path / "deeper").exists()  # nothing created
    (tmp_path / "afile").write_text("")
    refused = check_database(f"sqlite:///{tmp_path}/afile/state.db")
    assert not refused.ok and f"{tmp_path / 'afile'} is not a folder" in refused.line()


def test_the_database_check_on_an_unreachable_postgresql_hides_the_password() -> None:
    check = check_database("postgresql+psycopg://gw:s3cret@127.0.0.1:1/gw")
    assert not check.ok and "s3cret" not in check.line()
    assert check.line().startswith("database: postgresql+psycopg://gw:***@127.0.0.1:1/gw: FAILED")


# --- 7. init's words ----------------------------------------------------------------------


def test_init_prints_a_password_step_that_keeps_it_out_of_shell_history(
    tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "c.toml"
    argv = ["init", "--address", "me@example.com", "--provider", "gmail"]
    assert cli.main([*argv, "--timezone", "Asia/Tbilisi", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"install -m 0600 /dev/stdin {tmp_path / 'app-password'}\n" in said
    assert "type or paste the password, press Enter, then Ctrl-D" in said
    assert "<<<" not in said  # a here-string puts the password in shell history
    text = out.read_text()
    assert "# For Gmail / Google Workspace it is an app password (myaccount." in text
    assert "put Gmail" not in text


def test_the_system_unit_init_prints_keeps_passwords_out_of_shell_history(
    tmp_path: Path, capsys: Any
) -> None:
    argv = ["init", "--systemd", "system", "--address", "me@example.com"]
    assert cli.main([*argv, "--timezone", "Asia/Tbilisi", "--out", str(tmp_path / "c")]) == 0
    said = capsys.readouterr().out
    assert "install -D -m 0600 /dev/stdin /etc/ghostwatch/credentials/me-imap\n" in said
    assert "<<<" not in said and "Ctrl-D" in said
