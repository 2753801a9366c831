"""The ranking lab (issue 11): feature sets and model classes judged out of corpus, fast.

    python bench/rank_lab.py [--cache DIR] [--only NAME,...]

Reads the 2-weekly snapshot grid of ``bench/lab_grid.py`` (collected once, cached) and scores
each variant in the regimes of ``bench/generalise.py``: in-corpus owner folds, other-corpus
(leave-one-corpus-out) and adapted (the other corpus's fit as the prior, refitted toward it at
each T on the owner's own grid points T' <= T - 12 weeks whose horizon has passed and after
which the owner still sent mail before T). Prints per variant the margin of pooled AUC over
the best baseline in each of the 12 cells, mean precision@5 on track B and the worst decile
gap (track A). Evaluation snapshots: every 4 weeks in each corpus's window, owner still
sending after the horizon, as the backtest defines them. No interval here: the chosen
variant's intervals come from ``bench/generalise.py``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab_grid import CORPORA, EVERY, TMP, WIDE, Grid, collect  # noqa: E402

from daemon.model.adapt import MIN_EXAMPLES, fit_toward  # noqa: E402
from daemon.model.metrics import auc  # noqa: E402
from daemon.model.rhythm import DAY  # noqa: E402
from daemon.model.risk import FEATURES, fit, sigmoid  # noqa: E402

H, BACK = 84 * DAY, 52
COLS = (*FEATURES, *WIDE)


@dataclass
class Rows:
    """Every evaluation row of a corpus: owner, time, features, label, track, baselines."""

    owner: np.ndarray
    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    b: np.ndarray
    base: np.ndarray
    key: np.ndarray
    ex: list[tuple[np.ndarray, np.ndarray]]  # per row's snapshot: the adaptation's examples


def evaluation(name: str, grids: list[Grid]) -> Rows:
    """The 4-weekly evaluation snapshots, each with the examples the adaptation sees."""
    _, start, end, _ = CORPORA[name]
    t0 = int(np.datetime64(start.isoformat(), "s").astype(np.int64))
    t1 = int(np.datetime64(end.isoformat(), "s").astype(np.int64))
    parts: list[tuple] = []
    for i, g in enumerate(grids):
        sent = g.sent
        for t in range(t0, t1 + 1, 2 * EVERY):
            at = g.t == t
            if not at.any() or sent.size == 0 or sent[-1] < t + H:
                continue
            lo = np.searchsorted(sent, g.t + H)  # first mail at or after T' + H
            ok = (g.t <= t - H) & (g.t >= t - H - (BACK - 1) * EVERY) & (lo < sent.size)
            ok &= np.where(lo < sent.size, sent[np.minimum(lo, sent.size - 1)] < t, False)
            parts.append((i, t, at, ok))
    rows = [(np.full(int(at.sum()), i), np.full(int(at.sum()), t), at) for i, t, at, _ in parts]
    owner = np.concatenate([r[0] for r in rows])
    sel = lambda f: np.concatenate([getattr(grids[i], f)[at] for i, _, at, _ in parts])  # noqa
    ex = [(i, ok) for i, _, at, ok in parts for _ in range(int(at.sum()))]
    return Rows(owner, np.concatenate([r[1] for r in rows]), sel("x"), sel("y"), sel("b"),
                sel("base"), sel("key"), ex)  # type: ignore[arg-type]


class Model:
    """A fitted risk model: ``logit(x)``; a linear one keeps its coefficients (the adaptation
    refits them toward themselves), any other is adapted by a logistic correction on its
    own logit and the features, centred on "no correction"."""

    def __init__(self, coef: np.ndarray | None = None,
                 logit: Callable[[np.ndarray], np.ndarray] | None = None,
                 expand: Callable[[np.ndarray], np.ndarray] = lambda v: v) -> None:
        self.coef, self._logit, self.expand = coef, logit, expand

    def logit(self, x: np.ndarray) -> np.ndarray:
        if self.coef is not None:
            return self.coef[0] + self.expand(x) @ self.coef[1:]
        return self._logit(x)  # type: ignore[misc]

    def adapt(self, x: np.ndarray, y: np.ndarray, strength: float) -> Model:
        if self.coef is not None:
            return Model(fit_toward(self.expand(x), y, self.coef, strength), expand=self.expand)
        z = np.column_stack([self.logit(x), x])
        prior = np.r_[0.0, 1.0, np.zeros(x.shape[1])]
        c = fit_toward(z, y, prior, strength)
        return Model(logit=lambda v: c[0] + np.column_stack([self.logit(v), v]) @ c[1:])


Fitter = Callable[[np.ndarray, np.ndarray], Model]


def logistic(l2: float = 1.0) -> Fitter:
    return lambda x, y: Model(fit(x, y, l2=l2))


MONOTONE = {"log_silence": 1, "log_days26": -1, "log_days4": -1, "log_strength": -1,
            "log_count26": -1, "gap_quantile": 1, "log_gap_ratio": 1}


def trees(names: tuple[str, ...], **kw: object) -> Fitter:
    """scikit-learn's HistGradientBoosting (lab only: not a dependency), monotone in the
    features where more contact must mean less risk."""
    def fitter(x: np.ndarray, y: np.ndarray) -> Model:
        from sklearn.ensemble import HistGradientBoostingClassifier
        cst = [MONOTONE.get(n, 0) for n in names]
        params = {"max_iter": 200, "learning_rate": 0.05, "max_leaf_nodes": 15,
                  "min_samples_leaf": 40, "l2_regularization": 1.0, "random_state": 0, **kw}
        m = HistGradientBoostingClassifier(monotonic_cst=cst, **params).fit(x, y)
        return Model(logit=m.decision_function)
    return fitter


def products(names: tuple[str, ...], pairs: tuple[tuple[str, str], ...],
             l2: float = 1.0) -> Fitter:
    """Logistic regression on the features and the products of the given pairs (centred)."""
    ij = [(names.index(a), names.index(b)) for a, b in pairs]
    def fitter(x: np.ndarray, y: np.ndarray) -> Model:
        mu = x.mean(axis=0)
        expand = lambda v: np.column_stack([v, *[(v[:, i] - mu[i]) * (v[:, j] - mu[j])  # noqa
                                                 for i, j in ij]])
        return Model(fit(expand(x), y, l2=l2), expand=expand)
    return fitter


def blend(*fitters: Fitter) -> Fitter:
    """The mean logit of several models."""
    def fitter(x: np.ndarray, y: np.ndarray) -> Model:
        ms = [f(x, y) for f in fitters]
        return Model(logit=lambda v: np.mean([m.logit(v) for m in ms], axis=0))
    return fitter


def risk(model: Model, x: np.ndarray) -> np.ndarray:
    return sigmoid(model.logit(x))


def scores(name: str, data: dict[str, tuple[list[Grid], Rows]], cols: list[int],
           fitter: Fitter, strength: float, train_grid: bool) -> dict[str, np.ndarray]:
    """Per regime, the model's risk on every evaluation row of corpus ``name``."""
    grids, rows = data[name]
    other = [data[n] for n in data if n != name]
    if train_grid:
        ox = np.concatenate([g.x for gs, _ in other for g in gs])[:, cols]
        oy = np.concatenate([g.y for gs, _ in other for g in gs]).astype(float)
    else:
        ox = np.concatenate([r.x for _, r in other])[:, cols]
        oy = np.concatenate([r.y for _, r in other]).astype(float)
    loco = fitter(ox, oy)
    x = rows.x[:, cols]
    folds = CORPORA[name][3]
    fold = np.searchsorted(np.unique(rows.owner), rows.owner) % folds
    incorp, both = np.zeros(len(x)), np.zeros(len(x))
    for k in range(folds):
        tr, te = fold != k, fold == k
        incorp[te] = risk(fitter(x[tr], rows.y[tr].astype(float)), x[te])
        bx, by = np.r_[ox, x[tr]], np.r_[oy, rows.y[tr].astype(float)]
        both[te] = risk(fitter(bx, by), x[te])
    adapted = np.zeros(len(x))
    groups: dict[tuple[int, int], list[int]] = {}
    for j in range(len(x)):
        groups.setdefault((rows.ex[j][0], int(rows.t[j])), []).append(j)
    for (i, _), js in groups.items():
        ok = rows.ex[js[0]][1]
        ex, ey = grids[i].x[ok][:, cols], grids[i].y[ok]
        few = ey.size < MIN_EXAMPLES or ey.all() or not ey.any()
        m = loco if few else loco.adapt(ex, ey.astype(float), strength)
        adapted[js] = risk(m, x[js])
    return {"in-corpus": incorp, "other-corpus": risk(loco, x), "adapted": adapted,
            "both-folds": both}


