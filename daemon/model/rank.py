"""Fill the report's contract (:mod:`daemon.model.entries`): load the store, exclude who is
hidden at report time (:class:`~daemon.model.hidden.Hidden`: ignore rules and snoozes), run the
model (:mod:`daemon.model.assess`) and explain every entry.

``score_frame`` is the store-free path used by the bench and the tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

import numpy as np

from daemon.clock import zone
from daemon.config import Config
from daemon.model import reasons
from daemon.model.adapt import fitted, owner_level
from daemon.model.assess import EXCLUSIONS, GROUP_NAMES, SHAPE_NAMES, Evaluation, evaluate, monthly
from daemon.model.entries import Entry, Scored
from daemon.model.frame import Frame, seconds
from daemon.model.hidden import Hidden
from daemon.model.load import load
from daemon.model.quiet import own_silence
from daemon.model.vocab import Exclusion, Group
from daemon.store import Store
from daemon.store.columns import DIRECTION_NAMES, TouchpointColumns
from daemon.store.vocab import Channel


def score(store: Store, config: Config, as_of: datetime, *, hidden: Hidden | None = None,
          upcoming: bool = True, columns: TouchpointColumns | None = None) -> Scored:
    """Score every person in ``store`` as of ``as_of`` (deterministic for a store and time).
    ``hidden`` defaults to the config's ignore rules and the snoozes in force at ``as_of``;
    ``columns`` are the store's touchpoints when the caller has read them."""
    frame = load(store, config.people, columns)
    if hidden is None:
        hidden = Hidden.at(store, config, as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC))
    return score_frame(frame, as_of, hidden=hidden, upcoming=upcoming,
                       cap=config.report.group_size, tz=zone(config.report.timezone))


def _exclusions(frame: Frame,
                hidden: Hidden | None) -> tuple[np.ndarray, dict[int, datetime | None]]:
    """EXCLUSIONS index per person for ignored/snoozed persons (any of their addresses), and
    each snoozed person's until."""
    out = np.zeros(len(frame.persons), dtype=np.int8)
    until: dict[int, datetime | None] = {}
    if hidden is None:
        return out, until
    for i, person in enumerate(frame.persons):
        why = hidden.why(person.addresses)
        if why is not None:
            out[i] = EXCLUSIONS.index(why)
        if why == Exclusion.SNOOZED:
            until[i] = hidden.until(person.addresses)
    return out, until


def score_frame(frame: Frame, as_of: datetime, *, hidden: Hidden | None = None,
                upcoming: bool = True, cap: int = 10, tz: tzinfo = UTC,
                adapted: bool = True) -> Scored:
    """The model's answer for a frame: every present person as an :class:`Entry`, grouped.
    ``hidden`` (None: nobody) excludes people; ``tz`` is the zone the reasons' dates are
    written in (the report's); ``adapted`` fits the risk to the user's own past
    (:mod:`daemon.model.adapt`; False: the shipped coefficients); both read the user's own
    lapse level (:mod:`daemon.model.level`)."""
    as_of = as_of.astimezone(UTC) if as_of.tzinfo else as_of.replace(tzinfo=UTC)
    at = seconds(as_of)
    hide, until = _exclusions(frame, hidden)
    coef, level = fitted(frame, at, cap=cap) if adapted else (None, owner_level(frame, at))
    ev = evaluate(frame, at, hidden=hide, upcoming=upcoming, cap=cap, coef=coef, level=level)
    months = monthly(frame, at)
    entries = _entries(frame, ev, months, as_of, until, tz)
    # while you yourself are quiet, only those who went quiet before you did are news
    quiet = own_silence(frame, at)
    listed = [e for e in entries if quiet is None or quiet.predates(e.silence_days)]
    losing = sorted((e for e in listed if e.group == Group.LOSING_TOUCH),
                    key=lambda e: (-e.score, e.key))
    dormant = sorted((e for e in listed if e.group == Group.DORMANT),
                     key=lambda e: (-e.numbers["total_weight"], e.key))
    everyone = sorted(entries, key=lambda e: (GROUP_NAMES.index(e.group), -e.score, e.key))
    return Scored(as_of, tuple(losing), tuple(dormant), tuple(everyone), quiet)


