"""Outbox slots: one message may hold several ladder slots.

Revision ID: 0004_outbox_slot
Revises: 0003_cursor_clients_key
Create Date: 2026-12-01

One voice per client: everything due for one client at one instant goes out as one
message (three overdue invoices in one reminder). ``outbox_slot`` lists every
(account, client, ladder, anchor, step) an occupying outbox row holds, its own slot
included; its primary key keeps each slot taken at most once. Existing occupying
rows get their own slot.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_outbox_slot"
down_revision: str | None = "0003_cursor_clients_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_slot",
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("client", sa.String(), nullable=False),
        sa.Column("ladder", sa.String(), nullable=False),
        sa.Column("anchor", sa.String(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), sa.ForeignKey("outbox.id"), nullable=False),
        sa.PrimaryKeyConstraint("account", "client", "ladder", "anchor", "step"),
    )
    op.create_index("ix_outbox_slot_outbox_id", "outbox_slot", ["outbox_id"])
    op.execute(
        "INSERT INTO outbox_slot (account, client, ladder, anchor, step, outbox_id) "
        "SELECT account, client, ladder, anchor, step, id FROM outbox "
        "WHERE status <> 'cancelled'"
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_slot_outbox_id", table_name="outbox_slot")
    op.drop_table("outbox_slot")
