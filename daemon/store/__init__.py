"""The touchpoint store: typed ORM models and their vocabularies, the database handle and its
Alembic migrations, and the store's readers (sync health, contacts, the model's columns)."""

from daemon.store.db import Store

__all__ = ["Store"]
