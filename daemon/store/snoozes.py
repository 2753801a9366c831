"""Snoozes, the one place they are read and written: ``keepwarm snooze`` and a snooze mailed to
yourself (:mod:`daemon.sync.carry`) write them, the model
and the summary read the ones in force (through :class:`daemon.model.hidden.Hidden`).

A snooze is one member's: an address (normalised by the caller) and an end (None: until
unsnoozed). It is in force at an instant when it has no end or ends after that instant.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from daemon.store.sql import Db, instant, is_sqlite, owner, rows, stamp, write

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# "until" is quoted: a column name that some SQL dialects reserve.
UPSERT = ('INSERT INTO snoozes (member_id, address, "until") VALUES (:member, :address, :until) '
          'ON CONFLICT (member_id, address) DO UPDATE SET "until" = excluded."until"')
DELETE = "DELETE FROM snoozes WHERE member_id = :member AND address = :address"
ALL = 'SELECT address, "until" FROM snoozes WHERE member_id = :member ORDER BY address'
ONE = 'SELECT "until" FROM snoozes WHERE member_id = :member AND address = :address'


def add(db: Db, address: str, until: datetime | None) -> None:
    """Snooze ``address`` for the handle's member until ``until`` (None: until unsnoozed),
    replacing an earlier snooze."""
    db.write(UPSERT, {"member": db.member_id, "address": address,
                      "until": stamp(until, db.sqlite)})


def extend(db: Db | Session, address: str, until: datetime,
           member: int | None = None) -> datetime | None:
    """Snooze ``address`` until ``until`` unless a snooze in force already lasts as long (or
    has no end), inside an open session's transaction when given one (then ``member``, the
    member's id, is required); the end now in force."""
    keys = {"member": owner(db, member), "address": address}
    found = rows(db, ONE, keys)
    current = instant(found[0][0]) if found else None
    if found and (current is None or current >= until):
        return current
    write(db, UPSERT, {**keys, "until": stamp(until, is_sqlite(db))})
    return until


def remove(db: Db, address: str) -> bool:
    """End the handle's member's snooze of ``address``; False when there was none."""
    return db.write(DELETE, {"member": db.member_id, "address": address}) > 0


def active(db: Db, at: datetime) -> dict[str, datetime | None]:
    """The handle's member's snoozes in force at ``at``: address (lower-cased) -> end, by
    address."""
    out: dict[str, datetime | None] = {}
    for address, stored in db.rows(ALL, {"member": db.member_id}):
        until = instant(stored)
        if until is None or until > at:
            out[address.lower()] = until
    return out
