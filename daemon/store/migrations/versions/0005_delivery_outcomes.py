"""the ledger records each delivery's intent and outcome; one daemon per store (issue 12)

``sent_summaries`` gains ``status`` (a row is inserted as ``sending`` before the message
leaves: the week's claim; the outcome updates it to ``sent``, ``retrying`` or ``failed``), the
attempt count, the last attempt, the next one, and the last error. Existing rows were written
after a successful send, so they become ``sent``. ``daemon_leases`` holds the running daemon's
lease on the store.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

COLUMNS = ("last_error", "next_attempt_at", "attempted_at", "attempts", "status")


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy on SQLite); the server default marks old rows as sent.
    op.add_column("sent_summaries", sa.Column("status", sa.String(16), nullable=False,
                                              server_default="sent"))
    op.add_column("sent_summaries", sa.Column("attempts", sa.Integer(), nullable=False,
                                              server_default="0"))
    op.add_column("sent_summaries", sa.Column("attempted_at", sa.DateTime(), nullable=True))
    op.add_column("sent_summaries", sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
    op.add_column("sent_summaries", sa.Column("last_error", sa.String(300), nullable=True))
    op.create_table(
        "daemon_leases",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("daemon_leases")
    for column in COLUMNS:
        op.drop_column("sent_summaries", column)
