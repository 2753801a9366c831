"""Does the ranking generalise? One command for issue 11: every corpus, every fitting regime.

    python bench/generalise.py [--boot 1000] [--cache DIR]

Corpora (the cached per-owner stores of ``bench/enron_backtest.py --import-only`` and
``bench/lists_backtest.py``): the shared Enron half (snapshots 2000-07-01..2001-06-30) and the
kernel maintainers of ``../shared/data/lists`` (2020-01-01..2025-09-30), every 4 weeks,
horizon 12 weeks, candidates and labels of ``../shared/README.md``. Regimes, each scoring a
corpus with coefficients that never saw the rows they score:

- ``in-corpus``: owner-grouped folds inside the corpus (5 folds; the 3 kernel owners: one
  each), refitted from scratch (``daemon.model.risk.fit``);
- ``other-corpus``: fitted on the other corpus only (leave-one-corpus-out);
- ``adapted``: the other corpus's fit as the prior, adapted at each T to the owner's own
  snapshots before T (``daemon.model.adapt``: what the product does, with a prior that never
  saw this corpus);
- ``shipped``: the coefficients in ``daemon.model.risk`` as they ship (fitted on both corpora, so
  in-sample there: a reference, not a regime).

Prints, per corpus, regime and track: pooled ROC AUC of the model and the three baselines
with 95% owner-bootstrap intervals, the margin over the best baseline (target +0.05),
precision@5 (target 0.60) and the largest gap between predicted and observed lapse rate over
the risk deciles (target 0.05); then each regime's reliability table.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from owner_store import owner_frames  # noqa: E402

from daemon.model.adapt import MIN_EXAMPLES, Examples, examples, fit_toward  # noqa: E402
from daemon.model.backtest import BASELINES, Snapshot, snapshot_times, snapshots  # noqa: E402
from daemon.model.metrics import evaluate_track, reliability  # noqa: E402
from daemon.model.risk import COEF, LEVEL_WEIGHT, fit, sigmoid  # noqa: E402

TMP = Path(tempfile.gettempdir())
CORPORA = {  # name -> (stores, first snapshot, last snapshot, owner folds)
    "enron": (TMP / "keepwarm-enron", date(2000, 7, 1), date(2001, 6, 30), 5),
    "lists": (TMP / "keepwarm-lists", date(2020, 1, 1), date(2025, 9, 30), 3),
}
H = timedelta(weeks=12)
Pair = tuple[Snapshot, Examples]
FORMAT = "level2"  # the cached pickles' format: change it when Snapshot or Examples change


def collect(work: Path, start: date, end: date) -> list[Pair]:
    """Every counting snapshot of every cached owner store, with the owner's own labelled
    examples before that snapshot (what the adaptation learns from)."""
    out: list[Pair] = []
    times = snapshot_times(start, end, timedelta(weeks=4))
    for owner, frame in owner_frames(work):
        for snap in snapshots(owner, frame, times, H, adapted=False):
            out.append((snap, examples(frame, int(snap.as_of.timestamp()))))
    return out


def cached(name: str, cache: Path) -> list[Pair]:
    work, start, end, _ = CORPORA[name]
    file = cache / f"{name}-{FORMAT}.pickle"
    if file.exists():
        return pickle.loads(file.read_bytes())  # type: ignore[no-any-return]
    pairs = collect(work, start, end)
    cache.mkdir(parents=True, exist_ok=True)
    file.write_bytes(pickle.dumps(pairs))
    return pairs


def stack(pairs: list[Pair]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and each row's owner level (the risk's offset)."""
    return (np.concatenate([s.x for s, _ in pairs]),
            np.concatenate([s.label for s, _ in pairs]).astype(float),
            np.concatenate([np.full(s.label.size, s.level) for s, _ in pairs]))


def fit_on(pairs: list[Pair]) -> np.ndarray:
    x, y, level = stack(pairs)
    return fit(x, y, level=level)


def risk(coef: np.ndarray, s: Snapshot) -> np.ndarray:
    return sigmoid(coef[0] + LEVEL_WEIGHT * s.level + s.x @ coef[1:])


def regimes(name: str, data: dict[str, list[Pair]]) -> dict[str, list[Snapshot]]:
    """The corpus's snapshots scored by each regime (scores["model"] replaced)."""
    pairs = data[name]
    other = [p for n, ps in data.items() if n != name for p in ps]
    loco = fit_on(other)
    owners = sorted({s.owner for s, _ in pairs})
    folds = CORPORA[name][3]
    fold_of = {o: i % folds for i, o in enumerate(owners)}
    fold_coef = [fit_on([p for p in pairs if fold_of[p[0].owner] != k])
                 for k in range(folds)]

    def scored(coef_of) -> list[Snapshot]:  # type: ignore[no-untyped-def]
        return [replace(s, scores={**s.scores, "model": risk(coef_of(s, ex), s)})
                for s, ex in pairs]

    def adapted(_: Snapshot, ex: Examples) -> np.ndarray:
        if len(ex) < MIN_EXAMPLES or ex.y.all() or not ex.y.any():
            return loco
        return fit_toward(ex.x, ex.y.astype(float), loco, level=ex.level)

    return {
        "in-corpus": scored(lambda s, _: fold_coef[fold_of[s.owner]]),
        "other-corpus": scored(lambda s, _: loco),
        "adapted": scored(adapted),
        "shipped": scored(lambda s, _: COEF),
    }


def report(name: str, regime: str, snaps: list[Snapshot], boot: int) -> list[str]:
    table = reliability(snaps)
    calib = max(abs(pred - obs) for _, pred, obs, _ in table)
    lines = []
    for track in ("A", "B"):
        r = evaluate_track(snaps, track, boot=boot)
        best = max(BASELINES, key=lambda b: r.auc[b].value)
        margin = r.auc["model"].value - r.auc[best].value
        lines.append(
            f"| {name:<5} | {regime:<12} | {track} | {r.auc['model']!s:<21} | "
            + " | ".join(f"{r.auc[b].value:.3f}" for b in BASELINES)
            + f" | {margin:+.3f} ({best}) | {r.precision['model']!s:<21} | "
            + (f"{calib:.3f}" if track == "A" else "") + " |")
    return lines


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--boot", type=int, default=1000)
    p.add_argument("--cache", type=Path, default=TMP / "keepwarm-generalise",
                   help="collected snapshots are kept here (delete to recollect)")
    args = p.parse_args()
    missing = [str(w) for w, *_ in CORPORA.values() if not any(w.glob("*.done"))]
    if missing:
        print(f"generalise: no cached stores in {', '.join(missing)}: run "
              "bench/enron_backtest.py --import-only and bench/lists_backtest.py first.",
              file=sys.stderr)
        return 2
    start = time.perf_counter()
    data = {name: cached(name, args.cache) for name in CORPORA}
    collected = time.perf_counter()
    print("| corpus | regime       | track | model AUC [95%]      | recency | frequency | "
          "gap ratio | margin (best baseline) | precision@5 [95%]    | calibration |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    tables = []
    for name in CORPORA:
        for regime, snaps in regimes(name, data).items():
            print("\n".join(report(name, regime, snaps, args.boot)))
            tables.append((name, regime, reliability(snaps)))
    print("\nReliability by risk decile (track A): mean predicted / observed lapse rate")
    for name, regime, table in tables:
        cells = "  ".join(f"{pred:.2f}/{obs:.2f}" for _, pred, obs, _ in table)
        print(f"  {name:<5} {regime:<12} {cells}")
    print(f"\ncollect {collected - start:.1f} s, evaluate {time.perf_counter() - collected:.1f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
