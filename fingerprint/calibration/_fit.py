"""Fitting a calibration map on pairs of known lineage, with out-of-sample error.

The map is a logistic regression of "distilled" on a few evidence statistics, each
standardised on the training cases.  Coefficients are constrained to be non-negative (every
feature is oriented so that larger means "more like distillation"), so the map is monotone,
and a small ridge penalty keeps it finite when the training classes separate.

A *case* is one replicate (one seed, one probe subset, one control panel) of one *pair*
(reference, suspect).  Replicates of one pair are not independent, so cross-validation holds
out whole pairs (leave-one-pair-out, or grouped k-fold when there are many pairs): every
probability used to measure the error was predicted by a map that never saw that pair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from scipy import optimize

from ..errors import CalibrationError

DEFAULT_RIDGE = 1.0
MAX_LOPO_PAIRS = 60
GROUPED_FOLDS = 10


@dataclass
class Case:
    """One replicate of one pair of known lineage; ``label`` is 1 for distilled, 0 for not."""

    pair: str
    label: int
    evidence: dict[str, Any]
    source: str = "custom"
    kind: str = ""
    info: dict[str, Any] = field(default_factory=dict)


def feature_matrix(cases: Sequence[Case], features: Sequence[str]) -> np.ndarray:
    """Rows of finite feature values; a case lacking one raises (fit only on complete cases)."""
    x = np.empty((len(cases), len(features)))
    for i, case in enumerate(cases):
        for j, name in enumerate(features):
            value = case.evidence.get(name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
                raise CalibrationError(f"pair {case.pair} has no numeric evidence '{name}'; "
                                       "every calibration case needs every feature of the map")
            x[i, j] = float(value)
    return x


def fit_logistic(x: np.ndarray, y: np.ndarray, *, ridge: float = DEFAULT_RIDGE,
                 nonnegative: bool = True) -> tuple[np.ndarray, float]:
    """Penalised maximum likelihood: minimise Σ log(1 + e^{−s·η}) + ridge/2·‖w‖² (intercept
    unpenalised), with w ≥ 0 when ``nonnegative``.  ``x`` should be standardised."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if len(set(y.tolist())) < 2:
        raise CalibrationError("calibration needs both distilled and non-distilled pairs")
    sign = 2.0 * y - 1.0
    d = x.shape[1]

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        eta = x @ theta[:d] + theta[d]
        m = -sign * eta
        loss = float(np.sum(np.logaddexp(0.0, m))) + 0.5 * ridge * float(theta[:d] @ theta[:d])
        g = -sign * (1.0 / (1.0 + np.exp(-m)))  # d loss / d eta
        grad = np.empty(d + 1)
        grad[:d] = x.T @ g + ridge * theta[:d]
        grad[d] = g.sum()
        return loss, grad

    rate = min(max(y.mean(), 1e-3), 1 - 1e-3)
    start = np.zeros(d + 1)
    start[d] = math.log(rate / (1 - rate))
    bounds = [(0.0, None) if nonnegative else (None, None)] * d + [(None, None)]
    res = optimize.minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": 2000, "gtol": 1e-9, "ftol": 1e-14})
    if not np.all(np.isfinite(res.x)):
        raise CalibrationError("the logistic fit did not converge; check the evidence values")
    return res.x[:d].copy(), float(res.x[d])


@dataclass
class FittedMap:
    """A fitted logistic map with its standardisation and the clip range (training range)."""

    features: list[str]
    mean: np.ndarray
    sd: np.ndarray
    coef: np.ndarray
    intercept: float
    lo: np.ndarray
    hi: np.ndarray
    base_rate: float

    def log_odds(self, x: np.ndarray) -> np.ndarray:
        z = np.clip((np.asarray(x, float) - self.mean) / self.sd, self.lo, self.hi)
        return z @ self.coef + self.intercept

    def probability(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.log_odds(x)))

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "coefficients": {f: float(c) for f, c in zip(self.features, self.coef)},
            "intercept": float(self.intercept),
            "standardize": {f: [float(m), float(s)] for f, m, s in zip(self.features, self.mean, self.sd)},
            "clip": {f: [float(a), float(b)] for f, a, b in zip(self.features, self.lo, self.hi)},
            "base_rate": float(self.base_rate),
        }


def fit_map(x: np.ndarray, y: np.ndarray, features: Sequence[str], *,
            ridge: float = DEFAULT_RIDGE) -> FittedMap:
    """Standardise on these cases, fit, and clip future inputs to the range seen here."""
    x = np.asarray(x, float)
    mean = x.mean(axis=0)
    sd = x.std(axis=0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    z = (x - mean) / sd
    coef, intercept = fit_logistic(z, y, ridge=ridge)
    return FittedMap(list(features), mean, sd, coef, intercept, z.min(axis=0), z.max(axis=0),
                     float(np.mean(y)))


def grouped_folds(groups: Sequence[str], rng: np.random.Generator) -> list[np.ndarray]:
    """Test-index sets: one per pair (leave-one-pair-out) up to ``MAX_LOPO_PAIRS`` pairs,
    else ``GROUPED_FOLDS`` folds of whole pairs, assigned at random."""
    names = sorted(set(groups))
    arr = np.asarray(groups)
    if len(names) <= MAX_LOPO_PAIRS:
        return [np.flatnonzero(arr == g) for g in names]
    order = rng.permutation(len(names))
    fold_of = {names[i]: k % GROUPED_FOLDS for k, i in enumerate(order)}
    fold = np.array([fold_of[g] for g in groups])
    return [np.flatnonzero(fold == k) for k in range(GROUPED_FOLDS)]


def cross_validated(x: np.ndarray, y: np.ndarray, groups: Sequence[str],
                    features: Sequence[str], *, ridge: float = DEFAULT_RIDGE,
                    rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """Out-of-sample probabilities (each from a map fitted without that case's pair) and
    a description of the scheme."""
    folds = grouped_folds(groups, rng)
    out = np.full(len(y), np.nan)
    for test in folds:
        train = np.setdiff1d(np.arange(len(y)), test)
        if len(set(y[train].tolist())) < 2:
            raise CalibrationError("holding out one pair leaves a single class; add more "
                                   "distilled and non-distilled pairs")
        out[test] = fit_map(x[train], y[train], features, ridge=ridge).probability(x[test])
    n_pairs = len(set(groups))
    scheme = (f"leave-one-pair-out over {n_pairs} pairs" if len(folds) == n_pairs
              else f"grouped {len(folds)}-fold by pair over {n_pairs} pairs")
    return out, scheme
