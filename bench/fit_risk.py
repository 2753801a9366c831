"""Fit the lapse-risk coefficients shipped in ``daemon/model/risk.py`` on the backtest
candidates of both corpora together: the Enron owners (4-weekly snapshots 1999-07-03 to
2001-06-30) and the kernel maintainers (2020-01-01 to 2025-09-30).

    python bench/fit_risk.py [--work /tmp/keepwarm-enron] [--lists /tmp/keepwarm-lists]

Needs the per-owner stores made by ``bench/enron_backtest.py --import-only`` and
``bench/lists_backtest.py`` (``--lists ''`` fits on Enron alone). Prints the coefficients
(paste them into ``daemon.model.risk.COEF``), in-sample calibration and owner-grouped
out-of-fold AUC. Each row's owner level (``daemon.model.level``) is the fit's fixed offset,
as in the risk. How the fit does on a corpus it never saw is ``bench/generalise.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from owner_store import owner_frames  # noqa: E402

from daemon.model.backtest import snapshot_times, snapshots  # noqa: E402
from daemon.model.metrics import auc  # noqa: E402
from daemon.model.risk import FEATURES, LEVEL_WEIGHT, fit, sigmoid  # noqa: E402

Rows = tuple[np.ndarray, np.ndarray, list[str], np.ndarray, np.ndarray, np.ndarray]


def collect(work: Path, start: date, end: date) -> Rows:
    """Features, labels, owners, track B, snapshot dates and owner levels of every row."""
    times = snapshot_times(start, end, timedelta(weeks=4))
    xs, ys, owners, track_b, when, levels = [], [], [], [], [], []
    for owner, frame in owner_frames(work):
        for snap in snapshots(owner, frame, times, timedelta(weeks=12), adapted=False):
            xs.append(snap.x)
            ys.append(snap.label)
            owners += [snap.owner] * len(snap.label)
            track_b.append(snap.track_b)
            when += [snap.as_of.date()] * len(snap.label)
            levels.append(np.full(len(snap.label), snap.level))
    return (np.concatenate(xs), np.concatenate(ys).astype(float), owners,
            np.concatenate(track_b), np.array(when), np.concatenate(levels))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "keepwarm-enron")
    p.add_argument("--from", dest="start", type=date.fromisoformat, default=date(1999, 7, 3))
    p.add_argument("--to", dest="end", type=date.fromisoformat, default=date(2001, 6, 30))
    p.add_argument("--lists", default=str(Path(tempfile.gettempdir()) / "keepwarm-lists"))
    p.add_argument("--l2", type=float, default=1.0)
    args = p.parse_args()
    x, y, owners, track_b, when, lv = collect(args.work, args.start, args.end)
    if args.lists:
        lx, ly, lo, lb, lw, ll = collect(Path(args.lists), date(2020, 1, 1), date(2025, 9, 30))
        x, y, owners = np.r_[x, lx], np.r_[y, ly], owners + lo
        track_b, when, lv = np.r_[track_b, lb], np.r_[when, lw], np.r_[lv, ll]
    coef = fit(x, y, l2=args.l2, level=lv)
    off = LEVEL_WEIGHT * lv
    pred = sigmoid(off + coef[0] + x @ coef[1:])
    print(f"rows {len(y)}, owners {len(set(owners))}, lapse rate {y.mean():.3f}, "
          f"mean predicted {pred.mean():.3f}, in-sample AUC {auc(pred, y > 0.5):.3f}")
    for name, c in zip(("intercept", *FEATURES), coef, strict=True):
        print(f"  {name:<14} {c:+.4f}")
    folds = 5  # owner-grouped cross-validation: how the fit does on owners it never saw
    names = sorted(set(owners))
    fold = np.array([names.index(o) % folds for o in owners])
    oof = np.zeros(len(y))
    for k in range(folds):
        c = fit(x[fold != k], y[fold != k], l2=args.l2, level=lv[fold != k])
        oof[fold == k] = sigmoid(off[fold == k] + c[0] + x[fold == k] @ c[1:])
    print(f"owner-grouped {folds}-fold out-of-fold AUC {auc(oof, y > 0.5):.3f}, "
          f"mean predicted {oof.mean():.3f}")
    window = when >= date(2000, 7, 1)
    for track, rows in (("A", window), ("B", window & track_b)):
        print(f"  out-of-fold AUC in the backtest windows, track {track}: "
              f"{auc(oof[rows], y[rows] > 0.5):.3f} ({int(rows.sum())} rows)")
    print("COEF = np.array([" + ", ".join(f"{c:.4f}" for c in coef) + "])")
    return 0


if __name__ == "__main__":
    sys.exit(main())
