"""Outbox retry bookkeeping: attempts, next_attempt_at, last_error.

Revision ID: 0002_outbox_retry
Revises: 0001_initial
Create Date: 2026-05-01

A 4xx from the SMTP server puts a nudge back to ``planned`` with a later
``next_attempt_at``; ``attempts`` counts tries so the daemon can give up. Rows
planned before this revision start at 0 attempts and are due at once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_outbox_retry"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("last_error", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("last_error")
        batch.drop_column("next_attempt_at")
        batch.drop_column("attempts")
