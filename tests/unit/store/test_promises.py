"""Store.set_expected: a promise to pay and its evidence, in one transaction, on the
store the suite runs on (SQLite, or PostgreSQL with GHOSTWATCH_TEST_DB)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from ghostwatch.app.promise_effects import PromiseReader, record_promises
from ghostwatch.core.domain import Direction, Kind
from ghostwatch.core.records import InvoiceItem
from ghostwatch.store.database import MessageRow, Store, UnknownInvoice

ACCOUNT = "studio"
AT = datetime(2026, 12, 3, 15, tzinfo=UTC)
FRIDAY = date(2026, 12, 4)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as opened:
        opened.upsert_invoices(
            ACCOUNT, "Acme", [InvoiceItem("INV-1", "1,200 GEL", date(2026, 12, 1))]
        )
        yield opened


def promise_events(store: Store) -> list[dict[str, object]]:
    return [e.data for e in store.events(ACCOUNT, "Acme") if e.kind == "invoice.promise"]


def test_a_promise_is_stored_with_its_sentence_and_logged(store: Store) -> None:
    said = "I'll pay on Friday."
    assert store.set_expected(
        ACCOUNT, "Acme", "INV-1", FRIDAY, at=AT, by="<r1@acme>", sentence=said
    )
    [row] = store.invoices(ACCOUNT, "Acme")
    assert (row.expected_by, row.promised_at, row.promise, row.promise_by) == (
        FRIDAY,
        AT,
        said,
        "<r1@acme>",
    )
    assert promise_events(store) == [
        {"invoice": "INV-1", "expected_by": "2026-12-04", "sentence": said, "by": "<r1@acme>"}
    ]


def test_the_same_reply_read_twice_sets_and_logs_nothing_more(store: Store) -> None:
    for _ in range(2):
        store.set_expected(ACCOUNT, "Acme", "INV-1", FRIDAY, at=AT, by="<r1@acme>")
    assert len(promise_events(store)) == 1


def test_an_older_promise_never_overwrites_a_later_one(store: Store) -> None:
    store.set_expected(ACCOUNT, "Acme", "INV-1", FRIDAY, at=AT, by="<r2@acme>")
    older = datetime(2026, 12, 2, 9, tzinfo=UTC)
    assert not store.set_expected(
        ACCOUNT, "Acme", "INV-1", date(2026, 12, 31), at=older, by="<r1@acme>"
    )
    assert store.invoices(ACCOUNT, "Acme")[0].expected_by == FRIDAY


def test_the_user_corrects_and_clears_it(store: Store) -> None:
    store.set_expected(ACCOUNT, "Acme", "INV-1", FRIDAY, at=AT, by="<r1@acme>")
    later = datetime(2026, 12, 4, 8, tzinfo=UTC)
    assert store.set_expected(ACCOUNT, "Acme", "INV-1", date(2026, 12, 11), at=later, by="command")
    assert store.invoices(ACCOUNT, "Acme")[0].expected_by == date(2026, 12, 11)
    assert store.set_expected(ACCOUNT, "Acme", "INV-1", None, at=later, by="command")
    assert store.invoices(ACCOUNT, "Acme")[0].expected_by is None
    assert [e["expected_by"] for e in promise_events(store)] == ["2026-12-04", "2026-12-11", None]


def test_a_paid_invoice_takes_no_promise(store: Store) -> None:
    store.mark_paid(ACCOUNT, "Acme", "INV-1", AT, "command")
    assert not store.set_expected(ACCOUNT, "Acme", "INV-1", FRIDAY, at=AT, by="<r1@acme>")
    assert store.invoices(ACCOUNT, "Acme")[0].expected_by is None


def test_an_unknown_invoice_is_an_error(store: Store) -> None:
    with pytest.raises(UnknownInvoice):
        store.set_expected(ACCOUNT, "Acme", "INV-9", FRIDAY, at=AT, by="command")


def test_expect_on_a_bare_store_for_the_mail_commands(store: Store) -> None:
    from ghostwatch.app.promise_commands import expect
    from ghostwatch.errors import ConfigError

    assert expect(store, "Acme", "INV-1", FRIDAY, account=ACCOUNT, at=AT)
    assert not expect(store, "Acme", "INV-1", FRIDAY, account=ACCOUNT, at=AT)  # unchanged
    [row] = store.invoices(ACCOUNT, "Acme")
    assert (row.expected_by, row.promise_by, row.promise) == (FRIDAY, "command", None)
    with pytest.raises(ConfigError, match="no invoice 'INV-9' \\(known: INV-1\\)"):
        expect(store, "Acme", "INV-9", FRIDAY, account=ACCOUNT, at=AT)
    with pytest.raises(TypeError):
        expect(store, "Acme", "INV-1", None)


def _reply(message_id: str, at: datetime) -> MessageRow:
    return MessageRow(
        ACCOUNT, "INBOX", 1, 7, message_id, at, Direction.INBOUND, Kind.HUMAN, client="Acme"
    )


def test_a_reply_read_twice_sets_and_logs_its_promises_once(store: Store) -> None:
    # two open invoices: "pay on Friday" names neither, so it sets nothing but is logged;
    # the delivery promise is logged too; INV-2 named with its day is set
    store.upsert_invoices(ACCOUNT, "Acme", [InvoiceItem("INV-2", "300 GEL", date(2026, 12, 2))])
    body = (
        "Hi Nino,\n\nWe'll pay on Friday. INV-2 will be paid on 11 December.\n"
        "I'll send the signed contract tomorrow.\n\nJane\n"
    )
    reader = PromiseReader("en", "UTC")
    for _ in range(2):
        record_promises(store, ACCOUNT, reader, _reply("<r1@acme>", AT), body)
    by_number = {row.number: row.expected_by for row in store.invoices(ACCOUNT, "Acme")}
    assert by_number == {"INV-1": None, "INV-2": date(2026, 12, 11)}
    others = [e.data for e in store.events(ACCOUNT, "Acme") if e.kind == "client.promise"]
    assert [(o["promise"], o["expected_by"], o["not_applied"]) for o in others] == [
        ("payment", "2026-12-04", "names no open invoice"),
        ("delivery", "2026-12-04", "a delivery"),
    ]
    assert len(promise_events(store)) == 1


# --- a promise to deliver: Store.set_deadline_expected -----------------------------------

KEY = "deadline:logo feedback"


def delivery_events(store: Store) -> list[dict[str, object]]:
    return [e.data for e in store.events(ACCOUNT, "Acme") if e.kind == "deadline.promise"]


def test_a_delivery_promise_is_stored_logged_once_and_a_later_one_wins(store: Store) -> None:
    said = "I'll send the feedback on Friday."
    args = {"at": AT, "by": "<r1@acme>", "sentence": said}
    assert store.set_deadline_expected(ACCOUNT, "Acme", KEY, FRIDAY, **args)
    assert not store.set_deadline_expected(ACCOUNT, "Acme", KEY, FRIDAY, **args)  # read twice
    [row] = store.deadline_promises(ACCOUNT, "Acme")
    assert (row.deadline, row.expected_by, row.promised_at, row.promise, row.promise_asks) == (
        KEY,
        FRIDAY,
        AT,
        said,
        False,
    )
    assert delivery_events(store) == [
        {
            "deadline": "logo feedback",
            "expected_by": "2026-12-04",
            "sentence": said,
            "by": "<r1@acme>",
        }
    ]
    # an older reply read later (another folder first) never overwrites the newer promise
    older = datetime(2026, 12, 2, 9, tzinfo=UTC)
    assert not store.set_deadline_expected(
        ACCOUNT, "Acme", KEY, date(2026, 12, 3), at=older, by="<r0@acme>"
    )
    assert store.deadline_promises(ACCOUNT)[0].expected_by == FRIDAY


def test_clearing_keeps_the_row_so_an_old_reply_cannot_bring_it_back(store: Store) -> None:
    assert not store.set_deadline_expected(ACCOUNT, "Acme", KEY, None, at=AT, by="command")
    assert store.deadline_promises(ACCOUNT) == []  # nothing to clear
    store.set_deadline_expected(ACCOUNT, "Acme", KEY, FRIDAY, at=AT, by="<r1@acme>")
    later = datetime(2026, 12, 3, 18, tzinfo=UTC)
    assert store.set_deadline_expected(ACCOUNT, "Acme", KEY, None, at=later, by="command")
    assert not store.set_deadline_expected(ACCOUNT, "Acme", KEY, FRIDAY, at=AT, by="<r1@acme>")
    [row] = store.deadline_promises(ACCOUNT)
    assert (row.expected_by, row.promise_by) == (None, "command")


def test_a_reply_sets_the_day_of_the_deadline_it_promises(store: Store) -> None:
    body = "Hi Nino,\n\nSorry! I'll send the logo feedback on Friday. Could you resend the files?\n"
    due = date(2026, 12, 1)
    reader = PromiseReader("en", "UTC", (("logo feedback", due), ("website copy", due)))
    for _ in range(2):
        record_promises(store, ACCOUNT, reader, _reply("<r1@acme>", AT), body)
    [row] = store.deadline_promises(ACCOUNT, "Acme")
    assert (row.deadline, row.expected_by, row.promise_asks) == (KEY, FRIDAY, True)
    assert len(delivery_events(store)) == 1
    assert [e for e in store.events(ACCOUNT, "Acme") if e.kind == "client.promise"] == []


def test_a_deadline_met_before_the_reply_takes_no_new_promise(store: Store) -> None:
    # the feedback came on the 2nd (after the due day began): the deadline is done, and
    # "I'll send it on Friday" on the 3rd is about something else
    store.record_messages([_reply("<f1@acme>", datetime(2026, 12, 2, 9, tzinfo=UTC))], seen_at=AT)
    reader = PromiseReader("en", "UTC", (("logo feedback", date(2026, 12, 1)),))
    later = MessageRow(
        ACCOUNT, "INBOX", 1, 8, "<r2@acme>", AT, Direction.INBOUND, Kind.HUMAN, client="Acme"
    )
    record_promises(store, ACCOUNT, reader, later, "I'll send it on Friday.\n")
    assert store.deadline_promises(ACCOUNT) == []
    [other] = [e.data for e in store.events(ACCOUNT, "Acme") if e.kind == "client.promise"]
    assert other["not_applied"] == "names no open deadline"
