"""The lineage score with the panel's other pairs as its null (a variant under study: variant
13 of docs/corpora.md).

The shipped score standardises the suspect against its K controls, so with a small panel its
scale rests on a handful of values.  A panel of n models holds n(n − 1) ordered pairs.  Here the
two matrices the shipped score is built from, averaged over prompts, are fitted with row and
column effects, ``Y[i, k] = μ + a_i + b_k + e[i, k]`` (the two-way layout of dyadic data), on
the pairs with no documented relation other than the focal one.  The focal pair's residual is
then a prediction from those pairs, and they are also its null.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from ._lineage import LineageResult, predictive_p


def panel_means(profile_sims: np.ndarray, pair_sims: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(A, M)``: ``A[i, k]`` the mean over prompts of model i's answers on model k's
    topic-whitened profile, ``M[i, k]`` the mean cosine of i's and k's answers (the arrays of
    :func:`panel_similarities`)."""
    return profile_sims.mean(axis=1), pair_sims.mean(axis=0)


def _gram(w: np.ndarray, symmetric: bool) -> np.ndarray:
    """``XᵀX`` of the design with one row per weighted entry (i, k): the row effect of i and
    the column effect of k, or, for a symmetric matrix, one effect per model (``a_i + a_k``)."""
    if symmetric:
        return np.diag(w.sum(axis=1)) + w
    return np.block([[np.diag(w.sum(axis=1)), w], [w.T, np.diag(w.sum(axis=0))]])


def additive_fit(y: np.ndarray, used: np.ndarray, focal: tuple[int, int], *,
                 symmetric: bool = False) -> tuple[np.ndarray, float, float]:
    """Least squares of ``y[i, k] ≈ a_i + b_k`` (``a_i + a_k`` if ``symmetric``: one
    observation per pair above the diagonal) on the entries where ``used`` is true.

    Returns each entry's studentised residual (``e / (σ̂ √(1 − h))``, h its leverage; zero where
    not used), the ``focal`` entry's studentised prediction error (``e / (σ̂ √(1 + h))``) and
    the residual degrees of freedom.  Both residuals have variance σ² under the model, so the
    focal entry is comparable with the used ones."""
    n = y.shape[0]
    w = (used & used.T if symmetric else used).astype(float)
    gram = _gram(w, symmetric)
    inv = np.linalg.pinv(gram, hermitian=True)
    col = np.arange(n) if symmetric else n + np.arange(n)  # column effect of model k
    xty = (w * y).sum(axis=1) if symmetric else np.concatenate([(w * y).sum(axis=1),
                                                                 (w * y).sum(axis=0)])
    beta = inv @ xty
    fitted = beta[:n, None] + beta[None, col]
    leverage = (np.diag(inv)[:n, None] + np.diag(inv)[None, col] + 2.0 * inv[:n][:, col])
    observed = np.triu(w > 0, 1) if symmetric else w > 0
    df = max(int(observed.sum()) - int(np.linalg.matrix_rank(gram, hermitian=True)), 1)
    resid = np.where(observed, y - fitted, 0.0)
    sigma = max(float(np.sqrt(np.sum(resid ** 2) / df)), 1e-12)
    out = resid / (sigma * np.sqrt(np.clip(1.0 - leverage, 1e-12, None)))
    if symmetric:
        out = out + out.T
    i, k = focal
    focal_error = (y[i, k] - fitted[i, k]) / (sigma * np.sqrt(1.0 + leverage[i, k]))
    return out, float(focal_error), float(df)


def dyadic_score(means: tuple[np.ndarray, np.ndarray], reference: int, suspect: int,
                 controls: list[int], *, n_prompts: int,
                 unrelated: np.ndarray | None = None) -> LineageResult:
    """The lineage score of (reference, suspect) against every other unrelated pair of the
    panel made of the pair and ``controls``.

    ``means`` is :func:`panel_means` of the whole corpus panel; ``unrelated[i, k]`` (optional)
    is false for pairs with a documented relation, which are left out of the fit and the null.
    The suspect's standardised attribution and similarity residuals are added, as the shipped
    score adds its two parts, and the sum is standardised against the sums of the null pairs;
    ``p_predictive`` is the predictive p of that z with ``k`` the residual degrees of freedom of
    the (symmetric) similarity fit, ``p_value`` the suspect's rank among the null pairs."""
    if len(controls) < 2:
        raise ValueError("dyadic_score needs at least 2 control models besides reference and suspect")
    idx = np.array([reference, suspect, *controls], dtype=int)
    n = len(idx)
    used = ~np.eye(n, dtype=bool)
    if unrelated is not None:
        used &= unrelated[np.ix_(idx, idx)]
    used[0, 1] = used[1, 0] = False
    a_resid, a_focal, _ = additive_fit(means[0][np.ix_(idx, idx)], used, (1, 0))
    s_resid, s_focal, s_df = additive_fit(means[1][np.ix_(idx, idx)], used, (1, 0),
                                          symmetric=True)
    combined = a_resid + s_resid
    focal = a_focal + s_focal
    null = combined[used]
    if null.size < 3:
        raise ValueError("dyadic_score needs at least 3 unrelated pairs besides the focal one")
    sd = float(null.std(ddof=1))
    sd = sd if sd > 1e-12 else 1e-12
    z = (focal - float(null.mean())) / sd
    k = max(int(s_df), 2)
    return LineageResult(
        score=z, p_value=(1.0 + float(np.sum(null >= focal))) / (1.0 + null.size),
        z=z, p_normal=float(norm.sf(z)), p_predictive=predictive_p(z, k),
        z_attribution=a_focal, z_similarity=s_focal,
        n_prompts=n_prompts, n_controls=len(controls), per_prompt=[],
        control_scores=[float(v) for v in (combined[2:, 0] - null.mean()) / sd],
    )
