"""What the weekly summary shows: the :class:`Summary` (plain data, every number behind every
line) and the ISO week label it belongs to (:func:`week_label`, the one definition, shared by
the ledger)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from daemon.clock import zone
from daemon.model.entries import Entry
from daemon.summary.sections import AccountHealth, NewRelationship, OwedReply
from daemon.summary.slots import week_label

__all__ = ["Summary", "week_label"]


@dataclass(frozen=True)
class Summary:
    """Everything the weekly summary shows, and every number behind it."""

    as_of: datetime  # aware
    timezone: str  # an IANA name ([report] timezone, checked when the config loads)
    week: str  # ISO week of as_of in the report time zone, e.g. 2026-W48
    losing_touch: tuple[Entry, ...]  # the top N
    dormant: tuple[Entry, ...]  # the first few
    owed: tuple[OwedReply, ...]
    new: tuple[NewRelationship, ...]
    health: tuple[AccountHealth, ...]
    everyone: tuple[Entry, ...]  # every scored person (for --all)
    totals: dict[str, int] = field(default_factory=dict)  # section sizes before the cut
    sender: str = "keepwarm@localhost"
    to: str = "keepwarm@localhost"
    settings: dict[str, int] = field(default_factory=dict)  # top, dormant, owed_reply_days...
    undelivered: tuple[str, ...] = ()  # earlier weeks whose summary could not be delivered

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    @property
    def problems(self) -> tuple[AccountHealth, ...]:
        return tuple(h for h in self.health if h.problem)

    @property
    def subject(self) -> str:
        n = len(self.losing_touch)
        who = ("nobody you're losing touch with" if n == 0 else
               "1 person you're losing touch with" if n == 1 else
               f"{n} people you're losing touch with")
        return f"Keepwarm: {who} (week {self.week})"
