"""The weekly slot: ``[report] weekday time`` in ``[report] timezone``, and the ISO week label
of a local date (the one definition, shared by the summary and the ledger). Light on purpose:
``keepwarm status`` and ``doctor`` read it without loading the model."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from daemon.clock import wall_time, zone


class Slot(Protocol):
    """Where the weekly slot is: ``[report]`` (``ReportSettings``, or the few values
    ``keepwarm status`` keeps of it without loading the config's models)."""

    @property
    def timezone(self) -> str: ...
    @property
    def weekday(self) -> str: ...
    @property
    def time(self) -> str: ...

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def week_label(day: date) -> str:
    """``2026-W48``: the ISO year and week of ``day`` (a local date in the report's zone)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def slot_in_week(report: Slot, year: int, week: int) -> datetime:
    """The aware local instant of the summary slot in ISO ``year``-W``week``."""
    tz = zone(report.timezone)
    day = date.fromisocalendar(year, week, WEEKDAYS.index(report.weekday) + 1)
    local = datetime.combine(day, wall_time(report.time), tzinfo=tz)
    # A wall time inside a DST gap does not exist: the round trip moves it past the gap.
    return local.astimezone(UTC).astimezone(tz)


def this_week(report: Slot, now: datetime) -> tuple[str, datetime]:
    """(label, slot) of the ISO week that ``now`` falls in, in the user's zone."""
    local = now.astimezone(zone(report.timezone))
    year, week, _ = local.isocalendar()
    return week_label(local.date()), slot_in_week(report, year, week)


def next_slot(report: Slot, now: datetime) -> datetime:
    """The first slot at or after ``now``."""
    _, slot = this_week(report, now)
    if as_utc(slot) >= as_utc(now):  # same-zone comparisons use wall time: compare in UTC
        return slot
    year, week, _ = (slot.date() + timedelta(days=7)).isocalendar()
    return slot_in_week(report, year, week)


def as_utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def show(slot: datetime) -> str:
    """``Mon 2026-11-23 08:00 CET``: a slot for people."""
    return slot.strftime("%a %Y-%m-%d %H:%M %Z")


