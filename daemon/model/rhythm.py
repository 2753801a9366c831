"""Per-person aggregates at one as-of time, vectorised: strength, rhythm, silence, counts.

Definitions (all relative to ``as_of``; only touchpoints strictly before it):

- an *interaction* is a touchpoint that is not bulk/automated or list traffic and whose item
  has at most ``cap`` counterparts (a 40-person invite is not an interaction with each of them);
- *strength* sums interactions weighted by kind (you wrote: 1, a meeting: 1.5, they wrote:
  0.25 to 1 by how much you answer them), diluted by 1/sqrt(group size), decayed with a
  90-day half-life (recent) plus a quarter of a 365-day half-life sum (long-run);
- *rhythm* is the usual gap between distinct interaction days: the length-weighted median gap
  (the gap half of the past time was spent in), so a burst of daily mails does not make a
  quarterly tie look weekly; shrunk in log space toward 30 days with the weight of 2 gaps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from daemon.model.frame import IN, MUTUAL, OUT, Frame

DAY = 86400
PRIOR_DAYS, PRIOR_WEIGHT = 30.0, 2.0
HALF_LIFE_RECENT, HALF_LIFE_LONG, LONG_SHARE = 90.0, 365.0, 0.25
UNANSWERED_WEIGHT, MEETING_WEIGHT = 0.25, 1.5


@dataclass(frozen=True)
class Timing:
    """When and how often, one value per person (arrays of length P): what the risk's
    features read (:func:`daemon.model.risk.features`). Days are float days before as_of."""

    silence: np.ndarray  # days since the last interaction (inf if none)
    first: np.ndarray  # days since the first interaction (0 if none)
    rhythm: np.ndarray  # usual gap in days (prior when no gaps)
    gaps: np.ndarray  # number of gaps behind the rhythm
    days26: np.ndarray  # distinct interaction days in the last 26 weeks
    days8: np.ndarray  # ... last 8 weeks
    days4: np.ndarray  # ... last 4 weeks
    out26: np.ndarray  # outbound interactions in the last 26 weeks
    in26: np.ndarray  # inbound ...
    meet26: np.ndarray  # meetings ...


@dataclass(frozen=True)
class Aggregates(Timing):
    """The timing and everything else the report says of a person: strength, counts."""

    interactions: np.ndarray  # all interactions ever (before as_of)
    n_out: np.ndarray  # outbound (or meeting) interactions ever
    n_in: np.ndarray  # inbound interactions ever
    strength_recent: np.ndarray
    strength_long: np.ndarray
    total_weight: np.ndarray  # undecayed weighted sum: how much the tie once mattered
    any_touch: np.ndarray  # bool: any touchpoint at all before as_of
    all_noise: np.ndarray  # bool: every touchpoint before as_of was bulk or list
    last: np.ndarray  # int64 row index of the last interaction (-1 if none)
    silence_in: np.ndarray  # days since their last mail to you (inf if none)

    strength: np.ndarray  # strength_recent + LONG_SHARE * strength_long


def _group_median_by_length(owner: np.ndarray, gaps: np.ndarray, size: int) -> np.ndarray:
    """Length-weighted median of ``gaps`` per owner (NaN where an owner has none). Gaps are
    whole days (1 or more) and owners person indices, so one sort of the packed key
    ``owner << 32 | gap`` orders them by (owner, gap): a third of ``np.lexsort``'s time."""
    out = np.full(size, np.nan)
    if gaps.size == 0:
        return out
    key = np.sort((owner.astype(np.int64) << 32) | gaps.astype(np.int64))
    o, g = key >> 32, (key & 0xFFFFFFFF).astype(np.float64)
    # np.concatenate, not np.r_: a backtest calls this ten thousand times, on small arrays
    starts = np.flatnonzero(np.concatenate(([True], o[1:] != o[:-1])))
    lengths = np.diff(starts, append=o.size)
    cum = np.cumsum(g)
    before = np.concatenate(([0.0], cum))[starts]  # cum before each group
    totals = cum[starts + lengths - 1] - before
    hit = cum - np.repeat(before, lengths) >= 0.5 * np.repeat(totals, lengths)
    # within a group ``hit`` only turns on (gaps are positive): the first hit is the median
    first = starts + lengths - np.add.reduceat(hit, starts)
    out[o[starts]] = g[first]
    return out


