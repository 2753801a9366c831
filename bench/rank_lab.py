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

Each line: variant, worst of the 12 margins, the 12 margins (Enron then kernel lists; in-corpus,
other-corpus, adapted; tracks A, B), ``both`` (fitted on the other corpus and the other owners
of this one: Enron A, B, kernel A, B), precision@5 on track B and the decile gap per regime.
The ``shipped`` line is the product's model: the features with the owner's own lapse level as
a fixed offset at ``LEVEL_WEIGHT`` (``daemon.model.level``; the grid column ``owner_rate``, see
``bench/lab_owner.py``); ``no level`` and the variants after it are the model before the level.
The tree variants need scikit-learn, which Keepwarm does not depend on: without it they are
skipped (``pip install scikit-learn`` to run them).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab_grid import CORPORA, EVERY, TMP, WIDE, Grid, collect  # noqa: E402
from lab_models import TREES, Fitter, blend, logistic, offset, products, risk, trees  # noqa: E402
from lab_owner import DERIVED, LEVEL_VARIANTS, augment  # noqa: E402
from lab_signals import SIGNALS  # noqa: E402

from daemon.model.adapt import MIN_EXAMPLES  # noqa: E402
from daemon.model.level import PRIOR_ROWS  # noqa: E402
from daemon.model.metrics import auc  # noqa: E402
from daemon.model.rhythm import DAY  # noqa: E402
from daemon.model.risk import FEATURES, LEVEL_WEIGHT  # noqa: E402

H, BACK = 84 * DAY, 52
COLS = (*FEATURES, *WIDE, *SIGNALS, *DERIVED)


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
        if COLS.index("owner_rate") in cols:  # as daemon.model.adapt: a level resting on
            kept = grids[i].x[ok][:, COLS.index("owner_rows")] >= PRIOR_ROWS  # the prior: out
            ex, ey = ex[kept], ey[kept]
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


def without(*drop: str) -> tuple[str, ...]:
    return tuple(c for c in FEATURES if c not in drop)


HGB4 = {"max_leaf_nodes": 4, "max_iter": 150}
STUMPS = {"max_depth": 1, "max_leaf_nodes": 2, "max_iter": 300}
# name -> (features, fitter, adaptation prior strength, fit on the whole grid of the other corpus)
VARIANTS: dict[str, tuple[tuple[str, ...], Fitter, float, bool]] = {
    "shipped": ((*FEATURES, "owner_rate"), offset(len(FEATURES), LEVEL_WEIGHT), 30.0, False),
    **LEVEL_VARIANTS,
    # the variants below are the model before the level (its own line: "no level")
    "no level": (FEATURES, logistic(), 30.0, False),
    "no level, grid-fit": (FEATURES, logistic(), 30.0, True),
    **{f"+{w}": ((*FEATURES, w), logistic(), 30.0, False) for w in WIDE},
    "+pct3": ((*FEATURES, "pct_days26", "pct_silence", "pct_count26"), logistic(), 30.0, False),
    **{f"-{f}": (without(f), logistic(), 30.0, False) for f in FEATURES},
    "-two_way-out_share": (without("two_way", "out_share"), logistic(), 30.0, False),
    **{f"l2={lam:g}": (FEATURES, logistic(lam), 30.0, False) for lam in (10.0, 100.0, 1000.0)},
    **{f"prior={k:g}": (FEATURES, logistic(), k, False) for k in (3.0, 10.0, 100.0)},
    **{f"x {a}*{b}": (FEATURES, products(FEATURES, ((a, b),)), 30.0, False) for a, b in (
        ("log_silence", "log_days26"), ("log_rhythm", "log_days26"), ("log_silence", "log_age"),
        ("log_silence", "two_way"), ("log_silence", "log_days4"))},
    "hgb": (FEATURES, trees(FEATURES), 30.0, False),
    "hgb4": (FEATURES, trees(FEATURES, **HGB4), 30.0, False),
    "hgb+wide": ((*FEATURES, *WIDE[:5]), trees((*FEATURES, *WIDE[:5])), 30.0, False),
    "stumps (monotone GAM)": (FEATURES, trees(FEATURES, **STUMPS), 30.0, False),
    "blend logistic+hgb4": (FEATURES, blend(logistic(), trees(FEATURES, **HGB4)), 30.0, False),
}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cache", type=Path, default=TMP / "keepwarm-generalise")
    p.add_argument("--only", default="")
    args = p.parse_args()
    missing = [str(w) for w, *_ in CORPORA.values() if not any(w.glob("*.done"))]
    if missing:
        print(f"rank_lab: no cached stores in {', '.join(missing)}: run "
              "bench/enron_backtest.py --import-only and bench/lists_backtest.py first.",
              file=sys.stderr)
        return 2
    trees_ok = importlib.util.find_spec("sklearn") is not None
    data = {}
    for name in CORPORA:
        grids = augment(collect(name, args.cache))
        data[name] = (grids, evaluation(name, grids))
    only = set(filter(None, args.only.split(",")))
    for variant, (names, fitter, strength, train_grid) in VARIANTS.items():
        if (only and variant not in only) or (not trees_ok and fitter in TREES):
            continue
        cols = [COLS.index(n) for n in names]
        res = [c for n in CORPORA
               for c in cells(n, data[n][1], scores(n, data, cols, fitter, strength, train_grid))]
        main12 = [c for c in res if c[1] != "both-folds"]
        margins = " ".join(f"{c[3]:+.3f}" for c in main12)
        both = " ".join(f"{c[3]:+.3f}" for c in res if c[1] == "both-folds")
        p5 = " ".join(f"{c[4]:.2f}" for c in main12 if c[2] == "B")
        cal = " ".join(f"{c[5]:.2f}" for c in main12 if c[2] == "A")
        print(f"{variant:<28} min {min(c[3] for c in main12):+.3f} | {margins} | both {both} "
              f"| p@5B {p5} | cal {cal}", flush=True)
    if not trees_ok:
        print("(tree variants skipped: scikit-learn is not installed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
