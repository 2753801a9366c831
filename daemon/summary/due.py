"""When a summary is owed, and where it goes: the ledger's light readers.

The daemon's scheduler asks these on every tick (is this week's summary owed, is a retry due,
where does it go) without loading what sending one needs (SQLAlchemy's ORM, the model's
numpy): the statements run through either store handle (:mod:`daemon.store.sql`), and this
module imports nothing heavier than the config. :mod:`daemon.summary.ledger`,
:mod:`~daemon.summary.claims` and :mod:`~daemon.summary.delivery` re-export these names.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from daemon.config import Config, ReportSettings
from daemon.store import sent
from daemon.store.sent import LedgerRow, unknown
from daemon.store.sql import Db
from daemon.store.vocab import DeliveryStatus
from daemon.summary.slots import as_utc, this_week

RETRY_AFTER = timedelta(minutes=10)  # between automatic attempts after a transient failure

__all__ = ["RETRY_AFTER", "claimable", "describe", "owed"]


def owed(store: Db, report: ReportSettings, now: datetime) -> str | None:
    """The label of this week's summary if its slot has passed and an automatic attempt may
    start now: never attempted, or a transient failure whose retry is due."""
    label, slot = this_week(report, now)
    if as_utc(now) < as_utc(slot) or not claimable(sent.week(store, label), now):
        return None
    return label


def claimable(found: LedgerRow | None, now: datetime, *, manual: bool = False,
              orphan: bool = False) -> bool:
    """May a send of this week start now? Automatic sends take a new week or a due retry; a
    manual one (``keepwarm send-summary``) also a failed week or an unknown outcome; an
    ``orphan`` one (the sender is known dead) a ``sending`` row."""
    if found is None:
        return True
    if orphan and found.status == DeliveryStatus.SENDING:
        return True
    if found.status == DeliveryStatus.RETRYING:
        return manual or found.next_attempt_at is None or found.next_attempt_at <= now
    return manual and (found.status == DeliveryStatus.FAILED or unknown(found, now))


def describe(config: Config) -> str:
    """Where a summary goes, for people: ``smtp to a@b.c via mail.b.c:587 (starttls)``."""
    d = config.delivery
    if d.method == "none":
        return "not delivered (delivery.method = \"none\")"
    if d.method == "file":
        return f"written as .eml files to {d.folder}"
    if d.method == "smtp":
        return f"smtp to {d.to} via {d.host}:{d.smtp_port} ({d.security})"
    return f"{d.method} to {d.to} through account {d.account!r}"
