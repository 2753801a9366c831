"""Every present person's scored columns, and each person's :class:`Entry` built the first
time it is read.

A weekly report reads the top few of what may be 20,000 people; building every entry (its
numbers, dates in the user's zone and reason sentence) was a fifth of a big store's report
(``bench/report_phases.py``). The table turns the model's columns into Python lists once;
:class:`~daemon.model.entries.Ranked` views put it in an order and build what is read.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

import numpy as np

from daemon.model import reasons
from daemon.model.assess import EXCLUSIONS, GROUP_NAMES, SHAPE_NAMES, Evaluation
from daemon.model.entries import Entry, Who
from daemon.model.frame import Frame
from daemon.model.vocab import Group
from daemon.store.columns import DIRECTION_NAMES
from daemon.store.vocab import Channel

NUMBERS = {  # numbers key -> Aggregates field
    "strength": "strength", "strength_recent": "strength_recent",
    "strength_long": "strength_long", "total_weight": "total_weight", "rhythm_days": "rhythm",
    "rhythm_gaps": "gaps", "interactions": "interactions", "days_26w": "days26",
    "days_4w": "days4", "outbound_26w": "out26", "inbound_26w": "in26", "meetings_26w": "meet26",
    "outbound_total": "n_out", "inbound_total": "n_in", "first_days_ago": "first",
}


def _when(t: int) -> datetime:
    return datetime.fromtimestamp(int(t), UTC)


def _local(when: datetime | None, tz: tzinfo) -> datetime | None:
    """``when`` in the user's zone: the dates a reason names are the user's dates."""
    return None if when is None else when.astimezone(tz)


class EntryTable:
    """The model's answer for one frame, person by person (indices of ``frame.persons``)."""

    def __init__(self, frame: Frame, ev: Evaluation, months: np.ndarray, as_of: datetime,
                 until: dict[int, datetime | None], tz: tzinfo = UTC) -> None:
        agg = ev.agg
        cols = {k: getattr(agg, f) for k, f in NUMBERS.items()}
        cols.update(risk=ev.risk, score=ev.score, overdue_ratio=ev.ratio)
        # each number a list of floats, read across when an entry is built (a report builds
        # few of 20,000: zipping them all into rows up front cost more than the scoring)
        self._numbers = {k: np.asarray(v, dtype=float).tolist() for k, v in cols.items()}
        self.persons = frame.persons
        self.last, self.silence = agg.last.tolist(), agg.silence.tolist()
        self.groups = ev.group.tolist()
        self.score = ev.score.tolist()
        self.weight = np.asarray(agg.total_weight, dtype=float).tolist()
        self._strength = np.asarray(agg.strength, dtype=float).tolist()
        self._excl, self._shapes = ev.excluded.tolist(), ev.shape.tolist()
        self._next, self._months = ev.next_meeting.tolist(), months.tolist()
        rows = np.maximum(agg.last, 0)  # each person's last row (only those: not the whole frame)
        empty = not len(frame)
        self._t: list[int] = [] if empty else frame.t[rows].tolist()
        self._dirs: list[int] = [] if empty else frame.direction[rows].tolist()
        self._meets: list[bool] = [] if empty else frame.meeting[rows].tolist()
        self._as_of, self._ev_as_of, self._until, self._tz = as_of, ev.as_of, until, tz
        self._built: dict[int, Entry] = {}

    def key(self, i: int) -> str:
        return self.persons[i].key

    def addresses(self, i: int) -> tuple[str, ...]:
        return self.persons[i].addresses

    def silence_days(self, i: int) -> float:
        """As the entry has it: 0 for someone with no interaction yet."""
        return self.silence[i] if self.last[i] >= 0 else 0.0

    def who(self, i: int) -> Who:
        person = self.persons[i]
        return Who(person.key, person.name, person.addresses, self._strength[i])

    def entry(self, i: int) -> Entry:
        """Person ``i``'s entry (built once; the same object every time)."""
        found = self._built.get(i)
        if found is None:
            found = self._built[i] = self._build(i)
        return found

    def _build(self, i: int) -> Entry:
        person, row, silence = self.persons[i], self.last[i], self.silence[i]
        has = row >= 0
        group = GROUP_NAMES[self.groups[i]]
        excluded = EXCLUSIONS[self._excl[i]] or None
        shape = SHAPE_NAMES[self._shapes[i]] if has else None
        last_at = _when(self._t[i]) if has else None
        direction = DIRECTION_NAMES[self._dirs[i]] if has else None
        meeting = bool(self._meets[i]) if has else False
        numbers = {k: v[i] for k, v in self._numbers.items()}
        numbers["silence_days"] = silence if has else -1.0
        numbers["interaction_days"] = numbers["rhythm_gaps"] + 1 if has else 0.0
        nxt, tz = self._next[i], self._tz
        if nxt >= 0:
            numbers["next_meeting_days"] = (nxt - self._ev_as_of) / 86400
        reason = reasons.sentence(
            group=group, excluded=excluded, rhythm=numbers["rhythm_days"],
            gaps=numbers["rhythm_gaps"], silence=silence, count=int(numbers["interactions"]),
            direction=direction, meeting=meeting, shape=shape if group != Group.STEADY else None,
            last_at=_local(last_at, tz), as_of=self._as_of.astimezone(tz),
            snooze_until=_local(self._until.get(i), tz),
            meeting_at=_local(_when(nxt), tz) if nxt >= 0 else None)
        return Entry(
            key=person.key, name=person.name, addresses=person.addresses, group=group,
            risk=numbers["risk"], score=numbers["score"], strength=numbers["strength"],
            rhythm_days=numbers["rhythm_days"] if has else None,
            silence_days=silence if has else 0.0, last_at=last_at,
            last_direction=direction,
            last_channel=(Channel.MEETING if meeting else Channel.EMAIL) if has else None,
            shape=shape if group in (Group.LOSING_TOUCH, Group.DORMANT) else None, reason=reason,
            excluded_because=excluded, monthly=tuple(self._months[i]), numbers=numbers)
