"""Configuration: loading, every validation message, rule resolution, file lookup."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from ghostwatch.config.loader import (
    Config,
    find_config_path,
    is_loopback,
    load_config,
    parse_config,
    template_names,
)
from ghostwatch.config.types import _unwrap
from ghostwatch.core import domain
from ghostwatch.core.durations import format_duration, parse_duration
from ghostwatch.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[3] / "config.example.toml"
SECRET = "hunter2-secret"

ACCOUNT = """
[[accounts]]
name = "studio"
address = "nino@studio.example"
timezone = "Asia/Tbilisi"
[accounts.imap]
host = "imap.example.com"
password_env = "GW_IMAP"
[accounts.smtp]
host = "smtp.example.com"
password_env = "GW_SMTP"
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work in tmp_path, so a file loaded as ``Path("config.toml")`` is named just so."""
    monkeypatch.chdir(tmp_path)


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(tmp_path: Path, text: str) -> Config:
    return load_config(write(tmp_path, ACCOUNT + textwrap.dedent(text)))


def problems(tmp_path: Path, text: str, *, account: bool = True) -> list[str]:
    path = write(tmp_path, (ACCOUNT if account else "") + textwrap.dedent(text))
    with pytest.raises(ConfigError) as caught:
        load_config(Path(path.name))
    return caught.value.problems


# --- the example ----------------------------------------------------------------------


def test_example_config_loads_and_shows_every_section() -> None:
    config = load_config(EXAMPLE)
    assert [a.name for a in config.accounts] == ["studio", "personal"]
    assert {c.language for c in config.clients} >= {"ka", "th"}
    assert {c.timezone for c in config.clients} >= {"Asia/Tbilisi", "Asia/Bangkok"}
    assert any(c.invoices for c in config.clients)
    assert any(c.recurring for c in config.clients)
    assert any(c.deadlines for c in config.clients)
    assert config.accounts[0].imap.password_env == "GHOSTWATCH_IMAP_PASSWORD"
    assert config.path == EXAMPLE


def test_example_config_names_every_model_key() -> None:
    """Every key of every model appears in the example (documented extensions included)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    models: list[type[BaseModel]] = [Config, *_submodels(Config)]
    for model in models:
        for name, field in model.model_fields.items():
            key = field.alias or name
            assert f"{key} =" in text or f"[{key}]" in text or f".{key}]" in text, (model, key)


def _submodels(model: type[BaseModel]) -> set[type[BaseModel]]:
    found: set[type[BaseModel]] = set()
    for field in model.model_fields.values():
        tp = _unwrap(field.annotation)
        args = getattr(tp, "__args__", ())
        for candidate in (tp, *(_unwrap(a) for a in args)):
            if (
                isinstance(candidate, type)
                and issubclass(candidate, BaseModel)
                and candidate not in found
            ):
                found |= {candidate, *_submodels(candidate)}
    return found


def test_minimal_config_gets_the_documented_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, "")
    account = config.accounts[0]
    assert (account.mode, account.max_nudges_per_day, account.dry_run) == ("send", 20, False)
    assert account.max_sync_age == timedelta(minutes=15)
    assert account.poll_interval == timedelta(seconds=60)
    assert account.initial_scan == timedelta(days=90)
    assert (account.imap.port, account.imap.security) == (993, "tls")
    assert account.smtp is not None
    assert (account.smtp.port, account.smtp.security) == (587, "starttls")
    assert account.imap.username == "nino@studio.example"
    assert account.imap.folders.inbox == "INBOX"
    assert (account.imap.folders.sent, account.imap.folders.all) == ("auto", "")
    assert config.summary.at == time(8, 0)
    assert config.summary_to() == "nino@studio.example"
    assert config.templates.dir is None


