"""An index for "the account's latest event": what a quiet poll compares.

Revision ID: 0010_idle
Revises: 0009_promise_deadline
Create Date: 2026-12-01

``run`` polls an account whose IDLE watcher is healthy with one STATUS per folder and
one look at the account's newest event id (every command that changes what is decided
logs an event): ``max(id) WHERE account = ?`` must not scan the account's history.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_idle"
down_revision: str | None = "0009_promise_deadline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_event_account_id", "event", ["account", "id"])


def downgrade() -> None:
    op.drop_index("ix_event_account_id", table_name="event")
