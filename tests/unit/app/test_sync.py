"""SyncContext.clients_key: what a folder's cursor remembers of the clients it was
read for (sync.py, Invariant 8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ghostwatch.app.sync_context import SyncContext
from ghostwatch.core.domain import ClientMatcher

ACME = ClientMatcher("Acme Ltd", frozenset({"jane@acme.example"}), frozenset({"acme.example"}))
GLOBEX = ClientMatcher("Globex", frozenset(), frozenset({"globex.example"}))


def key(*matchers: ClientMatcher) -> str:
    ctx = SyncContext(
        account="me@studio.example",
        addresses=frozenset({"me@studio.example"}),
        matchers=matchers,
        initial_scan=timedelta(days=90),
        now=datetime(2026, 11, 23, tzinfo=UTC),
    )
    return ctx.clients_key


def test_the_same_clients_in_any_order_have_one_key() -> None:
    assert key(ACME, GLOBEX) == key(GLOBEX, ACME)


def test_a_new_client_address_domain_or_name_changes_the_key() -> None:
    base = key(ACME)
    assert key(ACME, GLOBEX) != base
    more = ClientMatcher(ACME.name, ACME.emails | {"bob@webmail.example"}, ACME.domains)
    assert key(more) != base
    wider = ClientMatcher(ACME.name, ACME.emails, ACME.domains | {"acme.ge"})
    assert key(wider) != base
    assert key(ClientMatcher("Acme", ACME.emails, ACME.domains)) != base
    assert key() != base