# --- durations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("90m", timedelta(minutes=90)),
        ("36h", timedelta(hours=36)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1h30m", timedelta(minutes=90)),
        ("1w2d", timedelta(days=9)),
        (" 0s ", timedelta(0)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7", "d", "7 days", "1.5h", "30m1h", "-1d", "7D", "1d1d"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [(timedelta(days=7), "1w"), (timedelta(days=90), "90d"), (timedelta(minutes=90), "90m")],
)
def test_format_duration_round_trips(value: timedelta, text: str) -> None:
    assert format_duration(value) == text
    assert parse_duration(text) == value


# --- one message per mistake ------------------------------------------------------------


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            '[[clients]]\nname = "A"\nemails = ["jane@"]',
            "config.toml: clients[0].emails[0]: 'jane@' is not an email address",
        ),
        (
            '[[clients]]\nname = "A"\nemails = ["Jane <jane@a.example>"]',
            "config.toml: clients[0].emails[0]: 'Jane <jane@a.example>' is not an email address",
        ),
        (
            '[[clients]]\nname = "A"\ndomains = ["acme"]',
            "config.toml: clients[0].domains[0]: 'acme' is not a domain name (like 'acme.example')",
        ),
        (
            '[[clients]]\nname = "A"\nemails = ["a@a.example"]\ntimezone = "Mars/Olympus"',
            "config.toml: clients[0].timezone: unknown time zone 'Mars/Olympus'",
        ),
        (
            '[[clients]]\nname = "A"\nemails = ["a@a.example"]\nlanguage = "Thai"',
            "config.toml: clients[0].language: 'Thai' is not a language code"
            " (like 'en', 'ka', 'th')",
        ),
        (
            '[[clients]]\nname = "A"',
            "config.toml: clients[0]: a client needs at least one address in emails or domains",
        ),
        (
            '[[clients]]\nname = "A"\nemails = ["a@a.example"]\naccount = "nope"',
            "config.toml: clients[0].account: no account named 'nope' (accounts: 'studio')",
        ),
        (
            "[rules]\nladderr = []",
            "config.toml: rules.ladderr: unknown key (did you mean 'ladder'?)",
        ),
        ("[rules]\nzzz = 1", "config.toml: rules.zzz: unknown key"),
        ("[rules]\nladder = []", "config.toml: rules.ladder: must not be empty"),
        (
            '[rules]\nsend_window = "17:00-09:00"',
            "config.toml: rules.send_window: send window '17:00-09:00' must end after it"
            " starts (no windows across midnight)",
        ),
        (
            '[rules]\nsend_window = "9 to 5"',
            "config.toml: rules.send_window: '9 to 5' is not a send window"
            " (write it as HH:MM-HH:MM, like 09:00-17:00)",
        ),
        (
            '[rules]\ngive_up_after = "7 days"',
            "config.toml: rules.give_up_after: '7 days' is not a duration (use a number and"
            " a unit: 30s, 90m, 36h, 7d, 2w, or combined like 1h30m)",
        ),
        (
            "[rules]\ngive_up_after = 7",
            "config.toml: rules.give_up_after: expected a string, got an integer",
        ),
        (
            '[rules]\nholidays_country = "XX"',
            "config.toml: rules.holidays_country: unknown country code 'XX'"
            " (use one the holidays package knows)",
        ),
        (
            '[rules]\nladder = [{ after = "1d", template = "../etc/passwd" }]',
            "config.toml: rules.ladder[0].template: '../etc/passwd' is not a template name"
            " (letters, digits, _ and -)",
        ),
        (
            '[rules]\nladder = [{ after = "1d" }]',
            "config.toml: rules.ladder[0].template: required key is missing",
        ),
        ('[summary]\nat = "25:00"', "config.toml: summary.at: '25:00' is not a time of day"),
        ("[summary]\nenabled = []", "config.toml: summary.enabled: expected true or false"),
        (
            '[summary]\naccount = "x"',
            "config.toml: summary.account: no account named 'x' (accounts: 'studio')",
        ),
        (
            '[database]\nurl = "ghostwatch.db"',
            "config.toml: database.url: 'ghostwatch.db' is not a database URL",
        ),
        (
            '[[clients]]\nname = "A"\nemails = ["a@a.example"]\n'
            '[[clients.invoices]]\nnumber = "1"\ndue = "2026-13-01"',
            "config.toml: clients[0].invoices[0].due: '2026-13-01' is not a date"
            " (write it as YYYY-MM-DD)",
        ),
        (
            '[[clients]]\nname = "A"\nemails = ["a@a.example"]\n'
            '[[clients.invoices]]\nnumber = "1"\ndue = 2026-12-01\n'
            "[[clients.invoices]]\nnumber = 1\ndue = 2026-12-02",
            "config.toml: clients[0].invoices[1].number: duplicate invoice number '1'"
            " (also clients[0].invoices[0])",
        ),
        (
            '[[clients]]\nname = "A"\nemails = ["a@a.example"]\n'
            '[[clients.recurring]]\nname = "r"\nday = 32',
            "config.toml: clients[0].recurring[0].day: must be at most 31",
        ),
        (
            '[[clients]]\nname = "A"\nemails = ["a@a.example"]\n'
            '[[clients.recurring]]\nname = "r"\nevery = "week"',
            "config.toml: clients[0].recurring[0].every: expected 'month', got 'week'",
        ),
        (
            '[[clients]]\nname = "A"\nemails = ["a@a.example"]\n'
            '[[clients]]\nname = "A"\nemails = ["b@b.example"]',
            "config.toml: clients[1].name: duplicate client name 'A' (also clients[0])",
        ),
        (
            '[[clients]]\nname = "A"\nemails = ["a@a.example"]\n'
            '[[clients]]\nname = "B"\nemails = ["A@a.example"]',
            "config.toml: clients[1].emails[0]: 'A@a.example' is already listed for clients[0]",
        ),
    ],
)
def test_each_mistake_has_its_message(tmp_path: Path, snippet: str, expected: str) -> None:
    found = problems(tmp_path, snippet)
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(
    ("imap_extra", "expected"),
    [
        (
            'security = "none"',
            'config.toml: accounts[0].imap.security: "none" is only allowed for a loopback'
            " host, not 'imap.example.com'",
        ),
        ('security = "ssl"', "config.toml: accounts[0].imap.security: expected 'tls', 'starttls'"),
        ("port = 0", "config.toml: accounts[0].imap.port: must be at least 1"),
        ('port = "x"', "config.toml: accounts[0].imap.port: expected an integer, got a string"),
        (
            'password_file = "/run/pw"',
            "config.toml: accounts[0].imap.password_file: password_env and password_file are"
            " not compatible: give only one password source",
        ),
        (
            "password_command = []",
            "config.toml: accounts[0].imap.password_command: must name a program to run",
        ),
        ('timeout = "0s"', "config.toml: accounts[0].imap.timeout: must be longer than zero"),
        ("[accounts.imap.folders]\ninboxx = 'x'", "config.toml: accounts[0].imap.folders.inboxx"),
    ],
)
def test_server_mistakes(tmp_path: Path, imap_extra: str, expected: str) -> None:
    text = ACCOUNT.replace('password_env = "GW_IMAP"', f'password_env = "GW_IMAP"\n{imap_extra}')
    text = text.replace("[accounts.smtp]\n", "[accounts.smtp]\n", 1)
    if imap_extra.startswith("[accounts.imap.folders]"):  # a sub-table must come last
        text = ACCOUNT.replace("[accounts.smtp]", imap_extra + "\n[accounts.smtp]")
    found = problems(tmp_path, text, account=False)
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("", "config.toml: accounts: required key is missing"),
        ("accounts = []", "config.toml: accounts: must not be empty"),
        (
            ACCOUNT.replace('name = "studio"', 'name = "my studio"'),
            "config.toml: accounts[0].name: 'my studio' is not an account name",
        ),
        (
            ACCOUNT.replace('timezone = "Asia/Tbilisi"\n', ""),
            "config.toml: accounts[0].timezone: required key is missing",
        ),
        (
            ACCOUNT.replace('timezone = "Asia/Tbilisi"', 'mode = "post"'),
            "config.toml: accounts[0].mode: expected 'send' or 'draft', got 'post'",
        ),
        (
            ACCOUNT.split("[accounts.smtp]")[0],
            'config.toml: accounts[0].smtp: [accounts.smtp] is required when mode = "send"',
        ),
        (
            ACCOUNT + ACCOUNT,
            "config.toml: accounts[1].name: duplicate account name 'studio' (also accounts[0])",
        ),
        (
            ACCOUNT.replace('timezone = "Asia/Tbilisi"', 'payment_matchers = [{from = "(x"}]'),
            "config.toml: accounts[0].payment_matchers[0].from: invalid regular expression",
        ),
        (
            ACCOUNT.replace('timezone = "Asia/Tbilisi"', 'payment_matchers = [{from = "x"}]'),
            "config.toml: accounts[0].payment_matchers[0]: "
            "give 'subject' or 'body' (or both) besides 'from'",
        ),
        (
            ACCOUNT.replace('timezone = "Asia/Tbilisi"', 'payment_matchers = [{frm = "x"}]'),
            "config.toml: accounts[0].payment_matchers[0].frm: unknown key (did you mean 'from'?)",
        ),
        (
            ACCOUNT.replace('password_env = "GW_IMAP"', 'username = ""\npassword_env = "GW_IMAP"'),
            'config.toml: accounts[0].imap: password_env is set but username is ""',
        ),
    ],
)
def test_account_mistakes(tmp_path: Path, snippet: str, expected: str) -> None:
    found = problems(tmp_path, snippet, account=False)
    assert any(p.startswith(expected) for p in found), found


