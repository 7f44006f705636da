"""Kernel two-sample statistics: unbiased MMD² and permutation p-values.

All functions work on a Gram matrix of the pooled sample, so any kernel can be used; the
analysis uses the linear kernel on L2-normalised embeddings (cosine similarity).  A
permutation relabels the pool; group statistics are computed for many relabellings at once
from a 0/1 membership matrix ``M`` (one row per relabelling) with two matrix products.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .perm import membership, monte_carlo_p, sequential_p_value


@dataclass(frozen=True)
class MMDResult:
    """Unbiased MMD² of X vs Y with its permutation p-value ``(1 + #{T* >= T}) / (1 + B)``."""

    statistic: float
    p_value: float
    n_x: int
    n_y: int
    n_permutations: int
    #: the permutation values the p-value was computed from (a joint test over probes
    #: pools them); empty when sequential stopping drew them in rounds
    null: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False, compare=False)


def _check_gram(k: np.ndarray) -> np.ndarray:
    k = np.asarray(k, dtype=np.float64)
    if k.ndim != 2 or k.shape[0] != k.shape[1]:
        raise ValueError(f"a Gram matrix must be square, got shape {k.shape}")
    if not np.all(np.isfinite(k)):
        raise ValueError("the Gram matrix holds NaN or inf; check the embeddings")
    return k


def split_sums(k: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                      np.ndarray, np.ndarray]:
    """For membership rows ``m`` (B×N, 1 = group A): sums of K over A×A, B×B, A×B and the
    diagonal sums of A and B."""
    m = np.atleast_2d(m)
    mk = m @ k
    s_aa = np.einsum("bi,bi->b", mk, m)
    s_a_all = m @ k.sum(axis=1)
    s_ab = s_a_all - s_aa
    s_bb = k.sum() - s_aa - 2.0 * s_ab
    diag = np.diag(k)
    tr_a = m @ diag
    tr_b = diag.sum() - tr_a
    return s_aa, s_bb, s_ab, tr_a, tr_b


def mmd2_from_membership(k: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Unbiased MMD² between group A (``m == 1``) and group B for each row of ``m``."""
    m = np.atleast_2d(m)
    n_a = int(round(m[0].sum()))
    n_b = k.shape[0] - n_a
    s_aa, s_bb, s_ab, tr_a, tr_b = split_sums(k, m)
    return ((s_aa - tr_a) / (n_a * (n_a - 1)) + (s_bb - tr_b) / (n_b * (n_b - 1))
            - 2.0 * s_ab / (n_a * n_b))


def mmd2_unbiased(k: np.ndarray, n_x: int) -> float:
    """Unbiased MMD² (Gretton et al. 2012, eq. 3) of the first ``n_x`` rows of the pooled
    Gram matrix ``k`` against the rest.  Needs at least 2 samples on each side."""
    k = _check_gram(k)
    n_y = k.shape[0] - n_x
    if n_x < 2 or n_y < 2:
        raise ValueError(f"unbiased MMD² needs >= 2 samples per side, got {n_x} and {n_y}")
    m = np.zeros((1, k.shape[0]))
    m[0, :n_x] = 1.0
    return float(mmd2_from_membership(k, m)[0])


def mmd_permutation_null(k: np.ndarray, n_x: int, rng: np.random.Generator,
                         n_permutations: int) -> np.ndarray:
    """``n_permutations`` values of MMD² under random relabelling of the pool."""
    return mmd2_from_membership(k, membership(rng, k.shape[0], n_x, n_permutations))


def mmd_test(k: np.ndarray, n_x: int, *, rng: np.random.Generator | None = None,
             n_permutations: int = 999, max_permutations: int | None = None,
             memberships: np.ndarray | None = None) -> MMDResult:
    """Two-sample test of X (first ``n_x`` rows of the pooled Gram ``k``) vs Y (the rest).

    One-sided (large MMD² is evidence of a difference).  With ``max_permutations`` larger
    than ``n_permutations``, more permutations are drawn in rounds while fewer than 10
    exceed the observed value (Besag & Clifford 1991), which keeps small p-values resolvable
    for multiple-testing corrections at little cost.  ``memberships`` (0/1 rows, ones for
    X) supplies the relabellings instead of ``rng``: the analysis shares one set between the
    tests of a probe that have the same pool shape (each test stays exact).
    """
    k = _check_gram(k)
    if memberships is not None:
        obs = mmd2_unbiased(k, n_x)
        null = mmd2_from_membership(k, memberships)
        return MMDResult(statistic=obs, p_value=monte_carlo_p(obs, null), n_x=int(n_x),
                         n_y=int(k.shape[0] - n_x), n_permutations=int(null.size), null=null)
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator (np.random.default_rng(seed))")
    if n_permutations < 1:
        raise ValueError("n_permutations must be >= 1")
    obs = mmd2_unbiased(k, n_x)
    p, used = sequential_p_value(
        obs, lambda b: mmd_permutation_null(k, n_x, rng, b), n_permutations,
        max_permutations or n_permutations)
    return MMDResult(statistic=obs, p_value=p, n_x=int(n_x), n_y=int(k.shape[0] - n_x),
                     n_permutations=used)


def rbf_from_linear(k_lin: np.ndarray) -> np.ndarray:
    """Gaussian kernel from a Gram matrix of unit vectors, bandwidth by the median
    heuristic (sigma² = median of the non-zero squared distances / 2)."""
    k_lin = _check_gram(k_lin)
    d = np.diag(k_lin)
    d2 = np.maximum(d[:, None] + d[None, :] - 2.0 * k_lin, 0.0)
    off = d2[np.triu_indices_from(d2, 1)]
    off = off[off > 0]
    sigma2 = float(np.median(off)) / 2.0 if off.size else 1.0
    return np.exp(-d2 / (2.0 * sigma2))
