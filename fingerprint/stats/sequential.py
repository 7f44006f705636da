"""Anytime-valid evidence: e-values from one batch of fresh data, e-processes over batches,
and a time-uniform confidence bound (docs/statistics.md#sequential-collection).

An *e-value* is a nonnegative statistic with expectation at most 1 under the null.  Products
of e-values computed on disjoint batches, each valid given the batches before it, form a test
supermartingale; by Ville's inequality it ever reaches ``1/alpha`` with probability at most
``alpha``, so a test may look after every batch and stop whenever it likes (Shafer 2021;
Ramdas, Grünwald, Vovk & Shafer 2023, "Game-theoretic statistics and safe anytime-valid
inference").  The e-values here are of two kinds:

* :func:`sign_bet_e_values` — testing by betting on the signs of cluster means that are
  symmetric about zero under the null (the sign-flip null of :mod:`.cluster`); the bet on
  each cluster is scaled by the round's largest magnitude, which sign flips leave unchanged,
  so each factor has conditional expectation exactly 1.
* :func:`randomization_e_value` — a permutation e-value: the observed statistic's
  exponential weight over the average weight of the observed and ``B`` random
  relabellings, exactly 1 in expectation when the labels are exchangeable (Koning 2023,
  "Post-hoc and anytime valid permutation and group invariance testing").

Averaging e-processes run with different bets is again an e-process (the mixture method),
which spares tuning the bet to an effect size nobody knows in advance.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

#: the bets mixed over (fractions of the largest stake that keeps every factor >= 0)
SIGN_BETS = (0.25, 0.5, 0.75)
#: the exponential tilts mixed over in the permutation e-value (per unit of the
#: standardised sum over probes divided by the root of their number)
TILTS = (0.5, 1.0, 2.0, 4.0)


def sign_bet_e_values(means: Sequence[float], bets: Sequence[float] = SIGN_BETS) -> np.ndarray:
    """One e-value per bet for "each cluster mean is symmetric about 0" against "> 0".

    ``prod_g (1 + b x_g / M)`` with ``M = max_g |x_g|``: given the magnitudes, every sign
    is +1 or -1 with probability 1/2 under the null, so each factor averages 1.  Bets must lie
    in [0, 1); an empty batch (or all means 0) gives 1."""
    x = np.asarray(means, dtype=np.float64).ravel()
    b = np.asarray(bets, dtype=np.float64)
    if np.any(b < 0) or np.any(b >= 1):
        raise ValueError("bets must lie in [0, 1)")
    if not np.all(np.isfinite(x)):
        raise ValueError("cluster means hold NaN or inf")
    scale = float(np.abs(x).max()) if x.size else 0.0
    if scale == 0.0:
        return np.ones(b.size)
    return np.prod(1.0 + np.outer(b, x / scale), axis=1)


def randomization_e_value(observed: float, null: Sequence[float],
                          tilts: Sequence[float] = TILTS) -> np.ndarray:
    """One e-value per tilt ``lam``: ``(B+1) exp(lam T) / (exp(lam T) + sum_b exp(lam T_b))``.

    ``null`` holds the statistic under ``B`` uniformly random relabellings drawn
    independently of the data; under exchangeability the observed value is one more draw,
    so the ratio of its weight to the average weight has expectation 1.  At most ``B + 1``."""
    t = np.concatenate([[float(observed)], np.asarray(null, dtype=np.float64).ravel()])
    if not np.all(np.isfinite(t)):
        raise ValueError("statistics hold NaN or inf")
    lam = np.asarray(tilts, dtype=np.float64)[:, None]
    z = lam * t[None, :]
    z -= z.max(axis=1, keepdims=True)  # stable: the ratio is unchanged by a common shift
    w = np.exp(z)
    return t.size * w[:, 0] / w.sum(axis=1)


def mixture_e_process(e_values: np.ndarray) -> np.ndarray:
    """The running e-process of rows of e-values (rounds x bets): the average over bets of
    each bet's running product.  Entry ``t`` is the evidence after round ``t``."""
    e = np.asarray(e_values, dtype=np.float64)
    if e.ndim != 2:
        raise ValueError("e_values must be a (rounds, bets) array")
    if e.shape[0] == 0:
        return np.zeros(0)
    return np.cumprod(e, axis=0).mean(axis=1)


def mixture_rho(alpha: float, t_opt: float) -> float:
    """The normal-mixture precision that makes the boundary tightest near ``t_opt``
    observations (Waudby-Smith et al. 2024, eq. 2.4)."""
    a = -2.0 * math.log(alpha)
    return math.sqrt((a + math.log(a + 1.0)) / t_opt)


def upper_confidence_sequence(values: Sequence[float], alpha: float,
                              t_opt: float = 10.0) -> float:
    """An upper bound on the running mean of the values' conditional means, valid at all
    times at once with probability ``1 - alpha`` asymptotically.

    The Gaussian-mixture boundary of Robbins (1970) and Howard, Ramdas, McAuliffe & Sekhon
    (2021, "Time-uniform, nonparametric, nonasymptotic confidence sequences") with the
    variance estimated from the data, i.e. the asymptotic confidence sequence of
    Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas (2024, "Time-uniform central limit theory
    and asymptotic confidence sequences", Thm 2.2).  The two-sided mixture boundary is used
    for one side, so the bound is conservative.  Infinite below two values."""
    v = np.asarray(values, dtype=np.float64).ravel()
    t = v.size
    if t < 2:
        return math.inf
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    sd = float(v.std(ddof=1))
    rho = mixture_rho(alpha, t_opt)
    r2 = t * rho * rho
    width = sd * math.sqrt(2.0 * (r2 + 1.0) / (t * t * rho * rho)
                           * math.log(math.sqrt(r2 + 1.0) / alpha))
    return float(v.mean() + width)


__all__ = ["SIGN_BETS", "TILTS", "mixture_e_process", "mixture_rho", "randomization_e_value",
           "sign_bet_e_values", "upper_confidence_sequence"]