def test_draft_account_needs_no_smtp_but_summary_account_does(tmp_path: Path) -> None:
    draft = ACCOUNT.split("[accounts.smtp]")[0].replace(
        "[accounts.imap]", 'mode = "draft"\n[accounts.imap]'
    )
    config = load_config(write(tmp_path, draft + "[summary]\nenabled = false\n"))
    assert config.accounts[0].smtp is None
    found = problems(tmp_path, draft, account=False)
    assert found == [
        "config.toml: summary: the summary is sent from account 'studio', which has no"
        " [accounts.smtp]: add one or set enabled = false"
    ]


def test_several_mistakes_are_reported_at_once_without_the_password(tmp_path: Path) -> None:
    text = f"""
    [[accounts]]
    name = "studio"
    address = "nino@studio.example"
    timezone = "Asia/Tbilisi"
    [accounts.imap]
    host = "imap.example.com"
    security = "none"
    password = "{SECRET}"
    [accounts.smtp]
    host = "smtp.example.com"
    password = "{SECRET}"

    [rules]
    ladderr = []

    [[clients]]
    name = "A"
    emails = ["a@a.example"]
    [[clients]]
    name = "B"
    emails = ["b@b.example"]
    [[clients]]
    name = "Jane's company"
    emails = ["jane@"]
    timezone = "Mars/Olympus"
    """
    write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(Path("config.toml"))
    assert caught.value.problems == [
        'config.toml: accounts[0].imap.security: "none" is only allowed for a loopback host,'
        " not 'imap.example.com'",
        "config.toml: rules.ladderr: unknown key (did you mean 'ladder'?)",
        "config.toml: clients[2].emails[0]: 'jane@' is not an email address",
        "config.toml: clients[2].timezone: unknown time zone 'Mars/Olympus'",
    ]
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)
    assert all(SECRET not in p for p in caught.value.problems)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_password_never_shown_by_the_loaded_config(tmp_path: Path) -> None:
    text = ACCOUNT.replace('password_env = "GW_IMAP"', f'password = "{SECRET}"')
    config = load_config(write(tmp_path, text))
    imap = config.accounts[0].imap
    assert imap.secret().reveal() == SECRET
    for shown in (repr(config), str(config), config.model_dump(), config.model_dump_json()):
        assert SECRET not in str(shown)
    assert repr(imap.secret()) == "Secret(source='password')"


