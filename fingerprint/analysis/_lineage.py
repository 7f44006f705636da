"""Single-sample lineage score: is the suspect closer to the reference than controls are?

Input: one answer per model per prompt, aligned over the same prompts.  The null
hypothesis is the relative one — *the suspect is no closer to the reference than
independent control models are* — so every statistic is computed the same way for the
suspect and for each control, and the suspect is ranked among the controls.

Two statistics, both on hashed word 1–2-gram TF-IDF vectors (sublinear tf, L2-normed,
IDF fitted on the panel's own answers):

* **attribution** (prompt-independent style), a cross-fitted linear discriminant: prompts
  are split in two halves.  On the training half, the direction separating the reference
  from the controls is ``w = S⁻¹(μ_ref − mean of the controls' μ)`` (``μ`` = a model's mean
  answer vector), where ``S = λI + TᵀT`` and ``T`` holds the panel's mean answer to each
  training prompt.  Answers differ far more by *prompt* (topic words) than by *model*, so
  ``S`` down-weights the topic directions and ``w`` rests on what a model says whatever
  the prompt.  ``S⁻¹`` is applied through the prompts × prompts kernel ``TTᵀ`` (Woodbury),
  with ``λ`` = its mean eigenvalue: scale-free, no tuned constant.  An answer on the other
  half is scored by its inner product with ``w`` (each control's own mean left out of
  ``w`` when it is the one scored).  Cross-fitted both ways.
* **similarity** (same-prompt content, hub-corrected): the cosine between the suspect's
  and the reference's answers to the same prompt, minus half the suspect's and half the
  reference's mean cosine to the controls' answers to that prompt.

Each statistic is averaged over prompts (one sample per prompt: the statistics pool
across prompts) and standardised against the controls' values, each control being scored
exactly as the suspect with itself held out.  The two z-values are summed and the sum is
standardised again against the controls' sums: the weights come from the null covariance
of the two parts (they are correlated), not from a fixed 1/√2.  ``p_value`` is the rank of
the suspect's combined statistic among the controls' (exact under exchangeability of
suspect and controls; its resolution is 1/(K+1), so use many controls).
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.stats import norm, rankdata, t as student_t

METHOD = ("lineage-v2: topic-whitened cross-fitted linear attribution + hub-corrected "
          "same-prompt similarity, word 1-2-gram TF-IDF, combined by their null covariance")
DIM = 1 << 20
_TOKEN = re.compile(r"\w+|[^\w\s]")
_HASHES: dict[str, int] = {}


@dataclass
class LineageResult:
    """The suspect's lineage evidence against the reference, relative to the controls."""

    score: float  # continuous, higher = more likely derived from the reference
    p_value: float  # rank of the suspect among controls: (1 + #controls ≥ suspect) / (1 + K)
    z: float  # = score; standard-normal under the null if controls' statistics are Gaussian
    p_normal: float  # one-sided normal tail of z (finer than the rank p with few controls)
    #: P(T_{K-1} >= z / sqrt(1 + 1/K)): the test of one new draw against K Gaussian controls;
    #: no 1/(K+1) floor (a variant under study, docs/corpora.md)
    p_predictive: float
    z_attribution: float
    z_similarity: float
    n_prompts: int
    n_controls: int
    per_prompt: list[dict[str, float]] = field(default_factory=list)
    control_scores: list[float] = field(default_factory=list)
    method: str = METHOD
    note: str = "one answer per model per prompt: statistics pool across prompts"

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _token_hash(tok: str) -> int:
    h = _HASHES.get(tok)
    if h is None:
        h = _HASHES[tok] = zlib.crc32(tok.encode("utf-8"))
    return h


