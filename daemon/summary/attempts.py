"""The delivery state of the weekly summary, in words, for ``keepwarm doctor`` and ``status``:
the last attempt of this week, its error, and when the next one is (or that there is none
until the user fixes the cause and runs ``keepwarm send-summary``); and earlier weeks whose
summary never got through."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from daemon.store import sent
from daemon.store.sent import LedgerRow
from daemon.store.sql import Db
from daemon.store.vocab import DeliveryStatus
from daemon.summary import slots

OK, WARN, FIX = "OK", "WARN", "FIX"


class _Method(Protocol):
    @property
    def method(self) -> str: ...


class Settings(Protocol):
    """What is read of the config here: the ``Config``, or the values ``keepwarm status``
    keeps of it (``daemon.cli.snapshot``)."""

    @property
    def report(self) -> slots.Slot: ...
    @property
    def delivery(self) -> _Method: ...


def at(when: datetime | None) -> str:
    """``2026-11-23 09:00 UTC``; ``?`` when unknown."""
    return when.strftime("%Y-%m-%d %H:%M UTC") if when else "?"


def this_week(config: Settings, store: Db, now: datetime) -> tuple[str, str] | None:
    """(level, text) about this week's summary once an attempt was made; None before."""
    label, _ = slots.this_week(config.report, now)
    row = sent.week(store, label)
    if row is None or config.delivery.method == "none":
        return None
    return describe(row, now)


def describe(row: LedgerRow, now: datetime) -> tuple[str, str]:
    """One ledger row as (level, text)."""
    week, tried = row.iso_week, f"attempt {row.attempts} at {at(row.attempted_at)}"
    if row.status == DeliveryStatus.SENT:
        return OK, f"summary of {week} sent {at(row.sent_at)}"
    if row.status == DeliveryStatus.RETRYING:
        nxt = row.next_attempt_at
        when = "at the daemon's next start" if nxt and nxt <= now else f"after {at(nxt)}"
        return WARN, (f"summary of {week} not delivered yet ({tried} failed: {row.last_error}); "
                     f"next attempt {when}")
    if row.status == DeliveryStatus.FAILED:
        then = "" if "send-summary" in (row.last_error or "") else (
            "; no more attempts this week: fix it, then run keepwarm send-summary")
        return FIX, f"summary of {week} not delivered ({tried} failed: {row.last_error}){then}"
    if sent.unknown(row, now):
        return FIX, (f"summary of {week}: delivery outcome unknown ({tried} never recorded "
                     "its result); check your mailbox, and to send it on purpose: "
                     "keepwarm send-summary")
    return OK, f"summary of {week} being sent ({tried})"


def missed_weeks(config: Settings, store: Db, now: datetime) -> Iterator[tuple[str, str]]:
    """Earlier weeks whose summary was not delivered (noted atop the next summary)."""
    label, _ = slots.this_week(config.report, now)
    for row in sent.undelivered(store, label):
        why = row.last_error or ("delivery outcome unknown" if row.status ==
                                 DeliveryStatus.SENDING else row.status)
        yield WARN, (f"summary of {row.iso_week} was never delivered ({why}); "
                     "the next summary says so at the top")