def test_wrong_type_for_password_does_not_echo_it(tmp_path: Path) -> None:
    text = ACCOUNT.replace('password_env = "GW_IMAP"', "password = 31337")
    found = problems(tmp_path, text, account=False)
    assert found == ["config.toml: accounts[0].imap.password: expected a string, got an integer"]
    assert "31337" not in found[0]


def test_toml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "[rules]\nladder = [\n", name="broken.toml")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}: ")
    path2 = write(tmp_path, "a = 1\nb = \n", name="broken2.toml")
    with pytest.raises(ConfigError) as caught:
        load_config(path2)
    assert caught.value.problems == [f"{path2}: line 2, column 5: Invalid value"]


def test_missing_file_is_one_clear_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml")
    assert caught.value.problems == [f"{tmp_path / 'nope.toml'}: file not found"]


def test_not_utf8_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


def test_models_are_frozen(tmp_path: Path) -> None:
    config = load(tmp_path, "")
    with pytest.raises(ValidationError):
        config.accounts[0].dry_run = True  # type: ignore[misc]


# --- values that are accepted ---------------------------------------------------------


def test_loopback_hosts_may_go_without_tls(tmp_path: Path) -> None:
    for host in ("localhost", "127.0.0.1", "127.8.9.10", "::1", "[::1]"):
        assert is_loopback(host)
    for host in ("imap.example.com", "10.0.0.1", "localhost.example.com", "::2"):
        assert not is_loopback(host)
    text = ACCOUNT.replace('"imap.example.com"', '"127.0.0.1"\nsecurity = "none"')
    imap = load_config(write(tmp_path, text)).accounts[0].imap
    assert (imap.security, imap.port) == ("none", 143)


