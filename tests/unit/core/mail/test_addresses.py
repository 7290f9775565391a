"""parse_address: every legal address accepted as written, the domain in IDNA A-labels,
nothing repaired, no control character let through (ghostwatch/core/mail/addresses.py)."""

from __future__ import annotations

import pytest

from ghostwatch.core.mail.addresses import MailAddress, parse_address

ILLEGAL = r"not an email address|not a valid local part|must be 1 to 64 bytes|not a domain name"


@pytest.mark.parametrize(
    ("text", "local", "domain"),
    [
        ("jane@acme.example", "jane", "acme.example"),
        ("  <jane.doe+invoices@acme.example>  ", "jane.doe+invoices", "acme.example"),
        ('"jane doe"@acme.example', "jane doe", "acme.example"),
        ('"a\\"b"@acme.example', 'a"b', "acme.example"),
        ("жанна@acme.example", "жанна", "acme.example"),
        ("jane@[127.0.0.1]", "jane", "[127.0.0.1]"),
        ("jane@Acme.Example", "jane", "Acme.Example"),  # case is the server's business
    ],
)
def test_a_legal_address_is_accepted_as_written(text: str, local: str, domain: str) -> None:
    assert parse_address(text) == MailAddress(local, domain)


def test_an_internationalised_domain_is_written_in_a_labels() -> None:
    parsed = parse_address("giorgi@დიზაინი.გე")
    assert parsed.domain.isascii() and parsed.domain.startswith("xn--")
    assert parsed.domain.endswith(".xn--node")
    assert not parsed.needs_smtputf8  # the domain alone never needs SMTPUTF8


def test_only_a_non_ascii_local_part_needs_smtputf8() -> None:
    assert parse_address("жанна@acme.example").needs_smtputf8
    assert not parse_address("jane@acme.example").needs_smtputf8


def test_the_addr_spec_quotes_what_rfc_5322_needs_quoted() -> None:
    assert parse_address('"jane doe"@acme.example').addr_spec == '"jane doe"@acme.example'
    assert parse_address("jane@acme.example").addr_spec == "jane@acme.example"
    header = parse_address("jane@acme.example").header("Jane Doe")
    assert str(header) == "Jane Doe <jane@acme.example>"


@pytest.mark.parametrize(
    "text",
    [
        "jane@acme.example\r\nBcc: all@else.example",  # header injection
        "jane\n@acme.example",
        "ja\x00ne@acme.example",
        "ja\u2028ne@acme.example",  # a line separator, which strip() would not see inside
    ],
)
def test_a_control_character_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="control character"):
        parse_address(text)


@pytest.mark.parametrize(
    "text",
    [
        "jane",
        "@acme.example",
        "jane@",
        "jane doe@acme.example",  # a space needs quotes; never repaired
        "jane..doe@acme.example",
        ".jane@acme.example",
        "jane@acme..example",
        "jane@-acme.example",
        "x" * 65 + "@acme.example",  # RFC 5321: 64 octets at most
    ],
)
def test_an_illegal_address_is_refused_not_repaired(text: str) -> None:
    with pytest.raises(ValueError, match=ILLEGAL):
        parse_address(text)


def test_a_domain_idna_cannot_encode_is_refused() -> None:
    with pytest.raises(ValueError, match="IDNA"):
        parse_address("jane@ex\u00e4mple\u200d.com")
