"""A client's promise to pay: the day an invoice is expected by.

Revision ID: 0007_promise
Revises: 0006_account_lease
Create Date: 2026-12-01

``invoice`` gets ``expected_by`` (the local day the client promised to pay by),
``promised_at`` (when they wrote it, or when the user set it), ``promise`` (the
sentence it was read from), ``promise_by`` ("command" or the reply's Message-ID) and
``promise_asks`` (the reply also asked something: it needs the user's answer).
The invoice ladder waits for the day (docs/promises.md, "In the invoice ladder").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_promise"
down_revision: str | None = "0006_account_lease"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoice") as batch:
        batch.add_column(sa.Column("expected_by", sa.Date(), nullable=True))
        batch.add_column(sa.Column("promised_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("promise", sa.String(), nullable=True))
        batch.add_column(sa.Column("promise_by", sa.String(), nullable=True))
        batch.add_column(sa.Column("promise_asks", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoice") as batch:
        batch.drop_column("promise_asks")
        batch.drop_column("promise_by")
        batch.drop_column("promise")
        batch.drop_column("promised_at")
        batch.drop_column("expected_by")