@dataclass(frozen=True)
class _Rows:
    """The interactions before as_of, sorted by (person, t) as the frame is."""

    rows: np.ndarray  # their row indices in the frame
    p: np.ndarray  # person
    age_s: np.ndarray  # whole seconds before as_of (exact integers)
    age: np.ndarray  # float days before as_of
    d: np.ndarray  # direction
    size: int  # persons

    def count(self, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(self.p, weights=weights, minlength=self.size)


def _interactions(frame: Frame, as_of: int, cap: int) -> _Rows:
    rows = np.flatnonzero((frame.t < as_of) & ~frame.noise & (frame.group <= cap))
    age_s = as_of - frame.t[rows]
    return _Rows(rows, frame.person[rows], age_s, age_s / DAY, frame.direction[rows],
                 len(frame.persons))


def _timing(r: _Rows) -> dict[str, np.ndarray]:
    p, age, d, size = r.p, r.age, r.d, r.size
    silence = np.full(size, np.inf)
    np.minimum.at(silence, p, age)
    first = np.zeros(size)
    np.maximum.at(first, p, age)
    # distinct interaction days, counted back from as_of (shift-invariant); rows are sorted
    # by (person, t), so within a person the day number never increases: dedupe neighbours
    day = r.age_s // DAY
    fresh = (np.concatenate(([True], (p[1:] != p[:-1]) | (day[1:] != day[:-1]))) if p.size
             else day > 0)
    dp, dd = p[fresh].astype(np.int64), day[fresh]
    same = dp[1:] == dp[:-1]
    gap_owner, gap_len = dp[1:][same], (dd[:-1] - dd[1:])[same]
    n_gaps = np.bincount(gap_owner, minlength=size).astype(np.float64)
    med = _group_median_by_length(gap_owner, gap_len, size)
    log_med = np.where(np.isnan(med), 0.0, np.log(np.where(np.isnan(med), 1.0, med)))
    rhythm = np.exp((n_gaps * log_med + PRIOR_WEIGHT * np.log(PRIOR_DAYS))
                    / (n_gaps + PRIOR_WEIGHT))
    dcnt = lambda lim: np.bincount(dp[dd < lim], minlength=size).astype(float)  # noqa: E731
    r26 = age < 182
    outish = (d == OUT) | (d == MUTUAL)
    return dict(silence=silence, first=first, rhythm=rhythm, gaps=n_gaps, days26=dcnt(182),
                days8=dcnt(56), days4=dcnt(28), out26=r.count(outish & r26 & (d == OUT)),
                in26=r.count((d == IN) & r26), meet26=r.count((d == MUTUAL) & r26))


def timing_of(frame: Frame, rows: np.ndarray, owner: np.ndarray, as_of: int, size: int,
              cap: int = 10) -> Timing:
    """The timing of ``size`` owners before ``as_of`` (seconds): ``owner[i]`` (0 to size - 1)
    owns frame row ``rows[i]``, a row before ``as_of``; rows must run by (owner, t). What the
    adaptation asks of each past snapshot, with its candidates as the owners: arrays of their
    number, not of every person of the frame (a mailbox of list traffic has thousands)."""
    keep = ~frame.noise[rows] & (frame.group[rows] <= cap)
    rows, owner = rows[keep], owner[keep]
    age_s = as_of - frame.t[rows]
    return Timing(**_timing(_Rows(rows, owner, age_s, age_s / DAY, frame.direction[rows], size)))


def aggregate(frame: Frame, as_of: int, cap: int = 10) -> Aggregates:
    """Aggregates of every person of ``frame`` from touchpoints before ``as_of`` (seconds)."""
    size = len(frame.persons)
    before = frame.t < as_of
    p_all = frame.person[before]
    touched = np.bincount(p_all, minlength=size)
    any_touch = touched > 0
    noise_n = np.bincount(p_all, weights=frame.noise[before], minlength=size)
    all_noise = any_touch & (noise_n == touched)
    r = _interactions(frame, as_of, cap)
    p, age, d = r.p, r.age, r.d
    outish = (d == OUT) | (d == MUTUAL)
    n_out, n_in = r.count(outish), r.count(d == IN)
    answered = np.minimum(1.0, n_out / np.maximum(n_in, 1.0))
    kind_w = np.where(d == OUT, 1.0, np.where(d == MUTUAL, MEETING_WEIGHT,
                      UNANSWERED_WEIGHT + (1 - UNANSWERED_WEIGHT) * answered[p]))
    w = kind_w / np.sqrt(frame.group[r.rows])
    silence_in = np.full(size, np.inf)
    np.minimum.at(silence_in, p[d == IN], age[d == IN])
    last = np.full(size, -1, dtype=np.int64)
    if r.rows.size:
        ends = np.concatenate((p[1:] != p[:-1], [True]))  # sorted by (person, t): last rows
        last[p[ends]] = r.rows[ends]
    recent = r.count(w * np.exp2(-age / HALF_LIFE_RECENT))
    long_run = r.count(w * np.exp2(-age / HALF_LIFE_LONG))
    return Aggregates(
        **_timing(r), interactions=r.count(), n_out=n_out, n_in=n_in,
        strength_recent=recent, strength_long=long_run, strength=recent + LONG_SHARE * long_run,
        total_weight=r.count(w), any_touch=any_touch, all_noise=all_noise, last=last,
        silence_in=silence_in,
    )
