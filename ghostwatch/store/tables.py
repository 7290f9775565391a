"""The database schema: SQLModel tables and the column types they need.

Only ``store`` and the migrations import this module. The schema lives in two
places on purpose: here (what the code expects) and in ``migrations/versions``
(how a database gets there). ``tests/unit/store/test_migrations.py`` compares them, so
they cannot drift apart.

Invariants:
- Every datetime column is ``UTCDateTime``: naive values are refused on write,
  values are stored as UTC without an offset and always read back aware UTC.
- Enum columns store the enum's string value (``"planned"``), never its name.
- Message de-duplication: (account, folder, uidvalidity, uid) is unique, and so is
  (account, message_key) where message_key is not null. The key digests the
  Message-ID, the sender and the header Date (``store.message_key``): the same
  message seen in INBOX and All Mail, in Sent and INBOX, or again after a UIDVALIDITY
  change, is stored once, but a message that reuses a stored Message-ID with another
  sender or date (resent mail, buggy mailers) is stored too.
- Outbox slot: (account, client, ladder, anchor, step) is unique among rows whose
  status is not ``cancelled`` (domain.OCCUPYING_STATUSES): the database itself
  refuses a second plan of a slot, and only a cancelled plan frees it.
- ``event`` is append-only: triggers (created by the migrations, on SQLite and on
  PostgreSQL) abort any UPDATE or DELETE.
- ``account_lease``: at most one holder per account (the primary key); a holder
  works on the account only while ``expires_at`` lies ahead on the database's clock
  (``ghostwatch.app.lease``). ``epoch`` grows by one each time the holder changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

from ghostwatch.core.domain import Direction, FolderRole, Kind, OutboxStatus


def naive_utc(value: datetime) -> datetime:
    """``value`` as naive UTC; raise ValueError if it is naive (its zone unknown)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} refused: pass aware UTC")
    return value.astimezone(UTC).replace(tzinfo=None)