def test_values_are_converted(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        [templates]
        dir = "templates"
        [summary]
        at = 07:30:00
        [[clients]]
        name = "A"
        emails = [" Jane@Acme.Example "]
        domains = ["Acme.Example", "სტუდია.გე"]
        [[clients.invoices]]
        number = 14
        amount = 1200
        due = "2026-12-01"
        [[clients.recurring]]
        name = "retainer"
        day = 31
        """,
    )
    assert config.templates.dir == tmp_path / "templates"
    assert config.summary.at == time(7, 30)
    client = config.clients[0]
    assert client.emails == ("Jane@Acme.Example",)
    assert client.domains == ("acme.example", "სტუდია.გე")
    assert client.invoices[0].to_domain() == domain.Invoice(
        "invoice:14", "14", "1200", date(2026, 12, 1)
    )
    assert config.matchers("studio") == [
        domain.ClientMatcher("A", frozenset({"jane@acme.example"}), frozenset(client.domains))
    ]
    assert client.recurring[0].due_in(2027, 2) == date(2027, 2, 28)


def test_recurring_occurrences(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        [[clients]]
        name = "A"
        emails = ["a@a.example"]
        [[clients.recurring]]
        name = "retainer"
        amount = "800 GEL"
        day = 30
        start = 2026-12-15
        """,
    )
    found = config.clients[0].recurring[0].invoices_between(date(2026, 11, 1), date(2027, 3, 1))
    assert [(i.number, i.due) for i in found] == [
        ("retainer 2026-12", date(2026, 12, 30)),
        ("retainer 2027-01", date(2027, 1, 30)),
        ("retainer 2027-02", date(2027, 2, 28)),
    ]
    assert found[0].key == "invoice:retainer 2026-12"


# --- rules ----------------------------------------------------------------------------


