"""Initial schema: sync state, messages, client state, outbox, invoices, events.

Revision ID: 0001_initial
Revises:
Create Date: 2026-05-01

Types are spelled out here (not imported from ghostwatch.store.tables) so this
migration keeps meaning what it meant when it was written. Datetimes are naive
UTC columns: ghostwatch.store.tables.UTCDateTime converts at the edge.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The event log is evidence: SQLite refuses to change or remove a row.
EVENT_TRIGGERS = (
    """CREATE TRIGGER event_no_update BEFORE UPDATE ON event
       BEGIN SELECT RAISE(ABORT, 'event is append-only'); END""",
    """CREATE TRIGGER event_no_delete BEFORE DELETE ON event
       BEGIN SELECT RAISE(ABORT, 'event is append-only'); END""",
)


def upgrade() -> None:
    _sync_tables()
    _message_table()
    _client_tables()
    _outbox_table()
    _invoice_event_summary_tables()
    if op.get_bind().dialect.name == "sqlite":
        for ddl in EVENT_TRIGGERS:
            op.execute(ddl)


def _sync_tables() -> None:
    op.create_table(
        "sync_cursor",
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("folder", sa.String(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("highest_modseq", sa.BigInteger(), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("account", "folder"),
    )
    op.create_table(
        "account_state",
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(), nullable=True),
        sa.Column("watch_mode", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("account"),
    )


def _message_table() -> None:
    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("folder", sa.String(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("date", sa.DateTime(), nullable=False),
        sa.Column("internal_date", sa.DateTime(), nullable=True),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("client", sa.String(), nullable=True),
        sa.Column("counterpart", sa.String(), nullable=True),
        sa.Column("from_addr", sa.String(), nullable=False),
        sa.Column("from_name", sa.String(), nullable=False),
        sa.Column("to_addrs", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("in_reply_to", sa.String(), nullable=True),
        sa.Column("references", sa.String(), nullable=False),
        sa.Column("away_until", sa.Date(), nullable=True),
        sa.Column("bounced", sa.String(), nullable=False),
        sa.Column("is_nudge", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account", "folder", "uidvalidity", "uid", name="uq_message_uid"),
    )
    # One row per Message-ID and account, whatever folder or UIDVALIDITY it came from.
    op.create_index(
        "uq_message_message_id",
        "message",
        ["account", "message_id"],
        unique=True,
        sqlite_where=sa.text("message_id IS NOT NULL"),
        postgresql_where=sa.text("message_id IS NOT NULL"),
    )
    op.create_index(
        "ix_message_facts",
        "message",
        ["account", "client", "direction", "kind", "is_nudge", "date"],
    )


def _client_tables() -> None:
    op.create_table(
        "client_state",
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("client", sa.String(), nullable=False),
        sa.Column("snoozed_until", sa.DateTime(), nullable=True),
        sa.Column("ghosted_at", sa.DateTime(), nullable=True),
        sa.Column("ghosted_anchor", sa.String(), nullable=True),
        sa.Column("away_until", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account", "client"),
    )
    op.create_table(
        "bouncing_address",
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("client", sa.String(), nullable=True),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("account", "address"),
    )


def _outbox_table() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("client", sa.String(), nullable=False),
        sa.Column("ladder", sa.String(), nullable=False),
        sa.Column("anchor", sa.String(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("to_addr", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("planned_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id", name="uq_outbox_message_id"),
    )
    # A slot is planned at most once; a cancelled plan frees it (OCCUPYING_STATUSES).
    op.create_index(
        "uq_outbox_slot",
        "outbox",
        ["account", "client", "ladder", "anchor", "step"],
        unique=True,
        sqlite_where=sa.text("status <> 'cancelled'"),
        postgresql_where=sa.text("status <> 'cancelled'"),
    )
    op.create_index("ix_outbox_status", "outbox", ["account", "status"])


def _invoice_event_summary_tables() -> None:
    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("client", sa.String(), nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("amount", sa.String(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("paid_at", sa.DateTime(), nullable=True),
        sa.Column("paid_by", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account", "client", "number", name="uq_invoice"),
    )
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("client", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("data", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_event_at", "event", ["at"])
    op.create_index("ix_event_account_client_at", "event", ["account", "client", "at"])
    op.create_table(
        "summary_log",
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("account", "local_date"),
    )


def downgrade() -> None:
    for table in (
        "summary_log",
        "event",
        "invoice",
        "outbox",
        "bouncing_address",
        "client_state",
        "message",
        "account_state",
        "sync_cursor",
    ):
        op.drop_table(table)
