"""A reused Message-ID no longer hides a message: de-duplicate by message_key.

Revision ID: 0005_message_key
Revises: 0004_outbox_slot
Create Date: 2026-12-01

Until now ``(account, message_id)`` was unique, so a client's reply that reused a
stored Message-ID (resent mail, buggy mailers) was dropped and the client could be
nudged after replying. ``message_key`` digests the Message-ID, the sender and the
header Date (``ghostwatch.store.database.message_key``) and is unique instead; the Message-ID
keeps a plain index for look-ups.

Rows stored before this revision get a key from Message-ID and sender (their header
Date was never stored); copies of them read again later, in another folder, may be
stored once more, which changes no last-contact time.
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_message_key"
down_revision: str | None = "0004_outbox_slot"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOT_NULL = sa.text("message_id IS NOT NULL")


def _legacy_key(message_id: str, from_addr: str) -> str:
    # store.message_key(message_id, from_addr, None), spelled out: a migration must not
    # change when the code does
    text = f"{message_id}\n{(from_addr or '').lower()}\n"
    return hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=16).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("message_key", sa.String(), nullable=True))
    connection = op.get_bind()
    message = sa.table(
        "message",
        sa.column("id", sa.Integer),
        sa.column("message_id", sa.String),
        sa.column("from_addr", sa.String),
        sa.column("message_key", sa.String),
    )
    rows = connection.execute(
        sa.select(message.c.id, message.c.message_id, message.c.from_addr).where(
            message.c.message_id.is_not(None)
        )
    ).all()
    for row in rows:
        key = _legacy_key(row.message_id, row.from_addr)
        connection.execute(
            sa.update(message).where(message.c.id == row.id).values(message_key=key)
        )
    op.drop_index("uq_message_message_id", table_name="message")
    op.create_index("ix_message_message_id", "message", ["account", "message_id"])
    op.create_index(
        "uq_message_key",
        "message",
        ["account", "message_key"],
        unique=True,
        sqlite_where=sa.text("message_key IS NOT NULL"),
        postgresql_where=sa.text("message_key IS NOT NULL"),
    )


def downgrade() -> None:
    # Rows that share a Message-ID cannot all stay under the old unique index: keep the
    # first stored of each.
    op.execute(
        "DELETE FROM message WHERE message_id IS NOT NULL AND id NOT IN"
        " (SELECT MIN(id) FROM message WHERE message_id IS NOT NULL"
        " GROUP BY account, message_id)"
    )
    op.drop_index("uq_message_key", table_name="message")
    op.drop_index("ix_message_message_id", table_name="message")
    op.create_index(
        "uq_message_message_id",
        "message",
        ["account", "message_id"],
        unique=True,
        sqlite_where=_NOT_NULL,
        postgresql_where=_NOT_NULL,
    )
    with op.batch_alter_table("message") as batch:
        batch.drop_column("message_key")
