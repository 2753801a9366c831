"""The calibrated lapse risk: a small logistic model over per-person aggregates.

``risk`` is the probability that there is no interaction either way in the next 12 weeks.
The coefficients below are constants fitted once (``bench/fit_risk.py``) on the backtest
candidates of both shared corpora together (the Enron mailboxes in ``../shared/data/enron``
and the kernel maintainers in ``../shared/data/lists``), with an L2 penalty: they are the
prior that :mod:`daemon.model.adapt` refits to each user's own past.

Beside the features, the logit carries a fixed offset: ``LEVEL_WEIGHT`` x the user's own lapse
level (:mod:`daemon.model.level`, the logit of how many of their regular contacts lapsed in
the last year of their own labelled snapshots, 0 for a new user). The coefficients are fitted
with it in place, so they describe a tie against its owner's own level: fitted on one kind of
mailbox, the risk stays calibrated on another whose ties lapse more or less often.
"""

from __future__ import annotations

import numpy as np

from daemon.model.rhythm import Aggregates, Timing

FEATURES = (
    "log_silence",  # log(1 + days since the last interaction)
    "log_overdue",  # log((1 + silence) / (1 + rhythm)): how unusual the silence is
    "log_rhythm",  # log(usual gap)
    "log_days26",  # log(1 + distinct interaction days in 26 weeks)
    "log_days4",  # log(1 + distinct interaction days in 4 weeks)
    "trend",  # log((1 + days in 8 weeks) / (1 + 8/26 of the days in 26 weeks))
    "two_way",  # 2 * min(out, in) / (out + in) in 26 weeks: 1 is balanced, 0 one-way
    "out_share",  # share of the 26 weeks' interactions that you started or attended
    "log_age",  # log(1 + days since the first interaction)
    # no log(1 + strength): scored on a corpus it was not fitted on, the risk ranks better in
    # every cell without it (bench/rank_lab.py); strength still weighs the going-quiet score
    "silence_x_rhythm",  # (log_silence - 3) x (log_rhythm - 3.5): silence says less when slow
)
# Half the user's own level: the level lags (it is a year of snapshots that ended at least 12
# weeks ago) and is noisy for a small mailbox, so it moves the risk half-way to it
# (bench/rank_lab.py: weights 0.3, 0.5, 0.7 and 1 against none).
LEVEL_WEIGHT = 0.5
# The product's centres (about the mean of both corpora's candidates), so the other
# coefficients keep their meaning at a typical tie; fixed, as the adaptation refits around them.
SILENCE_CENTRE, RHYTHM_CENTRE = 3.0, 3.5

# Fitted by bench/fit_risk.py on 10,606 candidate rows of 55 owners of both corpora (52 Enron
# owners, 1999-07..2001-06; 3 kernel maintainers, 2020-01..2025-09; lapse rate 0.514), with
# each row's owner level as the offset; in-sample AUC 0.803, owner-grouped 5-fold out-of-fold
# AUC 0.789 (0.772 without the level). Log_silence, log_overdue and log_rhythm are nearly
# collinear, hence their large opposite weights: together, risk still rises with silence at
# every rhythm below ~4 years. Intercept first, then FEATURES.
COEF = np.array([
    0.1513, 2.7017, -2.1086, -1.8648, -0.6079, -0.0926, -0.1904, 0.2929, -0.0990, -0.2833,
    -0.1732,
])


def features(agg: Timing) -> np.ndarray:
    """The (P, len(FEATURES)) feature matrix; persons without interactions get finite
    placeholder values (they are excluded before anyone reads their risk)."""
    silence = np.where(np.isfinite(agg.silence), agg.silence, 3650.0)
    tot26 = agg.out26 + agg.in26 + agg.meet26
    outs = agg.out26 + agg.meet26
    return np.column_stack([
        np.log1p(silence),
        np.log1p(silence) - np.log1p(agg.rhythm),
        np.log(agg.rhythm),
        np.log1p(agg.days26),
        np.log1p(agg.days4),
        np.log1p(agg.days8) - np.log1p(agg.days26 * 8 / 26),
        2 * np.minimum(outs, agg.in26) / np.maximum(tot26, 1.0),
        outs / np.maximum(tot26, 1.0),
        np.log1p(agg.first),
        (np.log1p(silence) - SILENCE_CENTRE) * (np.log(agg.rhythm) - RHYTHM_CENTRE),
    ])


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def risk(agg: Aggregates, coef: np.ndarray = COEF, level: float = 0.0) -> np.ndarray:
    """Calibrated probability of no interaction in the next 12 weeks, per person, for a user
    whose own lapse level is ``level``."""
    x = features(agg)
    return sigmoid(coef[0] + LEVEL_WEIGHT * level + x @ coef[1:])


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 50,
        level: np.ndarray | None = None) -> np.ndarray:
    """L2-penalised logistic regression by Newton's method (intercept not penalised), with
    each row's owner ``level`` as a fixed offset (``LEVEL_WEIGHT`` x level)."""
    xa = np.column_stack([np.ones(len(x)), x])
    off = 0.0 if level is None else LEVEL_WEIGHT * level
    penalty = np.full(xa.shape[1], l2)
    penalty[0] = 0.0
    return newton(xa, y, off, np.zeros(xa.shape[1]), penalty, iterations)


def newton(xa: np.ndarray, y: np.ndarray, off: np.ndarray | float, prior: np.ndarray,
           penalty: np.ndarray, iterations: int) -> np.ndarray:
    """Logistic regression of ``y`` on ``xa`` (intercept column included) with a fixed logit
    offset ``off``, by Newton's method from ``prior``, with an L2 penalty centred on ``prior``
    (``penalty``: one weight per coefficient; 0 leaves it free). The one fit behind
    :func:`fit`, the adaptation and the rank lab."""
    coef = prior.astype(float).copy()
    ridge = np.diag(penalty)
    for _ in range(iterations):
        p = sigmoid(off + xa @ coef)
        grad = xa.T @ (p - y) + penalty * (coef - prior)
        step = np.linalg.solve(gram(xa, p * (1 - p)) + ridge, grad)
        coef -= step
        if np.abs(step).max() < 1e-8:
            break
    return coef


def gram(xa: np.ndarray, w: np.ndarray, chunk: int = 512) -> np.ndarray:
    """``xa.T @ diag(w) @ xa`` in row chunks: one big product of this thin shape starts
    BLAS threads, which on a busy machine made it 15 times slower than these small ones."""
    xw = xa * w[:, None]
    out = np.zeros((xa.shape[1], xa.shape[1]))
    for start in range(0, len(xa), chunk):
        out += xw[start:start + chunk].T @ xa[start:start + chunk]
    return out
