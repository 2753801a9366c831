"""The touchpoint store: typed ORM models, the database handle and its Alembic migrations."""

from daemon.store.db import Store

__all__ = ["Store"]
