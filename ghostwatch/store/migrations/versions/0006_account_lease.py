"""Account leases for several daemons on one database; event append-only on PostgreSQL.

Revision ID: 0006_account_lease
Revises: 0005_message_key
Create Date: 2026-12-01

``account_lease`` holds, per account, which daemon works on it and until when
(``ghostwatch.app.lease``). On PostgreSQL the ``event`` table gets the append-only
guard that SQLite has had since 0001 (a trigger that refuses UPDATE and DELETE).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_account_lease"
down_revision: str | None = "0005_message_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRES_EVENT_GUARD = (
    """CREATE OR REPLACE FUNCTION ghostwatch_event_append_only() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'event is append-only'; END $$""",
    """CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event
       FOR EACH ROW EXECUTE FUNCTION ghostwatch_event_append_only()""",
)


def upgrade() -> None:
    op.create_table(
        "account_lease",
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for ddl in POSTGRES_EVENT_GUARD:
            op.execute(ddl)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS event_append_only ON event")
        op.execute("DROP FUNCTION IF EXISTS ghostwatch_event_append_only()")
    op.drop_table("account_lease")
