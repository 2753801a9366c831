"""The model classes of the ranking lab (``bench/rank_lab.py``): each fitter maps a feature
matrix and labels to a :class:`Model` whose ``logit`` scores new rows and whose ``adapt``
refits it toward itself on one owner's own examples, as ``daemon.model.adapt`` does."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from daemon.model.adapt import fit_toward
from daemon.model.risk import fit, newton, sigmoid


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


TREES: list[Fitter] = []


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
    TREES.append(fitter)
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
    if any(f in TREES for f in fitters):
        TREES.append(fitter)
    return fitter


def risk(model: Model, x: np.ndarray) -> np.ndarray:
    return sigmoid(model.logit(x))


def _newton(x: np.ndarray, y: np.ndarray, off: np.ndarray, prior: np.ndarray,
            penalty: np.ndarray, iterations: int = 50) -> np.ndarray:
    """Logistic regression with an offset and an L2 penalty centred on ``prior``."""
    return newton(np.column_stack([np.ones(len(x)), x]), y, off, prior, penalty, iterations)


def offset(col: int, weight: float = 1.0, l2: float = 1.0,
           intercept_strength: float | None = None) -> Fitter:
    """Logistic regression with column ``col`` as a fixed offset (``weight`` x it), the others
    as features; adapted by the same Newton fit centred on the fitted coefficients (with
    ``intercept_strength`` the intercept's own prior strength)."""
    def split(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.delete(v, col, axis=1), weight * v[:, col]

    def make(coef: np.ndarray) -> Model:
        m = Model(logit=lambda v: coef[0] + split(v)[0] @ coef[1:] + split(v)[1])
        def adapt(x: np.ndarray, y: np.ndarray, strength: float) -> Model:
            xs, off = split(x)
            pen = np.full(coef.size, strength)
            if intercept_strength is not None:
                pen[0] = intercept_strength
            return make(_newton(xs, y, off, coef, pen))
        m.adapt = adapt  # type: ignore[method-assign]
        return m

    def fitter(x: np.ndarray, y: np.ndarray) -> Model:
        xs, off = split(x)
        pen = np.full(xs.shape[1] + 1, l2)
        pen[0] = 0.0
        return make(_newton(xs, y, off, np.zeros(xs.shape[1] + 1), pen))
    return fitter
