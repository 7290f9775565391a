"""A client's promise to deliver by a day, per deadline.

Revision ID: 0009_promise_deadline
Revises: 0008_mailcmd
Create Date: 2026-12-01

``deadline_promise`` holds, per (account, client, deadline key), the local day the
client promised to deliver by (``expected_by``; NULL once the user cleared it),
``promised_at`` (when they wrote it, or when the user set it), ``promise`` (the
sentence), ``promise_by`` ("command" or the reply's Message-ID) and ``promise_asks``
(the reply also asked something). The deadline ladder waits for the day
(docs/promises.md, "In the deadline ladder").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_promise_deadline"
down_revision: str | None = "0008_mailcmd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deadline_promise",
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("client", sa.String(), nullable=False),
        sa.Column("deadline", sa.String(), nullable=False),
        sa.Column("expected_by", sa.Date(), nullable=True),
        sa.Column("promised_at", sa.DateTime(), nullable=False),
        sa.Column("promise", sa.String(), nullable=True),
        sa.Column("promise_by", sa.String(), nullable=False),
        sa.Column("promise_asks", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("account", "client", "deadline"),
    )


def downgrade() -> None:
    op.drop_table("deadline_promise")
