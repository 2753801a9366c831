"""The weekly summary's slot and its exactly-once ledger: which ISO week is owed, and sending it.

The slot is ``[report] weekday time`` in ``[report] timezone``. The week of a slot is the ISO
week of its local date. A week's summary is *owed* once its slot has passed, until a row for
that week is in ``sent_summaries`` (the ledger, the only truth). Only the current week can be
owed: after downtime spanning a whole slot the next start sends this week's summary if its
slot has passed, never last week's (that would be next week's turn already).

The ledger row is written right after a successful send, inside a cross-process lock (the
daemon and ``keepwarm send-summary`` may race). A crash between the send and the commit (a
few milliseconds) can lead to one resend after the restart; that resend carries the same
Message-ID (the week's, :func:`daemon.summary.message.message_id`) and, for ``file``, the
same file name, so mail clients and the folder see one summary. We chose this over recording
first, which would risk a silent loss.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from connectors.base import Env
from daemon.clock import wall_time, zone
from daemon.config import Config, ReportSettings
from daemon.store import Store
from daemon.store.models import SentSummary
from daemon.summary import delivery
from daemon.summary.content import week_label
from daemon.summary.gather import build_summary
from daemon.summary.message import summary_message

log = logging.getLogger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Compose = Callable[[Store, Config, datetime], EmailMessage]


def slot_in_week(report: ReportSettings, year: int, week: int) -> datetime:
    """The aware local instant of the summary slot in ISO ``year``-W``week``."""
    tz = zone(report.timezone)
    day = date.fromisocalendar(year, week, WEEKDAYS.index(report.weekday) + 1)
    local = datetime.combine(day, wall_time(report.time), tzinfo=tz)
    # A wall time inside a DST gap does not exist: the round trip moves it past the gap.
    return local.astimezone(UTC).astimezone(tz)


def this_week(report: ReportSettings, now: datetime) -> tuple[str, datetime]:
    """(label, slot) of the ISO week that ``now`` falls in, in the user's zone."""
    local = now.astimezone(zone(report.timezone))
    year, week, _ = local.isocalendar()
    return week_label(local.date()), slot_in_week(report, year, week)


def next_slot(report: ReportSettings, now: datetime) -> datetime:
    """The first slot at or after ``now``."""
    _, slot = this_week(report, now)
    if _utc(slot) >= _utc(now):  # same-zone comparisons use wall time: compare in UTC
        return slot
    year, week, _ = (slot.date() + timedelta(days=7)).isocalendar()
    return slot_in_week(report, year, week)


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def show(slot: datetime) -> str:
    """``Mon 2026-11-23 08:00 CET``: a slot for people."""
    return slot.strftime("%a %Y-%m-%d %H:%M %Z")


def is_sent(store: Store, label: str) -> bool:
    with store.session() as s:
        return s.execute(select(SentSummary.id).where(SentSummary.iso_week == label)).first() \
            is not None


def last_sent(store: Store) -> SentSummary | None:
    with store.session() as s:
        return s.execute(select(SentSummary).order_by(SentSummary.sent_at.desc())).scalar()


def owed(store: Store, report: ReportSettings, now: datetime) -> str | None:
    """The label of this week's summary if its slot has passed and it is not in the ledger."""
    label, slot = this_week(report, now)
    if _utc(now) < _utc(slot) or is_sent(store, label):
        return None
    return label


def record(store: Store, label: str, method: str, message_id: str | None,
           now: datetime) -> bool:
    """Add the ledger row; False when it was already there (another process won the race)."""
    try:
        with store.transaction() as s:
            s.add(SentSummary(iso_week=label, sent_at=now, method=method, message_id=message_id))
    except IntegrityError:
        return False
    return True


@contextmanager
def ledger_lock(state_dir: Path) -> Iterator[None]:
    """An exclusive lock shared by every Keepwarm process of this user (flock on a file)."""
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(state_dir / "summary.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def compose(store: Store, config: Config, as_of: datetime, *,
            extra: bool = False) -> EmailMessage:
    """The summary message for ``as_of`` (``extra``: a copy besides the week's own)."""
    return summary_message(build_summary(store, config, as_of), extra=extra)


def send_owed(store: Store, config: Config, env: Env, now: datetime, *,
              compose: Compose = compose,
              deliver: Callable[..., str | None] = delivery.deliver) -> str | None:
    """Send this week's summary if it is owed and record it; the label sent, else None.

    Delivery errors propagate (nothing is recorded, so the next tick tries again)."""
    if config.delivery.method == "none":
        return None
    with ledger_lock(env.state_dir):
        label = owed(store, config.report, now)
        if label is None:
            return None
        message = compose(store, config, now)
        message_id = deliver(message, config, env, week=label)
        if not record(store, label, config.delivery.method, message_id, now):
            log.warning("summary week=%s was recorded by another process meanwhile", label)
        log.info("summary sent week=%s method=%s", label, config.delivery.method)
        return label
