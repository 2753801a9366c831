"""The user's own lapse level: how many of your regular contacts went quiet in your own past.

Mailboxes differ in how many of their ties lapse in any 12 weeks: an energy trader's in 2000-01
40 to 50%, a kernel maintainer's about 60%, where patch reviews come in bursts. A model fitted on
one kind of mailbox carries the other's level with it, and its risk is then miscalibrated on
yours. The level corrects that: at T, the snapshots T'' = T - 12 weeks - k x 2 weeks whose
horizon has passed (the same ones :mod:`daemon.model.adapt` learns from) give your own lapse
rate over the last year, shrunk toward 1/2 with the weight of ``PRIOR_ROWS`` rows; the risk adds
``LEVEL_WEIGHT`` x its logit (:mod:`daemon.model.risk`). It is one number per user and time, so
it never reorders your own list; it moves the probability, and so the calibration.

No leakage: a snapshot's candidates read only touchpoints before T'', its label only
[T'', T'' + horizon), and it counts at a time ``at`` only if you sent mail in
[T'' + horizon, ``at``) (a mailbox that ends is not a lapse).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from daemon.model.examples import candidate_index, lapsed, sent_times, timeline
from daemon.model.frame import Frame
from daemon.model.rhythm import DAY

HORIZON_DAYS, EVERY_DAYS = 84, 14
STEP = HORIZON_DAYS // EVERY_DAYS  # grid points per horizon: T' - horizon is point k + STEP
POINTS = 26  # a year of snapshots make the level
PRIOR_RATE, PRIOR_ROWS = 0.5, 20.0
NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Grid:
    """Labelled past snapshots, newest first: point k is at ``as_of - horizon - k x 2 weeks``."""

    t: np.ndarray  # int64 time of each point
    first_sent: np.ndarray  # int64 your first mail at or after t + horizon (NEVER if none)
    cand: tuple[np.ndarray, ...]  # its candidates (empty when it can never count)
    y: tuple[np.ndarray, ...]  # bool: lapsed, per candidate
    sizes: np.ndarray  # int64 per point: its candidates
    lapses: np.ndarray  # int64 per point: of which lapsed

    def counts(self, k: int, at: int) -> bool:
        """Does point ``k`` count as a labelled snapshot at time ``at``?"""
        return bool(self.first_sent[k] < at) and self.cand[k].size > 0


def grid(past: Frame, as_of: int, points: int) -> Grid:
    """The labelled snapshots of ``past`` (a frame cut at ``as_of``) before ``as_of``."""
    line = timeline(past)
    sent = sent_times(past)
    h = HORIZON_DAYS * DAY
    t = as_of - h - np.arange(points, dtype=np.int64) * EVERY_DAYS * DAY
    at = np.searchsorted(sent, t + h)
    padded = np.append(sent, NEVER).astype(np.int64)  # "none at or after" reads NEVER
    first = padded[at]
    cands, ys = [], []
    empty = np.zeros(0, dtype=np.int64)
    for k in range(points):
        c = candidate_index(past, int(t[k]), line) if first[k] < as_of else empty
        cands.append(c)
        ys.append(lapsed(past, int(t[k]), h, c, line=line) if c.size else np.zeros(0, bool))
    sizes = np.array([y.size for y in ys], dtype=np.int64)
    lapses = np.array([int(np.count_nonzero(y)) for y in ys], dtype=np.int64)
    return Grid(t, first.astype(np.int64), tuple(cands), tuple(ys), sizes, lapses)


def tally(g: Grid, at: int, start: int) -> tuple[int, int]:
    """(candidate rows, lapsed) over the ``POINTS`` points from ``start`` that count at ``at``."""
    span = slice(start, min(start + POINTS, g.t.size))
    on = (g.first_sent[span] < at) & (g.sizes[span] > 0)  # Grid.counts, for the whole span
    return int(g.sizes[span][on].sum()), int(g.lapses[span][on].sum())


def level(g: Grid, at: int, start: int) -> float:
    """Logit of your shrunk lapse rate over the ``POINTS`` points from ``start`` that count at
    ``at`` (0.0, the prior's, when there are none)."""
    rows, lapses = tally(g, at, start)
    rate = (lapses + PRIOR_ROWS * PRIOR_RATE) / (rows + PRIOR_ROWS)
    return float(np.log(rate / (1.0 - rate)))