def test_rules_for_merges_client_over_rules_over_builtins(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        [rules]
        give_up_after = "10d"
        send_window = "10:00-18:00"
        holidays_country = "ge"
        [[clients]]
        name = "Acme"
        emails = ["jane@acme.example"]
        timezone = "Asia/Bangkok"
        rules = { ladder = [ { after = "5d", template = "check_in" } ] }
        [[clients]]
        name = "Plain"
        emails = ["p@plain.example"]
        """,
    )
    acme, plain = config.clients
    rules = config.rules_for(acme)
    assert rules == domain.Rules(
        timezone="Asia/Bangkok",
        ladder=(domain.LadderStep(timedelta(days=5), "check_in"),),
        give_up_after=timedelta(days=10),
        send_window=domain.SendWindow(time(10), time(18)),
        business_days=True,
        holidays_country="GE",
        invoice_ladder=(
            domain.LadderStep(timedelta(days=3), "payment_reminder"),
            domain.LadderStep(timedelta(days=7), "work_paused"),
        ),
        deadline_ladder=(domain.LadderStep(timedelta(days=2), "deadline_reminder"),),
        reply_defers_invoice=timedelta(days=3),
    )
    plain_rules = config.rules_for(plain)
    assert plain_rules.timezone == "Asia/Tbilisi"  # the account's
    assert [s.template for s in plain_rules.ladder] == ["check_in", "closing_notice"]
    assert [s.after for s in plain_rules.ladder] == [timedelta(days=7)] * 2


def test_accounts_clients_and_matchers(tmp_path: Path) -> None:
    second = ACCOUNT.replace('"studio"', '"home"').replace("nino@studio", "nino@home")
    config = load_config(
        write(
            tmp_path,
            ACCOUNT
            + second
            + """
[[clients]]
name = "A"
emails = ["a@a.example"]
[[clients]]
name = "B"
domains = ["b.example"]
account = "home"
""",
        )
    )
    a, b = config.clients
    assert config.account_for(a).name == "studio"
    assert config.account_for(b).name == "home"
    assert config.clients_of("home") == [b]
    assert [m.name for m in config.matchers("studio")] == ["A"]
    assert config.client("b") is b
    with pytest.raises(KeyError):
        config.account("nope")


def test_template_names_lists_every_template_in_every_language(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        [[clients]]
        name = "გიორგი"
        emails = ["g@design.example"]
        language = "ka"
        rules = { deadline_ladder = [ { after = "1d", template = "my_reminder" } ] }
        """,
    )
    builtins = {
        *("check_in", "closing_notice", "payment_reminder", "work_paused", "work_resumed"),
        "promise_reminder",
        "deadline_promise_reminder",  # a deadline ladder: a promise to deliver has one
    }
    assert template_names(config) == (
        {(name, "ka") for name in builtins}
        | {("my_reminder", "ka")}
        | {(name, "en") for name in {*builtins, "deadline_reminder"}}
    )


# --- database url -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "env", "expected"),
    [
        ("", {"HOME": "/home/n"}, "sqlite:////home/n/.local/state/ghostwatch/ghostwatch.db"),
        (
            "",
            {"HOME": "/h", "STATE_DIRECTORY": "/var/lib/gw"},
            "sqlite:////var/lib/gw/ghostwatch.db",
        ),
        ("sqlite:///~/gw.db", {"HOME": "/h", "STATE_DIRECTORY": "/s"}, "sqlite:////h/gw.db"),
        ("postgresql://db/gw", {}, "postgresql://db/gw"),
    ],
)
def test_database_url(url: str, env: dict[str, str], expected: str) -> None:
    config = parse_config({"database": {"url": url}, "accounts": [_plain_account()]})
    assert config.database.resolved_url(env) == expected


def _plain_account() -> dict[str, object]:
    return {
        "name": "studio",
        "address": "nino@studio.example",
        "timezone": "UTC",
        "imap": {"host": "imap.example.com", "password_env": "X"},
        "smtp": {"host": "smtp.example.com", "password_env": "Y"},
    }


# --- where the file is ----------------------------------------------------------------


def test_config_lookup_order(tmp_path: Path) -> None:
    cli = write(tmp_path, "", name="cli.toml")
    envfile = write(tmp_path, "", name="env.toml")
    xdg = tmp_path / "xdg"
    (xdg / "ghostwatch").mkdir(parents=True)
    xdgfile = write(xdg / "ghostwatch", "")
    env = {"GHOSTWATCH_CONFIG": str(envfile), "XDG_CONFIG_HOME": str(xdg), "HOME": "/nowhere"}
    assert find_config_path(str(cli), env) == cli
    assert find_config_path(None, env) == envfile
    assert find_config_path(None, {**env, "GHOSTWATCH_CONFIG": ""}) == xdgfile
    home = tmp_path / "home"
    (home / ".config" / "ghostwatch").mkdir(parents=True)
    homefile = write(home / ".config" / "ghostwatch", "")
    assert find_config_path(None, {"HOME": str(home)}) == homefile
    assert find_config_path("~/.config/ghostwatch/config.toml", {"HOME": str(home)}) == homefile


