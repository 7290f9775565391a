"""The daily summary shows every promise to pay or to deliver on record, with the sentence
quoted."""

from __future__ import annotations

import html as htmllib
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from ghostwatch.core.summary.facts import DeliveryInfo, InvoiceInfo, SummaryData
from ghostwatch.core.summary.render import build_summary
from ghostwatch.core.summary.rows import view

NOW = datetime(2026, 11, 19, 5, tzinfo=UTC)
SAID = "I'll pay on Friday."
PROMISED = InvoiceInfo(
    "Acme",
    "INV-014",
    "1,200 GEL",
    date(2026, 11, 13),
    replied_at=datetime(2026, 11, 18, 10, tzinfo=UTC),
    expected_by=date(2026, 11, 20),
    promise=SAID,
)
DATA = SummaryData(
    account="studio", timezone="Asia/Tbilisi", since=None, clients=(), invoices=(PROMISED,)
)


def needs(data: SummaryData) -> list[dict[str, str]]:
    return view(data, NOW)["needs"]


def test_a_promise_is_quoted_with_its_day_instead_of_check_whether_it_was_paid() -> None:
    [row] = needs(DATA)
    assert (row["client"], row["label"]) == ("Acme", "Promised to pay")
    assert row["detail"] == (
        "“I'll pay on Friday.” → expected by Fri 20 Nov (INV-014); "
        "correct it with ghostwatch expect."
    )
    summary = build_summary(DATA, NOW)
    assert row["detail"] in summary.text and row["detail"] in htmllib.unescape(summary.html)


def test_a_day_the_user_set_is_shown_as_theirs() -> None:
    [row] = needs(replace(DATA, invoices=(replace(PROMISED, promise=""),)))
    assert row["detail"] == "INV-014: expected by Fri 20 Nov (set by you)."


def test_a_paid_invoice_shows_no_promise() -> None:
    assert needs(replace(DATA, invoices=(replace(PROMISED, paid_at=NOW),))) == []


@pytest.mark.parametrize(
    ("language", "label"), [("ka", "გადახდას დაგპირდათ"), ("th", "แจ้งวันชำระแล้ว")]
)
def test_in_georgian_and_thai(language: str, label: str) -> None:
    [row] = needs(replace(DATA, language=language))
    assert row["label"] == label and SAID in row["detail"] and "INV-014" in row["detail"]


DELIVERY = DeliveryInfo(
    "Acme", "logo feedback", date(2026, 11, 20), "I'll send the feedback on Friday."
)


def test_a_promise_to_deliver_is_quoted_under_needs_you() -> None:
    data = replace(DATA, invoices=(), deliveries=(DELIVERY,))
    [row] = needs(data)
    assert (row["client"], row["label"]) == ("Acme", "Promised to deliver")
    assert row["detail"] == (
        "“I'll send the feedback on Friday.” → logo feedback expected by Fri 20 Nov; "
        "correct it with ghostwatch expect."
    )
    assert row["detail"] in build_summary(data, NOW).text
    [mine] = needs(replace(data, deliveries=(replace(DELIVERY, promise=""),)))
    assert mine["detail"] == "logo feedback: expected by Fri 20 Nov (set by you)."


@pytest.mark.parametrize(
    ("language", "label"), [("ka", "გამოგზავნას დაგპირდათ"), ("th", "แจ้งวันส่งงานแล้ว")]
)
def test_a_promise_to_deliver_in_georgian_and_thai(language: str, label: str) -> None:
    [row] = needs(replace(DATA, invoices=(), deliveries=(DELIVERY,), language=language))
    assert row["label"] == label and "logo feedback" in row["detail"]
