"""Build the policy's view of the world from configuration and stored facts.

Pure: turns the pydantic config models (``Config``, ``AccountConfig``,
``ClientConfig``) and the store's plain records (``ghostwatch.core.records``) into the
domain values ``policy.decide`` reads; no I/O, and ``now`` is an argument. It imports
no store. It lives in ``app`` rather than ``core`` because it reads the config
models (``rules_for``, ``account_for``, display names), which the core may not import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple
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
from ghostwatch.core.records import ClientFacts, DeadlinePromiseRow, InvoiceRow

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


class _Seen(NamedTuple):
    """What the stored facts say about a client, as ``ClientState`` fields."""

    last_inbound: datetime | None = None
    last_outbound: datetime | None = None
    thread: ThreadRef | None = None
    away_until: datetime | None = None
    bouncing: frozenset[str] = frozenset()
    snoozed_until: datetime | None = None
    ghosted_anchor: str | None = None
    auto_replies: tuple[AutoReply, ...] = ()
    unreadable_at: datetime | None = None


def _seen(facts: ClientFacts | None, zone: str) -> _Seen:
    """``facts`` as state fields (all empty without facts); an away date becomes the
    start of the local day after it, in ``zone``."""
    if facts is None:
        return _Seen()
    thread = None
    if facts.thread is not None:
        t = facts.thread
        thread = ThreadRef(t.message_id, t.references, t.subject, t.to_addr, t.sent_at)
    away = None
    if facts.away_until is not None:
        away = local_day_start(facts.away_until + timedelta(days=1), zone)
    return _Seen(
        last_inbound=facts.last_inbound,
        last_outbound=facts.last_outbound,
        thread=thread,
        away_until=away,
        bouncing=facts.bouncing,
        snoozed_until=facts.snoozed_until,
        ghosted_anchor=facts.ghosted_anchor,
        auto_replies=tuple(AutoReply(at, returns) for at, returns in facts.auto_replies),
        unreadable_at=facts.unreadable_at,
    )


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
    promised = {p.deadline: p for p in deadline_promises if p.expected_by is not None}
    seen = _seen(facts, rules.timezone)
    last_in = seen.last_inbound
    return ClientState(
        name=client.name,
        account=config.account_for(client).name,
        rules=rules,
        first_name=greeting_name(client, facts),
        language=client.language,
        emails=tuple(client.emails),
        nudges=tuple(nudges),
        invoices=tuple(_invoice(row, last_in, rules.timezone) for row in invoices),
        deadlines=tuple(
            _deadline(d.what, d.due, last_in, rules.timezone, promised.get(f"deadline:{d.what}"))
            for d in client.deadlines
        ),
        last_inbound=last_in,
        last_outbound=seen.last_outbound,
        thread=seen.thread,
        away_until=seen.away_until,
        bouncing=seen.bouncing,
        snoozed_until=seen.snoozed_until,
        ghosted_anchor=seen.ghosted_anchor,
        auto_replies=seen.auto_replies,
        unreadable_at=seen.unreadable_at,
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
