"""Snoozes, the one place they are read and written: ``keepwarm snooze`` writes them, the model
and the summary read the ones in force (through :class:`daemon.model.hidden.Hidden`).

A snooze is an address (normalised by the caller) and an end (None: until unsnoozed). It is in
force at an instant when it has no end or ends after that instant.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from daemon.store import Store
from daemon.store.models import Snooze


def add(store: Store, address: str, until: datetime | None) -> None:
    """Snooze ``address`` until ``until`` (None: until unsnoozed), replacing an earlier snooze."""
    with store.transaction() as s:
        row = s.execute(select(Snooze).where(Snooze.address == address)).scalar()
        if row is None:
            s.add(Snooze(address=address, until=until))
        else:
            row.until = until


def remove(store: Store, address: str) -> bool:
    """End the snooze of ``address``; False when there was none."""
    with store.transaction() as s:
        result = s.execute(delete(Snooze).where(Snooze.address == address))
        return bool(getattr(result, "rowcount", 0))


def active(store: Store, at: datetime) -> dict[str, datetime | None]:
    """The snoozes in force at ``at``: address (lower-cased) -> end, by address."""
    with store.session() as s:
        rows = s.execute(select(Snooze.address, Snooze.until).order_by(Snooze.address))
        return {a.lower(): u for a, u in rows if u is None or u > at}