def test_config_lookup_failures_name_what_was_tried(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        find_config_path(str(tmp_path / "missing.toml"), {})
    assert caught.value.problems == [
        f"{tmp_path / 'missing.toml'}: file not found (named by --config)"
    ]
    with pytest.raises(ConfigError) as caught:
        find_config_path(None, {"GHOSTWATCH_CONFIG": str(tmp_path / "gone.toml")})
    assert "named by $GHOSTWATCH_CONFIG" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        find_config_path(None, {"HOME": str(tmp_path)})
    (message,) = caught.value.problems
    assert "--config (not given)" in message
    assert "$GHOSTWATCH_CONFIG (not set)" in message
    assert str(tmp_path / ".config" / "ghostwatch" / "config.toml") in message


def test_invoices_of_adds_recurring_occurrences_but_never_invents_past_ones(
    tmp_path: Path,
) -> None:
    config = load(
        tmp_path,
        """
        [[clients]]
        name = "A"
        emails = ["a@a.example"]
        [[clients.invoices]]
        number = "INV-1"
        due = 2026-10-01
        [[clients.recurring]]
        name = "retainer"
        day = 1
        [[clients.recurring]]
        name = "hosting"
        day = 15
        start = 2026-10-01
        """,
    )
    found = config.invoices_of(config.clients[0], today=date(2026, 11, 23))
    assert [(i.number, i.due) for i in found] == [
        ("INV-1", date(2026, 10, 1)),
        ("retainer 2026-12", date(2026, 12, 1)),
        ("hosting 2026-10", date(2026, 10, 15)),
        ("hosting 2026-11", date(2026, 11, 15)),
        ("hosting 2026-12", date(2026, 12, 15)),
    ]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:////tmp/gw.db", None),
        ("sqlite+pysqlite:////tmp/gw.db", None),
        ("postgresql://gw@db/gw", None),
        ("postgresql+psycopg://gw:pw@db/gw", None),
        (
            "mysql+pymysql://gw:hunter2@db/gw",
            "backend 'mysql' is not supported; supported: sqlite:///PATH or"
            " postgresql+psycopg://USER@HOST/DATABASE",
        ),
        (
            "postgresql+psycopg2://gw:hunter2@db/gw",
            "driver 'psycopg2' is not supported for postgresql; supported: 'psycopg'",
        ),
        ("postgres://gw@db/gw", "unknown backend 'postgres': write postgresql+psycopg://..."),
    ],
)
def test_database_backend_and_driver_are_checked(url: str, message: str | None) -> None:
    data = {"database": {"url": url}, "accounts": [_plain_account()]}
    if message is None:
        assert parse_config(data).database.url == url
        return
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    assert caught.value.problems == [f"config.toml: database.url: {message}"]
    assert "hunter2" not in str(caught.value)


def test_lease_ttl_is_a_duration_of_at_least_3s() -> None:
    base: dict[str, Any] = {"accounts": [_plain_account()]}
    assert parse_config(base).database.lease_ttl == timedelta(seconds=60)
    ttl = parse_config({**base, "database": {"lease_ttl": "5s"}}).database.lease_ttl
    assert ttl == timedelta(seconds=5)
    with pytest.raises(ConfigError, match="at least 3s"):
        parse_config({**base, "database": {"lease_ttl": "1s"}})


def test_check_config_names_the_extra_when_psycopg_is_missing(tmp_path: Path) -> None:
    """A fresh interpreter where ``import psycopg`` fails, as on a machine without it."""
    config = tmp_path / "config.toml"
    config.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace(
            'url = "sqlite:///~/.local/state/ghostwatch/ghostwatch.db"',
            'url = "postgresql+psycopg://gw@127.0.0.1/gw"',
        ),
        encoding="utf-8",
    )
    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from ghostwatch import cli\n"
        f"sys.exit(cli.main(['--config', {str(config)!r}, 'check-config']))\n"
    )
    env = {**os.environ, "GHOSTWATCH_IMAP_PASSWORD": "x", "GHOSTWATCH_SMTP_PASSWORD": "x"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 2, done.stderr
    assert "database.url: the postgresql driver (psycopg) is not installed" in done.stderr
    assert "pip install 'ghostwatch[postgres]'" in done.stderr
