"""Snoozes, the one place they are read and written: ``keepwarm snooze`` and a snooze mailed to
yourself (:mod:`daemon.sync.carry`) write them, the model
and the summary read the ones in force (through :class:`daemon.model.hidden.Hidden`).

A snooze is an address (normalised by the caller) and an end (None: until unsnoozed). It is in
force at an instant when it has no end or ends after that instant.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from daemon.store.sql import Db, instant, is_sqlite, rows, stamp, write

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# "until" is quoted: a column name that some SQL dialects reserve.
UPSERT = ('INSERT INTO snoozes (address, "until") VALUES (:address, :until) '
          'ON CONFLICT (address) DO UPDATE SET "until" = excluded."until"')
DELETE = "DELETE FROM snoozes WHERE address = :address"
ALL = 'SELECT address, "until" FROM snoozes ORDER BY address'
ONE = 'SELECT "until" FROM snoozes WHERE address = :address'


def add(db: Db, address: str, until: datetime | None) -> None:
    """Snooze ``address`` until ``until`` (None: until unsnoozed), replacing an earlier snooze."""
    db.write(UPSERT, {"address": address, "until": stamp(until, db.sqlite)})


def extend(db: Db | Session, address: str, until: datetime) -> datetime | None:
    """Snooze ``address`` until ``until`` unless a snooze in force already lasts as long (or
    has no end), inside an open session's transaction when given one; the end now in force."""
    found = rows(db, ONE, {"address": address})
    current = instant(found[0][0]) if found else None
    if found and (current is None or current >= until):
        return current
    write(db, UPSERT, {"address": address, "until": stamp(until, is_sqlite(db))})
    return until


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
