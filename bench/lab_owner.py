"""Owner-level columns of the ranking lab (``bench/rank_lab.py``), derived from a cached grid
(``bench/lab_grid.py``) without recollecting it: how many of the owner's own candidates lapsed
in the snapshots whose horizon had passed before each row's time (what the product can know at
T: the same labelled snapshots the adaptation learns from), and the variants that try them.

``owner_rate`` is the product's level (``daemon.model.level``) up to the grid's start: a
row near the start of the grid sees fewer past snapshots than the product would; the
evaluation rows see them all (the lab's ``shipped`` line reproduces ``bench/generalise.py``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from lab_grid import EVERY, Grid
from lab_models import Fitter, logistic, offset
from lab_signals import SIGNALS

from daemon.model.rhythm import DAY
from daemon.model.risk import FEATURES

H = 84 * DAY
DERIVED = (
    "owner_rate",  # logit of the owner's lapse rate over the last year of passed snapshots
    "owner_rate_q",  # ... over the last quarter (7 snapshots)
    "owner_sent_trend",  # log((1 + your mails in 8 weeks) / (1 + 8/26 of those in 26 weeks))
    "owner_sent4_trend",  # the same over 4 weeks
    "owner_log_sent26",  # log(1 + your mails in 26 weeks)
    "owner_cand_trend",  # log(candidates at T / their mean over the last 26 weeks' grid)
    "owner_quiet",  # share of the owner's candidates at T silent for 28 days or more
    "owner_quiet_logit",  # its logit, shrunk
    "owner_quiet_trend",  # owner_quiet minus its mean over the last 26 weeks' grid
    "owner_rows",  # rows behind owner_rate (the adaptation skips examples with fewer than 20)
)
PRIOR_RATE, PRIOR_ROWS = 0.5, 20.0


def passed(g: Grid, t: int, points: int) -> np.ndarray:
    """``g``'s rows at grid times T' <= t - H (the last ``points`` of them) after whose
    horizon the owner still sent mail before t."""
    lo = np.searchsorted(g.sent, g.t + H)
    ok = (g.t <= t - H) & (g.t > t - H - points * EVERY) & (lo < g.sent.size)
    ok &= np.where(lo < g.sent.size, g.sent[np.minimum(lo, max(g.sent.size - 1, 0))] < t, False)
    return ok


def rate_at(g: Grid, t: int, points: int, prior_rows: float = PRIOR_ROWS) -> float:
    """Logit of the shrunk lapse rate of the ``passed`` rows."""
    ok = passed(g, t, points)
    r = (g.y[ok].sum() + prior_rows * PRIOR_RATE) / (ok.sum() + prior_rows)
    return float(np.log(r / (1 - r)))


def augment(grids: list[Grid]) -> list[Grid]:
    """Each grid with the ``DERIVED`` columns appended to ``x``."""
    out = []
    for g in grids:
        cols = np.zeros((g.t.size, len(DERIVED)))
        times, n_cand = np.unique(g.t, return_counts=True)
        for t, n in zip(times.tolist(), n_cand.tolist(), strict=True):
            at = g.t == t
            cols[at, 0] = rate_at(g, int(t), 26)
            cols[at, 1] = rate_at(g, int(t), 7)
            s4, s8, s26 = (np.searchsorted(g.sent, t) - np.searchsorted(g.sent, t - w * 7 * DAY)
                           for w in (4, 8, 26))
            cols[at, 2] = np.log1p(s8) - np.log1p(s26 * 8 / 26)
            cols[at, 3] = np.log1p(s4) - np.log1p(s26 * 4 / 26)
            cols[at, 4] = np.log1p(s26)
            past = (times > t - 182 * DAY) & (times <= t)
            cols[at, 5] = np.log(n / n_cand[past].mean())
            quiet = 1 - g.b[at].mean()
            cols[at, 6] = quiet
            r = (quiet * n + 2 * 0.6) / (n + 2)
            cols[at, 7] = np.log(r / (1 - r))
            recent = (g.t > t - 182 * DAY) & (g.t <= t)
            cols[at, 8] = quiet - (1 - g.b[recent].mean())
            cols[at, 9] = passed(g, int(t), 26).sum()
        out.append(replace(g, x=np.column_stack([g.x, cols])))
    return out


def _level(weight: float, *extra: str, strength: float = 30.0,
           **kw: float) -> tuple[tuple[str, ...], Fitter, float, bool]:
    return (*FEATURES, "owner_rate", *extra), offset(len(FEATURES), weight, **kw), strength, False


N = len(FEATURES)
# name -> (features, fitter, adaptation prior strength, fit on the whole grid): the level as an
# offset at other weights, other adaptation priors, beside each new signal; owner-level
# columns as fitted features of the model without the level (no offset)
LEVEL_VARIANTS: dict[str, tuple[tuple[str, ...], Fitter, float, bool]] = {
    **{f"level x{w:g}": _level(w) for w in (0.3, 0.7, 1.0)},
    **{f"level prior={k:g}": _level(0.5, strength=k) for k in (100.0, 300.0)},
    **{f"level intercept prior={k:g}": _level(0.5, intercept_strength=k) for k in (1.0, 5.0)},
    "level of the last quarter x1": ((*FEATURES, "owner_rate_q"), offset(N), 30.0, False),
    "level x1 +owner_quiet": _level(1.0, "owner_quiet"),
    **{f"level +{w}": _level(0.5, w) for w in SIGNALS},
    **{f"+{w} (fitted)": ((*FEATURES, w), logistic(), 30.0, False) for w in DERIVED[:-1]},
    "+owner_rate+owner_rate_q": ((*FEATURES, *DERIVED[:2]), logistic(), 30.0, False),
    "+owner_rate+owner_quiet": ((*FEATURES, "owner_rate", "owner_quiet"), logistic(), 30.0,
                                False),
    "+owner trends": ((*FEATURES, *DERIVED[2:6]), logistic(), 30.0, False),
}
