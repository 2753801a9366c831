"""column cache: the frame's touchpoint columns kept between reports (issue 13)

``column_cache`` holds, per member, the columns :mod:`daemon.store.columns` reads (one packed
binary value) for the touchpoints up to ``through_id``, and the thread keys in code order; a
report then reads only the touchpoints after ``through_id``. ``touchpoint_edits`` says when
that is not enough: triggers add a row ``(member, 0)`` when a touchpoint is deleted or one of
its columns changes, and on PostgreSQL ``(member, lowest new id)`` for every insert (ids
there are taken before commit, so a transaction can commit ids below one already cached). A
cache is good while no edit of its member has ``low_id <= through_id``. The report clears the
edits it has seen when it writes the cache (:mod:`daemon.store.column_cache`).

A trigger adds an edit only when none as low is there, so the table stays a few rows: on
SQLite any such edit (its writers are serialised, and a report's write is refused once another
writer has committed since its read), on PostgreSQL one of the same transaction (``txid``: an
edit of another transaction may be cleared by a report whose snapshot does not hold this
one's rows). On SQLite ids are given in commit order, and inserts need no trigger. A future
SQLite migration that copies ``touchpoints`` (batch mode) must create the triggers again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from daemon.store import edits

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "column_cache",
        sa.Column("member_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("through_id", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("columns", sa.LargeBinary(), nullable=False),
        sa.Column("thread_keys", sa.Text(), nullable=False),
    )
    op.create_table(
        "touchpoint_edits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("low_id", sa.BigInteger(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=True),  # PostgreSQL: the writer's
    )
    op.create_index("ix_touchpoint_edits_member", "touchpoint_edits", ["member_id", "low_id"])
    for statement in edits.create(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in edits.drop(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index("ix_touchpoint_edits_member", table_name="touchpoint_edits")
    op.drop_table("touchpoint_edits")
    op.drop_table("column_cache")
