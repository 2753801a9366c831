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

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# every column the frame reads: a change elsewhere (the account) keeps the cache
READ = ("id", "member_id", "contact_id", "at", "channel", "direction", "group_size", "bulk",
        "listed", "direct", "thread_key")

_LOG = ("INSERT INTO touchpoint_edits (member_id, low_id) SELECT {member}, {low}{source}"
        " WHERE NOT EXISTS (SELECT 1 FROM touchpoint_edits e WHERE e.member_id = {member}"
        " AND e.low_id <= {low})")

_SQLITE = {
    "touchpoints_deleted": "AFTER DELETE ON touchpoints BEGIN {log}; END",
    "touchpoints_updated": "AFTER UPDATE ON touchpoints WHEN {changed} BEGIN {log}; END",
}

_PG_FUNCTION = """CREATE FUNCTION keepwarm_touchpoint_edits() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {insert};
  ELSIF TG_OP = 'DELETE' THEN
    {delete};
  ELSE
    {update};
  END IF;
  RETURN NULL;
END $$"""

_PG_TRIGGERS = {
    "touchpoints_inserted": "INSERT ON touchpoints REFERENCING NEW TABLE AS new_rows",
    "touchpoints_deleted": "DELETE ON touchpoints REFERENCING OLD TABLE AS old_rows",
    "touchpoints_updated": ("UPDATE ON touchpoints REFERENCING OLD TABLE AS old_rows"
                            " NEW TABLE AS new_rows"),
}


def _pg_function() -> str:
    def per_member(rows: str, low: str) -> str:
        return ("INSERT INTO touchpoint_edits (member_id, low_id, txid) SELECT r.member_id,"
                f" {low}, txid_current() FROM {rows} GROUP BY r.member_id HAVING NOT EXISTS"
                " (SELECT 1 FROM touchpoint_edits e WHERE e.member_id = r.member_id"
                f" AND e.txid = txid_current() AND e.low_id <= {low})")

    changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in READ)
    return _PG_FUNCTION.format(
        insert=per_member("new_rows r", "min(r.id)"),
        delete=per_member("old_rows r", "0"),
        update=per_member(f"old_rows o JOIN new_rows n ON n.id = o.id, LATERAL (SELECT"
                          f" o.member_id UNION SELECT n.member_id) r WHERE {changed}", "0"))


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
    if op.get_bind().dialect.name == "sqlite":
        for name, body in _SQLITE.items():
            old = _LOG.format(member="OLD.member_id", low="0", source="")
            changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in READ)
            op.execute(f"CREATE TRIGGER {name} " + body.format(log=old, changed=changed))
        return
    op.execute(_pg_function())
    for name, event in _PG_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} AFTER {event} FOR EACH STATEMENT"
                   " EXECUTE FUNCTION keepwarm_touchpoint_edits()")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name in (_SQLITE if sqlite else _PG_TRIGGERS):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else " ON touchpoints"))
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS keepwarm_touchpoint_edits()")
    op.drop_index("ix_touchpoint_edits_member", table_name="touchpoint_edits")
    op.drop_table("touchpoint_edits")
    op.drop_table("column_cache")
