"""``ghostwatch.config.cross``: the checks that span tables, as ``parse_config`` reports them.

Proves, beyond the single-mistake rows in tests/unit/config/test_loader.py and
test_warnings.py: what is unique is unique per scope (an invoice number or a recurring
name may repeat across clients, never within one; a deadline likewise); a domain
belongs to one client, ignoring case; a client may list a colleague by address at the
user's own domain, but never the user; the summary's sender is the account it names
(else the first) and only that one needs SMTP; and cross-table problems come together
with field problems in one refusal, even when part of the file is malformed.
"""

from __future__ import annotations

from typing import Any

import pytest

from ghostwatch.config.loader import Config, parse_config
from ghostwatch.errors import ConfigError


def account(name: str, address: str, *, smtp: bool = True) -> dict[str, Any]:
    table: dict[str, Any] = {
        "name": name,
        "address": address,
        "timezone": "Asia/Tbilisi",
        "imap": {"host": "imap.example.com", "password_env": "GW_IMAP"},
    }
    if smtp:
        table["smtp"] = {"host": "smtp.example.com", "password_env": "GW_SMTP"}
    else:
        table["mode"] = "draft"
    return table


STUDIO = account("studio", "nino@studio.example")


def client(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "emails": [f"{name.lower()}@{name.lower()}.example"]} | extra


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    return caught.value.problems


def test_names_may_repeat_across_clients_and_a_colleague_address_is_fine() -> None:
    invoice = {"number": "2026-01", "due": "2026-12-01"}
    recurring = {"name": "retainer", "day": 1}
    config = parse_config(
        {
            "accounts": [STUDIO],
            "clients": [
                client("Acme", invoices=[invoice], recurring=[recurring]),
                client("Bolt", invoices=[invoice], recurring=[recurring]),
                {"name": "Lela", "emails": ["lela@studio.example"]},  # not the user
            ],
        }
    )
    assert isinstance(config, Config)
    assert [c.name for c in config.clients] == ["Acme", "Bolt", "Lela"]


@pytest.mark.parametrize(
    ("key", "items", "expected"),
    [
        (
            "recurring",
            [{"name": "retainer", "day": 1}, {"name": "retainer", "day": 15}],
            "clients[0].recurring[1].name: duplicate recurring name 'retainer'"
            " (also clients[0].recurring[0])",
        ),
        (
            "deadlines",
            [
                {"what": "logo", "due": "2026-12-01"},
                {"what": "logo", "due": "2026-12-08"},
            ],
            "clients[0].deadlines[1].what: duplicate deadline 'logo'"
            " (also clients[0].deadlines[0])",
        ),
    ],
)
def test_within_one_client_a_name_is_unique(
    key: str, items: list[dict[str, Any]], expected: str
) -> None:
    found = problems({"accounts": [STUDIO], "clients": [client("Acme", **{key: items})]})
    assert found == [f"config.toml: {expected}"]


def test_a_domain_belongs_to_one_client_ignoring_case() -> None:
    found = problems(
        {
            "accounts": [STUDIO],
            "clients": [
                {"name": "Acme", "domains": ["acme.example"]},
                {"name": "Acme Shop", "domains": ["shop.example", "ACME.example"]},
            ],
        }
    )
    assert found == [
        # the domain as validated (lower case): the cross-check runs on the dumped config
        "config.toml: clients[1].domains[1]: 'acme.example' is already listed for clients[0]"
    ]


@pytest.mark.parametrize(
    ("summary", "accounts", "sender"),
    [
        (
            {"account": "drafts"},
            [STUDIO, account("drafts", "d@studio.example", smtp=False)],
            "drafts",
        ),
        ({}, [account("drafts", "d@studio.example", smtp=False), STUDIO], "drafts"),
    ],
)
def test_the_summary_sender_without_smtp_is_refused(
    summary: dict[str, Any], accounts: list[dict[str, Any]], sender: str
) -> None:
    found = problems({"accounts": accounts, "summary": summary})
    assert found == [
        f"config.toml: summary: the summary is sent from account {sender!r}, which has no"
        " [accounts.smtp]: add one or set enabled = false"
    ]


def test_a_summary_sent_from_an_account_with_smtp_spares_a_draft_only_first_one() -> None:
    drafts = account("drafts", "d@studio.example", smtp=False)
    config = parse_config({"accounts": [drafts, STUDIO], "summary": {"account": "studio"}})
    assert config.accounts[0].smtp is None


def test_cross_problems_come_with_field_problems_in_one_refusal() -> None:
    found = problems(
        {
            "accounts": [STUDIO, account("studio", "NINO@studio.example")],
            "clients": [
                client("Acme", timezone="Mars/Olympus", account="nope"),
                client("ACME"),
                "not a table",
            ],
        }
    )
    assert "config.toml: clients[0].timezone: unknown time zone 'Mars/Olympus'" in found
    for expected in (
        "config.toml: accounts[1].name: duplicate account name 'studio' (also accounts[0])",
        "config.toml: accounts[1].address: 'NINO@studio.example' is already accounts[0]'s",
        "config.toml: clients[1].name: duplicate client name 'ACME' (clients[0] is 'Acme';",
        "config.toml: clients[0].account: no account named 'nope' (accounts: 'studio', 'studio')",
    ):
        assert any(p.startswith(expected) for p in found), (expected, found)
