"""The relative-similarity (distillation) test: is the suspect closer to the reference
than a control is?  (In the spirit of Bounliphone et al. 2016, "A test of relative
similarity", ICLR.)

Per probe the statistic is ``d = MMD²_u(C, R) − MMD²_u(S, R)``; ``d > 0`` means the
suspect is closer.  The reference's own within-sample term cancels, so ``d`` needs at
least 2 samples of S and of C and 1 of R::

    d = W_C − W_S − 2 (X_CR − X_SR)

with ``W`` the mean off-diagonal kernel inside a sample and ``X`` the mean cross kernel.

* Per probe, the p-value comes from permuting the suspect/control labels with the
  reference held fixed: exact under "suspect and control answer alike" (S =d C).
* Pooled over probes, the test is a one-sided studentised mean of the per-probe ``d_p``
  (t with P−1 degrees of freedom).  Probes are sampled independently given the models, and
  ``E[d_p] = D_p`` (unbiased), so this tests "on average over probes the suspect is no closer
  than the control" (mean D_p ≤ 0) whatever the per-probe scales and variances are.
* Against a control panel, an intersection–union test: the suspect must be closer than
  *every* control, so ``p_panel = max_k p_k`` (Berger 1982), valid with no assumption on
  the dependence between the controls' tests.

The *suspect-centred* statistic ``d' = MMD²_u(S, C) − MMD²_u(S, R)`` (positive when the
suspect is closer to the reference than to the control) is the same computation with the
roles of suspect and reference exchanged: :func:`suspect_centred_statistic`.  Requiring
both ``d > 0`` and ``d' > 0`` protects against a "hub" suspect (a mixture of many sources,
close to every model), which ``d`` alone mistakes for a student of any reference; see
docs/statistics.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from .perm import membership, monte_carlo_p, sequential_p_value


@dataclass(frozen=True)
class RelativeResult:
    """Per-probe relative test: ``statistic`` = d, ``p_value`` from S/C label permutation."""

    statistic: float
    p_value: float
    mmd2_suspect: float
    mmd2_control: float
    n_permutations: int


@dataclass(frozen=True)
class PooledResult:
    """One-sided studentised mean over probes: ``statistic`` is t, ``effect`` the mean d."""

    statistic: float
    p_value: float
    effect: float
    se: float
    n_probes: int
    df: int


@dataclass(frozen=True)
class PanelResult:
    """Intersection–union over controls: ``p_value = max_k p_k``, ``statistic = min_k t_k``."""

    statistic: float
    p_value: float
    weakest_control: int
    per_control: tuple[PooledResult, ...]


def relative_from_membership(k_pp: np.ndarray, k_pr_sum: np.ndarray, n_r: int,
                              m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """d, MMD²-without-R-term for A (= suspect, ``m == 1``) and for B (= control)."""
    m = np.atleast_2d(m)
    n_a = int(round(m[0].sum()))
    n_b = k_pp.shape[0] - n_a
    mk = m @ k_pp
    s_aa = np.einsum("bi,bi->b", mk, m)
    s_ab = m @ k_pp.sum(axis=1) - s_aa
    s_bb = k_pp.sum() - s_aa - 2.0 * s_ab
    diag = np.diag(k_pp)
    tr_a = m @ diag
    tr_b = diag.sum() - tr_a
    w_a = (s_aa - tr_a) / (n_a * (n_a - 1))
    w_b = (s_bb - tr_b) / (n_b * (n_b - 1))
    x_ar = (m @ k_pr_sum) / (n_a * n_r)
    x_br = (k_pr_sum.sum() - m @ k_pr_sum) / (n_b * n_r)
    part_a, part_b = w_a - 2.0 * x_ar, w_b - 2.0 * x_br
    return part_b - part_a, part_a, part_b


def relative_statistic(k: np.ndarray, r: np.ndarray, s: np.ndarray, c: np.ndarray) -> float:
    """``MMD²_u(C,R) − MMD²_u(S,R)`` from a Gram matrix and index arrays of R, S and C."""
    r, s, c = (np.asarray(v, dtype=np.int64) for v in (r, s, c))
    _check_sizes(len(r), len(s), len(c))
    pool = np.concatenate([s, c])
    m = np.zeros((1, pool.size))
    m[0, :len(s)] = 1.0
    d, _, _ = relative_from_membership(k[np.ix_(pool, pool)], k[np.ix_(pool, r)].sum(axis=1),
                                        len(r), m)
    return float(d[0])


def suspect_centred_statistic(k: np.ndarray, r: np.ndarray, s: np.ndarray, c: np.ndarray) -> float:
    """``MMD²_u(S,C) − MMD²_u(S,R)``: is the suspect closer to the reference than to the
    control?  The suspect's within-sample term cancels (needs >= 1 suspect and >= 2
    reference and control samples); permuting reference/control labels with the suspect
    fixed gives its per-probe test (:func:`relative_test` with ``r`` and ``s`` swapped)."""
    return relative_statistic(k, s, r, c)


def _check_sizes(n_r: int, n_s: int, n_c: int) -> None:
    if n_r < 1 or n_s < 2 or n_c < 2:
        raise ValueError(f"the relative test needs >= 1 reference and >= 2 suspect and control "
                         f"samples, got {n_r}, {n_s}, {n_c}")


def relative_test(k: np.ndarray, r: np.ndarray, s: np.ndarray, c: np.ndarray, *,
                  rng: np.random.Generator | None = None, n_permutations: int = 999,
                  max_permutations: int | None = None,
                  memberships: np.ndarray | None = None) -> RelativeResult:
    """Per-probe relative-similarity test (one-sided: suspect closer to R than control).

    ``memberships`` (0/1 rows over the pooled S then C samples, ones for S) supplies the
    relabellings instead of ``rng``, so several tests of one probe can share them."""
    if memberships is None and not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator (np.random.default_rng(seed))")
    k = np.asarray(k, dtype=np.float64)
    r, s, c = (np.asarray(v, dtype=np.int64) for v in (r, s, c))
    _check_sizes(len(r), len(s), len(c))
    pool = np.concatenate([s, c])
    k_pp = k[np.ix_(pool, pool)]
    k_pr = k[np.ix_(pool, r)].sum(axis=1)
    m0 = np.zeros((1, pool.size))
    m0[0, :len(s)] = 1.0
    d, part_s, part_c = relative_from_membership(k_pp, k_pr, len(r), m0)
    w_r = _within(k[np.ix_(r, r)]) if len(r) >= 2 else 0.0
    if memberships is not None:
        null = relative_from_membership(k_pp, k_pr, len(r), memberships)[0]
        return RelativeResult(statistic=float(d[0]), p_value=monte_carlo_p(float(d[0]), null),
                              mmd2_suspect=float(part_s[0] + w_r),
                              mmd2_control=float(part_c[0] + w_r), n_permutations=int(null.size))

    def draw(b: int) -> np.ndarray:
        return relative_from_membership(k_pp, k_pr, len(r),
                                         membership(rng, pool.size, len(s), b))[0]

    p, used = sequential_p_value(float(d[0]), draw, n_permutations,
                                 max_permutations or n_permutations)
    return RelativeResult(statistic=float(d[0]), p_value=p,
                          mmd2_suspect=float(part_s[0] + w_r), mmd2_control=float(part_c[0] + w_r),
                          n_permutations=used)


def _within(k_xx: np.ndarray) -> float:
    n = k_xx.shape[0]
    return float((k_xx.sum() - np.trace(k_xx)) / (n * (n - 1)))


def pooled_relative_test(d: np.ndarray) -> PooledResult:
    """One-sided t-test of mean(d) > 0 over probes (independent given the models)."""
    d = np.asarray(d, dtype=np.float64).ravel()
    if d.size < 2:
        raise ValueError(f"the pooled test needs >= 2 probes, got {d.size}")
    if not np.all(np.isfinite(d)):
        raise ValueError("per-probe differences hold NaN or inf")
    mean = float(d.mean())
    se = float(d.std(ddof=1) / np.sqrt(d.size))
    df = d.size - 1
    if se == 0.0:
        t = 0.0 if mean == 0.0 else float(np.sign(mean) * np.inf)
    else:
        t = mean / se
    p = float(sps.t.sf(t, df)) if np.isfinite(t) else (0.0 if t > 0 else 1.0)
    return PooledResult(statistic=t, p_value=p, effect=mean, se=se, n_probes=int(d.size), df=df)


def panel_test(results: list[PooledResult] | tuple[PooledResult, ...]) -> PanelResult:
    """Intersection–union test: closer than every control iff every control's test rejects."""
    if not results:
        raise ValueError("the panel test needs at least one control")
    ps = np.array([r.p_value for r in results])
    worst = int(np.argmax(ps))
    return PanelResult(statistic=float(min(r.statistic for r in results)),
                       p_value=float(ps[worst]), weakest_control=worst,
                       per_control=tuple(results))


def sign_flip_null(d: np.ndarray, rng: np.random.Generator, n: int = 200) -> np.ndarray:
    """Studentised means of ``d`` with random signs: the randomisation null that the
    t reference distribution approximates (for plots; exact when S =d C)."""
    d = np.asarray(d, dtype=np.float64).ravel()
    signs = rng.choice(np.array([-1.0, 1.0]), size=(n, d.size))
    x = signs * d
    sd = x.std(axis=1, ddof=1)
    mean = x.mean(axis=1)
    return np.divide(mean * np.sqrt(d.size), sd, out=np.zeros(n), where=sd > 0)
