"""Candidates and labels of the ranking backtest (``../shared/README.md``), shared by the backtest
and by the adaptation to the user's own past (:mod:`daemon.model.adapt`).

- An *interaction* is any touchpoint whose item has at most 5 counterparts.
- Candidates at T: at least 4 interactions in the 26 weeks before T, with mail in both
  directions among them; track B: those with an interaction in the 28 days before T.
- Label: lapsed = no interaction either way in [T, T + horizon).

:func:`before` cuts a frame at a time: what the adaptation sees at T is ``before(frame, T)``,
so no touchpoint at or after T can reach a past snapshot's features or labels.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from daemon.model.frame import IN, OUT, Frame
from daemon.model.rhythm import DAY

MAX_RECIPIENTS = 5
MIN_INTERACTIONS, WINDOW_DAYS, RECENT_DAYS = 4, 26 * 7, 28


@dataclass(frozen=True)
class Candidates:
    """The regular two-way contacts of one frame at one time ``t`` (UTC seconds)."""

    index: np.ndarray  # person indices of the candidates
    count: np.ndarray  # per person: interactions in the 26 weeks before t
    recent: np.ndarray  # per candidate: an interaction in the 28 days before t (track B)
    last: np.ndarray  # per candidate: row of their last interaction before t


def interactions(frame: Frame) -> np.ndarray:
    """Rows that are interactions in the protocol's sense (at most 5 counterparts)."""
    return frame.group <= MAX_RECIPIENTS


@dataclass(frozen=True)
class Timeline:
    """A frame's interaction rows in time order: any window of them is one binary search, not
    a mask over every row (the adaptation's grid cuts 80 windows per score)."""

    rows: np.ndarray
    t: np.ndarray

    def window(self, start: int, end: int) -> np.ndarray:
        """The rows with ``start <= t < end``, in time order."""
        lo, hi = np.searchsorted(self.t, (start, end))
        return self.rows[lo:hi]


def timeline(frame: Frame, inter: np.ndarray | None = None) -> Timeline:
    """The :class:`Timeline` of ``frame``'s interactions (``inter``: their mask, if known)."""
    rows = np.flatnonzero(interactions(frame) if inter is None else inter)
    rows = rows[np.argsort(frame.t[rows], kind="stable")]
    return Timeline(rows, frame.t[rows])


def _regular(frame: Frame, window: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the rows of a 26-week window (indices, any order): their persons, interactions per
    person, and the persons with enough of them both ways."""
    p = frame.person[window]
    email = ~frame.meeting[window]
    d = frame.direction[window]
    size = len(frame.persons)
    count = np.bincount(p, minlength=size)
    outs = np.bincount(p, weights=(d == OUT) & email, minlength=size)
    ins = np.bincount(p, weights=(d == IN) & email, minlength=size)
    return p, count, np.flatnonzero((count >= MIN_INTERACTIONS) & (outs > 0) & (ins > 0))


def candidates(frame: Frame, t: int, inter: np.ndarray | None = None) -> Candidates:
    """Who is a candidate at ``t``; only rows before ``t`` are read."""
    size = len(frame.persons)
    inter = interactions(frame) if inter is None else inter
    window = np.flatnonzero(inter & (frame.t < t) & (frame.t >= t - WINDOW_DAYS * DAY))
    p, count, cand = _regular(frame, window)
    recent = np.bincount(p[frame.t[window] >= t - RECENT_DAYS * DAY], minlength=size) > 0
    last = np.full(size, -1, dtype=np.int64)
    np.maximum.at(last, p, window)
    return Candidates(cand, count, recent[cand], last[cand])


def candidate_index(frame: Frame, t: int, line: Timeline) -> np.ndarray:
    """:attr:`Candidates.index` alone, from the frame's :class:`Timeline` (what the
    adaptation's grid needs)."""
    return _regular(frame, line.window(t - WINDOW_DAYS * DAY, t))[2]


def lapsed(frame: Frame, t: int, horizon: int, cand: np.ndarray,
           inter: np.ndarray | None = None, line: Timeline | None = None) -> np.ndarray:
    """Per candidate: no interaction either way in [t, t + horizon) (seconds); from ``line``
    (the frame's :class:`Timeline`) when given."""
    if line is not None:
        future = line.window(t, t + horizon)
    else:
        inter = interactions(frame) if inter is None else inter
        future = np.flatnonzero(inter & (frame.t >= t) & (frame.t < t + horizon))
    return ~(np.bincount(frame.person[future], minlength=len(frame.persons)) > 0)[cand]


def sent_times(frame: Frame) -> np.ndarray:
    """Times of the owner's outbound mail (not meetings), sorted."""
    return np.sort(frame.t[(frame.direction == OUT) & ~frame.meeting])


def before(frame: Frame, t: int) -> Frame:
    """The frame cut at ``t``: only touchpoints strictly before it (same persons)."""
    return rows(frame, frame.t < t)


def rows(frame: Frame, keep: np.ndarray) -> Frame:
    """The frame's rows where ``keep`` holds (same persons, same order): every per-row column
    is cut, whatever columns the frame has."""
    if keep.all():
        return frame
    n = len(frame)
    cut = {f.name: value[keep] for f in fields(frame)
           if isinstance(value := getattr(frame, f.name), np.ndarray) and value.shape[:1] == (n,)}
    return replace(frame, **cut)
