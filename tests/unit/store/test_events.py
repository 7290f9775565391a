"""``ghostwatch.store.events``: the evidence log, on SQLite and on PostgreSQL.

Proves the module's invariants directly (tests/unit/store/test_database.py covers the
basic ordering and the append-only triggers): an event's data is one canonical JSON
object (keys sorted, datetimes and dates ISO-8601, enums as values, sets as sorted
lists, non-ASCII kept as written), so the same event always reads the same; data JSON
cannot express is refused and nothing is written; events read back in (at, id) order,
an earlier ``at`` first even when appended later, and filter by account and client.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from ghostwatch.core.domain import OutboxStatus
from ghostwatch.store.database import Store
from ghostwatch.store.events import event_json

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "stored"),
    [
        ({"b": 1, "a": 2}, '{"a": 2, "b": 1}'),
        ({"until": T0}, '{"until": "2026-12-01T09:00:00+00:00"}'),
        ({"due": date(2026, 12, 24)}, '{"due": "2026-12-24"}'),
        ({"status": OutboxStatus.SENT}, '{"status": "sent"}'),
        ({"to": {"b@x", "a@x"}}, '{"to": ["a@x", "b@x"]}'),
        ({"steps": frozenset({2, 10, 1})}, '{"steps": [1, 10, 2]}'),  # by str, as stated
        ({"name": "ნინო"}, '{"name": "ნინო"}'),
    ],
)
def test_event_data_is_one_canonical_json_object(data: dict[str, Any], stored: str) -> None:
    assert event_json(data) == stored


def test_the_same_data_written_in_any_order_reads_the_same() -> None:
    one = {"client": "Acme", "to": {"a@x", "b@x", "c@x"}, "at": T0}
    other = {"at": T0, "to": {"c@x", "a@x", "b@x"}, "client": "Acme"}
    assert event_json(one) == event_json(other)


def test_data_round_trips_through_the_store_as_its_json(store: Store) -> None:
    store.append_event(
        "nudge.sent",
        at=T0,
        account="studio",
        client="Acme",
        message_id="<n1@studio.example>",
        status=OutboxStatus.SENT,
        to={"jane@acme.example"},
        name="ნინო",
    )
    [event] = store.events()
    assert (event.kind, event.account, event.client) == ("nudge.sent", "studio", "Acme")
    assert (event.at, event.message_id) == (T0, "<n1@studio.example>")
    assert event.data == {"name": "ნინო", "status": "sent", "to": ["jane@acme.example"]}


@pytest.mark.parametrize("value", [object(), b"bytes", 1 + 2j])
def test_data_json_cannot_express_is_refused_and_nothing_is_written(
    store: Store, value: object
) -> None:
    with pytest.raises(TypeError, match="not JSON-serialisable"):
        store.append_event("nudge.sent", at=T0, account="studio", thing=value)
    assert store.events() == []


def test_events_read_in_time_order_then_in_the_order_appended(store: Store) -> None:
    later = store.append_event("b.later", at=T0 + timedelta(hours=1), account="studio")
    first = store.append_event("a.same_time", at=T0, account="studio")
    second = store.append_event("c.same_time", at=T0, account="studio")
    assert first < second  # ids grow as events are appended
    assert [e.id for e in store.events()] == [first, second, later]


@pytest.mark.parametrize(
    ("account", "client", "kinds"),
    [
        (None, None, ["studio.acme", "studio.none", "studio.beta", "agency.acme"]),
        ("studio", None, ["studio.acme", "studio.none", "studio.beta"]),
        (None, "Acme", ["studio.acme", "agency.acme"]),
        ("studio", "Acme", ["studio.acme"]),
        ("agency", "Beta", []),
    ],
)
def test_events_filter_by_account_and_client(
    store: Store, account: str | None, client: str | None, kinds: list[str]
) -> None:
    for i, (acct, who) in enumerate(
        [("studio", "Acme"), ("studio", None), ("studio", "Beta"), ("agency", "Acme")]
    ):
        kind = f"{acct}.{(who or 'none').lower()}"
        store.append_event(kind, at=T0 + timedelta(minutes=i), account=acct, client=who)
    assert [e.kind for e in store.events(account, client)] == kinds
