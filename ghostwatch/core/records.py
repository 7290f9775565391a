"""The plain records the store hands out and the pure code reads.

Frozen dataclasses, no I/O: ``ghostwatch.store`` builds them from its rows, and the
policy's view (``app.state``), the daily summary and the courier consume them, so the
store depends on the core and never the reverse. Every datetime is aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ghostwatch.core.domain import OutboxStatus, ThreadRef

__all__ = [
    "ClientFacts",
    "Contact",
    "DeadlinePromiseRow",
    "InvoiceItem",
    "InvoiceRow",
    "OutboxRow",
    "SummaryRecord",
]


@dataclass(frozen=True, slots=True)
class ClientFacts:
    """What the messages and client state say about one client of one account.

    last_inbound: latest human message from the client. last_outbound: latest
    human message to the client, nudges excluded. thread: that latest outbound
    message with a Message-ID (what a nudge replies to). away_until: the later of
    the latest out-of-office return date received after last_outbound and a
    stored client_state.away_until. bouncing: the client's addresses marked bouncing.
    auto_replies: every out-of-office from the client, (received, return date or
    None), oldest first. unreadable_at: the latest message from the client that could
    not be read, when no human message on either side came after it. names: each
    client address's latest display name on human mail from it (whom to greet).
    """

    client: str
    last_inbound: datetime | None = None
    last_outbound: datetime | None = None
    thread: ThreadRef | None = None
    away_until: date | None = None
    snoozed_until: datetime | None = None
    ghosted_anchor: str | None = None
    ghosted_at: datetime | None = None
    bouncing: frozenset[str] = frozenset()
    auto_replies: tuple[tuple[datetime, date | None], ...] = ()
    unreadable_at: datetime | None = None
    names: tuple[tuple[str, str], ...] = ()  # (address, display name)


@dataclass(frozen=True, slots=True)
class InvoiceItem:
    """An expected payment, as configuration or a recurring rule describes it."""

    number: str
    amount: str
    due: date
    source: str = "config"  # "config" | "recurring"


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    """A stored invoice: what was expected, whether and how it was paid or promised."""

    id: int
    account: str
    client: str
    number: str
    amount: str
    due: date
    source: str
    paid_at: datetime | None
    paid_by: str | None  # "command" | "payment_matcher" | a Message-ID
    expected_by: date | None = None  # a promise to pay by that local day
    promised_at: datetime | None = None
    promise: str | None = None  # the sentence it was read from
    promise_by: str | None = None  # "command" | the reply's Message-ID
    promise_asks: bool | None = None  # the reply also asked something


@dataclass(frozen=True, slots=True)
class DeadlinePromiseRow:
    """A promise to deliver by a day, for the deadline whose key is ``deadline``
    ("deadline:<what>"); ``expected_by`` None: the user cleared it."""

    account: str
    client: str
    deadline: str
    expected_by: date | None
    promised_at: datetime
    promise: str | None
    promise_by: str
    promise_asks: bool


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One planned nudge: its fixed Message-ID and bytes, and where its sending is."""

    id: int
    account: str
    client: str
    ladder: str
    anchor: str
    step: int
    template: str
    message_id: str
    status: OutboxStatus
    to_addr: str
    subject: str
    raw: bytes = field(repr=False)  # the exact message, as it will be sent
    reason: str
    due_at: datetime
    planned_at: datetime
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Contact:
    """One human message between the account and a client (nudges excluded)."""

    at: datetime
    inbound: bool
    subject: str


@dataclass(frozen=True, slots=True)
class SummaryRecord:
    """A day's summary_log row and what became of it."""

    message_id: str | None
    recorded_at: datetime
    outcome: str | None  # "summary.sent" | "summary.failed" (the last); None: none yet
    outcome_at: datetime | None
    outcome_data: dict[str, Any]
    failures: int
