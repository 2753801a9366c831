"""More candidate signals for the ranking lab (``bench/lab_grid.py``), from the same metadata:
reply speed each way and its slowing, the share of threads answered each way, seasonality, and
whether the rest of the contact's domain is going quiet. Lab only: each is kept in the product
only if it earns its place out of corpus (``bench/rank_lab.py``)."""

from __future__ import annotations

import numpy as np

from daemon.model.frame import IN, OUT, Frame
from daemon.model.rhythm import DAY

SIGNALS = (
    "log_my_reply",  # log(1 + median days you took to answer them, in a thread)
    "log_their_reply",  # log(1 + median days they took to answer you)
    "reply_slowing",  # log(1 + their last reply delay) - log(1 + their median one)
    "answered_theirs",  # share of their threads you wrote in (shrunk to 1/2)
    "answered_mine",  # share of your threads they wrote in (shrunk to 1/2)
    "season",  # any interaction in the 12 weeks that started a year before T
    "domain_trend",  # the rest of their domain: log((1 + 8 weeks) / (1 + 8/26 of 26 weeks))
)


def _delays(d: np.ndarray, th: np.ndarray, t: np.ndarray) -> tuple[list[float], list[float]]:
    """Reply delays in days within threads: (yours to them, theirs to you), oldest first."""
    mine, theirs = [], []
    last: dict[int, tuple[int, int]] = {}
    for di, ti, tt in zip(d.tolist(), th.tolist(), t.tolist(), strict=True):
        if ti < 0 or di not in (IN, OUT):
            continue
        prev = last.get(ti)
        if prev is not None and prev[0] != di:
            (mine if di == OUT else theirs).append((tt - prev[1]) / DAY)
        last[ti] = (di, tt)
    return mine, theirs


def _answered(d: np.ndarray, th: np.ndarray) -> tuple[float, float]:
    started: dict[int, int] = {}
    both: dict[int, set[int]] = {}
    for di, ti in zip(d.tolist(), th.tolist(), strict=True):
        if ti < 0 or di not in (IN, OUT):
            continue
        started.setdefault(ti, di)
        both.setdefault(ti, set()).add(di)
    theirs = [len(both[k]) == 2 for k, s in started.items() if s == IN]
    mine = [len(both[k]) == 2 for k, s in started.items() if s == OUT]
    return (sum(theirs) + 1) / (len(theirs) + 2), (sum(mine) + 1) / (len(mine) + 2)


def signals(frame: Frame, t: int, cand: np.ndarray, cap: int = 10) -> np.ndarray:
    """The ``SIGNALS`` of candidates ``cand`` at ``t`` (only touchpoints before ``t``)."""
    ia = (frame.t < t) & ~frame.noise & (frame.group <= cap)
    starts = np.searchsorted(frame.person, np.arange(len(frame.persons) + 1))
    out = np.zeros((cand.size, len(SIGNALS)))
    _, dom = np.unique([p.key.rsplit("@", 1)[-1] for p in frame.persons], return_inverse=True)
    p_ia, t_ia = frame.person[ia], frame.t[ia]
    size = len(frame.persons)
    r8, r26 = t_ia >= t - 56 * DAY, t_ia >= t - 182 * DAY
    dom8 = np.bincount(dom[p_ia[r8]], minlength=dom.max() + 1 if dom.size else 0)
    dom26 = np.bincount(dom[p_ia[r26]], minlength=dom.max() + 1 if dom.size else 0)
    own8, own26 = np.bincount(p_ia[r8], minlength=size), np.bincount(p_ia[r26], minlength=size)
    for i, c in enumerate(cand.tolist()):
        sl = slice(starts[c], starts[c + 1])
        keep = ia[sl]
        d, th, tt = frame.direction[sl][keep], frame.thread[sl][keep], frame.t[sl][keep]
        mine, theirs = _delays(d, th, tt)
        out[i, 0] = np.log1p(np.median(mine)) if mine else np.log1p(3.0)
        out[i, 1] = np.log1p(np.median(theirs)) if theirs else np.log1p(3.0)
        out[i, 2] = np.log1p(theirs[-1]) - np.log1p(np.median(theirs)) if theirs else 0.0
        out[i, 3], out[i, 4] = _answered(d, th)
        out[i, 5] = float(((tt >= t - 365 * DAY) & (tt < t - 281 * DAY)).any())
        n8, n26 = dom8[dom[c]] - own8[c], dom26[dom[c]] - own26[c]
        out[i, 6] = np.log1p(n8) - np.log1p(n26 * 8 / 26)
    return out
