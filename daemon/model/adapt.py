"""Learn from the user's own past: the shipped coefficients are a prior, the user's own labelled
snapshots update them with shrinkage.

At a scoring time T, every snapshot T' = T - horizon - k x 2 weeks (k = 0..51) has a fully
passed horizon (T' + horizon <= T): its candidates (the backtest's regular two-way contacts,
:mod:`daemon.model.examples`) are labelled examples from this very user. The fit maximises
their log-likelihood minus ``PRIOR_STRENGTH / 2 x |coef - prior|^2``, an L2 penalty centred on
the prior: a new user (no examples) gets the prior exactly, and the more examples, the more
the data outweighs it. Each example carries the user's lapse level at its own T'
(:mod:`daemon.model.level`, from the snapshots before T' - horizon) as the risk's offset, and
the level at T comes from the same labelled grid. A snapshot whose own level rests on fewer
than ``PRIOR_ROWS`` labelled rows (the start of a mailbox) is left out: its level is mostly the
prior's 1/2, and the fit would learn the gap between that and the young mailbox's real rate as
an intercept that no later snapshot needs (bench/rank_lab.py: Enron adapted calibration 0.12
without this rule, 0.06 with it).

No leakage by construction: everything here reads the frame cut at T (``_past``).
A snapshot's features read only touchpoints before T' (:func:`~daemon.model.rhythm.timing`),
its label only [T', T' + horizon), and a snapshot counts only if you still sent mail in
[T' + horizon, T) (a mailbox that ends is not a lapse).

Speed: at most ``ROW_BUDGET`` touchpoint rows take part (persons sampled by a fixed hash of
their index when a store is larger), and each snapshot aggregates only its candidates' rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from daemon.model.examples import before, rows
from daemon.model.frame import Frame
from daemon.model.level import POINTS, PRIOR_ROWS, STEP, grid, level, tally
from daemon.model.rhythm import timing_of
from daemon.model.risk import COEF, LEVEL_WEIGHT, features, newton

SNAPSHOTS = 52  # two years, every 2 weeks (daemon.model.level's grid; bench/generalise.py)
PRIOR_STRENGTH = 30.0  # the prior is worth about this many examples per coefficient
MIN_EXAMPLES = 40  # fewer, or one class only: the prior as shipped
ROW_BUDGET = 60_000  # touchpoint rows the adaptation reads at most (bench/score.py)


@dataclass(frozen=True)
class Examples:
    """The user's own labelled candidate rows: features, label (lapsed), snapshot time, and the
    user's lapse level at that snapshot (:mod:`daemon.model.level`); ``now`` is the level at
    the scoring time itself."""

    x: np.ndarray
    y: np.ndarray
    at: np.ndarray
    level: np.ndarray
    now: float = 0.0

    def __len__(self) -> int:
        return int(self.y.size)


def _past(frame: Frame, as_of: int) -> Frame:
    """The frame cut at ``as_of`` (nothing at or after it: no leakage), and at most ROW_BUDGET
    of its rows: whole persons, taken in a fixed pseudo-random order, renumbered."""
    cut = frame.t < as_of
    if int(np.count_nonzero(cut)) <= ROW_BUDGET:
        return before(frame, as_of)
    size = len(frame.persons)
    order = np.argsort((np.arange(size, dtype=np.uint64) * np.uint64(2654435761))
                       % np.uint64(1 << 32), kind="stable")
    counts = np.bincount(frame.person[cut], minlength=size)[order]
    take = np.zeros(size, dtype=bool)
    take[order[np.cumsum(counts) <= ROW_BUDGET]] = True
    sub = rows(frame, cut & take[frame.person])  # and only those persons: per-person arrays shrink
    renumber = (np.cumsum(take) - 1).astype(np.int32)
    persons = tuple(p for p, keep in zip(frame.persons, take.tolist(), strict=True) if keep)
    return replace(sub, persons=persons, person=renumber[sub.person])


def examples(frame: Frame, as_of: int, cap: int = 10) -> Examples:
    """Every labelled candidate row of the snapshots before ``as_of`` (UTC seconds), each with
    the user's lapse level at its own snapshot time, and the level at ``as_of``."""
    past = _past(frame, as_of)
    g = grid(past, as_of, SNAPSHOTS + STEP + POINTS)
    xs, ys, ats, levels = [], [], [], []
    place = np.empty(len(past.persons), dtype=np.int64)  # person -> its place among candidates
    for k in range(SNAPSHOTS):
        t = int(g.t[k])
        if not g.counts(k, as_of):
            continue  # you sent nothing after its horizon, or nobody was a candidate
        if tally(g, t, k + STEP)[0] < PRIOR_ROWS:
            continue  # its level is mostly the prior's: it would teach a wrong intercept
        cand = g.cand[k]
        place[:] = -1
        place[cand] = np.arange(cand.size)  # candidates in person order: rows stay sorted
        seen = np.flatnonzero((place[past.person] >= 0) & (past.t < t))
        xs.append(features(timing_of(past, seen, place[past.person[seen]], t, cand.size, cap)))
        ys.append(g.y[k])
        ats.append(np.full(cand.size, t, dtype=np.int64))
        levels.append(np.full(cand.size, level(g, t, k + STEP)))
    now = level(g, as_of, 0)
    if not xs:
        return Examples(np.zeros((0, COEF.size - 1)), np.zeros(0, bool), np.zeros(0, np.int64),
                        np.zeros(0), now)
    return Examples(np.concatenate(xs), np.concatenate(ys), np.concatenate(ats),
                    np.concatenate(levels), now)


def owner_level(frame: Frame, as_of: int) -> float:
    """The user's lapse level at ``as_of`` alone (what the shipped coefficients need)."""
    past = _past(frame, as_of)
    return level(grid(past, as_of, POINTS), as_of, 0)


def fit_toward(x: np.ndarray, y: np.ndarray, prior: np.ndarray,
               strength: float = PRIOR_STRENGTH, iterations: int = 25,
               level: np.ndarray | None = None) -> np.ndarray:
    """Logistic regression by Newton's method with an L2 penalty centred on ``prior``; each
    row's ``level`` enters as a fixed offset (``LEVEL_WEIGHT`` x level), as in the risk."""
    xa = np.column_stack([np.ones(len(x)), x])
    off = 0.0 if level is None else LEVEL_WEIGHT * level
    return newton(xa, y, off, prior, np.full(xa.shape[1], strength), iterations)


def fitted(frame: Frame, as_of: int, prior: np.ndarray = COEF,
           cap: int = 10) -> tuple[np.ndarray, float]:
    """The coefficients for scoring at ``as_of`` (``prior`` updated by the user's own past)
    and the user's lapse level at ``as_of``."""
    ex = examples(frame, as_of, cap)
    if len(ex) < MIN_EXAMPLES or ex.y.all() or not ex.y.any():
        return prior, ex.now
    return fit_toward(ex.x, ex.y.astype(float), prior, level=ex.level), ex.now


def adapt(frame: Frame, as_of: int, prior: np.ndarray = COEF, cap: int = 10) -> np.ndarray:
    """The coefficients for scoring at ``as_of``: ``prior`` updated by the user's own past."""
    return fitted(frame, as_of, prior, cap)[0]