def precision5(score: np.ndarray, rows: Rows, keep: np.ndarray) -> float:
    out = []
    pairs = zip(rows.owner[keep].tolist(), rows.t[keep].tolist(), strict=True)
    for o, t in sorted(set(pairs)):
        m = keep & (rows.owner == o) & (rows.t == t)
        order = np.lexsort((rows.key[m], -score[m]))[:5]
        out.append(rows.y[m][order].mean())
    return float(np.mean(out))


def calibration(score: np.ndarray, y: np.ndarray) -> float:
    order = np.argsort(score, kind="stable")
    return max(abs(score[p].mean() - y[p].mean()) for p in np.array_split(order, 10))


def cells(name: str, rows: Rows, sc: dict[str, np.ndarray]) -> list[tuple]:
    out = []
    for regime, s in sc.items():
        for track in "AB":
            keep = rows.b if track == "B" else np.ones(len(s), bool)
            best = max(auc(rows.base[keep, k], rows.y[keep]) for k in range(3))
            out.append((name, regime, track, auc(s[keep], rows.y[keep]) - best,
                        precision5(s, rows, keep), calibration(s, rows.y)))
    return out


VARIANTS: dict[str, tuple[tuple[str, ...], Fitter, float, bool]] = {
    "shipped-features": (FEATURES, logistic(), 30.0, False),
    "shipped+grid": (FEATURES, logistic(), 30.0, True),
    **{f"+{w}": ((*FEATURES, w), logistic(), 30.0, False) for w in WIDE},
    "+pct3": ((*FEATURES, "pct_days26", "pct_silence", "pct_count26"), logistic(), 30.0, False),
    "+gapq+ratio": ((*FEATURES, "gap_quantile", "log_gap_ratio"), logistic(), 30.0, False),
    **{f"-{f}": (tuple(c for c in FEATURES if c != f), logistic(), 30.0, False)
       for f in FEATURES},
    **{f"l2={lam}": (FEATURES, logistic(lam), 30.0, False) for lam in (10.0, 100.0, 1000.0)},
    "small5": (("log_silence", "log_days26", "log_strength", "two_way", "log_age"),
               logistic(), 30.0, False),
    "hgb": (FEATURES, trees(FEATURES), 30.0, False),
    "hgb-shallow": (FEATURES, trees(FEATURES, max_leaf_nodes=4, max_iter=150), 30.0, False),
    "hgb+wide": (COLS[:-4], trees(COLS[:-4]), 30.0, False),
    "gam": (FEATURES, trees(FEATURES, max_depth=1, max_leaf_nodes=2, max_iter=300), 30.0,
            False),
    "gam-slow": (FEATURES, trees(FEATURES, max_depth=1, max_leaf_nodes=2, max_iter=300,
                                 learning_rate=0.02), 30.0, False),
    "blend-lr-hgb4": (FEATURES, blend(logistic(), trees(FEATURES, max_leaf_nodes=4,
                                                        max_iter=150)), 30.0, False),
    "x-sil*d26": (FEATURES, products(FEATURES, (("log_silence", "log_days26"),)), 30.0, False),
    "x-sil*rhy": (FEATURES, products(FEATURES, (("log_silence", "log_rhythm"),)), 30.0, False),
    "x-d4*d26": (FEATURES, products(FEATURES, (("log_days4", "log_days26"),)), 30.0, False),
    "x-sil*str": (FEATURES, products(FEATURES, (("log_silence", "log_strength"),)), 30.0,
                  False),
    "x-sil*age": (FEATURES, products(FEATURES, (("log_silence", "log_age"),)), 30.0, False),
    "x-sq": (FEATURES, products(FEATURES, tuple((f, f) for f in (
        "log_silence", "log_days26", "log_strength"))), 30.0, False),
    "small4+trend": (("log_silence", "log_days26", "log_strength", "trend"),
                     logistic(), 30.0, False),
}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cache", type=Path, default=TMP / "keepwarm-generalise")
    p.add_argument("--only", default="")
    args = p.parse_args()
    data = {}
    for name in CORPORA:
        grids = collect(name, args.cache)
        data[name] = (grids, evaluation(name, grids))
    only = set(filter(None, args.only.split(",")))
    for variant, (names, fitter, strength, train_grid) in VARIANTS.items():
        if only and variant not in only:
            continue
        cols = [COLS.index(n) for n in names]
        res = [c for n in CORPORA
               for c in cells(n, data[n][1], scores(n, data, cols, fitter, strength, train_grid))]
        main12 = [c for c in res if c[1] != "both-folds"]
        margins = " ".join(f"{c[3]:+.3f}" for c in main12)
        both = " ".join(f"{c[3]:+.3f}" for c in res if c[1] == "both-folds")
        p5 = " ".join(f"{c[4]:.2f}" for c in main12 if c[2] == "B")
        cal = " ".join(f"{c[5]:.2f}" for c in main12 if c[2] == "A")
        print(f"{variant:<18} min {min(c[3] for c in main12):+.3f} | {margins} | both {both} "
              f"| p@5B {p5} | cal {cal}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
