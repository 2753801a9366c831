"""Backtest metrics: pooled ROC AUC and precision@5 with bootstrap intervals over owners,
and the reliability table of the calibrated risk.

The owner bootstrap resamples owners with replacement. Pooled AUC is computed from a matrix
``U[a, b]`` = (pairs of a positive of owner a ranked above a negative of owner b, ties 1/2),
so one replicate is ``c @ U @ c / ((c @ pos) * (c @ neg))`` for owner multiplicities ``c``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from daemon.model.backtest import METHODS, Snapshot, rank_order

TOP = 5


def auc(score: np.ndarray, label: np.ndarray) -> float:
    """ROC AUC (Mann-Whitney, ties count one half); NaN without both classes."""
    pos, neg = score[label], score[~label]
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    neg = np.sort(neg)
    below = np.searchsorted(neg, pos, "left")
    equal = np.searchsorted(neg, pos, "right") - below
    return float((below + 0.5 * equal).sum() / (pos.size * neg.size))


def precision_at(score: np.ndarray, label: np.ndarray, keys: tuple[str, ...],
                 k: int = TOP) -> float:
    """Share of lapsed among the top ``min(k, n)`` by score (ties broken by key)."""
    top = rank_order(score, keys)[:k]
    return float(np.mean(label[top])) if top else float("nan")


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


@dataclass(frozen=True)
class TrackResult:
    track: str
    rows: int
    lapsed: int
    owners: int
    snapshots: int
    auc: dict[str, Estimate]
    precision: dict[str, Estimate]


def _pair_matrix(groups: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """U[a, b] for per-owner (scores, labels)."""
    n = len(groups)
    u = np.zeros((n, n))
    pos = [s[lab] for s, lab in groups]
    for b, (s, lab) in enumerate(groups):
        neg = np.sort(s[~lab])
        if neg.size == 0:
            continue
        for a in range(n):
            if pos[a].size:
                below = np.searchsorted(neg, pos[a], "left")
                equal = np.searchsorted(neg, pos[a], "right") - below
                u[a, b] = (below + 0.5 * equal).sum()
    return u


def evaluate_track(snaps: list[Snapshot], track: str, boot: int = 1000,
                   seed: int = 0) -> TrackResult:
    """Pooled AUC and mean precision@5 per method, with 95% owner-bootstrap intervals."""
    owners = sorted({s.owner for s in snaps})
    at = {o: i for i, o in enumerate(owners)}
    sel = [s.track_b if track == "B" else np.ones(len(s.contacts), bool) for s in snaps]
    rng = np.random.default_rng(seed)
    draws = np.stack([np.bincount(rng.integers(0, len(owners), len(owners)),
                                  minlength=len(owners)) for _ in range(boot)]).astype(float)
    labels = [s.label[m] for s, m in zip(snaps, sel, strict=True)]
    n_rows = sum(int(m.sum()) for m in sel)
    aucs, precs = {}, {}
    for method in (m for m in METHODS if all(m in s.scores for s in snaps)):
        per_owner: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {i: [] for i in at.values()}
        prec_sum, prec_n = np.zeros(len(owners)), np.zeros(len(owners))
        for s, m, lab in zip(snaps, sel, labels, strict=True):
            if not m.any():
                continue
            sc = s.scores[method][m]
            per_owner[at[s.owner]].append((sc, lab))
            keys = tuple(k for k, keep in zip(s.contacts, m, strict=True) if keep)
            prec_sum[at[s.owner]] += precision_at(sc, lab, keys)
            prec_n[at[s.owner]] += 1
        groups = [(np.concatenate([g[0] for g in v]) if v else np.zeros(0),
                   np.concatenate([g[1] for g in v]) if v else np.zeros(0, bool))
                  for _, v in sorted(per_owner.items())]
        u = _pair_matrix(groups)
        npos = np.array([g[1].sum() for g in groups], float)
        nneg = np.array([(~g[1]).sum() for g in groups], float)
        one = np.ones(len(owners))
        value = float(one @ u @ one / (npos.sum() * nneg.sum()))
        with np.errstate(invalid="ignore", divide="ignore"):  # a draw without one class: NaN
            reps = (np.einsum("ri,ij,rj->r", draws, u, draws)
                    / ((draws @ npos) * (draws @ nneg)))
        aucs[method] = Estimate(value, *np.nanpercentile(reps, [2.5, 97.5]))
        pv = float(prec_sum.sum() / prec_n.sum())
        preps = (draws @ prec_sum) / np.maximum(draws @ prec_n, 1)
        precs[method] = Estimate(pv, *np.percentile(preps, [2.5, 97.5]))
    return TrackResult(track, n_rows, int(sum(lab.sum() for lab in labels)),
                       len({s.owner for s, m in zip(snaps, sel, strict=True) if m.any()}),
                       sum(1 for m in sel if m.any()), aucs, precs)


def reliability(snaps: list[Snapshot], bins: int = 10,
                method: str = "model") -> list[tuple[float, float, float, int]]:
    """(low, mean predicted, observed lapse rate, n) per equal-count decile of ``method``'s
    risk over all track-A rows."""
    risk = np.concatenate([s.scores[method] for s in snaps]) if snaps else np.zeros(0)
    label = np.concatenate([s.label for s in snaps]) if snaps else np.zeros(0, bool)
    if risk.size == 0:
        return []
    order = np.argsort(risk, kind="stable")
    out = []
    for part in np.array_split(order, min(bins, risk.size)):
        out.append((float(risk[part].min()), float(risk[part].mean()),
                    float(label[part].mean()), int(part.size)))
    return out
