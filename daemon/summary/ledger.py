"""The weekly summary's slot and its exactly-once ledger: which ISO week is owed, and sending it.

The slot is ``[report] weekday time`` in ``[report] timezone``. The week of a slot is the ISO
week of its local date. A week's summary is *owed* once its slot has passed, until a row for
that week is in ``sent_summaries`` (the ledger, the only truth). Only the current week can be
owed: after downtime spanning a whole slot the next start sends this week's summary if its
slot has passed, never last week's (that would be next week's turn already).

Exactly once rests on the ledger row, written as the week's claim before the message leaves
and updated with the outcome after (see :mod:`daemon.summary.claims`). A transient failure
(4xx, connection refused, timeout) leaves the week ``retrying`` every ``RETRY_AFTER``; a
permanent one (5xx, login refused, a missing password) marks it ``failed`` and stops the
automatic attempts for that week until ``keepwarm send-summary`` sends it on purpose.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select

from connectors.base import Env
from daemon.config import Config
from daemon.errors import DeliveryError, with_fix
from daemon.paths import state_home
from daemon.store import Store
from daemon.store.models import SentSummary
from daemon.store.vocab import DeliveryStatus
from daemon.summary import claims, delivery
from daemon.summary.due import RETRY_AFTER, owed
from daemon.summary.gather import build_summary
from daemon.summary.message import summary_message
from daemon.summary.slots import WEEKDAYS, as_utc, next_slot, show, slot_in_week, this_week

log = logging.getLogger(__name__)
__all__ = ["RETRY_AFTER", "WEEKDAYS", "next_slot", "owed", "send_owed", "show", "slot_in_week",
           "this_week"]

Compose = Callable[[Store, Config, datetime], EmailMessage]


def is_sent(store: Store, label: str) -> bool:
    """Was the summary of week ``label`` delivered?"""
    found = claims.row(store, label)
    return found is not None and found.status == DeliveryStatus.SENT


def last_sent(store: Store) -> SentSummary | None:
    """The store's member's most recently delivered summary's row."""
    member = store.member_id
    with store.session() as s:
        return s.execute(select(SentSummary).where(
            SentSummary.member_id == member, SentSummary.status == DeliveryStatus.SENT)
            .order_by(SentSummary.sent_at.desc())).scalar()


def compose(store: Store, config: Config, as_of: datetime, *,
            extra: bool = False) -> EmailMessage:
    """The summary message for ``as_of`` (``extra``: a copy besides the week's own)."""
    return summary_message(build_summary(store, config, as_of, state_dir=state_home()),
                           extra=extra)


def send_owed(store: Store, config: Config, env: Env, now: datetime, *,
              compose: Compose = compose,
              deliver: Callable[..., str | None] = delivery.deliver,
              manual: bool = False, orphan: bool = False) -> str | None:
    """Send this week's summary if it may be sent now, claiming it in the ledger first; the
    label sent, else None. ``manual`` (``keepwarm send-summary``) also resends a failed week
    or one whose outcome is unknown; ``orphan`` (its sender died mid-send) settles a
    ``sending`` week: ``sent`` when the delivery shows it got through, else sent again.

    Delivery errors propagate after their outcome is recorded (``retrying`` or ``failed``)."""
    label, slot = this_week(config.report, now)
    if config.delivery.method == "none" or as_utc(now) < as_utc(slot):
        return None
    found = claims.row(store, label)
    if not claims.claimable(found, now, manual=manual, orphan=orphan):
        return None
    if (orphan and found is not None and found.status == DeliveryStatus.SENDING
            and delivery.landed(config, label, found.message_id)):
        claims.settle(store, label, DeliveryStatus.SENT, now)
        log.info("summary week=%s: its sender died after delivering it; recorded as sent",
                 label)
        return label
    message = compose(store, config, now)
    message_id = message["Message-ID"]
    if not claims.claim(store, label, config.delivery.method, message_id and str(message_id),
                        now, manual=manual, orphan=orphan):
        log.warning("summary week=%s is being sent by another process", label)
        return None
    try:
        deliver(message, config, env, week=label)
    except Exception as exc:
        _failed(store, label, now, exc)
        raise
    claims.settle(store, label, DeliveryStatus.SENT, now)
    log.info("summary sent week=%s method=%s", label, config.delivery.method)
    return label


def _failed(store: Store, label: str, now: datetime, exc: Exception) -> None:
    """Record a failed attempt: retry later when transient, else no more this week."""
    transient = exc.transient if isinstance(exc, DeliveryError) else True
    text = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
    first = text.splitlines()[0] if text else type(exc).__name__
    # a transient error's hint only says it is retried: the next attempt's time says that
    error = first if transient else with_fix(first, getattr(exc, "hint", "") or None)
    if transient:  # a stop is retried as soon as the daemon starts again
        wait = timedelta(0) if isinstance(exc, delivery.Stopped) else RETRY_AFTER
        claims.settle(store, label, DeliveryStatus.RETRYING, now, error=error,
                      next_at=now + wait)
    else:
        claims.settle(store, label, DeliveryStatus.FAILED, now, error=error)
