"""Several answers per probe: per-probe kernel tests pooled over probes into the panel test,
the equality test and the evidence (docs/statistics.md)."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..stats.bootstrap import percentile_ci
from ..stats.cluster import cluster_sign_flip_test
from ..stats.combine import benjamini_hochberg, cauchy_combination
from ..stats.combine import z_score as z_of
from ..stats.relative import PooledResult, panel_test, pooled_relative_test, sign_flip_null
from ._exhibits import (choice_summary, exhibits, families, family_similarity,
                        identity_agreement, nanmean_replicates, projection)
from ._probe import ProbeResult, comparisons, joint_equality_p, mean_similarities
from ._results import (SIDES, Analysis, AnalysisResult, Comparison, ControlEquality,
                       DistillationTest, EmbedderRecord, EqualityTest, Evidence,
                       IdentityAgreement, NullDistribution, PlotData, PooledComparison,
                       ProbeRow, SampleCounts, SuspectCentredTest, TestResults)
from ._verdict import TestSummary, decide

DISTILLATION_METHOD = ("per control: one-sided t-tests over probes of d = MMD²(C,R) − MMD²(S,R) "
                       "(reference-centred) and d' = MMD²(S,C) − MMD²(S,R) (suspect-centred); "
                       "panel: intersection–union (max p over controls and both differences); "
                       "per-probe p-values BH-adjusted; the decision uses the cluster-robust "
                       "version: per control and difference, a sign-flip test over probe "
                       "families of the families' mean differences (a family counts once)")
#: p-values above this are capped before the Cauchy cross-check (stats.combine)
CAUCHY_TRUNCATION = 0.99


def clustered_panel_p(results: list[ProbeResult], n_comparisons: int,
                      rng: np.random.Generator) -> tuple[float | None, int, tuple[float, ...]]:
    """The panel p-value with probes clustered by family: per comparison, the sign-flip
    test of the families' mean differences; then intersection–union (max over comparisons).
    None when a comparison has fewer than two families with a defined difference.  Also
    returns each comparison's p (d_1..d_K, then d'_1..d'_K), so the panel p without any one
    control is the max over the others' (the report's sensitivity table)."""
    worst, n_clusters, each = 0.0, 0, []
    for j in range(n_comparisons):
        rel = [(comparisons(r)[j], r.data.probe.family) for r in results]
        rows = [(x.statistic, fam) for x, fam in rel if x is not None]
        if len({fam for _, fam in rows}) < 2:
            return None, 0, ()
        res = cluster_sign_flip_test([d for d, _ in rows], [fam for _, fam in rows], rng=rng)
        worst, n_clusters = max(worst, res.p_value), res.n_clusters
        each.append(float(res.p_value))
    return (worst, n_clusters, tuple(each)) if n_comparisons else (None, 0, ())


def _pooled(results: list[ProbeResult], ctrl_names: Sequence[str], alpha: float
            ) -> tuple[list[PooledResult | None], list[PooledComparison]]:
    """Per comparison (d_1..d_K, then d'_1..d'_K): the pooled t-test over the probes where
    it is defined, its bootstrap interval and its closeness."""
    pooled: list[PooledResult | None] = []
    out = []
    for j, comp in enumerate(Comparison.all(len(ctrl_names))):
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
        name = ctrl_names[comp.control]
        out.append(PooledComparison(
            control=name, statistic=pr.statistic if pr else None,
            p_value=pr.p_value if pr else None, effect=pr.effect if pr else None,
            ci=ci if pr else (None, None), closeness=closeness if pr else None,
            n_probes=pr.n_probes if pr else 0))
    return pooled, out


def _probe_row(r: ProbeResult, eff: float | None, ci: tuple, p_panel: float | None,
               p_adj: float | None) -> ProbeRow:
    d = r.data
    stats: dict = {
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
    return ProbeRow(id=d.probe.id, family=d.probe.family, answer_type=d.probe.answer_type,
                    n_samples=SampleCounts(len(d.groups[0]), len(d.groups[1]),
                                           tuple(len(g) for g in d.groups[2:])),
                    statistics=stats, p_value=p_panel,
                    p_value_equality=r.equality[1] if r.equality else None, p_adjusted=p_adj,
                    effect=eff, ci=ci)


def _panel_effects(results: list[ProbeResult], K: int, alpha: float):
    """Per probe: the panel effect (min over comparisons), its interval, its p-value (max)."""
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
    return eff, eff_ci, p_panel, reps_panel


def assemble(results: list[ProbeResult], names: list[str], embedder: EmbedderRecord,
             alpha: float, rng: np.random.Generator, method: str, n_perm: int) -> Analysis:
    K = len(names) - 2
    ctrl_names = names[2:]
    pooled, comp = _pooled(results, ctrl_names, alpha)
    full = K > 0 and all(p is not None for p in pooled)
    # intersection–union over both kinds of comparison and every control
    panel = panel_test(pooled) if full else None
    side_p = [panel_test(pooled[h * K:(h + 1) * K]).p_value if full else None for h in (0, 1)]
    weak = Comparison.all(K)[panel.weakest_control] if panel else None
    eff, eff_ci, p_panel, reps_panel = _panel_effects(results, K, alpha)
    p_eq_probe = [r.equality[1] if r.equality else None for r in results]
    claim = p_panel if any(p is not None for p in p_panel) else p_eq_probe
    have = [i for i, p in enumerate(claim) if p is not None]
    adj = benjamini_hochberg([claim[i] for i in have]) if have else []
    p_adj: list[float | None] = [None] * len(results)
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
        ctrl_eq.append(ControlEquality(control=ctrl_names[k], statistic=ce[0] if ce else None,
                                       p_value=ce[1] if ce else None, n_probes=len(ix)))
    p_clustered, n_clusters, p_each = clustered_panel_p(results, 2 * K, rng) if full \
        else (None, 0, ())
    cauchy = cauchy_combination([p for p in p_panel if p is not None],
                                truncate=CAUCHY_TRUNCATION) \
        if any(p is not None for p in p_panel) else None
    ident = identity_agreement(results, alpha)
    choice, choice_counts = choice_summary(results, names)
    j_weak = panel.weakest_control if panel else None
    wk = pooled[j_weak] if j_weak is not None else None
    summary = TestSummary(
        n_probes=len(results), n_controls=K, single_sample=False,
        p_eq=eq[1] if eq else None, eq_min_p=1.0 / (1 + n_perm) if eq_idx else None,
        controls_eq_p=[c.p_value for c in ctrl_eq], p_distill=panel.p_value if panel else None,
        t_distill=panel.statistic if panel else None, n_distill_probes=wk.n_probes if wk else 0,
        effect=wk.effect if wk else None,
        effect_ci=comp[j_weak].ci if j_weak is not None else (None, None),
        # closeness always reads the reference-centred comparison of the weakest control
        closeness=comp[weak.control].closeness if weak else None,
        weakest_control=ctrl_names[weak.control] if weak else None,
        weakest_side=weak.side if weak else None,
        p_reference_centred=side_p[0], p_suspect_centred=side_p[1],
        p_distill_clustered=p_clustered, n_clusters=n_clusters,
        suspect_near_controls=tuple(ctrl_names[k] for k in range(K) if pooled[K + k] is not None
                                    and pooled[K + k].p_value > 1.0 - alpha))
    tests = TestResults(
        distillation=DistillationTest(
            statistic=panel.statistic if panel else None, p_value=panel.p_value if panel else None,
            weakest_control=summary.weakest_control, weakest_side=summary.weakest_side,
            p_value_reference_centred=side_p[0], p_value_suspect_centred=side_p[1],
            per_control=tuple(comp[:K]), cauchy_p_value=cauchy, method=DISTILLATION_METHOD,
            p_value_clustered=p_clustered, n_clusters=n_clusters or None,
            p_clustered_by_comparison=p_each or None),
        distillation_suspect_centred=SuspectCentredTest(
            statistic=min(p.statistic for p in pooled[K:]) if full else None, p_value=side_p[1],
            per_control=tuple(comp[K:]),
            method="per control: one-sided t-test over probes of d' = MMD²(S,C) − "
                   "MMD²(S,R) (is the suspect closer to the reference than to the "
                   "control?); part of the distillation panel above"),
        equality=EqualityTest(statistic=eq[0] if eq else None, p_value=eq[1] if eq else None,
                              n_probes=len(eq_idx),
                              method="unbiased MMD² per probe, joint permutation test of the "
                                     "standardised sum over probes"),
        controls_vs_reference_equality=tuple(ctrl_eq), identity=ident)
    evidence = _evidence(summary, wk, eq, ctrl_eq, ident, choice, cauchy, results, pooled)
    best = int(np.nanargmax([e if e is not None else -np.inf for e in eff])) \
        if any(e is not None for e in eff) else (eq_idx[0] if eq_idx else 0)
    d_weak = np.array([comparisons(r)[j_weak].statistic for r in results
                       if j_weak is not None and comparisons(r)[j_weak] is not None])
    plot = PlotData(
        family_similarity=family_similarity(results, ctrl_names),
        null_distribution=None if wk is None else NullDistribution(
            statistic="studentised mean of per-probe relative differences, weakest comparison "
                      f"({summary.weakest_side}, {summary.weakest_control})",
            observed=wk.statistic, null=tuple(sign_flip_null(d_weak, rng).tolist()),
            null_method="random sign flips of the per-probe differences "
                        f"(approximated by t with {wk.df} df in the test)"),
        projection=projection(results[best], names, rng) if results else None,
        choice_counts=choice_counts)
    result = AnalysisResult(
        embedder=embedder, single_sample=False,
        families=families(results, eff, reps_panel, p_panel, alpha, K), tests=tests,
        evidence=evidence, exhibits=exhibits(results, eff, ctrl_names), plot_data=plot,
        method=method)
    probes = tuple(_probe_row(r, eff[i], eff_ci[i], p_panel[i], p_adj[i])
                   for i, r in enumerate(results))
    return Analysis(result=result, probes=probes, test_verdict=decide(summary, alpha))


def _evidence(s: TestSummary, wk: PooledResult | None, eq: tuple[float, float] | None,
              ctrl_eq: list[ControlEquality], ident: IdentityAgreement | None,
              choice: dict, cauchy: float | None, results: list[ProbeResult],
              pooled: list[PooledResult | None]) -> Evidence:
    K = s.n_controls
    sides = [[p.statistic for p in pooled[h * K:(h + 1) * K] if p is not None] for h in (0, 1)]
    ctrl_ps = [c.p_value for c in ctrl_eq if c.p_value is not None]
    ident_s = ident.suspect.rate if ident and ident.suspect else None
    ident_c = [c.rate for c in (ident.controls if ident else ()) if c]
    c_s, c_c = choice.get("suspect"), choice.get("max_control")
    return Evidence(
        n_probes=s.n_probes, n_controls=s.n_controls, single_sample=0,
        samples_per_probe=float(np.median([len(r.data.groups[1]) for r in results]))
        if results else 0.0,
        distill_p=s.p_distill, distill_z=z_of(s.p_distill), distill_t_min=s.t_distill,
        distill_t_min_reference_centred=min(sides[0]) if K and len(sides[0]) == K else None,
        distill_t_min_suspect_centred=min(sides[1]) if K and len(sides[1]) == K else None,
        distill_p_reference_centred=s.p_reference_centred,
        distill_p_suspect_centred=s.p_suspect_centred,
        effect_standardized=(wk.statistic / math.sqrt(wk.n_probes)) if wk else None,
        closeness_min=s.closeness, distill_p_clustered=s.p_distill_clustered, cauchy_p=cauchy, cauchy_z=z_of(cauchy),
        equality_p=s.p_eq, equality_z=eq[0] if eq else None,
        controls_equality_p_max=max(ctrl_ps) if ctrl_ps else None,
        identity_agreement_suspect=ident_s,
        identity_agreement_max_control=max(ident_c) if ident_c else None,
        identity_agreement_diff=(ident_s - max(ident_c)) if ident_s is not None and ident_c
        else None,
        choice_agreement_suspect=c_s, choice_agreement_max_control=c_c,
        choice_agreement_diff=(c_s - c_c) if c_s is not None and c_c is not None else None)


__all__ = ["DISTILLATION_METHOD", "SIDES", "assemble"]
