"""Bootstrap intervals for effect sizes.

Within a probe, samples of each model are resampled with replacement (multinomial counts),
and the kernel statistics are recomputed from the counts.  Within-sample means use only
pairs of *distinct original* samples, so a bootstrap duplicate never counts as a perfect
match with itself (the usual bias of naively bootstrapping a U-statistic).  Replicates of
independent probes can be averaged replicate-by-replicate to give replicates of family or
overall means.
"""

from __future__ import annotations

import numpy as np


def counts(rng: np.random.Generator, n: int, n_boot: int) -> np.ndarray:
    """``n_boot`` rows of multinomial resampling counts of ``n`` items."""
    return rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float64)


def within_mean(k_xx: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Mean kernel over pairs of distinct original samples, per count row (NaN if none)."""
    num = np.einsum("bi,ij,bj->b", c, k_xx, c) - (c * c) @ np.diag(k_xx)
    den = c.sum(axis=1) ** 2 - (c * c).sum(axis=1)
    return np.divide(num, den, out=np.full(c.shape[0], np.nan), where=den > 0)


def cross_mean(k_xy: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    return np.einsum("bi,ij,bj->b", cx, k_xy, cy) / (cx.sum(axis=1) * cy.sum(axis=1))


def relative_replicates(k: np.ndarray, r: np.ndarray, s: np.ndarray, controls: list[np.ndarray],
                        rng: np.random.Generator, n_boot: int = 200, *,
                        suspect_centred: bool = False) -> np.ndarray:
    """Bootstrap replicates of ``d_k = MMD²(C_k,R) − MMD²(S,R)``: shape (n_boot, K).

    With ``suspect_centred`` the shape is (n_boot, 2K): columns K..2K-1 hold
    ``d'_k = MMD²(S,C_k) − MMD²(S,R)`` computed on the *same* resamples, so that a
    replicate-wise minimum over both kinds of comparison is a replicate of the panel effect."""
    cr, cs = counts(rng, len(r), n_boot), counts(rng, len(s), n_boot)
    w_s = within_mean(k[np.ix_(s, s)], cs)
    x_sr = cross_mean(k[np.ix_(s, r)], cs, cr)
    n_c = len(controls)
    out = np.empty((n_boot, 2 * n_c if suspect_centred else n_c))
    w_r = within_mean(k[np.ix_(r, r)], cr) if suspect_centred else None
    for j, c in enumerate(controls):
        cc = counts(rng, len(c), n_boot)
        w_c = within_mean(k[np.ix_(c, c)], cc)
        x_cr = cross_mean(k[np.ix_(c, r)], cc, cr)
        out[:, j] = (w_c - 2.0 * x_cr) - (w_s - 2.0 * x_sr)
        if suspect_centred:
            x_sc = cross_mean(k[np.ix_(s, c)], cs, cc)
            out[:, n_c + j] = (w_c - 2.0 * x_sc) - (w_r - 2.0 * x_sr)
    return out


def percentile_ci(replicates: np.ndarray, alpha: float = 0.05) -> tuple[float | None, float | None]:
    """Equal-tailed percentile interval of the finite replicates (None if there are none)."""
    x = np.asarray(replicates, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    if x.size == 0:
        return None, None
    lo, hi = np.quantile(x, [alpha / 2.0, 1.0 - alpha / 2.0])
    return float(lo), float(hi)


def mean_ci(values: np.ndarray, rng: np.random.Generator, n_boot: int = 2000,
            alpha: float = 0.05) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval of the mean of ``values`` (resampling the values)."""
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0:
        return None, None
    if x.size == 1:
        return float(x[0]), float(x[0])
    idx = rng.integers(0, x.size, size=(n_boot, x.size))
    return percentile_ci(x[idx].mean(axis=1), alpha)
