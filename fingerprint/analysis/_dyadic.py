"""The lineage score with the panel's other pairs as its null (variants under study: 13 and 14
of docs/corpora.md).

The shipped score standardises the suspect against its K controls, so with a small panel its
scale rests on a handful of values.  A panel of n models holds n(n − 1) ordered pairs.  Here the
two matrices the shipped score is built from, averaged over prompts, are fitted with row and
column effects, ``Y[i, k] = μ + a_i + b_k + e[i, k]`` (the two-way layout of dyadic data), on
the pairs with no documented relation other than the focal one.  The focal pair's residual is
then a prediction from those pairs, and they are also its null (:func:`dyadic_score`).
:func:`pooled_scale_score` keeps the shipped centring and pools only the scale.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student_t

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
        raise ValueError("dyadic_score needs at least 2 control models besides reference and "
                         "suspect")
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


def _part_deviations(m: np.ndarray, reference: int, suspect: int, c: np.ndarray,
                     keep: np.ndarray, weight: float) -> tuple[float, np.ndarray, np.ndarray]:
    """One part of the shipped score on prompt-mean matrix ``m``: a model's value for a
    reference is ``m[i, ref] − weight · mean(m[i, baseline])``, the baseline being the controls
    other than i (and than the reference).  Returns the suspect's deviation from the controls'
    mean around ``reference``, the controls' deviations there, and (column r) the kept controls'
    deviations around control r taken as the reference (zero where not kept)."""
    k = len(c)
    sub = m[np.ix_(c, c)]
    row_sum = sub.sum(axis=1) - np.diag(sub)
    at_ref = m[c, reference] - weight * row_sum / (k - 1)
    suspect_dev = m[suspect, reference] - weight * m[suspect, c].mean() - at_ref.mean()
    others = sub - weight * (row_sum[:, None] - sub) / max(k - 2, 1)
    n = keep.sum(axis=0)
    mean = np.where(n > 0, (others * keep).sum(axis=0) / np.maximum(n, 1), 0.0)
    return float(suspect_dev), at_ref - at_ref.mean(), np.where(keep, others - mean, 0.0)


def pooled_scale_score(means: tuple[np.ndarray, np.ndarray], reference: int, suspect: int,
                       controls: list[int], *, n_prompts: int,
                       unrelated: np.ndarray | None = None) -> LineageResult:
    """The shipped lineage score's centring (the suspect against the mean of the reference's
    controls) with its scale pooled over the panel: each part's spread of the controls around
    the reference, pooled with their spread around every control taken as the reference (the
    other controls with no documented relation to it; with 3 controls or more), each with its
    own degrees of freedom.  The sum of the standardised parts is divided by its pooled sd.

    ``p_predictive`` is ``P(T_df ≥ z / √(1 + 1/K))`` with the pooled degrees of freedom."""
    k = len(controls)
    if k < 2:
        raise ValueError("pooled_scale_score needs at least 2 control models besides reference "
                         "and suspect")
    c = np.asarray(controls, dtype=int)
    keep = ~np.eye(k, dtype=bool) if k >= 3 else np.zeros((k, k), dtype=bool)
    if unrelated is not None:
        keep &= unrelated[np.ix_(c, c)]
    keep &= keep.sum(axis=0)[None, :] >= 2  # a reference with one kept control has no spread
    df = (k - 1) + int(np.maximum(keep.sum(axis=0) - 1, 0).sum())
    z_parts, dev_ref, dev_others = [], np.zeros(k), np.zeros((k, k))
    # the attribution subtracts its whole baseline, the similarity half (score_in_panel)
    for m, weight in ((means[0], 1.0), (means[1], 0.5)):
        suspect_dev, ref_dev, others_dev = _part_deviations(m, reference, suspect, c, keep, weight)
        scale = float(np.sqrt((ref_dev @ ref_dev + np.sum(others_dev ** 2)) / df))
        scale = scale if scale > 1e-12 else 1e-12
        z_parts.append(suspect_dev / scale)
        dev_ref, dev_others = dev_ref + ref_dev / scale, dev_others + others_dev / scale
    sd_sum = float(np.sqrt((dev_ref @ dev_ref + np.sum(dev_others ** 2)) / df))
    sd_sum = sd_sum if sd_sum > 1e-12 else float(np.sqrt(2.0))
    z = sum(z_parts) / sd_sum
    control_scores = dev_ref / sd_sum
    return LineageResult(
        score=z, p_value=(1.0 + float(np.sum(control_scores >= z))) / (1.0 + k), z=z,
        p_normal=float(norm.sf(z)),
        p_predictive=float(student_t.sf(z / np.sqrt(1.0 + 1.0 / k), df=df)),
        z_attribution=z_parts[0], z_similarity=z_parts[1], n_prompts=n_prompts,
        n_controls=k, per_prompt=[], control_scores=[float(v) for v in control_scores],
    )
