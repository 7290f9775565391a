"""Whom a nudge greets: a person's first name from a display name, never a company."""

from __future__ import annotations

import pytest

from ghostwatch.core.names import first_name


@pytest.mark.parametrize(
    ("display", "client", "expected"),
    [
        ("Jane Cooper", "Acme Ltd", "Jane"),
        ("Cooper, Jane", "Acme Ltd", "Jane"),
        ('"Dr. Jane Cooper"', "Acme Ltd", "Jane"),
        ("გიორგი მაისურაძე", "ქვევრი და კო", "გიორგი"),
        ("สมชาย ใจดี", "สยาม ดีไซน์", "สมชาย"),
        ("คุณสมชาย ใจดี", "สยาม ดีไซน์", "สมชาย"),
        ("Hank Scorpio", "Globex Corporation", "Hank"),
        # a company or a role: the neutral greeting
        ("Acme Billing", "Acme Ltd", ""),
        ("Globex Accounts", "Globex", ""),
        ("Accounts Payable", "Globex", ""),
        ("info", "Acme Ltd", ""),
        ("The Office Team", "Acme Ltd", ""),
        ("ACME", "Acme Ltd", ""),
        ("ბუღალტერია", "ქვევრი და კო", ""),
        ("ฝ่าย บัญชี", "สยาม ดีไซน์", ""),
        # nothing that reads as a given name
        ("", "Acme Ltd", ""),
        ("jane@acme.example", "Acme Ltd", ""),
        ("J. Cooper", "Acme Ltd", ""),
        ("42", "Acme Ltd", ""),
    ],
)
def test_first_name(display: str, client: str, expected: str) -> None:
    assert first_name(display, client) == expected
