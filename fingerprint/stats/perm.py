"""Shared permutation machinery: random group memberships and Monte Carlo p-values."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np


def membership(rng: np.random.Generator, n_pool: int, n_a: int, n_rows: int) -> np.ndarray:
    """``n_rows`` uniformly random 0/1 rows of length ``n_pool`` with exactly ``n_a`` ones."""
    if not 0 < n_a < n_pool:
        raise ValueError(f"a split needs 0 < n_a < n_pool, got n_a={n_a}, n_pool={n_pool}")
    order = np.argsort(rng.random((n_rows, n_pool)), axis=1)[:, :n_a]
    m = np.zeros((n_rows, n_pool))
    np.put_along_axis(m, order, 1.0, axis=1)
    return m


def monte_carlo_p(observed: float, null: np.ndarray, rel_tol: float = 1e-12) -> float:
    """``(1 + #{null >= observed}) / (1 + B)``, with a relative tolerance for ties."""
    null = np.asarray(null, dtype=np.float64)
    tol = rel_tol * max(1.0, abs(observed))
    return float((1 + np.count_nonzero(null >= observed - tol)) / (1 + null.size))


def standardised_sum(stats: Sequence[float], nulls: Sequence[np.ndarray]
                     ) -> tuple[float, np.ndarray, int]:
    """The joint permutation statistic over independent strata (probes): each stratum's
    statistic is standardised by the mean and s.d. of its B + 1 values (observed and
    relabelled; a symmetric function of the labellings, so the B + 1 sums stay exchangeable)
    and summed.  Returns (observed sum, the B relabelled sums, strata used); a stratum whose
    every relabelling gives the same value carries no evidence and is skipped."""
    n_perm = min(len(n) for n in nulls)
    total_obs = 0.0
    total_null = np.zeros(n_perm)
    used = 0
    for t, null in zip(stats, nulls):
        allv = np.concatenate([[t], null[:n_perm]])
        sd = allv.std()
        if sd <= 1e-12 * max(1.0, abs(allv).max()):
            continue
        mu = allv.mean()
        total_obs += (t - mu) / sd
        total_null += (null[:n_perm] - mu) / sd
        used += 1
    return total_obs, total_null, used


def sequential_p_value(observed: float, draw: Callable[[int], np.ndarray], first: int,
                       maximum: int, h: int = 10) -> tuple[float, int]:
    """Monte Carlo p-value with Besag–Clifford (1991) sequential stopping.

    Draws ``first`` null values; while fewer than ``h`` are >= the observed value and fewer
    than ``maximum`` were drawn, draws ``first`` more.  Stopped at ``h`` exceedances after
    ``L`` draws the p-value is ``h / L``; otherwise ``(1 + g) / (1 + L)``.  Both are valid
    (super-uniform under the null).  Returns ``(p, L)``.
    """
    tol = 1e-12 * max(1.0, abs(observed))
    drawn, exceed = 0, 0
    while True:
        batch = min(first, maximum - drawn)
        null = np.asarray(draw(batch), dtype=np.float64)
        hits = null >= observed - tol
        if maximum > first and exceed + np.count_nonzero(hits) >= h:
            # exact stopping point: the draw at which the h-th exceedance happened
            pos = int(np.flatnonzero(hits)[h - exceed - 1])
            return h / (drawn + pos + 1), drawn + pos + 1
        exceed += int(np.count_nonzero(hits))
        drawn += batch
        if drawn >= maximum:
            return (1 + exceed) / (1 + drawn), drawn
