"""The ranking lab (issue 11): try features and model classes out of corpus, fast.

    python bench/rank_lab.py [--cache DIR] [--only NAME,...]

Collects once (cached) a 2-weekly grid of snapshots for every owner of both corpora, with a
wide feature table (the shipped ``FEATURES`` plus candidate ones, ``WIDE``), labels, tracks
and baselines. The evaluation snapshots are the grid points of ``bench/generalise.py`` (every
4 weeks in each corpus's window); the adaptation's examples at T are the grid points
T - 12 weeks - k x 2 weeks (k < 52) whose owner still sent mail in [T' + 12 weeks, T), exactly
the set ``daemon.model.adapt.examples`` builds (without its row budget). Each variant is
scored in the three regimes of ``bench/generalise.py`` (in-corpus owner folds,
other-corpus, adapted with the other corpus's fit as the prior) and prints the margin over the
best baseline per corpus, regime and track, precision@5 and the worst decile gap.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab_signals import SIGNALS, signals  # noqa: E402
from owner_store import owner_frames  # noqa: E402

from daemon.model.backtest import _baselines  # noqa: E402
from daemon.model.examples import candidates, interactions, lapsed, sent_times  # noqa: E402
from daemon.model.frame import Frame  # noqa: E402
from daemon.model.rhythm import DAY, aggregate  # noqa: E402
from daemon.model.risk import FEATURES, features  # noqa: E402

TMP = Path(tempfile.gettempdir())
CORPORA = {
    "enron": (TMP / "keepwarm-enron", date(2000, 7, 1), date(2001, 6, 30), 5),
    "lists": (TMP / "keepwarm-lists", date(2020, 1, 1), date(2025, 9, 30), 3),
}
H, EVERY, BACK = 84 * DAY, 14 * DAY, 52
WIDE = (
    "log_count26",  # log(1 + interactions in 26 weeks): the frequency baseline's count
    "log_gap_ratio",  # log((1 + silence) / (1 + mean gap since the first interaction))
    "gap_quantile",  # share of their own past gaps shorter than the silence (shrunk to 1/2)
    "log_max_gap",  # log(1 + longest gap between distinct interaction days)
    "gap_trend",  # log((1 + mean of the last 3 gaps) / (1 + median gap))
    "pct_days26",  # rank of days26 among this owner's candidates at T (0..1)
    "pct_silence",  # rank of silence among this owner's candidates at T (0..1)
    "pct_count26",  # rank of the 26 weeks' count among the candidates
    "recent",  # an interaction in the 28 days before T (track B)
    "log_strength",  # log(1 + strength), shipped until the lab showed it did not travel
)


@dataclass
class Grid:
    """One owner's grid points: per row the grid time, wide features, label, track, sent-ok."""

    owner: str
    t: np.ndarray  # grid time of each row
    x: np.ndarray  # (rows, len(FEATURES) + len(WIDE))
    y: np.ndarray
    b: np.ndarray
    base: np.ndarray  # (rows, 3) recency, frequency, gap_ratio
    key: np.ndarray  # person index (ties)
    sent: np.ndarray  # the owner's outbound mail times, sorted


def gap_stats(frame: Frame, t: int, cap: int = 10) -> tuple[np.ndarray, np.ndarray, int]:
    """The gaps between distinct interaction days before ``t`` (as ``daemon.model.rhythm``
    counts them): each gap's person and its length in days, oldest first per person; and
    the number of persons."""
    size = len(frame.persons)
    ia = (frame.t < t) & ~frame.noise & (frame.group <= cap)
    p = frame.person[ia].astype(np.int64)
    day = (t - frame.t[ia]) // DAY
    fresh = np.r_[True, (p[1:] != p[:-1]) | (day[1:] != day[:-1])] if p.size else day > 0
    dp, dd = p[fresh], day[fresh]
    same = dp[1:] == dp[:-1]
    go, gl = dp[1:][same], (dd[:-1] - dd[1:])[same].astype(float)
    return go, gl, size


