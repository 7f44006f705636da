"""Stored responses ─► evidence ─► verdict.

:func:`analyze` is a pure function of its inputs: every random step draws from generators
derived from ``seed`` (probe ``i`` gets ``SeedSequence(seed, spawn_key=(0, i))``, report-level
steps ``spawn_key=(1,)``), so re-running it gives bit-for-bit the same dict.  The statistics
are described in docs/statistics.md and, briefly, in the returned ``"method"``.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

from ._exhibits import (choice_summary, exhibits, families, family_similarity,
                              identity_agreement, nanmean_replicates, projection)
from ._probe import (ProbeResult, comparisons, joint_equality_p, mean_similarities,
                             probe_data, run_probe)
from ._single import analyze_single
from ._verdict import TestSummary, decide
from ..features.embed import Embedder, HashedTfidfEmbedder
from ..stats.bootstrap import percentile_ci
from ..stats.combine import benjamini_hochberg, cauchy_combination
from ..stats.relative import PooledResult, panel_test, pooled_relative_test, sign_flip_null
from ..suite import Probe

METHOD = (
    "Each model's answers to a probe are embedded ({embedder}) and compared with the linear "
    "(cosine) kernel; choice probes compare answer distributions (one-hot), identity probes "
    "average the text kernel with an identity-claim kernel. Equality (suspect vs reference): "
    "unbiased MMD² with a permutation p-value per probe, pooled over probes by a joint "
    "permutation test of the standardised sum (null: identical answer distributions). "
    "Distillation: per probe and control two differences, d = MMD²(control, reference) − "
    "MMD²(suspect, reference) (is the suspect closer to the reference than the control is?) "
    "and d' = MMD²(suspect, control) − MMD²(suspect, reference) (is the suspect closer to the "
    "reference than to the control? this guards against a suspect trained on a mix of "
    "sources, which is near every model); per control and difference a one-sided t-test of "
    "its mean > 0 over probes; against the panel an intersection–union test, p = max over "
    "controls and both differences (null: for some control, the suspect is on average no "
    "closer to the reference than that control is, or no closer to the reference than to "
    "that control). Per-probe "
    "p-values permute suspect/control (reference/control for d') labels and are adjusted over probes by Benjamini–Hochberg (false discovery rate); a Cauchy "
    "combination of them is reported as a dependence-robust cross-check. Effect intervals are "
    "percentile bootstraps ({n_boot} resamples of each model's answers); identity-claim rates "
    "have exact Clopper–Pearson intervals. Test level alpha = {alpha}; the test-based verdict uses "
    "no other threshold (the final label also asks the calibrated probability to agree).")


DISTILLATION_METHOD = ("per control: one-sided t-tests over probes of d = MMD²(C,R) − MMD²(S,R) "
                       "(reference-centred) and d' = MMD²(S,C) − MMD²(S,R) (suspect-centred); "
                       "panel: intersection–union (max p over controls and both differences); "
                       "per-probe p-values BH-adjusted")


@dataclass(frozen=True)
class ResponseSet:
    probes: tuple[Probe, ...]
    reference: dict[str, list[str]]  # probe_id -> sample texts, ordered by sample index
    suspect: dict[str, list[str]]
    controls: tuple[dict[str, list[str]], ...]
    control_names: tuple[str, ...]


def _validate(data: ResponseSet, seed: int, alpha: float) -> None:
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    if len(data.controls) != len(data.control_names):
        raise ValueError(f"{len(data.controls)} control response sets but "
                         f"{len(data.control_names)} control names")
    ids = [p.id for p in data.probes]
    if len(set(ids)) != len(ids):
        raise ValueError("probe ids must be unique")
    for name, d in [("reference", data.reference), ("suspect", data.suspect)] + \
            [(f"control {n}", c) for n, c in zip(data.control_names, data.controls)]:
        if not isinstance(d, dict):
            raise ValueError(f"{name} responses must be a dict probe_id -> list of texts")
        for pid, texts in d.items():
            if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
                raise ValueError(f"{name} responses for probe {pid!r} must be a list of strings")


def clean_json(x: Any) -> Any:
    """Plain JSON types; NaN/inf become None."""
    if isinstance(x, dict):
        return {str(k): clean_json(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean_json(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(float(x)) else None
    return x


def _z(p: float | None) -> float | None:
    if p is None:
        return None
    return float(np.clip(sps.norm.isf(min(max(p, 1e-300), 1.0)), -40.0, 40.0))


def _pooled_json(name: str, r: PooledResult | None, ci: tuple, closeness: float | None) -> dict:
    if r is None:
        return {"control": name, "statistic": None, "p_value": None, "effect": None,
                "ci": [None, None], "closeness": None, "n_probes": 0}
    return {"control": name, "statistic": r.statistic, "p_value": r.p_value, "effect": r.effect,
            "ci": list(ci), "closeness": closeness, "n_probes": r.n_probes}


def analyze(data: ResponseSet, *, seed: int, alpha: float = 0.05, embedder: Embedder | None = None,
            n_permutations: int = 999, n_boot: int = 200) -> dict[str, Any]:
    """Evidence and verdict for one reference/suspect/controls comparison (JSON-ready).

    BLAS runs single-threaded here: the work is thousands of tiny matrix products, for which
    threads only cost time (much more on a busy machine), and one thread also fixes the
    floating-point summation order."""
    _validate(data, seed, alpha)
    with _one_blas_thread():
        return _analyze(data, seed, alpha, embedder, n_permutations, n_boot)


def _one_blas_thread() -> Any:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it BLAS keeps its own thread setting
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _analyze(data: ResponseSet, seed: int, alpha: float, embedder: Embedder | None,
             n_permutations: int, n_boot: int) -> dict[str, Any]:
    emb = embedder or HashedTfidfEmbedder()
    names = ["reference", "suspect"] + list(data.control_names)
    pdata = [probe_data(p, data.reference.get(p.id, []), data.suspect.get(p.id, []),
                        [c.get(p.id, []) for c in data.controls], emb) for p in data.probes]
    top_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    method = METHOD.format(embedder=emb.info.name, n_boot=n_boot, alpha=alpha)
    sizes = [[len(g) for g in d.groups] for d in pdata]
    if any(sizes) and all(max(s) <= 1 for s in sizes) and any(min(s) == 1 for s in sizes):
        out = analyze_single(pdata, names, alpha=alpha, rng=top_rng)
        out.update(embedder=emb.info.to_json(), method=out.pop("method_note") + " " + method)
        return clean_json(out)
    results = [run_probe(d, np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, i))),
                         n_perm=n_permutations, n_boot=n_boot)
               for i, d in enumerate(pdata)]
    return clean_json(_assemble(results, names, emb, alpha, top_rng, method, n_permutations))


SIDES = ("reference-centred", "suspect-centred")


def _comparison_name(j: int, ctrl_names: list[str]) -> str:
    K = len(ctrl_names)
    return ctrl_names[j % K] if K else ""


def _pooled_comparisons(results: list[ProbeResult], ctrl_names: list[str],
                        alpha: float) -> tuple[list[PooledResult | None], list[dict]]:
    """Per comparison j (d_1..d_K, then d'_1..d'_K): the pooled t-test over the probes
    where it is defined, its bootstrap interval and its closeness."""
    pooled: list[PooledResult | None] = []
    out = []
    for j in range(2 * len(ctrl_names)):
        rel = [comparisons(r)[j] for r in results]
        idx = [i for i, x in enumerate(rel) if x is not None]
        d = np.array([rel[i].statistic for i in idx])
        pr = pooled_relative_test(d) if len(idx) >= 2 else None
        pooled.append(pr)
        reps = [results[i].replicates[:, j] for i in idx if results[i].replicates is not None]
        ci = percentile_ci(nanmean_replicates(reps), alpha) if reps else (None, None)
        # the competing distance: MMD²(C,R) (reference-centred) or MMD²(S,C) (suspect-centred)
        dist_c = np.mean([rel[i].mmd2_control for i in idx]) if idx else 0.0
        closeness = float(d.mean() / dist_c) if idx and dist_c > 0 else None
        out.append(_pooled_json(_comparison_name(j, ctrl_names), pr, ci, closeness))
    return pooled, out


def _assemble(results: list[ProbeResult], names: list[str], emb: Embedder, alpha: float,
              rng: np.random.Generator, method: str, n_perm: int) -> dict[str, Any]:
    K = len(names) - 2
    ctrl_names = names[2:]
    pooled, comp_json = _pooled_comparisons(results, ctrl_names, alpha)
    ctrl_json, sc_json = comp_json[:K], comp_json[K:]
    full = K > 0 and all(p is not None for p in pooled)
    # intersection–union over both kinds of comparison and every control
    panel = panel_test(pooled) if full else None
    side_p = [panel_test(pooled[h * K:(h + 1) * K]).p_value if full else None for h in (0, 1)]
    weak = panel.weakest_control if panel else None  # index into the 2K comparisons
    # per-probe panel effects and p-values
    eff, eff_ci, p_panel, reps_panel = [], [], [], []
    for r in results:
        comps = comparisons(r)
        if K and all(x is not None for x in comps):
            eff.append(min(x.statistic for x in comps))
            p_panel.append(max(x.p_value for x in comps))
            rp = np.min(r.replicates, axis=1) if r.replicates is not None else None
            reps_panel.append(rp)
            eff_ci.append(percentile_ci(rp, alpha) if rp is not None else (None, None))
        else:
            eff.append(None), p_panel.append(None), reps_panel.append(None)
            eff_ci.append((None, None))
    p_eq_probe = [r.equality[1] if r.equality else None for r in results]
    claim = p_panel if any(p is not None for p in p_panel) else p_eq_probe
    have = [i for i, p in enumerate(claim) if p is not None]
    adj = benjamini_hochberg([claim[i] for i in have]) if have else []
    p_adj = [None] * len(results)
    for j, i in enumerate(have):
        p_adj[i] = float(adj[j])
    # equality, pooled by joint permutation
    eq_idx = [i for i, r in enumerate(results) if r.equality is not None]
    eq = joint_equality_p([results[i].equality[0] for i in eq_idx],
                          [results[i].equality_null for i in eq_idx]) if eq_idx else None
    ctrl_eq = []
    for k in range(K):
        ix = [i for i, r in enumerate(results) if r.controls_eq[k] is not None]
        ce = joint_equality_p([results[i].controls_eq[k][0] for i in ix],
                              [results[i].controls_eq_null[k] for i in ix]) if ix else None
        ctrl_eq.append({"control": ctrl_names[k], "statistic": ce[0] if ce else None,
                        "p_value": ce[1] if ce else None, "n_probes": len(ix)})
    cauchy = cauchy_combination([p for p in p_panel if p is not None]) \
        if any(p is not None for p in p_panel) else None
    probes_json = [_probe_json(r, names, eff[i], eff_ci[i], p_panel[i], p_adj[i])
                   for i, r in enumerate(results)]
    fams = families(results, eff, reps_panel, p_panel, alpha, K)
    ident = identity_agreement(results, alpha)
    choice, choice_counts = choice_summary(results)
    wk = pooled[weak] if weak is not None else None
    # closeness always reads the reference-centred comparison of the weakest control
    weak_ctrl = weak % K if weak is not None else None
    summary = TestSummary(
        n_probes=len(results), n_controls=K, single_sample=False,
        p_eq=eq[1] if eq else None, eq_min_p=1.0 / (1 + n_perm) if eq_idx else None,
        controls_eq_p=[c["p_value"] for c in ctrl_eq], p_distill=panel.p_value if panel else None,
        t_distill=panel.statistic if panel else None, n_distill_probes=wk.n_probes if wk else 0,
        effect=wk.effect if wk else None,
        effect_ci=tuple(comp_json[weak]["ci"]) if weak is not None else (None, None),
        closeness=ctrl_json[weak_ctrl]["closeness"] if weak_ctrl is not None else None,
        weakest_control=ctrl_names[weak_ctrl] if weak_ctrl is not None else None,
        weakest_side=SIDES[weak // K] if weak is not None else None,
        p_reference_centred=side_p[0], p_suspect_centred=side_p[1],
        suspect_near_controls=tuple(ctrl_names[k] for k in range(K) if pooled[K + k] is not None
                                    and pooled[K + k].p_value > 1.0 - alpha))
    verdict = decide(summary, alpha)
    evidence = _evidence(summary, panel, wk, eq, ctrl_eq, ident, choice, cauchy, results, pooled)
    best = int(np.nanargmax([e if e is not None else -np.inf for e in eff])) \
        if any(e is not None for e in eff) else (eq_idx[0] if eq_idx else 0)
    d_weak = np.array([comparisons(r)[weak].statistic for r in results
                       if weak is not None and comparisons(r)[weak] is not None])
    plot = {
        "family_similarity": family_similarity(results, ctrl_names),
        "null_distribution": None if wk is None else {
            "statistic": "studentised mean of per-probe relative differences, weakest comparison "
                         f"({summary.weakest_side}, {summary.weakest_control})",
            "observed": wk.statistic, "null": sign_flip_null(d_weak, rng).tolist(),
            "null_method": "random sign flips of the per-probe differences "
                           f"(approximated by t with {wk.df} df in the test)"},
        "projection": projection(results[best], names, rng) if results else None,
        "choice_counts": [dict(c, models=names) for c in choice_counts],
    }
    return {
        "embedder": emb.info.to_json(), "single_sample": False, "probes": probes_json,
        "families": fams,
        "tests": {
            "distillation": {"statistic": panel.statistic if panel else None,
                             "p_value": panel.p_value if panel else None,
                             "weakest_control": summary.weakest_control,
                             "weakest_side": summary.weakest_side,
                             "p_value_reference_centred": side_p[0],
                             "p_value_suspect_centred": side_p[1],
                             "per_control": ctrl_json,
                             "cauchy_p_value": cauchy, "method": DISTILLATION_METHOD},
            "distillation_suspect_centred": {
                "statistic": min(p.statistic for p in pooled[K:]) if full else None,
                "p_value": side_p[1], "per_control": sc_json,
                "method": "per control: one-sided t-test over probes of d' = MMD²(S,C) − "
                          "MMD²(S,R) (is the suspect closer to the reference than to the "
                          "control?); part of the distillation panel above"},
            "equality": {"statistic": eq[0] if eq else None, "p_value": eq[1] if eq else None,
                         "n_probes": len(eq_idx),
                         "method": "unbiased MMD² per probe, joint permutation test of the "
                                   "standardised sum over probes"},
            "controls_vs_reference_equality": ctrl_eq,
            "identity": ident,
        },
        "evidence": evidence, "exhibits": exhibits(results, eff, ctrl_names),
        "plot_data": plot, "verdict": verdict, "method": method,
    }


def _probe_json(r: ProbeResult, names: list[str], eff, ci, p_panel, p_adj) -> dict[str, Any]:
    d = r.data
    stats: dict[str, Any] = {
        "mmd2_suspect_reference": r.equality[0] if r.equality else None,
        "mmd2_controls_reference": [c[0] if c else None for c in r.controls_eq],
        "relative_difference": [x.statistic if x else None for x in r.relative],
        "relative_p_values": [x.p_value if x else None for x in r.relative],
        "mmd2_suspect_controls": [x.mmd2_control if x else None for x in r.relative_sc],
        "relative_difference_suspect_centred": [x.statistic if x else None for x in r.relative_sc],
        "relative_p_values_suspect_centred": [x.p_value if x else None for x in r.relative_sc],
        "p_values_controls_equality": [c[1] if c else None for c in r.controls_eq],
        "similarity_to_reference": mean_similarities(d),
    }
    if r.categorical is not None:
        c = r.categorical
        stats["choice_test"] = {"statistic": c.statistic, "p_value": c.p_value,
                                "method": c.method, "total_variation": c.total_variation}
    return {"id": d.probe.id, "family": d.probe.family, "answer_type": d.probe.answer_type,
            "n_samples": {"reference": len(d.groups[0]), "suspect": len(d.groups[1]),
                          "controls": [len(g) for g in d.groups[2:]]},
            "statistics": stats, "p_value": p_panel,
            "p_value_equality": r.equality[1] if r.equality else None,
            "p_adjusted": p_adj, "effect": eff, "ci": list(ci)}


def _evidence(s: TestSummary, panel, wk, eq, ctrl_eq, ident, choice, cauchy, results,
              pooled: list[PooledResult | None]) -> dict:
    K = s.n_controls
    sides = [[p.statistic for p in pooled[h * K:(h + 1) * K] if p is not None] for h in (0, 1)]
    ctrl_ps = [c["p_value"] for c in ctrl_eq if c["p_value"] is not None]
    ident_s = ident["suspect"]["rate"] if ident and ident["suspect"] else None
    ident_c = [c["rate"] for c in (ident["controls"] if ident else []) if c]
    return {
        "n_probes": s.n_probes, "n_controls": s.n_controls, "single_sample": 0,
        "samples_per_probe": float(np.median([len(r.data.groups[1]) for r in results]))
        if results else 0.0,
        "distill_p": s.p_distill, "distill_z": _z(s.p_distill), "distill_t_min": s.t_distill,
        "distill_t_min_reference_centred": min(sides[0]) if K and len(sides[0]) == K else None,
        "distill_t_min_suspect_centred": min(sides[1]) if K and len(sides[1]) == K else None,
        "distill_p_reference_centred": s.p_reference_centred,
        "distill_p_suspect_centred": s.p_suspect_centred,
        "effect_standardized": (wk.statistic / math.sqrt(wk.n_probes)) if wk else None,
        "closeness_min": s.closeness, "cauchy_p": cauchy, "cauchy_z": _z(cauchy),
        "equality_p": s.p_eq, "equality_z": eq[0] if eq else None,
        "controls_equality_p_max": max(ctrl_ps) if ctrl_ps else None,
        "identity_agreement_suspect": ident_s,
        "identity_agreement_max_control": max(ident_c) if ident_c else None,
        "identity_agreement_diff": (ident_s - max(ident_c)) if ident_s is not None and ident_c else None,
        "choice_agreement_suspect": choice.get("suspect"),
        "choice_agreement_max_control": choice.get("max_control"),
        "choice_agreement_diff": (choice["suspect"] - choice["max_control"])
        if choice.get("suspect") is not None and choice.get("max_control") is not None else None,
    }
