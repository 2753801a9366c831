"""What the scoring model hands the report: one :class:`Entry` per person, grouped.

This is the contract between ``daemon.model.rank`` (which fills it) and
``daemon.summary.gather`` / ``daemon.model.backtest`` (which read it). Every number behind an
entry's sentence is in ``numbers``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from daemon.model.quiet import OwnSilence
from daemon.model.vocab import Exclusion, Group, Shape
from daemon.store.vocab import Channel, Direction


@dataclass(frozen=True, slots=True)
class Action:
    """One thing the reader can do from the summary by sending mail to themselves (issue 16):
    ``url`` is a ``mailto:`` link to ``address``, their own address plus-tagged."""

    command: str  # snooze4w | snooze3m | ignoreperson | ignoredomain
    label: str  # what the link says: "snooze 4 weeks"
    address: str
    url: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One person (an identity group of one or more addresses) as seen at ``as_of``."""

    key: str  # the person's primary normalised address
    name: str  # best display name, or the address
    addresses: tuple[str, ...]
    group: Group
    risk: float  # calibrated probability of no interaction in the next 12 weeks
    score: float  # the going-quiet ranking score (risk weighted by how much they matter)
    strength: float  # how much the relationship matters (weighted recent + long-run exchange)
    rhythm_days: float | None  # the usual gap between interactions
    silence_days: float  # days since the last interaction either way
    last_at: datetime | None
    last_direction: Direction | None
    last_channel: Channel | None
    shape: Shape | None  # for losing_touch and dormant entries
    reason: str  # the one sentence a person believes
    excluded_because: Exclusion | None = None
    monthly: tuple[int, ...] = ()  # interactions per month, 12 values, oldest first
    numbers: dict[str, float] = field(default_factory=dict)
    link: str | None = None  # the last conversation in the user's web mail (daemon.summary.links)
    actions: tuple[Action, ...] = ()  # filled by the summary (daemon.summary.actions)


@dataclass(frozen=True, slots=True)
class Scored:
    """The model's answer for one store and one as-of time (deterministic)."""

    as_of: datetime
    losing_touch: tuple[Entry, ...]  # ranked, highest score first (all of them, not only top N)
    dormant: tuple[Entry, ...]  # ranked
    everyone: tuple[Entry, ...]  # every scored person, excluded ones included
    own_silence: OwnSilence | None = None  # you sent nothing for weeks: lists show only older fades
