"""Build the policy's view of the world from configuration and stored facts.

Pure: takes config objects and the store's fact records, returns domain values.
No I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ghostwatch.config.loader import AccountConfig, ClientConfig, Config
from ghostwatch.core import names
from ghostwatch.core.calendar import local_day_start
from ghostwatch.core.domain import (
    AccountState,
    AutoReply,
    ClientState,
    Deadline,
    Invoice,
    NudgeRecord,
    OutboxStatus,
    ThreadRef,
)
from ghostwatch.store.database import ClientFacts, DeadlinePromiseRow, InvoiceRow

COUNTED_TODAY = frozenset(
    {OutboxStatus.SENT, OutboxStatus.SENDING, OutboxStatus.UNKNOWN, OutboxStatus.DRAFTED}
)


def greeting_name(client: ClientConfig, facts: ClientFacts | None) -> str:
    """Whom a nudge greets: the configured ``first_name``, else the given name in the
    display name of the person written to (their latest mail from the address we write
    to, else from any of their addresses), else "" (a neutral greeting)."""
    if client.first_name:
        return client.first_name
    if facts is None or not facts.names:
        return ""
    by_address = dict(facts.names)
    target = facts.thread.to_addr if facts.thread is not None else None
    if target is None and client.emails:
        target = client.emails[0].lower()
    if target in by_address:
        return names.first_name(by_address[target], client.name)
    if len(by_address) == 1:
        return names.first_name(next(iter(by_address.values())), client.name)
    return ""  # several people write from their side: don't guess which one reads this


def client_state(
    config: Config,
    client: ClientConfig,
    facts: ClientFacts | None,
    nudges: Sequence[NudgeRecord],
    invoices: Iterable[InvoiceRow],
    deadline_promises: Iterable[DeadlinePromiseRow] = (),
) -> ClientState:
    """Return one client's state for ``policy.decide``; ``deadline_promises``: this
    client's rows of ``Store.deadline_promises``."""
    rules = config.rules_for(client)
    account = config.account_for(client)
    promised = {p.deadline: p for p in deadline_promises if p.expected_by is not None}
    thread = None
    last_in = last_out = None
    away = snoozed = None
    bouncing: frozenset[str] = frozenset()
    ghosted = None
    replies: tuple[AutoReply, ...] = ()
    unreadable = None
    if facts is not None:
        replies = tuple(AutoReply(at, returns) for at, returns in facts.auto_replies)
        unreadable = facts.unreadable_at
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
        first_name=greeting_name(client, facts),
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
            _deadline(d.what, d.due, last_in, rules.timezone, promised.get(f"deadline:{d.what}"))
            for d in client.deadlines
        ),
        ghosted_anchor=ghosted,
        auto_replies=replies,
        unreadable_at=unreadable,
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
        paid_at=row.paid_at,
        expected_by=row.expected_by,
        promised_at=row.promised_at,
        promise=row.promise or "",
        promise_asks=bool(row.promise_asks),
    )


def _deadline(
    what: str,
    due: date,
    last_inbound: datetime | None,
    zone: str,
    promise: DeadlinePromiseRow | None,
) -> Deadline:
    """A deadline is met by a human reply from the client after its due day began;
    while a promise to deliver is on record, any reply *after* the promise meets it,
    before the due day too (the promising reply itself is no delivery;
    docs/promises.md)."""
    met = last_inbound is not None and last_inbound >= local_day_start(due, zone)
    key = f"deadline:{what}"
    if promise is None:
        return Deadline(key=key, what=what, due=due, met=met)
    met = last_inbound is not None and last_inbound > promise.promised_at
    return Deadline(
        key=key,
        what=what,
        due=due,
        met=met,
        expected_by=promise.expected_by,
        promised_at=promise.promised_at,
        promise=promise.promise or "",
        promise_asks=promise.promise_asks,
    )


def account_state(
    account: AccountConfig,
    *,
    paused: bool,
    last_sync_at: datetime | None,
    nudges: Mapping[str, Sequence[NudgeRecord]],
    now: datetime,
) -> AccountState:
    """Return the account's state; ``sent_today`` counts messages (one that covers
    several slots counts once) since local midnight."""
    midnight = local_day_start(now.astimezone(ZoneInfo(account.timezone)).date(), account.timezone)
    sent_today = len(
        {
            (r.message_id or id(r))
            for records in nudges.values()
            for r in records
            if r.status in COUNTED_TODAY and r.at >= midnight
        }
    )
    return AccountState(
        name=account.name,
        address=account.address,
        display_name=account.name_in(),
        display_names=account.display_names(),
        timezone=account.timezone,
        paused=paused,
        last_sync_at=last_sync_at,
        max_sync_age=account.max_sync_age,
        max_nudges_per_day=account.max_nudges_per_day,
        mode=account.mode,
        sent_today=sent_today,
    )
