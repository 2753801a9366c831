"""The sent-summary ledger's rows as plain values, read through either store handle.

The ledger's writers (claims, outcomes) stay in :mod:`daemon.summary.claims`; what a row says
is read here once, for the scheduler, ``doctor`` and ``keepwarm status`` alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from daemon.store.sql import Db, Row, instant
from daemon.store.vocab import DeliveryStatus

STALE = timedelta(minutes=15)  # a "sending" row older than this lost its sender

COLUMNS = ("SELECT iso_week, sent_at, method, message_id, status, attempts, attempted_at, "
           "next_attempt_at, last_error FROM sent_summaries WHERE member_id = :member")
WEEK = COLUMNS + " AND iso_week = :week"
BEFORE = COLUMNS + " AND iso_week < :week ORDER BY iso_week"


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One week's attempt (see :class:`~daemon.store.vocab.DeliveryStatus`)."""

    iso_week: str
    sent_at: datetime | None  # delivered (until then: claimed)
    method: str
    message_id: str | None
    status: str
    attempts: int
    attempted_at: datetime | None  # the last attempt
    next_attempt_at: datetime | None  # None: no more
    last_error: str | None


def _row(values: Row) -> LedgerRow:
    week, sent, method, mid, status, attempts, tried, nxt, error = values
    return LedgerRow(week, instant(sent), method, mid, status, int(attempts or 0),
                     instant(tried), instant(nxt), error)


def week(db: Db, label: str) -> LedgerRow | None:
    """The handle's member's row of week ``label`` (None: never attempted)."""
    found = db.rows(WEEK, {"member": db.member_id, "week": label})
    return _row(found[0]) if found else None


def before(db: Db, label: str) -> list[LedgerRow]:
    """Every row of the handle's member of a week before ``label``, oldest first."""
    return [_row(r) for r in db.rows(BEFORE, {"member": db.member_id, "week": label})]


def unknown(found: LedgerRow | None, now: datetime) -> bool:
    """A ``sending`` row whose sender never wrote the outcome (crashed, or the store locked)."""
    return (found is not None and found.status == DeliveryStatus.SENDING
            and (found.attempted_at is None or found.attempted_at + STALE <= now))


def undelivered(db: Db, label: str) -> list[LedgerRow]:
    """Weeks before ``label`` whose summary was not delivered, since the last one that was."""
    rows = before(db, label)
    last_ok = max((r.iso_week for r in rows if r.status == DeliveryStatus.SENT), default="")
    return [r for r in rows if r.status != DeliveryStatus.SENT and r.iso_week > last_ok]