def wide(frame: Frame, t: int, cand: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The candidates' shipped features, then the ``WIDE`` ones, at ``t``."""
    agg = aggregate(frame, t)
    base = features(agg)[cand]
    sil = np.where(np.isfinite(agg.silence), agg.silence, 3650.0)[cand]
    tot26 = (agg.out26 + agg.in26 + agg.meet26)[cand]
    go, gl, size = gap_stats(frame, t)
    n = np.bincount(go, minlength=size)[cand].astype(float)
    mean_gap = (agg.first[cand] - sil) / np.maximum(n, 1)
    q, mx, tr = np.zeros(cand.size), np.zeros(cand.size), np.zeros(cand.size)
    pos = {int(c): i for i, c in enumerate(cand)}
    sel = np.isin(go, cand)
    for person in np.unique(go[sel]):
        g = gl[go == person]  # chronological order: oldest gap first
        i = pos[int(person)]
        q[i] = ((g < sil[i]).sum() + 1.0) / (g.size + 2.0)
        mx[i] = np.log1p(g.max())
        tr[i] = np.log1p(g[-3:].mean()) - np.log1p(np.median(g))
    q[n == 0] = 0.5
    def pct(v: np.ndarray) -> np.ndarray:
        r = np.argsort(np.argsort(v, kind="stable"), kind="stable")
        return r / max(v.size - 1, 1)
    extra = np.column_stack([
        np.log1p(tot26), np.log1p(sil) - np.log1p(mean_gap), q, mx, tr,
        pct(agg.days26[cand]), pct(sil), pct(count[cand].astype(float)),
        (sil < 28).astype(float), np.log1p(agg.strength[cand]),
    ])
    return np.column_stack([base, extra, signals(frame, t, cand)])


def grid(owner: str, frame: Frame, start: date, end: date) -> Grid:
    t0 = int(np.datetime64(start.isoformat(), "s").astype(np.int64))
    t1 = int(np.datetime64(end.isoformat(), "s").astype(np.int64))
    inter = interactions(frame)
    sent = sent_times(frame)
    ts, xs, ys, bs, bases, keys = [], [], [], [], [], []
    for t in range(t0 - H - (BACK - 1) * EVERY, t1 + 1, EVERY):
        c = candidates(frame, t, inter)
        if c.index.size == 0:
            continue
        xs.append(wide(frame, t, c.index, c.count))
        ys.append(lapsed(frame, t, H, c.index, inter))
        bs.append(c.recent)
        b = _baselines(frame, inter, t, len(frame.persons), c.index, c.count)
        bases.append(np.column_stack([b["recency"], b["frequency"], b["gap_ratio"]]))
        keys.append(c.index)
        ts.append(np.full(c.index.size, t, np.int64))
    if not xs:
        xs, bases = [np.zeros((0, len(FEATURES) + len(WIDE) + len(SIGNALS)))], [np.zeros((0, 3))]
    cat = lambda v: np.concatenate(v) if v else np.zeros(0)  # noqa: E731
    return Grid(owner, cat(ts).astype(np.int64), np.concatenate(xs), cat(ys).astype(bool),
                cat(bs).astype(bool), np.concatenate(bases), cat(keys).astype(np.int64),
                sent)


def collect(name: str, cache: Path) -> list[Grid]:
    file = cache / f"lab-{name}-signals.pickle"
    if file.exists():
        return pickle.loads(file.read_bytes())  # type: ignore[no-any-return]
    work, start, end, _ = CORPORA[name]
    grids = [grid(o, f, start, end) for o, f in owner_frames(work)]
    cache.mkdir(parents=True, exist_ok=True)
    file.write_bytes(pickle.dumps(grids))
    return grids


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cache", type=Path, default=TMP / "keepwarm-generalise")
    args = p.parse_args()
    for name in CORPORA:
        grids = collect(name, args.cache)
        print(name, len(grids), sum(g.y.size for g in grids))
    return 0


if __name__ == "__main__":
    sys.exit(main())