def _when(t: int) -> datetime:
    return datetime.fromtimestamp(int(t), UTC)


def _local(when: datetime | None, tz: tzinfo) -> datetime | None:
    """``when`` in the user's zone: the dates a reason names are the user's dates."""
    return None if when is None else when.astimezone(tz)


NUMBERS = {  # numbers key -> Aggregates field
    "strength": "strength", "strength_recent": "strength_recent",
    "strength_long": "strength_long", "total_weight": "total_weight", "rhythm_days": "rhythm",
    "rhythm_gaps": "gaps", "interactions": "interactions", "days_26w": "days26",
    "days_4w": "days4", "outbound_26w": "out26", "inbound_26w": "in26", "meetings_26w": "meet26",
    "outbound_total": "n_out", "inbound_total": "n_in", "first_days_ago": "first",
}


def _entries(frame: Frame, ev: Evaluation, months: np.ndarray, as_of: datetime,
             until: dict[int, datetime | None], tz: tzinfo = UTC) -> list[Entry]:
    """One Entry per present person (columns turned into Python lists once, for speed)."""
    agg = ev.agg
    cols = {k: getattr(agg, f) for k, f in NUMBERS.items()}
    cols.update(risk=ev.risk, score=ev.score, overdue_ratio=ev.ratio)
    keys = tuple(cols)  # each person's numbers: one row of floats, zipped with the keys
    table = list(zip(*(np.asarray(v, dtype=float).tolist() for v in cols.values()), strict=True))
    last, silence = agg.last.tolist(), agg.silence.tolist()
    groups, excl, shapes = ev.group.tolist(), ev.excluded.tolist(), ev.shape.tolist()
    nxt, strip = ev.next_meeting.tolist(), months.tolist()
    rows = np.maximum(agg.last, 0)  # each person's last row (only those: not the whole frame)
    t, dirs, meets = (frame.t[rows].tolist(), frame.direction[rows].tolist(),
                      frame.meeting[rows].tolist()) if len(frame) else ([], [], [])
    out = []
    for i in np.flatnonzero(ev.present).tolist():
        person, row = frame.persons[i], last[i]
        has = row >= 0
        group = GROUP_NAMES[groups[i]]
        excluded = EXCLUSIONS[excl[i]] or None
        shape = SHAPE_NAMES[shapes[i]] if has else None
        last_at = _when(t[i]) if has else None
        direction = DIRECTION_NAMES[dirs[i]] if has else None
        meeting = bool(meets[i]) if has else False
        numbers = dict(zip(keys, table[i], strict=True))
        numbers["silence_days"] = silence[i] if has else -1.0
        numbers["interaction_days"] = numbers["rhythm_gaps"] + 1 if has else 0.0
        if nxt[i] >= 0:
            numbers["next_meeting_days"] = (nxt[i] - ev.as_of) / 86400
        reason = reasons.sentence(
            group=group, excluded=excluded, rhythm=numbers["rhythm_days"],
            gaps=numbers["rhythm_gaps"], silence=silence[i], count=int(numbers["interactions"]),
            direction=direction, meeting=meeting, shape=shape if group != Group.STEADY else None,
            last_at=_local(last_at, tz), as_of=as_of.astimezone(tz),
            snooze_until=_local(until.get(i), tz),
            meeting_at=_local(_when(nxt[i]), tz) if nxt[i] >= 0 else None)
        out.append(Entry(
            key=person.key, name=person.name, addresses=person.addresses, group=group,
            risk=numbers["risk"], score=numbers["score"], strength=numbers["strength"],
            rhythm_days=numbers["rhythm_days"] if has else None,
            silence_days=silence[i] if has else 0.0, last_at=last_at,
            last_direction=direction,
            last_channel=(Channel.MEETING if meeting else Channel.EMAIL) if has else None,
            shape=shape if group in (Group.LOSING_TOUCH, Group.DORMANT) else None, reason=reason,
            excluded_because=excluded, monthly=tuple(strip[i]), numbers=numbers))
    return out
