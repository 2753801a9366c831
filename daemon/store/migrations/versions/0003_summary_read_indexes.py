"""indexes that cover the weekly summary's reads of threads and first contacts

``ix_touchpoints_thread`` (thread_key, channel, at) answers the latest email of every thread
and the per-thread counts from the index alone; ``ix_touchpoints_first`` (contact_id,
direction, bulk, listed, group_size, at) does the same for each contact's first touchpoints.
At a million touchpoints each read was a full table scan of seconds.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 22:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_touchpoints_thread', 'touchpoints', ['thread_key', 'channel', 'at'])
    op.create_index('ix_touchpoints_first', 'touchpoints',
                    ['contact_id', 'direction', 'bulk', 'listed', 'group_size', 'at'])


def downgrade() -> None:
    op.drop_index('ix_touchpoints_first', table_name='touchpoints')
    op.drop_index('ix_touchpoints_thread', table_name='touchpoints')
