"""commands mailed to yourself: a store-backed ignore list and the command ledger (issue 16)

``ignores`` holds the addresses and domains ignored by mail (the config's ``[ignore]`` stays
the user's); ``mailed_commands`` records each command carried out, keyed by its token, so a
re-read or a second copy of the message does nothing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ignores",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("value", sa.String(320), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("kind", "value"),
    )
    op.create_table(
        "mailed_commands",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token", sa.String(16), nullable=False, unique=True),
        sa.Column("command", sa.String(16), nullable=False),
        sa.Column("contact", sa.String(320), nullable=False),
        sa.Column("target", sa.String(320), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=True),
        sa.Column("identity", sa.String(512), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_mailed_commands_done_at", "mailed_commands", ["done_at"])


def downgrade() -> None:
    op.drop_index("ix_mailed_commands_done_at", "mailed_commands")
    op.drop_table("mailed_commands")
    op.drop_table("ignores")
