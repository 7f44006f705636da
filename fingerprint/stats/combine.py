"""Combining per-probe p-values and correcting for multiple testing.

* :func:`cauchy_combination` (Liu & Xie 2020): valid, up to a small approximation error in
  the tail, under arbitrary dependence between the p-values, so it needs no assumption that
  probes are independent (probes of one family often measure the same trait).
* :func:`holm` controls the family-wise error rate of per-probe claims under any dependence.
* :func:`benjamini_hochberg` controls the false discovery rate (independence or PRDS).
"""

from __future__ import annotations

import numpy as np


def _check_p(p: np.ndarray | list[float]) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64).ravel()
    if p.size == 0:
        raise ValueError("no p-values to combine")
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError("p-values must lie in [0, 1]")
    return p


def cauchy_combination(p: np.ndarray | list[float], weights: np.ndarray | None = None, *,
                       truncate: float | None = None) -> float:
    """Cauchy combination test: ``T = Σ w_i tan((0.5 − p_i)π)``, ``p = 1/2 − arctan(T)/π``
    (weights sum to one; equal by default).

    A p-value of exactly 1 sends its term to −∞ and the combination to 1 whatever the other
    p-values say.  ``truncate`` (e.g. 0.99) caps every p-value there first, so that a few
    probes pointing firmly away cannot make the cross-check degenerate; this lowers the
    combined p a little when some p-values exceed the cap, so a truncated value is a
    cross-check, never a decision."""
    p = _check_p(p)
    if truncate is not None:
        if not 0.5 < truncate < 1:
            raise ValueError("truncate must lie in (0.5, 1)")
        p = np.minimum(p, truncate)
    w = np.full(p.size, 1.0 / p.size) if weights is None else np.asarray(weights, float).ravel()
    if w.shape != p.shape or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("weights must be non-negative, one per p-value, not all zero")
    w = w / w.sum()
    if np.any(p == 0.0):
        return 0.0
    p = np.minimum(p, 1.0 - 1e-16)
    # for tiny p, tan((0.5 - p)π) = 1/tan(pπ) ≈ 1/(pπ): use the stable form
    terms = np.where(p < 1e-15, 1.0 / (p * np.pi), np.tan((0.5 - p) * np.pi))
    t = float(np.dot(w, terms))
    if t > 1e15:
        return float(min(1.0, 1.0 / (t * np.pi)))
    return float(min(1.0, max(0.0, 0.5 - np.arctan(t) / np.pi)))


def holm(p: np.ndarray | list[float]) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values."""
    p = _check_p(p)
    m = p.size
    order = np.argsort(p, kind="stable")
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


def benjamini_hochberg(p: np.ndarray | list[float]) -> np.ndarray:
    """Benjamini–Hochberg (1995) adjusted p-values (q-values)."""
    p = _check_p(p)
    m = p.size
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


def z_score(p: float | None) -> float | None:
    """The one-sided normal score of a p-value, ``Φ⁻¹(1 − p)``, clipped to ±40 (None stays
    None): a p-value on a scale where evidence adds up."""
    if p is None:
        return None
    from scipy import stats as sps

    return float(np.clip(sps.norm.isf(min(max(p, 1e-300), 1.0)), -40.0, 40.0))
