"""What the weekly summary shows: the :class:`Summary` (plain data, every number behind every
line) and the ISO week label it belongs to (:func:`week_label`, the one definition, shared by
the ledger)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from daemon.clock import zone
from daemon.model.entries import Entry
from daemon.model.quiet import OwnSilence
from daemon.summary.actions import Confirmation
from daemon.summary.sections import AccountHealth, NewRelationship, OwedPerson, OwedReply
from daemon.summary.slots import week_label

__all__ = ["Summary", "week_label"]

# Caps of the sections a user would not tune: a handful of new people a week is news, fifty
# is noise; more accounts than this are rare, and problems are shown first.
NEW_LIMIT = 5
HEALTH_LIMIT = 5


@dataclass(frozen=True)
class Summary:
    """Everything the weekly summary shows, and every number behind it."""

    as_of: datetime  # aware
    timezone: str  # an IANA name ([report] timezone, checked when the config loads)
    week: str  # ISO week of as_of in the report time zone, e.g. 2026-W48
    losing_touch: tuple[Entry, ...]  # the top N
    dormant: tuple[Entry, ...]  # the first few
    owed: tuple[OwedReply, ...]  # every owed thread (JSON carries them all)
    new: tuple[NewRelationship, ...]  # every new relationship; the text shows the first few
    health: tuple[AccountHealth, ...]
    everyone: Sequence[Entry]  # every scored person (for --all; built when read)
    totals: dict[str, int] = field(default_factory=dict)  # section sizes before the cut
    sender: str = "keepwarm@localhost"
    to: str = "keepwarm@localhost"
    settings: dict[str, int] = field(default_factory=dict)  # top, dormant, owed_reply_days...
    undelivered: tuple[str, ...] = ()  # earlier weeks whose summary could not be delivered
    owed_people: tuple[OwedPerson, ...] = ()  # every owed person, ranked; text shows owed_limit
    full: bool = False  # --all: every section lists everyone, nothing is capped
    own_silence: OwnSilence | None = None  # you sent no mail for weeks (sync health says so)
    done: tuple[Confirmation, ...] = ()  # commands mailed to yourself, carried out this week

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    @property
    def problems(self) -> tuple[AccountHealth, ...]:
        return tuple(h for h in self.health if h.problem)

    def _cap(self, rows: tuple[Any, ...], limit: int) -> tuple[Any, ...]:
        return rows if self.full else rows[:limit]

    @property
    def owed_shown(self) -> tuple[OwedPerson, ...]:
        """The owed people the text and HTML list: the first ``[report] owed_limit``."""
        return self._cap(self.owed_people, self.settings.get("owed_limit", 5))

    @property
    def new_shown(self) -> tuple[NewRelationship, ...]:
        return self._cap(self.new, NEW_LIMIT)

    @property
    def health_shown(self) -> tuple[AccountHealth, ...]:
        """Accounts for the sync-health section; past the cap, problems come first."""
        if self.full or len(self.health) <= HEALTH_LIMIT:
            return self.health
        return tuple(sorted(self.health, key=lambda h: not h.problem)[:HEALTH_LIMIT])

    @property
    def problems_shown(self) -> tuple[AccountHealth, ...]:
        return self._cap(self.problems, HEALTH_LIMIT)

    @property
    def more(self) -> dict[str, int]:
        """Per section, how many entries the cap left out (0: none)."""
        return {
            "losing_touch": self.totals.get("losing_touch", 0) - len(self.losing_touch),
            "dormant": self.totals.get("dormant", 0) - len(self.dormant),
            "owed": len(self.owed_people) - len(self.owed_shown),
            "new": len(self.new) - len(self.new_shown),
            "health": len(self.health) - len(self.health_shown),
            "problems": len(self.problems) - len(self.problems_shown),
        }

    @property
    def subject(self) -> str:
        n = len(self.losing_touch)
        who = ("nobody you're losing touch with" if n == 0 else
               "1 person you're losing touch with" if n == 1 else
               f"{n} people you're losing touch with")
        return f"Keepwarm: {who} (week {self.week})"
