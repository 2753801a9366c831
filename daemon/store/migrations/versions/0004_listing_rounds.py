"""each source id belongs to a stream and remembers the listing that last named it

A full listing of a stream (after an expired cursor, or every pass of an archive) numbers
itself (``streams.listing_round``) and marks every source id it names with that number
(``item_sources.listing_round``). When the listing completes, the stream's source ids in its
window (``streams.listing_start`` .. ``listing_end``) still carrying an older number are gone
upstream and are forgotten. ``streams.listing_open`` says a listing is under way, so a pass cut
short and resumed later still completes the same listing.

The upgrade gives existing source ids their stream: an account's only stream, or for an
account with mail and calendar streams, the calendar stream for meetings and the other for mail.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

streams = sa.table("streams", sa.column("id", sa.Integer), sa.column("account_id", sa.Integer),
                   sa.column("key", sa.String))
sources = sa.table("item_sources", sa.column("account_id", sa.Integer),
                   sa.column("item_id", sa.Integer), sa.column("stream_id", sa.Integer))
items = sa.table("items", sa.column("id", sa.Integer), sa.column("channel", sa.String))


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy): on SQLite a copy would drop and refill tables that
    # other rows reference, and a new nullable column needs no copy.
    # No foreign key: SQLite cannot add one in place, and a stream goes only with its account,
    # whose claims go with it (item_sources.account_id cascades).
    op.add_column("item_sources", sa.Column("stream_id", sa.Integer(), nullable=True))
    op.add_column("item_sources", sa.Column("listing_round", sa.Integer(), nullable=False,
                                            server_default="0"))
    op.create_index("ix_item_sources_stream_round", "item_sources",
                    ["stream_id", "listing_round"])
    op.add_column("streams", sa.Column("listing_round", sa.Integer(), nullable=False,
                                       server_default="0"))
    op.add_column("streams", sa.Column("listing_open", sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    op.add_column("streams", sa.Column("listing_start", sa.DateTime(), nullable=True))
    op.add_column("streams", sa.Column("listing_end", sa.DateTime(), nullable=True))
    _attribute_streams()


def _attribute_streams() -> None:
    conn = op.get_bind()
    by_account: dict[int, list[tuple[int, str]]] = {}
    for id_, account_id, key in conn.execute(sa.select(streams.c.id, streams.c.account_id,
                                                       streams.c.key)):
        by_account.setdefault(account_id, []).append((id_, key))
    meetings = sa.select(items.c.id).where(items.c.channel == "meeting")
    for account_id, rows in by_account.items():
        mine = sources.c.account_id == account_id
        calendar = [i for i, key in rows if key.endswith("/calendar")]
        other = [i for i, key in rows if not key.endswith("/calendar")]
        if len(rows) == 1:
            conn.execute(sources.update().where(mine).values(stream_id=rows[0][0]))
            continue
        if calendar:
            conn.execute(sources.update().where(mine, sources.c.item_id.in_(meetings))
                         .values(stream_id=calendar[0]))
        if other:
            conn.execute(sources.update().where(mine, sources.c.item_id.not_in(meetings))
                         .values(stream_id=other[0]))


def downgrade() -> None:
    for column in ("listing_end", "listing_start", "listing_open", "listing_round"):
        op.drop_column("streams", column)
    op.drop_index("ix_item_sources_stream_round", table_name="item_sources")
    op.drop_column("item_sources", "listing_round")
    op.drop_column("item_sources", "stream_id")
