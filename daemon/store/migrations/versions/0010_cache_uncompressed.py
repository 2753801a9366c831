"""column cache uncompressed: PostgreSQL keeps the cache's values out of line as they are

The default storage of ``bytea`` and ``text`` compresses large values (pglz): the cache of a
million touchpoints, 24 MB, is stored in 8 MB, and every report waits while the server inflates
it (70 ms; read uncompressed, 40 ms). The disk is cheaper than that wait. The values already
stored are rewritten so that they too are read uncompressed (``|| ''`` makes a new value, which
the new storage keeps as it is); their bytes do not change. SQLite: nothing to do.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 15:30:00
"""

from __future__ import annotations

from alembic import op

from daemon.store import edits

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in edits.cache_storage(dialect):
        op.execute(statement)
    if dialect != "sqlite":
        op.execute("UPDATE column_cache SET columns = columns || ''::bytea,"
                   " thread_keys = thread_keys || ''")


def downgrade() -> None:
    for statement in edits.cache_storage(op.get_bind().dialect.name, compressed=True):
        op.execute(statement)
