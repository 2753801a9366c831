"""the fix for a failing account in its own column

``accounts.last_error_fix`` holds what to do about ``accounts.last_error`` (a command such as
``keepwarm auth work``). Before this revision the sync engine glued it onto the error as a
`` (fix: ...)`` tail; the upgrade splits such a tail off existing rows into the new column, and
the downgrade glues it back.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

TAIL = " (fix: "
accounts = sa.table(
    "accounts",
    sa.column("id", sa.Integer),
    sa.column("last_error", sa.Text),
    sa.column("last_error_fix", sa.Text),
)


def split(error: str) -> tuple[str, str | None]:
    """``"token expired (fix: keepwarm auth work)"`` -> ``("token expired", "keepwarm auth
    work")``; an error without such a tail is kept whole, with no fix."""
    head, sep, tail = error.rpartition(TAIL)
    if not sep or not tail.endswith(")"):
        return error, None
    return head, tail[:-1]


def upgrade() -> None:
    op.add_column("accounts", sa.Column("last_error_fix", sa.Text(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.select(accounts.c.id, accounts.c.last_error).where(
        accounts.c.last_error.like(f"%{TAIL}%)"))).all()
    for id_, error in rows:
        message, fix = split(error)
        if fix is not None:
            conn.execute(accounts.update().where(accounts.c.id == id_).values(
                last_error=message, last_error_fix=fix))


def downgrade() -> None:
    op.execute(accounts.update().where(
        accounts.c.last_error.is_not(None), accounts.c.last_error_fix.is_not(None)).values(
        last_error=accounts.c.last_error + TAIL + accounts.c.last_error_fix + ")"))
    # not batch mode: on SQLite a batch copy would drop the accounts table, and with foreign
    # keys on that deletes every stream and touchpoint (ALTER TABLE DROP COLUMN: SQLite 3.35+)
    op.drop_column("accounts", "last_error_fix")
