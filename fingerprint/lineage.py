"""Single-sample lineage score: is the suspect closer to the reference than controls are?

Input: one answer per model per prompt, aligned over the same prompts.  The null
hypothesis is the relative one — *the suspect is no closer to the reference than
independent control models are* — so every statistic is computed the same way for the
suspect and for each control, and the suspect is ranked among the controls.

Two statistics, both on hashed word 1–2-gram TF-IDF vectors (sublinear tf, L2-normed,
IDF fitted on the panel's own answers):

* **attribution** (prompt-independent style): prompts are split in two halves; per model,
  the centroid of its answers on one half is the model's profile.  An answer on the other
  half is scored by its cosine to the reference's profile minus its mean cosine to the
  control profiles (its own profile left out).  Cross-fitted both ways.  This asks "does
  the suspect sound like the reference *rather than* like the others".
* **similarity** (same-prompt content, hub-corrected): the cosine between the suspect's
  and the reference's answers to the same prompt, minus half the suspect's and half the
  reference's mean cosine to the controls' answers to that prompt.

Each statistic is averaged over prompts (one sample per prompt: the statistics pool
across prompts) and standardised against the controls' values, each control being scored
exactly as the suspect with itself held out.  ``score`` = (z_attribution +
z_similarity)/√2; ``p_value`` is the rank of the suspect's combined statistic among the
controls' (exact under exchangeability of suspect and controls, coarse with few controls).
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.stats import norm

METHOD = "lineage-v1: centroid attribution + hub-corrected same-prompt similarity, word 1-2-gram TF-IDF"
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
    return sp.csr_matrix(sp.diags(1.0 / norms) @ y)


def _z(values: np.ndarray, suspect: float) -> tuple[float, np.ndarray]:
    mu, sd = float(values.mean()), float(values.std(ddof=1))
    sd = sd if sd > 1e-12 else 1e-12
    return (suspect - mu) / sd, (values - mu) / sd


def lineage_from_counts(counts: list[sp.csr_matrix], *, seed: int = 0) -> LineageResult:
    """The score from per-model term-count matrices (reference, suspect, controls...).

    Each matrix holds one row per prompt, rows aligned.  :func:`lineage_score` is this
    after :func:`term_counts`; callers that score many pairs over one corpus count once.
    """
    m = len(counts)
    p = counts[0].shape[0]
    if m < 4:
        raise ValueError("lineage_score needs at least 2 control models besides reference and suspect")
    if p < 4 or any(c.shape[0] != p for c in counts):
        raise ValueError("lineage_score needs ≥ 4 prompts and the same prompts (rows) for every model")
    x = _tfidf(sp.vstack(counts).tocsr())  # row = model * p + prompt
    rng = np.random.default_rng(seed)
    order = rng.permutation(p)
    halves = [np.sort(order[: p // 2]), np.sort(order[p // 2:])]
    # attribution: cosine of each held-out answer to every model's profile (centroid)
    sims = np.zeros((m, p, m))
    for f in range(2):
        train, test = halves[f], halves[1 - f]
        pick = (np.arange(m)[:, None] * p + train[None, :]).ravel()
        avg = sp.kron(sp.eye(m), np.full((1, len(train)), 1.0 / len(train))).tocsr()
        profiles = (avg @ x[pick]).tocsr()
        rows = (np.arange(m)[:, None] * p + test[None, :]).ravel()
        sims[:, test, :] = (x[rows] @ profiles.T).toarray().reshape(m, len(test), m)
    ctrl = np.arange(2, m)
    attr = np.zeros((m, p))
    for i in range(1, m):
        others = ctrl[ctrl != i]
        attr[i] = sims[i, :, 0] - sims[i][:, others].mean(axis=1)
    # same-prompt similarity, hub-corrected
    pair = np.zeros((p, m, m))
    for j in range(p):  # dense Gram over the prompt's own columns: avoids O(DIM) transposes
        xj = x[np.arange(m) * p + j]
        cols, inv = np.unique(xj.indices, return_inverse=True)
        dense = np.zeros((m, len(cols)))
        dense[np.repeat(np.arange(m), np.diff(xj.indptr)), inv] = xj.data
        pair[j] = dense @ dense.T
    ref_hub = pair[:, 0, ctrl].mean(axis=1)  # per prompt: reference's mean cosine to controls
    simi = np.zeros((m, p))
    for i in range(1, m):
        others = ctrl[ctrl != i]
        simi[i] = pair[:, i, 0] - 0.5 * pair[:, i][:, others].mean(axis=1) - 0.5 * ref_hub
    za, ca = _z(attr[ctrl].mean(axis=1), float(attr[1].mean()))
    zs, cs = _z(simi[ctrl].mean(axis=1), float(simi[1].mean()))
    score = (za + zs) / math.sqrt(2.0)
    controls = (ca + cs) / math.sqrt(2.0)
    p_rank = (1.0 + float(np.sum(controls >= score))) / (1.0 + len(controls))
    per_prompt = [{"attribution": float(attr[1, j]), "similarity": float(simi[1, j]),
                   "attribution_controls_mean": float(attr[ctrl, j].mean()),
                   "similarity_controls_mean": float(simi[ctrl, j].mean())} for j in range(p)]
    return LineageResult(
        score=float(score), p_value=p_rank, z=float(score), p_normal=float(norm.sf(score)),
        z_attribution=float(za), z_similarity=float(zs), n_prompts=p, n_controls=m - 2,
        per_prompt=per_prompt, control_scores=[float(v) for v in controls],
    )


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
