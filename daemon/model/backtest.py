"""Replay a store snapshot by snapshot, exactly as ``../shared/README.md`` defines the ranking
backtest, and collect one row per (owner, snapshot, candidate) with the model's risk, the
baselines and the label. Metrics live in :mod:`daemon.model.metrics`.

- Snapshots at ``start``, then every ``every`` until ``end``, at 00:00 UTC.
- Interactions, candidates, tracks and labels as :mod:`daemon.model.examples` defines them
  (the same definitions the adaptation learns from). A snapshot counts only if the owner
  still sends mail (any outbound mail) at or after T + horizon.
- The model sees only touchpoints before T (no upcoming-meeting exclusion); both ``model``
  and ``adapted`` read the owner's own lapse level at T (:mod:`daemon.model.level`).
- A row names its contact twice, so an outside checker can join on either: ``key``, the
  person's key in the store (its primary normalised address; ``contact`` is the same), and
  ``address``, the store address of the candidate's last interaction before T (one of a
  ``[[people]]`` group's addresses).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from daemon.model.adapt import fitted, owner_level
from daemon.model.assess import evaluate
from daemon.model.examples import candidates, interactions, lapsed, sent_times
from daemon.model.frame import Frame
from daemon.model.rhythm import DAY
from daemon.model.risk import features
from daemon.model.risk import risk as lapse_risk

MODELS = ("model", "adapted")  # shipped coefficients; adapted to the owner's past before T
BASELINES = ("recency", "frequency", "gap_ratio")
METHODS = MODELS + BASELINES


@dataclass(frozen=True)
class Snapshot:
    """The candidates of one owner at one T, with every method's risk (higher = riskier)."""

    owner: str
    as_of: datetime
    contacts: tuple[str, ...]
    label: np.ndarray  # bool: lapsed
    track_b: np.ndarray  # bool
    scores: dict[str, np.ndarray]  # method -> risk-like score
    x: np.ndarray  # the model's feature matrix for the candidates (for fitting)
    seen_as: tuple[str, ...] = ()  # per candidate, the address of their last interaction
    level: float = 0.0  # the owner's own lapse level at T (daemon.model.level)


def snapshot_times(start: date, end: date, every: timedelta) -> list[datetime]:
    """``start``, then every ``every`` while not after ``end``, at 00:00 UTC."""
    out, t = [], datetime(start.year, start.month, start.day, tzinfo=UTC)
    stop = datetime(end.year, end.month, end.day, tzinfo=UTC)
    while t <= stop:
        out.append(t)
        t += every
    return out


def snapshots(owner: str, frame: Frame, times: list[datetime], horizon: timedelta,
              cap: int = 10, adapted: bool = True) -> Iterator[Snapshot]:
    """Every counting snapshot of one owner's frame (owner still sending after the horizon).
    With ``adapted``, the "adapted" method scores with coefficients fitted to the owner's own
    snapshots before T (:mod:`daemon.model.adapt`, which reads only the frame cut at T)."""
    size = len(frame.persons)
    inter = interactions(frame)
    sent = sent_times(frame)
    h = int(horizon.total_seconds())
    for when in times:
        t = int(when.timestamp())
        if sent.size == 0 or sent[-1] < t + h:
            continue
        c = candidates(frame, t, inter)
        if c.index.size == 0:
            continue
        cand = c.index
        coef, level = fitted(frame, t, cap=cap) if adapted else (None, owner_level(frame, t))
        ev = evaluate(frame, t, upcoming=False, cap=cap, level=level)
        scores = {"model": ev.risk[cand]}
        if coef is not None:
            scores["adapted"] = lapse_risk(ev.agg, coef, level)[cand]
        yield Snapshot(
            owner=owner, as_of=when, contacts=tuple(frame.persons[i].key for i in cand),
            label=lapsed(frame, t, h, cand, inter), track_b=c.recent,
            scores={**scores, **_baselines(frame, inter, t, size, cand, c.count)},
            x=features(ev.agg)[cand], seen_as=tuple(frame.address(r) for r in c.last),
            level=level)


def _baselines(frame: Frame, inter: np.ndarray, t: int, size: int, cand: np.ndarray,
               count: np.ndarray) -> dict[str, np.ndarray]:
    """recency: days since the last interaction; frequency: fewer interactions in 26 weeks is
    riskier; gap ratio: days since last over the mean past gap (all interactions before T)."""
    past = inter & (frame.t < t)
    p, age = frame.person[past], (t - frame.t[past]) / DAY
    last = np.full(size, np.inf)
    np.minimum.at(last, p, age)
    first = np.zeros(size)
    np.maximum.at(first, p, age)
    n = np.bincount(p, minlength=size)
    mean_gap = (first - last) / np.maximum(n - 1, 1)
    return {
        "recency": last[cand],
        "frequency": -count[cand].astype(float),
        "gap_ratio": last[cand] / np.maximum(mean_gap[cand], 1.0 / 24),
    }


def rows(snap: Snapshot) -> Iterator[dict[str, object]]:
    """The JSON lines of one snapshot: rank is the model's rank among all candidates (1 =
    riskiest), rank_b among track-B candidates; track is "B" for candidates in both tracks."""
    risk = snap.scores["model"]
    order = rank_order(risk, snap.contacts)
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(1, len(order) + 1)
    b_order = [i for i in order if snap.track_b[i]]
    rank_b = {int(i): r for r, i in enumerate(b_order, 1)}
    for i, contact in enumerate(snap.contacts):
        yield {"owner": snap.owner, "as_of": snap.as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
               "contact": contact, "key": contact,
               "address": snap.seen_as[i] if snap.seen_as else contact,
               "risk": round(float(risk[i]), 6), "rank": int(rank[i]),
               "label": bool(snap.label[i]), "track": "B" if snap.track_b[i] else "A",
               "rank_b": rank_b.get(i),
               **{m: round(float(snap.scores[m][i]), 6) for m in METHODS[1:] if m in snap.scores}}


def rank_order(score: np.ndarray, keys: tuple[str, ...]) -> list[int]:
    """Indices by descending score, ties broken by key (deterministic)."""
    return sorted(range(len(keys)), key=lambda i: (-float(score[i]), keys[i]))
