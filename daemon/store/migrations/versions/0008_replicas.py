"""several replicas on one store: named leases and a shared request budget (issue 15)

``daemon_leases`` held one row, the daemon's lease on the whole store. Replicas on PostgreSQL
lease work instead: ``sync:<account>``, ``summary:<member>`` and one ``replica:<id>`` presence
row each, so ``name`` widens to 255 and a ``replica`` column names the holding replica (a
process can run more than one in tests). ``rate_buckets`` holds one token bucket per shared
API budget (``graph:<tenant>:<client id>``), taken from by every replica.

SQLite does not enforce a ``VARCHAR`` length, so the widening is skipped there (a batch copy
of the table would change nothing).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("daemon_leases", "name", type_=sa.String(255),
                        existing_type=sa.String(32), existing_nullable=False)
    op.add_column("daemon_leases", sa.Column("replica", sa.String(64), nullable=True))
    op.create_table(
        "rate_buckets",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rate_buckets")
    # Named leases do not fit the old 32 characters: they are only held while replicas run.
    op.execute("DELETE FROM daemon_leases WHERE name <> 'daemon'")
    with op.batch_alter_table("daemon_leases") as batch:
        batch.drop_column("replica")
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("daemon_leases", "name", type_=sa.String(32),
                        existing_type=sa.String(255), existing_nullable=False)
