"""Tests on categorical answers (choice probes, identity claims).

:func:`categorical_test` compares two samples of labels with Pearson's chi-square statistic
on the 2×K table.  Its p-value is conditional on the margins (the permutation null): exact,
by enumerating every table with those margins under the multivariate hypergeometric law,
when there are at most ``exact_limit`` tables; otherwise by Monte Carlo permutation.  Small
counts are therefore handled without the chi-square approximation.  ``None`` (an answer
that could not be read) is a category of its own: failing to answer in format is a trait.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Sequence

import numpy as np
from scipy import stats as sps
from scipy.special import gammaln

from .perm import monte_carlo_p

NONE_LABEL = "<unparsed>"


@dataclass(frozen=True)
class CategoricalResult:
    statistic: float  # Pearson chi-square of the 2×K table
    p_value: float
    categories: tuple[str, ...]
    counts_a: tuple[int, ...]
    counts_b: tuple[int, ...]
    method: str  # "exact" or "permutation"
    total_variation: float  # half the L1 distance between the two answer distributions


def _labels(x: Sequence[Hashable | None], name: str) -> list[str]:
    if isinstance(x, (str, bytes)):
        raise ValueError(f"{name} must be a sequence of labels, not one string")
    out = [NONE_LABEL if v is None else str(v) for v in x]
    if not out:
        raise ValueError(f"{name} is empty; each side needs at least one label")
    return out


def _chi2_rows(a: np.ndarray, col: np.ndarray, n_a: int) -> np.ndarray:
    """Chi-square for first-row counts ``a`` (..., K) given column totals and row total."""
    n = col.sum()
    n_b = n - n_a
    ea = col * (n_a / n)
    eb = col * (n_b / n)
    b = col - a
    return (((a - ea) ** 2) / ea).sum(axis=-1) + (((b - eb) ** 2) / eb).sum(axis=-1)


def _enumerate_tables(col: np.ndarray, n_a: int, limit: int) -> tuple[np.ndarray, np.ndarray] | None:
    """All first rows with sum ``n_a`` and ``0 <= a_k <= col_k`` and their hypergeometric
    log-probabilities, or None if there are more than ``limit``."""
    rows = np.zeros((1, 0), dtype=np.int64)
    sums = np.zeros(1, dtype=np.int64)
    remaining = np.concatenate([np.cumsum(col[::-1])[::-1][1:], [0]])
    for k, c in enumerate(col):
        a = np.arange(c + 1)
        new_sums = (sums[:, None] + a[None, :]).ravel()
        keep = (new_sums <= n_a) & (new_sums + remaining[k] >= n_a)
        idx_row = np.repeat(np.arange(rows.shape[0]), a.size)[keep]
        rows = np.hstack([rows[idx_row], np.tile(a, rows.shape[0])[keep][:, None]])
        sums = new_sums[keep]
        if rows.shape[0] > limit:
            return None
    lc = gammaln(col + 1)
    logp = (lc - gammaln(rows + 1) - gammaln(col - rows + 1)).sum(axis=1)
    n = int(col.sum())
    logp -= gammaln(n + 1) - gammaln(n_a + 1) - gammaln(n - n_a + 1)
    return rows, logp


def categorical_test(a_labels: Sequence[Hashable | None], b_labels: Sequence[Hashable | None], *,
                     rng: np.random.Generator, n_permutations: int = 1999,
                     exact_limit: int = 200_000) -> CategoricalResult:
    """Do two samples of categorical answers come from the same distribution?"""
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator (np.random.default_rng(seed))")
    if n_permutations < 1:
        raise ValueError("n_permutations must be >= 1")
    a, b = _labels(a_labels, "a_labels"), _labels(b_labels, "b_labels")
    cats = tuple(sorted(set(a) | set(b)))
    index = {c: i for i, c in enumerate(cats)}
    ia = np.array([index[v] for v in a])
    ib = np.array([index[v] for v in b])
    ca = np.bincount(ia, minlength=len(cats))
    cb = np.bincount(ib, minlength=len(cats))
    col = ca + cb
    tv = float(0.5 * np.abs(ca / len(a) - cb / len(b)).sum())
    if len(cats) == 1:
        return CategoricalResult(0.0, 1.0, cats, tuple(map(int, ca)), tuple(map(int, cb)),
                                 "exact", tv)
    obs = float(_chi2_rows(ca.astype(float), col.astype(float), len(a)))
    tol = 1e-9 * max(1.0, obs)
    tables = _enumerate_tables(col, len(a), exact_limit)
    if tables is not None:
        rows, logp = tables
        stat = _chi2_rows(rows.astype(float), col.astype(float), len(a))
        p = float(np.exp(logp[stat >= obs - tol]).sum())
        p, method = min(1.0, p), "exact"
    else:
        pooled = np.concatenate([ia, ib])
        perm = rng.permuted(np.tile(pooled, (n_permutations, 1)), axis=1)[:, :len(a)]
        rows = np.stack([np.bincount(r, minlength=len(cats)) for r in perm])
        null = _chi2_rows(rows.astype(float), col.astype(float), len(a))
        p, method = monte_carlo_p(obs, null), "permutation"
    return CategoricalResult(obs, p, cats, tuple(map(int, ca)), tuple(map(int, cb)), method, tv)


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper–Pearson) two-sided 1−alpha interval for a binomial proportion."""
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n >= 1, got k={k}, n={n}")
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie in (0, 1)")
    lo = 0.0 if k == 0 else float(sps.beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(sps.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


@dataclass(frozen=True)
class Rate:
    k: int
    n: int
    rate: float
    ci: tuple[float, float]


def rate(k: int, n: int, alpha: float = 0.05) -> Rate:
    """A proportion with its exact interval."""
    lo, hi = clopper_pearson(k, n, alpha)
    return Rate(k=int(k), n=int(n), rate=k / n, ci=(lo, hi))
