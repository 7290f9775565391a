"""Build the policy's view of the world from configuration and stored facts.

Pure: takes config objects and the store's fact records, returns domain values.
No I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ghostwatch.config import AccountConfig, ClientConfig, Config
from ghostwatch.domain import (
    AccountState,
    ClientState,
    Deadline,
    Invoice,
    NudgeRecord,
    OutboxStatus,
    ThreadRef,
)
from ghostwatch.policy import local_day_start
from ghostwatch.store import ClientFacts, InvoiceRow

COUNTED_TODAY = frozenset(
    {OutboxStatus.SENT, OutboxStatus.SENDING, OutboxStatus.UNKNOWN, OutboxStatus.DRAFTED}
)


def first_name(name: str) -> str:
    """Return the first word of a name ("Jane Doe" -> "Jane"); "" for an empty name."""
    parts = name.split()
    return parts[0] if parts else ""


def client_state(
    config: Config,
    client: ClientConfig,
    facts: ClientFacts | None,
    nudges: Sequence[NudgeRecord],
    invoices: Iterable[InvoiceRow],
) -> ClientState:
    """Return one client's state for ``policy.decide``."""
    rules = config.rules_for(client)
    account = config.account_for(client)
    thread = None
    last_in = last_out = None
    away = snoozed = None
    bouncing: frozenset[str] = frozenset()
    ghosted = None
    if facts is not None:
        last_in, last_out = facts.last_inbound, facts.last_outbound
        if facts.thread is not None:
            t = facts.thread
            thread = ThreadRef(t.message_id, t.references, t.subject, t.to_addr, t.sent_at)
        if facts.away_until is not None:
            away = local_day_start(facts.away_until + timedelta(days=1), rules.timezone)
        snoozed, ghosted, bouncing = facts.snoozed_until, facts.ghosted_anchor, facts.bouncing
    return ClientState(
        name=client.name,
        account=account.name,
        rules=rules,
        first_name=first_name(client.name),
        language=client.language,
        emails=tuple(client.emails),
        last_inbound=last_in,
        last_outbound=last_out,
        thread=thread,
        away_until=away,
        bouncing=bouncing,
        snoozed_until=snoozed,
        nudges=tuple(nudges),
        invoices=tuple(_invoice(row, last_in, rules.timezone) for row in invoices),
        deadlines=tuple(
            _deadline(d.what, d.due, last_in, rules.timezone) for d in client.deadlines
        ),
        ghosted_anchor=ghosted,
    )


def _invoice(row: InvoiceRow, last_inbound: datetime | None, zone: str) -> Invoice:
    start = local_day_start(row.due, zone)
    replied = last_inbound if last_inbound is not None and last_inbound >= start else None
    return Invoice(
        key=f"invoice:{row.number}",
        number=row.number,
        amount=row.amount,
        due=row.due,
        paid=row.paid_at is not None,
        replied_at=replied,
    )


def _deadline(what: str, due: date, last_inbound: datetime | None, zone: str) -> Deadline:
    met = last_inbound is not None and last_inbound >= local_day_start(due, zone)
    return Deadline(key=f"deadline:{what}", what=what, due=due, met=met)


def account_state(
    account: AccountConfig,
    *,
    paused: bool,
    last_sync_at: datetime | None,
    nudges: Mapping[str, Sequence[NudgeRecord]],
    now: datetime,
) -> AccountState:
    """Return the account's state; ``sent_today`` counts since local midnight."""
    midnight = local_day_start(now.astimezone(ZoneInfo(account.timezone)).date(), account.timezone)
    sent_today = sum(
        1
        for records in nudges.values()
        for r in records
        if r.status in COUNTED_TODAY and r.at >= midnight
    )
    return AccountState(
        name=account.name,
        address=account.address,
        display_name=account.display_name,
        timezone=account.timezone,
        paused=paused,
        last_sync_at=last_sync_at,
        max_sync_age=account.max_sync_age,
        max_nudges_per_day=account.max_nudges_per_day,
        mode=account.mode,
        sent_today=sent_today,
    )
