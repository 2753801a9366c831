"""Alembic environment: runs on the connection ``daemon.store.db`` hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from daemon.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
