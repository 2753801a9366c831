"""members: every row belongs to one member of the deployment (issue 15, teams)

A single-user store becomes a team of one: the ``members`` table gets member 1, ``me`` (the
name a single-user config uses), and every existing row is member 1's. Contacts, items,
snoozes, ignores and sent summaries are unique per member from here on (two members can both
know ``ada@example.com``, hold the same message, snooze the same person, and each get their
own summary for a week); accounts, touchpoints and mailed commands carry the member too.

On SQLite a unique constraint can only be changed by copying the table; ``Store.upgrade``
turns foreign keys off for the migration (else dropping the old ``items`` copy would cascade
into every touchpoint), and this script refuses to run without that.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# table -> (the columns unique before, the new constraint's name)
REKEYED = {
    "contacts": (("address",), "uq_contacts_member"),
    "items": (("identity",), "uq_items_member"),
    "snoozes": (("address",), "uq_snoozes_member"),
    "ignores": (("kind", "value"), "uq_ignores_member"),
    "sent_summaries": (("iso_week",), "uq_sent_member_week"),
}
CARRIED = ("accounts", "touchpoints", "mailed_commands")  # a plain ADD COLUMN is enough
# SQLite's reflected unique constraints have no name; this convention gives them one to drop
NAMES = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}


def _member_id() -> sa.Column[int]:
    return sa.Column("member_id", sa.Integer(), nullable=False, server_default="1")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite and op.get_bind().exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("migration 0007 copies tables: run it with foreign keys off "
                           "(daemon.store.db.Store.upgrade does)")
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
    )
    op.execute("INSERT INTO members (name) VALUES ('me')")  # id 1 (a sequence's first)
    for table in CARRIED:
        op.add_column(table, _member_id())
    for table, (columns, name) in REKEYED.items():
        old = "_".join(columns)
        if sqlite:
            with op.batch_alter_table(table, recreate="always", naming_convention=NAMES) as b:
                b.add_column(_member_id())
                b.drop_constraint(f"uq_{table}_{old}", type_="unique")
                b.create_unique_constraint(name, ["member_id", *columns])
        else:
            op.add_column(table, _member_id())
            op.drop_constraint(f"{table}_{old}_key", table, type_="unique")
            op.create_unique_constraint(name, table, ["member_id", *columns])
    op.create_index("ix_touchpoints_member", "touchpoints", ["member_id", "id"])


def downgrade() -> None:
    """Back to one user: only member 1's rows can be kept (the old keys allow no more)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in (*REKEYED, *CARRIED):
        op.execute(f"DELETE FROM {table} WHERE member_id <> 1")
    op.drop_index("ix_touchpoints_member", "touchpoints")
    for table, (columns, name) in REKEYED.items():
        if sqlite:
            with op.batch_alter_table(table, recreate="always") as b:
                b.drop_constraint(name, type_="unique")
                b.drop_column("member_id")
                b.create_unique_constraint(f"uq_{table}_{'_'.join(columns)}", list(columns))
        else:
            op.drop_constraint(name, table, type_="unique")
            op.drop_column(table, "member_id")
            op.create_unique_constraint(f"{table}_{'_'.join(columns)}_key", table,
                                        list(columns))
    for table in CARRIED:
        op.drop_column(table, "member_id")
    op.drop_table("members")
