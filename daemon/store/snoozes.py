"""Snoozes, the one place they are read and written: ``keepwarm snooze`` writes them, the model
and the summary read the ones in force (through :class:`daemon.model.hidden.Hidden`).

A snooze is an address (normalised by the caller) and an end (None: until unsnoozed). It is in
force at an instant when it has no end or ends after that instant.
"""

from __future__ import annotations

from datetime import datetime

from daemon.store.sql import Db, instant, stamp

# "until" is quoted: a column name that some SQL dialects reserve.
UPSERT = ('INSERT INTO snoozes (address, "until") VALUES (:address, :until) '
          'ON CONFLICT (address) DO UPDATE SET "until" = excluded."until"')
DELETE = "DELETE FROM snoozes WHERE address = :address"
ALL = 'SELECT address, "until" FROM snoozes ORDER BY address'


def add(db: Db, address: str, until: datetime | None) -> None:
    """Snooze ``address`` until ``until`` (None: until unsnoozed), replacing an earlier snooze."""
    db.write(UPSERT, {"address": address, "until": stamp(until, db.sqlite)})


def remove(db: Db, address: str) -> bool:
    """End the snooze of ``address``; False when there was none."""
    return db.write(DELETE, {"address": address}) > 0


def active(db: Db, at: datetime) -> dict[str, datetime | None]:
    """The snoozes in force at ``at``: address (lower-cased) -> end, by address."""
    out: dict[str, datetime | None] = {}
    for address, stored in db.rows(ALL):
        until = instant(stored)
        if until is None or until > at:
            out[address.lower()] = until
    return out
