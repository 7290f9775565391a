"""Commands in a reply to the daily summary: the summaries' keys and the replies seen.

Revision ID: 0008_mailcmd
Revises: 0007_promise
Create Date: 2026-12-01

``summary_token`` holds, per summary sent, the SHA-256 of its one-time command key
(never the key), the labels it printed and when a reply used it. ``command_mail``
holds each reply to a summary the sync found, until it is handled (and after, so a
replay is recognised). ``send_now`` holds the nudge slots the user said "send now"
for (they need not wait for the send window). docs/commands.md.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_mailcmd"
down_revision: str | None = "0007_promise"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "summary_token",
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("labels", sa.String(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("used_by", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("message_id"),
    )
    op.create_index("ix_summary_token_account", "summary_token", ["account"])
    op.create_table(
        "command_mail",
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("folder", sa.String(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("from_addr", sa.String(), nullable=False),
        sa.Column("summary_id", sa.String(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("account", "folder", "uidvalidity", "uid"),
    )
    op.create_index("ix_command_mail_message_id", "command_mail", ["message_id"])
    op.create_table(
        "send_now",
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("client", sa.String(), nullable=False),
        sa.Column("ladder", sa.String(), nullable=False),
        sa.Column("anchor", sa.String(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account", "client", "ladder", "anchor", "step"),
    )


def downgrade() -> None:
    op.drop_table("send_now")
    op.drop_index("ix_command_mail_message_id", "command_mail")
    op.drop_table("command_mail")
    op.drop_index("ix_summary_token_account", "summary_token")
    op.drop_table("summary_token")
