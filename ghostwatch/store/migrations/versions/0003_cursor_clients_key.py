"""Sync cursors remember which clients they were read for.

Revision ID: 0003_cursor_clients_key
Revises: 0002_outbox_retry
Create Date: 2026-11-23

Only mail that concerns a client is stored, so when the clients change (a new
client, a new address or domain) a folder's ``initial_scan`` window is read again
for them. ``clients_key`` is a digest of the client matchers a cursor was read with.
Cursors from before this revision have none: they adopt the current clients at
their next sync without a re-read.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_cursor_clients_key"
down_revision: str | None = "0002_outbox_retry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_cursor") as batch:
        batch.add_column(sa.Column("clients_key", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_cursor") as batch:
        batch.drop_column("clients_key")