def term_counts(texts: list[str]) -> sp.csr_matrix:
    """Sublinear term frequencies (1 + log tf) of hashed word unigrams and bigrams."""
    rows, cols = [], []
    for i, text in enumerate(texts):
        toks = _TOKEN.findall(text.lower())
        h = np.fromiter((_token_hash(t) for t in toks), dtype=np.uint64, count=len(toks))
        grams = [h % np.uint64(DIM)]
        if len(h) > 1:
            grams.append((h[:-1] * np.uint64(1000003) + h[1:] * np.uint64(7919) + np.uint64(1))
                         % np.uint64(DIM))
        f = np.concatenate(grams).astype(np.int64)
        rows.append(np.full(len(f), i, dtype=np.int64))
        cols.append(f)
    r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    x = sp.csr_matrix((np.ones(len(r), dtype=np.float64), (r, c)), shape=(len(texts), DIM))
    x.sum_duplicates()
    x.data = 1.0 + np.log(x.data)
    return x


def _tfidf(x: sp.csr_matrix) -> sp.csr_matrix:
    df = np.bincount(x.indices, minlength=x.shape[1])
    idf = np.log((1.0 + x.shape[0]) / (1.0 + df)) + 1.0
    y = sp.csr_matrix(x.multiply(idf[None, :]))
    norms = np.sqrt(np.asarray(y.multiply(y).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    y = sp.csr_matrix(sp.diags(1.0 / norms) @ y)
    # Drop features seen in one answer only (they cannot match another answer; exact for
    # every cosine used below) and renumber the rest compactly: keeps products fast.
    keep = np.flatnonzero(df >= 2)
    y = y[:, keep]
    y.sort_indices()
    return y


def _mean_sd(values: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, float]:
    """Mean and sd (ddof 1; with ``weights``, frequency weights: the sd divides by
    ``sum(weights) - 1``, so weights of 1/n over n copies of a value count it once)."""
    if weights is None:
        return float(values.mean()), float(values.std(ddof=1))
    total = float(weights.sum())
    mu = float(weights @ values) / total
    return mu, math.sqrt(float(weights @ (values - mu) ** 2) / max(total - 1.0, 1e-12))


def _z(values: np.ndarray, suspect: float,
       weights: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """The suspect and the controls standardised by the controls' mean and sd."""
    mu, sd = _mean_sd(values, weights)
    sd = sd if sd > 1e-12 else 1e-12
    return (suspect - mu) / sd, (values - mu) / sd


def _whitened_profiles(x: sp.csr_matrix, m: int, p: int, train: np.ndarray,
                       test: np.ndarray) -> np.ndarray:
    """``out[i, t, k]`` = model i's answer to test prompt t · ``S⁻¹ μ_k`` (μ_k fitted on train).

    ``S = λI + TᵀT`` with ``T`` the panel's mean answer to each training prompt, applied by
    Woodbury: ``S⁻¹v = (v − Tᵀ(λI + TTᵀ)⁻¹Tv)/λ``; only ``TTᵀ`` (train × train) is inverted.
    """
    n = len(train)
    pick = (np.arange(m)[:, None] * p + train[None, :]).ravel()
    xa = x[pick]
    profiles = (sp.kron(sp.eye(m), np.full((1, n), 1.0 / n)).tocsr() @ xa).tocoo()  # μ_k, m × D
    topics = (sp.kron(np.full((1, m), 1.0 / m), sp.eye(n)).tocsr() @ xa).tocsr()  # T, n × D
    kernel = (topics @ topics.T).toarray()
    lam = max(float(np.trace(kernel)) / n, 1e-12)
    coef = np.linalg.solve(lam * np.eye(n) + kernel, (topics @ profiles.T).toarray())
    whitened = -np.asarray(topics.T @ coef)  # D × m dense: S⁻¹μ_k up to the factor 1/λ
    whitened[profiles.col, profiles.row] += profiles.data
    rows = (np.arange(m)[:, None] * p + test[None, :]).ravel()
    return (np.asarray(x[rows] @ whitened) / lam).reshape(m, len(test), m)


def panel_similarities(counts: list[sp.csr_matrix], *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Inner products every statistic is built from, for a panel of models over aligned prompts.

    Returns ``profile_sims[i, j, k]`` (model i's answer to prompt j against model k's
    topic-whitened profile ``S⁻¹μ_k``, fitted on the other half of the prompts) and
    ``pair_sims[j, i, k]`` (cosine of model i's and model k's answers to prompt j).
    Scoring many pairs within one panel reuses them.
    """
    m = len(counts)
    p = counts[0].shape[0]
    if p < 4 or any(c.shape[0] != p for c in counts):
        raise ValueError("lineage_score needs ≥ 4 prompts and the same prompts (rows) for every model")
    x = _tfidf(sp.vstack(counts).tocsr())  # row = model * p + prompt
    order = np.random.default_rng(seed).permutation(p)
    halves = [np.sort(order[: p // 2]), np.sort(order[p // 2:])]
    profile_sims = np.zeros((m, p, m))
    for f in range(2):
        profile_sims[:, halves[1 - f], :] = _whitened_profiles(x, m, p, halves[f], halves[1 - f])
    pair_sims = np.zeros((p, m, m))
    for j in range(p):  # Gram over the prompt's own columns: avoids O(DIM) transposes
        xj = x[np.arange(m) * p + j]
        cols, inv = np.unique(xj.indices, return_inverse=True)
        xc = sp.csr_matrix((xj.data, inv.ravel(), xj.indptr), shape=(m, len(cols)))
        pair_sims[j] = (xc @ xc.T).toarray()
    return profile_sims, pair_sims


#: how the similarity part pools prompts: ``"mean"`` (mean hub-corrected cosine, shipped) or
#: ``"rank"`` (mean per-prompt rank among suspect and controls; a variant under study,
#: docs/corpora.md)
SIMILARITY_POOLING = ("mean", "rank")


def _mean_prompt_rank(values: np.ndarray) -> np.ndarray:
    """Per row (model), the mean over columns (prompts) of the fraction of the other rows it
    exceeds on that prompt (ties count half)."""
    n = values.shape[0]
    return ((rankdata(values, axis=0) - 1.0) / (n - 1)).mean(axis=1)


def predictive_p(z: float, k: int) -> float:
    """One-sided p of a new observation at ``z`` sd above the mean of ``k`` others (sd with
    ddof 1): exact when all ``k + 1`` are i.i.d. normal (a prediction-interval test)."""
    if k < 2:
        raise ValueError("a predictive p-value needs at least 2 controls")
    return float(student_t.sf(z / math.sqrt(1.0 + 1.0 / k), df=k - 1))


def score_in_panel(profile_sims: np.ndarray, pair_sims: np.ndarray, reference: int,
                   suspect: int, controls: list[int], *,
                   similarity_pooling: str = "mean", exchangeable: bool = False,
                   lineages: list[int] | None = None, per_prompt: bool = True) -> LineageResult:
    """The lineage score of one (reference, suspect) pair against ``controls`` (panel indices).
    ``per_prompt=False`` leaves the per-prompt detail out (loops over thousands of pairs spend
    half their time building it).

    ``lineages`` (a variant under study, docs/corpora.md): a group number per control; each
    of the n controls of a group weighs 1/n in every mean over controls, in their
    standardisation and in the rank p-value, so each lineage counts once, and a control is
    measured against the controls outside its own group (as the suspect is against all).

    ``exchangeable`` (a variant under study, docs/corpora.md): every candidate — the suspect
    and each control — is measured against all the *other* candidates, as the suspect is
    against the controls; the shipped statistic measures a control against the other controls
    only."""
    if similarity_pooling not in SIMILARITY_POOLING:
        raise ValueError(f"similarity_pooling must be one of {SIMILARITY_POOLING}")
    ctrl = np.asarray(controls, dtype=int)
    if len(ctrl) < 2:
        raise ValueError("lineage_score needs at least 2 control models besides reference and suspect")
    if lineages is not None and (len(lineages) != len(ctrl) or similarity_pooling != "mean"
                                 or exchangeable):
        raise ValueError("lineages: one group number per control, with the default pooling")
    if lineages is not None and len(set(lineages)) < 2:
        raise ValueError("lineage_score needs controls of at least 2 lineages")
    p = profile_sims.shape[1]
    pool = np.append(ctrl, suspect) if exchangeable else ctrl
    w_ctrl = group = None
    if lineages is not None:  # the pool is the controls then
        group = np.asarray(lineages)
        w_ctrl = 1.0 / np.array([np.sum(group == g) for g in group], dtype=float)

    def baseline(rows: np.ndarray, i: int) -> np.ndarray:
        """Per prompt, the (weighted) mean over the pool's columns other than ``i``'s."""
        if w_ctrl is None:
            return rows[:, pool[pool != i]].mean(axis=1)
        keep = group != group[ctrl == i][0] if i in ctrl else np.ones(len(ctrl), bool)
        return rows[:, pool[keep]] @ w_ctrl[keep] / w_ctrl[keep].sum()

    def attribution(i: int) -> np.ndarray:
        return profile_sims[i, :, reference] - baseline(profile_sims[i], i)

    ref_hub = (pair_sims[:, reference, ctrl].mean(axis=1) if w_ctrl is None
               else pair_sims[:, reference, ctrl] @ w_ctrl / w_ctrl.sum())

    def similarity(i: int) -> np.ndarray:  # ref_hub: one shift for all, so it leaves ranks alone
        return pair_sims[:, i, reference] - 0.5 * baseline(pair_sims[:, i], i) - 0.5 * ref_hub

    attr_s, simi_s = attribution(suspect), similarity(suspect)
    attr_c = np.array([attribution(i) for i in ctrl])
    simi_c = np.array([similarity(i) for i in ctrl])
    za, ca = _z(attr_c.mean(axis=1), float(attr_s.mean()), w_ctrl)
    if similarity_pooling == "rank":
        ranks = _mean_prompt_rank(np.vstack([simi_s[None, :], simi_c]))
        zs, cs = _z(ranks[1:], float(ranks[0]))
    else:
        zs, cs = _z(simi_c.mean(axis=1), float(simi_s.mean()), w_ctrl)
    # ca, cs have mean 0 and sd 1 over the controls; the sum's sd carries their correlation.
    sd_sum = _mean_sd(ca + cs, w_ctrl)[1]
    sd_sum = sd_sum if sd_sum > 1e-12 else math.sqrt(2.0)
    score = (za + zs) / sd_sum
    control_scores = (ca + cs) / sd_sum
    w = np.ones(len(ctrl)) if w_ctrl is None else w_ctrl
    p_rank = (1.0 + float(w @ (control_scores >= score))) / (1.0 + float(w.sum()))
    detail = [{"attribution": float(attr_s[j]), "similarity": float(simi_s[j]),
               "attribution_controls_mean": float(attr_c[:, j].mean()),
               "similarity_controls_mean": float(simi_c[:, j].mean())}
              for j in range(p)] if per_prompt else []
    return LineageResult(
        score=float(score), p_value=p_rank, z=float(score), p_normal=float(norm.sf(score)),
        p_predictive=predictive_p(float(score), len(ctrl) if group is None
                                  else len(set(group.tolist()))),
        z_attribution=float(za), z_similarity=float(zs), n_prompts=p, n_controls=len(ctrl),
        per_prompt=detail, control_scores=[float(v) for v in control_scores],
    )


def lineage_from_counts(counts: list[sp.csr_matrix], *, seed: int = 0) -> LineageResult:
    """The score from term-count matrices ordered (reference, suspect, controls...)."""
    if len(counts) < 4:
        raise ValueError("lineage_score needs at least 2 control models besides reference and suspect")
    prof, pair = panel_similarities(counts, seed=seed)
    return score_in_panel(prof, pair, 0, 1, list(range(2, len(counts))))


def lineage_score(reference: list[str], suspect: list[str], controls: list[list[str]], *,
                  seed: int = 0) -> LineageResult:
    """Score how much closer ``suspect`` is to ``reference`` than ``controls`` are.

    All lists are aligned over the same prompts, one answer per model per prompt.  Needs at
    least 2 controls (more is much better: the p-value's resolution is 1/(K+1)) and 4
    prompts.  Deterministic for a given ``seed`` (the prompt split).
    """
    texts = [list(reference), list(suspect)] + [list(c) for c in controls]
    if any(len(t) != len(texts[0]) for t in texts):
        raise ValueError("reference, suspect and every control need one answer per prompt, aligned")
    return lineage_from_counts([term_counts(t) for t in texts], seed=seed)
