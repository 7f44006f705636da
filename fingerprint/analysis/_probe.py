"""One probe's share of the analysis: features, kernel matrix and per-probe tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..features.embed import Embedder, gram, one_hot
from ..stats.bootstrap import relative_replicates
from ..stats.categorical import categorical_test
from ..stats.mmd import mmd_test
from ..stats.perm import membership, monte_carlo_p, standardised_sum
from ..stats.relative import RelativeResult, relative_test
from ..suite import Probe


def _extract():
    # written alongside (fingerprint/features/extract.py); imported lazily
    from ..features import extract
    return extract


@dataclass
class ProbeData:
    """Answers of every model to one probe and the pooled kernel matrix."""

    probe: Probe
    texts: list[str]  # pooled: reference, suspect, control 1..K
    groups: list[np.ndarray]  # index arrays: [reference, suspect, control...]
    kernel: np.ndarray
    labels: list[str | None] | None = None  # choice answers or identity claims, pooled


@dataclass
class ProbeResult:
    data: ProbeData
    equality: tuple[float, float] | None = None  # (mmd2, p) suspect vs reference
    equality_null: np.ndarray | None = None
    controls_eq: list[tuple[float, float] | None] = field(default_factory=list)
    controls_eq_null: list[np.ndarray | None] = field(default_factory=list)
    relative: list[Any] = field(default_factory=list)  # RelativeResult | None per control
    # suspect-centred d'_k = MMD²(S,C_k) − MMD²(S,R) per control (R/C labels permuted, S
    # fixed); its mmd2_suspect is MMD²(S,R) and its mmd2_control MMD²(S,C_k)
    relative_sc: list[Any] = field(default_factory=list)
    replicates: np.ndarray | None = None  # bootstrap (n_boot, 2K): d_1..d_K, d'_1..d'_K
    categorical: Any = None  # CategoricalResult suspect vs reference (choice probes)


def probe_data(probe: Probe, reference: Sequence[str], suspect: Sequence[str],
               controls: Sequence[Sequence[str]], embedder: Embedder) -> ProbeData:
    parts = [list(reference), list(suspect)] + [list(c) for c in controls]
    texts = [t if isinstance(t, str) else "" for part in parts for t in part]
    bounds = np.cumsum([0] + [len(p) for p in parts])
    groups = [np.arange(bounds[i], bounds[i + 1]) for i in range(len(parts))]
    kind = probe.answer_type
    labels: list[str | None] | None = None
    if kind == "choice":
        ex = _extract()
        labels = [ex.normalize_choice(t, probe.answer) for t in texts]
        k = gram(one_hot(labels))
    else:
        k = gram(embedder.embed(texts)) if texts else np.zeros((0, 0))
        if kind == "identity" and texts:
            ex = _extract()
            labels = [ex.identity_claim(t) for t in texts]
            k = 0.5 * k + 0.5 * gram(one_hot(labels))
    return ProbeData(probe=probe, texts=texts, groups=groups, kernel=k, labels=labels)


class _Perms:
    """Random relabellings of one probe, shared by its tests of equal pool shape.

    Each test stays exact (its relabellings are uniform and independent of the data);
    probes get independent relabellings, as the joint test over probes requires."""

    def __init__(self, rng: np.random.Generator, n_perm: int):
        self.rng, self.n_perm, self.cache = rng, n_perm, {}

    def get(self, n_pool: int, n_a: int) -> np.ndarray:
        key = (n_pool, n_a)
        if key not in self.cache:
            self.cache[key] = membership(self.rng, n_pool, n_a, self.n_perm)
        return self.cache[key]


def _equality(k: np.ndarray, x: np.ndarray, r: np.ndarray,
              perms: _Perms) -> tuple[tuple[float, float], np.ndarray]:
    """MMD² test of x vs r and its permutation values (kept for the joint test)."""
    idx = np.concatenate([x, r])
    res = mmd_test(k[np.ix_(idx, idx)], len(x), memberships=perms.get(idx.size, len(x)))
    return (res.statistic, res.p_value), res.null


def _relative(k: np.ndarray, r: np.ndarray, s: np.ndarray, c: np.ndarray,
              perms: _Perms) -> RelativeResult:
    """MMD²(C,R) − MMD²(S,R) with R fixed and S/C labels permuted.  Called with R and S
    exchanged it is the suspect-centred MMD²(C,S) − MMD²(R,S)."""
    return relative_test(k, r, s, c, memberships=perms.get(len(s) + len(c), len(s)))


def run_probe(d: ProbeData, rng: np.random.Generator, *, n_perm: int, n_boot: int) -> ProbeResult:
    """Every per-probe test that the sample sizes allow (None where they do not)."""
    k, g = d.kernel, d.groups
    r, s, cs = g[0], g[1], g[2:]
    res = ProbeResult(data=d)
    perm_rng, boot_rng, cat_rng = rng.spawn(3)
    perms = _Perms(perm_rng, n_perm)
    if len(r) >= 2 and len(s) >= 2:
        res.equality, res.equality_null = _equality(k, s, r, perms)
    for c in cs:
        if len(r) >= 2 and len(c) >= 2:
            eq, null = _equality(k, c, r, perms)
            res.controls_eq.append(eq)
            res.controls_eq_null.append(null)
        else:
            res.controls_eq.append(None)
            res.controls_eq_null.append(None)
        ok = len(r) >= 1 and len(s) >= 2 and len(c) >= 2
        res.relative.append(_relative(k, r, s, c, perms) if ok else None)
        ok_sc = len(s) >= 1 and len(r) >= 2 and len(c) >= 2
        res.relative_sc.append(_relative(k, s, r, c, perms) if ok_sc else None)
    if cs and all(x is not None for x in res.relative + res.relative_sc):
        res.replicates = relative_replicates(k, r, s, list(cs), boot_rng, n_boot,
                                             suspect_centred=True)
    if d.probe.answer_type == "choice" and d.labels is not None and len(r) and len(s):
        res.categorical = categorical_test([d.labels[i] for i in s], [d.labels[i] for i in r],
                                           rng=cat_rng)
    return res


def mean_similarities(d: ProbeData) -> dict[str, Any]:
    """Mean kernel of each model's answers to the reference's (reference: off-diagonal)."""
    k, g = d.kernel, d.groups
    r = g[0]
    out: dict[str, Any] = {"reference": None, "suspect": None, "controls": []}
    if len(r) >= 2:
        kr = k[np.ix_(r, r)]
        out["reference"] = float((kr.sum() - np.trace(kr)) / (len(r) * (len(r) - 1)))
    if len(r):
        if len(g[1]):
            out["suspect"] = float(k[np.ix_(g[1], r)].mean())
        out["controls"] = [float(k[np.ix_(c, r)].mean()) if len(c) else None for c in g[2:]]
    return out


def joint_equality_p(stats: list[float], nulls: list[np.ndarray]) -> tuple[float, float]:
    """Pooled equality test over probes: the sum of per-probe MMD² standardised by the
    mean and s.d. of each probe's permutation values (observed included, so the
    standardisation is a symmetric function of the B+1 labellings), referred to the
    joint permutation distribution (permutation b of every probe at once).  Exact under
    "equal answer distributions on every probe".  Returns (z, p), z = sum / sqrt(P)."""
    if not stats:
        raise ValueError("no probe allows an equality test")
    total_obs, total_null, used = standardised_sum(stats, nulls)
    if used == 0:
        return 0.0, 1.0
    return float(total_obs / np.sqrt(used)), monte_carlo_p(total_obs, total_null, rel_tol=1e-9)


def comparisons(res: ProbeResult) -> list[Any]:
    """The probe's 2K comparisons in panel order: d_1..d_K, then d'_1..d'_K."""
    return list(res.relative) + list(res.relative_sc)