def sqlite_datetime(value: datetime) -> str:
    """``value`` as the text SQLAlchemy stores for DateTime on SQLite (UTC)."""
    return naive_utc(value).isoformat(sep=" ", timespec="microseconds")


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An aware datetime, stored as naive UTC, read back as aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else naive_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        """On SQLite, one step straight to SQLAlchemy's own storage text
        ("2026-11-02 09:00:00.000000"): bulk inserts spend their time here."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            return None if value is None else sqlite_datetime(value)

        return process


class EnumValue(sa.types.TypeDecorator[StrEnum]):
    """A ``StrEnum`` stored as its value in a VARCHAR; unknown values are refused."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum_cls: type[StrEnum], length: int = 16) -> None:
        super().__init__(length)
        self.enum_cls = enum_cls

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_cls(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.enum_cls(value)


def _when(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class SyncCursor(SQLModel, table=True):
    __tablename__ = "sync_cursor"

    account: str = Field(primary_key=True)
    folder: str = Field(primary_key=True)
    role: FolderRole = Field(sa_type=EnumValue(FolderRole))
    uidvalidity: int = Field(sa_type=sa.BigInteger)
    last_uid: int = Field(default=0, sa_type=sa.BigInteger)
    highest_modseq: int | None = Field(default=None, sa_type=sa.BigInteger)
    last_sync_at: datetime | None = _when(nullable=True)
    last_error: str | None = None
    last_error_at: datetime | None = _when(nullable=True)
    clients_key: str | None = None  # digest of the client matchers it was read for


class AccountStateTable(SQLModel, table=True):
    __tablename__ = "account_state"

    account: str = Field(primary_key=True)
    paused: bool = False
    last_sync_at: datetime | None = _when(nullable=True)
    last_error: str | None = None
    last_error_at: datetime | None = _when(nullable=True)
    watch_mode: str | None = None  # "idle" | "poll"


class Message(SQLModel, table=True):
    __tablename__ = "message"
    __table_args__ = (
        sa.UniqueConstraint("account", "folder", "uidvalidity", "uid", name="uq_message_uid"),
        sa.Index(
            "uq_message_key",
            "account",
            "message_key",
            unique=True,
            sqlite_where=sa.text("message_key IS NOT NULL"),
            postgresql_where=sa.text("message_key IS NOT NULL"),
        ),
        sa.Index("ix_message_message_id", "account", "message_id"),
        # client_facts: per-client aggregates by direction/kind/is_nudge over date
        sa.Index("ix_message_facts", "account", "client", "direction", "kind", "is_nudge", "date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account: str
    folder: str
    uidvalidity: int = Field(sa_type=sa.BigInteger)
    uid: int = Field(sa_type=sa.BigInteger)
    message_id: str | None = None
    date: datetime = _when()  # header Date, or INTERNALDATE when missing
    internal_date: datetime | None = _when(nullable=True)
    direction: Direction = Field(sa_type=EnumValue(Direction))
    kind: Kind = Field(sa_type=EnumValue(Kind))
    client: str | None = None
    counterpart: str | None = None
    from_addr: str = ""
    from_name: str = ""
    to_addrs: str = "[]"  # JSON list of normalised addresses
    subject: str = ""
    in_reply_to: str | None = None
    references: str = ""  # space-joined Message-IDs
    away_until: dt.date | None = None
    bounced: str = "[]"  # JSON list of hard-bounced addresses
    is_nudge: bool = False
    reason: str = ""
    seen_at: datetime = _when()
    message_key: str | None = None  # digest of Message-ID, sender, header Date


class ClientStateTable(SQLModel, table=True):
    __tablename__ = "client_state"

    account: str = Field(primary_key=True)
    client: str = Field(primary_key=True)
    snoozed_until: datetime | None = _when(nullable=True)
    ghosted_at: datetime | None = _when(nullable=True)
    ghosted_anchor: str | None = None
    away_until: dt.date | None = None
    updated_at: datetime = _when()


class BouncingAddress(SQLModel, table=True):
    __tablename__ = "bouncing_address"

    account: str = Field(primary_key=True)
    address: str = Field(primary_key=True)
    client: str | None = None
    since: datetime = _when()
    message_id: str | None = None
    reason: str = ""


class Outbox(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index(
            "uq_outbox_slot",
            "account",
            "client",
            "ladder",
            "anchor",
            "step",
            unique=True,
            sqlite_where=sa.text("status <> 'cancelled'"),
            postgresql_where=sa.text("status <> 'cancelled'"),
        ),
        sa.UniqueConstraint("message_id", name="uq_outbox_message_id"),
        sa.Index("ix_outbox_status", "account", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account: str
    client: str
    ladder: str
    anchor: str
    step: int
    template: str
    message_id: str  # fixed before sending; unique (uq_outbox_message_id)
    status: OutboxStatus = Field(sa_type=EnumValue(OutboxStatus))
    to_addr: str
    subject: str
    raw: bytes = Field(sa_type=sa.LargeBinary)
    reason: str = ""
    due_at: datetime = _when()
    planned_at: datetime = _when()
    # added by 0002_outbox_retry, hence the server defaults
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    next_attempt_at: datetime | None = _when(nullable=True)
    last_error: str | None = None
    sent_at: datetime | None = _when(nullable=True)
    updated_at: datetime = _when()


class OutboxSlot(SQLModel, table=True):
    """Every ladder slot an occupying outbox row holds: its own, and those its message
    covers (one voice: several due steps of one client go out as one message). The
    primary key makes a slot impossible to take twice, whichever message takes it;
    a cancelled row's slots are deleted with the cancellation (0004_outbox_slot)."""

    __tablename__ = "outbox_slot"

    account: str = Field(primary_key=True)
    client: str = Field(primary_key=True)
    ladder: str = Field(primary_key=True)
    anchor: str = Field(primary_key=True)
    step: int = Field(primary_key=True)
    outbox_id: int = Field(foreign_key="outbox.id", index=True)


class InvoiceTable(SQLModel, table=True):
    __tablename__ = "invoice"
    __table_args__ = (sa.UniqueConstraint("account", "client", "number", name="uq_invoice"),)

    id: int | None = Field(default=None, primary_key=True)
    account: str
    client: str
    number: str
    amount: str = ""
    due: dt.date
    source: str = "config"  # "config" | "recurring"
    paid_at: datetime | None = _when(nullable=True)
    paid_by: str | None = None  # "command" | "payment_matcher" | a Message-ID
    # a promise to pay (migration 0007_promise): the local day, when it was made, the
    # sentence, and who set it ("command" or the reply's Message-ID)
    expected_by: dt.date | None = None
    promised_at: datetime | None = _when(nullable=True)
    promise: str | None = None
    promise_by: str | None = None
    promise_asks: bool | None = None  # the reply also asked something (needs an answer)


class DeadlinePromiseTable(SQLModel, table=True):
    """A client's promise to deliver by a day, per deadline (migration
    0009_promise_deadline): the local day (None: cleared by the user), when it was
    made, the sentence, who set it ("command" or the reply's Message-ID)."""

    __tablename__ = "deadline_promise"

    account: str = Field(primary_key=True)
    client: str = Field(primary_key=True)
    deadline: str = Field(primary_key=True)  # the deadline's key, "deadline:<what>"
    expected_by: dt.date | None = None
    promised_at: datetime = _when()
    promise: str | None = None
    promise_by: str = ""
    promise_asks: bool = False  # the reply also asked something (needs an answer)


class Event(SQLModel, table=True):
    __tablename__ = "event"
    __table_args__ = (
        sa.Index("ix_event_account_client_at", "account", "client", "at"),
        sa.Index("ix_event_account_id", "account", "id"),  # a quiet poll's change mark
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when(index=True)
    account: str
    client: str | None = None
    kind: str
    message_id: str | None = None
    data: str = "{}"  # JSON object


class SummaryLog(SQLModel, table=True):
    __tablename__ = "summary_log"

    account: str = Field(primary_key=True)
    local_date: dt.date = Field(primary_key=True)
    sent_at: datetime = _when()
    message_id: str | None = None


class SummaryToken(SQLModel, table=True):
    """One summary's command key (docs/commands.md): only its SHA-256 is kept."""

    __tablename__ = "summary_token"

    message_id: str = Field(primary_key=True)  # the summary's Message-ID
    account: str = Field(index=True)
    token_hash: str
    issued_at: datetime = _when()
    language: str = "en"
    labels: str = "{}"  # JSON: label -> the summary row it named
    used_at: datetime | None = _when(nullable=True)
    used_by: str | None = None  # the reply (Message-ID) that used it


class SendNow(SQLModel, table=True):
    """A nudge slot the user said "send now" for: it need not wait for the window."""

    __tablename__ = "send_now"

    account: str = Field(primary_key=True)
    client: str = Field(primary_key=True)
    ladder: str = Field(primary_key=True)
    anchor: str = Field(primary_key=True)
    step: int = Field(primary_key=True)
    at: datetime = _when()


class CommandMail(SQLModel, table=True):
    """A reply to a summary found by the sync, and what became of it."""

    __tablename__ = "command_mail"

    account: str = Field(primary_key=True)
    folder: str = Field(primary_key=True)
    uidvalidity: int = Field(primary_key=True, sa_type=sa.BigInteger)
    uid: int = Field(primary_key=True, sa_type=sa.BigInteger)
    message_id: str | None = Field(default=None, index=True)
    from_addr: str = ""
    summary_id: str = ""  # the summaries it threads to (Message-IDs, space-separated)
    seen_at: datetime = _when()
    status: str = "pending"  # pending | done | refused
    handled_at: datetime | None = _when(nullable=True)


class AccountLease(SQLModel, table=True):
    __tablename__ = "account_lease"

    account: str = Field(primary_key=True)
    holder: str  # "host:pid:start" of the daemon working on the account
    expires_at: datetime = _when()
    acquired_at: datetime = _when()  # when this holder took it
    epoch: int = Field(default=1, sa_type=sa.BigInteger)


def _table(model: type[SQLModel]) -> sa.Table:
    return model.metadata.tables[str(model.__tablename__)]


metadata = SQLModel.metadata
SYNC_CURSOR = _table(SyncCursor)
ACCOUNT_STATE = _table(AccountStateTable)
MESSAGE = _table(Message)
CLIENT_STATE = _table(ClientStateTable)
BOUNCING = _table(BouncingAddress)
OUTBOX = _table(Outbox)
OUTBOX_SLOT = _table(OutboxSlot)
INVOICE = _table(InvoiceTable)
DEADLINE_PROMISE = _table(DeadlinePromiseTable)
EVENT = _table(Event)
SUMMARY_LOG = _table(SummaryLog)
LEASE = _table(AccountLease)
SUMMARY_TOKEN = _table(SummaryToken)
COMMAND_MAIL = _table(CommandMail)
SEND_NOW = _table(SendNow)
