"""The touchpoint store: every table, every migration, and every query the rooms above need.

Entry point: :class:`daemon.store.db.Store` (open, migrate, ``session()``, ``transaction()``).
Inside: ``models`` (the typed ORM tables), ``vocab`` (the stored vocabularies: direction,
channel, account status), ``migrations/`` (Alembic); the readers ``health`` (account and
stream sync state), ``snoozes`` (add, remove, active at an instant), ``threads`` (the
summary's last messages and first contacts), ``latest`` (the newest email an account holds,
per person or thread, for the summary's links), ``contacts`` (who you talk to), ``columns`` (the
model's bulk read); ``ignores`` and ``mailed`` (the ignores and the command ledger of
commands mailed to yourself); ``purge`` (forgetting old items); ``export`` (snoozes, the
ledger and the mailed ignores, saved and restored); and ``faults`` (a driver's error as one
line and its fix).
``lease`` (who runs on the store and which replica does which work), ``replicas`` (its
readers, for ``status``) and ``buckets`` (request budgets shared by replicas).
``sql`` and ``light`` are the quick path of the small commands: the same statements run through
stdlib ``sqlite3`` on a current SQLite store, without importing SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from daemon.store.db import Store

__all__ = ["Store"]


def __getattr__(name: str) -> Any:
    """``Store`` on first use: importing a light reader (``daemon.store.health``, ...) must
    not load SQLAlchemy through this package."""
    if name == "Store":
        from daemon.store.db import Store

        return Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
