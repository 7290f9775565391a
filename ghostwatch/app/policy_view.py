"""The policy's view of an account, read from the configuration and the store.

``core.policy.decide`` takes plain states; this builds them: each client's facts,
nudges, still-expected invoices and deadline promises (``state``), with the
"send now" lifts of ``actions`` applied. ``sync_invoices`` first copies the
configured and recurring invoices into the store, so the store is the one source.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from ghostwatch.app import actions, state
from ghostwatch.config.loader import AccountConfig, ClientConfig, Config
from ghostwatch.core.domain import AccountState, ClientState, NudgeRecord
from ghostwatch.core.records import InvoiceItem, InvoiceRow
from ghostwatch.store.database import Store

__all__ = ["account_states", "nudge_map", "sync_invoices"]


def nudge_map(
    store: Store, account: str, exclude: str | None = None
) -> dict[str, tuple[NudgeRecord, ...]]:
    """The account's nudges by client; ``exclude`` hides one outbox row."""
    rows = store.nudge_records(account, exclude_message_id=exclude)
    return {client: tuple(records) for client, records in rows.items()}


def account_states(
    config: Config, store: Store, account: AccountConfig, now: datetime, exclude: str | None
) -> tuple[AccountState, list[ClientState]]:
    """Return the policy's view of one account; ``exclude`` hides one outbox row (the
    nudge being re-checked)."""
    nudges = nudge_map(store, account.name, exclude)
    acct = store.account_state(account.name)
    facts = store.client_facts(account.name)
    invoices = store.invoices(account.name)
    promised = store.deadline_promises(account.name)
    clients = [
        state.client_state(
            config,
            client,
            facts.get(client.name),
            nudges.get(client.name, ()),
            [i for i in invoices if i.client == client.name and _still_expected(i, client)],
            [p for p in promised if p.client == client.name],
        )
        for client in config.clients_of(account.name)
    ]
    clients = actions.with_lifts(store, account.name, clients)  # "send now"
    account_state = state.account_state(
        account,
        paused=acct.paused if acct else False,
        last_sync_at=acct.last_sync_at if acct else None,
        nudges=nudges,
        now=now,
    )
    return account_state, clients


def sync_invoices(
    config: Config, store: Store, now: datetime, accounts: Collection[str] | None = None
) -> None:
    """Copy configured and recurring invoices of ``accounts`` (None: all) into the
    store (idempotent)."""
    for account in config.accounts:
        if accounts is not None and account.name not in accounts:
            continue
        for client in config.clients_of(account.name):
            configured = {i.number for i in client.invoices}
            items = [
                InvoiceItem(
                    i.number,
                    i.amount,
                    i.due,
                    "config" if i.number in configured else "recurring",
                )
                for i in config.invoices_of(client, today=now.date())
            ]
            store.upsert_invoices(account.name, client.name, items)


def _still_expected(row: InvoiceRow, client: ClientConfig) -> bool:
    """An invoice removed from the config is no longer chased (recurring ones stay:
    their past occurrences were expected when they fell due)."""
    return row.source != "config" or any(i.number == row.number for i in client.invoices)
