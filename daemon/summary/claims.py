"""The ledger's rows as claims: record the intent before a summary leaves, the outcome after.

Exactly once across processes and machines rests on the store, not on a lock file: the row of
a week (``sent_summaries``, unique per ISO week) is inserted as ``sending`` with the week's
Message-ID *before* the message is handed over, so only the process whose insert (or whose
conditional update of a ``retrying`` row) succeeded sends. The outcome then updates the row
(``sent``, ``retrying`` with the next attempt, or ``failed``), and that write is retried for a
while, since a locked store must not turn into a second send. A ``sending`` row that never got
its outcome (a crash, a store that stayed locked) is shown as "delivery outcome unknown" and is
never resent automatically; ``keepwarm send-summary`` resends it on purpose, with the same
Message-ID, the last line of defence against a duplicate in the reader's mailbox.

Replicas (issue 15) add one case, an *orphan*: the sender held the member's summary lease
(:mod:`daemon.store.lease`) while it sent, and the replica that took that lease over after it
expired knows the sender died mid-send. It may claim the ``sending`` row again (same
compare-and-set), and resolves it without a second copy where the method can tell whether the
first got through (a ``file`` delivery whose week's file holds the row's Message-ID is marked
``sent``), else resends with the week's Message-ID (and the week's file name).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import DBAPIError, IntegrityError

from daemon.errors import brief
from daemon.store import Store, sent
from daemon.store.models import SentSummary
from daemon.store.sent import LedgerRow, unknown
from daemon.store.sql import Db
from daemon.store.vocab import DeliveryStatus
from daemon.summary.due import claimable

log = logging.getLogger(__name__)

OUTCOME_TRIES = 6  # about a minute of waiting for a locked store (1+2+4+8+16+30 s)
ERROR_LEN = 300


def row(store: Db, label: str) -> LedgerRow | None:
    """The ledger row of week ``label`` (None: never attempted)."""
    return sent.week(store, label)


__all__ = ["claim", "claimable", "missed", "row", "settle", "unknown"]


def claim(store: Store, label: str, method: str, message_id: str | None, now: datetime, *,
          manual: bool = False, orphan: bool = False) -> bool:
    """Record the intent to send the store's member's summary of week ``label``; True when this
    process won the claim."""
    found = row(store, label)
    if not claimable(found, now, manual=manual, orphan=orphan):
        return False
    member = store.member_id
    try:
        with store.transaction() as s:
            if found is None:
                s.add(SentSummary(member_id=member, iso_week=label, sent_at=now, method=method,
                                  message_id=message_id, status=DeliveryStatus.SENDING,
                                  attempts=1, attempted_at=now))
                return True
            # Compare-and-set on (status, attempts): of two racing processes one updates.
            done = s.execute(update(SentSummary).where(
                SentSummary.member_id == member, SentSummary.iso_week == label,
                SentSummary.status == found.status,
                SentSummary.attempts == found.attempts).values(
                status=DeliveryStatus.SENDING, attempts=found.attempts + 1, attempted_at=now,
                method=method, message_id=message_id, next_attempt_at=None))
            return bool(getattr(done, "rowcount", 0) == 1)
    except IntegrityError:  # another process inserted the week's row first
        return False


def settle(store: Store, label: str, status: DeliveryStatus, now: datetime, *,
           error: str | None = None, next_at: datetime | None = None,
           sleep: Callable[[float], None] | None = None) -> bool:
    """Record the outcome of this process's claim, retrying while the store is locked or
    unreachable; False when it could not be written (the row then reads "outcome unknown")."""
    values: dict[str, object] = {"status": status, "next_attempt_at": next_at,
                                 "last_error": error[:ERROR_LEN] if error else None}
    if status == DeliveryStatus.SENT:
        values["sent_at"] = now
    for attempt in range(OUTCOME_TRIES):
        try:
            member = store.member_id  # known since the claim: no read here
            with store.transaction() as s:
                s.execute(update(SentSummary).where(
                    SentSummary.member_id == member, SentSummary.iso_week == label,
                    SentSummary.status == DeliveryStatus.SENDING).values(**values))
            return True
        except DBAPIError as exc:
            if attempt + 1 == OUTCOME_TRIES:
                log.error("summary week=%s: its outcome (%s) could not be recorded: %s; it "
                          "shows as 'delivery outcome unknown' and is not resent by itself",
                          label, status, brief(exc))
                return False
            (sleep or time.sleep)(min(2.0 ** attempt, 30.0))
    return False  # pragma: no cover - the loop returns


def missed(store: Db, label: str) -> list[LedgerRow]:
    """Weeks before ``label`` whose summary was not delivered, since the last one that was
    (so a notice about them appears once, in the next summary that gets through)."""
    return sent.undelivered(store, label)
