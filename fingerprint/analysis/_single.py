"""Analysis when every model gave one answer per prompt (replayed public corpora)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Sequence

import numpy as np

from ..stats import single_sample
from ..stats.bootstrap import mean_ci
from ..stats.combine import z_score as z_of
from ..stats.relative import PooledResult, panel_test, pooled_relative_test, sign_flip_null
from ._exhibits import single_answer_exhibits
from ._lineage import METHOD, LineageResult, lineage_score
from ._probe import ProbeData
from ._results import (Analysis, AnalysisResult, Comparison, DistillationTest, EmbedderRecord,
                       EqualityTest, Evidence, FamilyResult, FamilySimilarity, LineageTest,
                       NullDistribution, PlotData, PooledComparison, ProbeRow, SampleCounts,
                       SuspectCentredTest, TestResults, TestVerdict)
from ._verdict import (LINEAGE_TEST, TestSummary, decide, describe_comparison,
                       finish_test_verdict, fmt_p)

# A one-answer run with at least this many controls is decided by the lineage test (and
# calibrated apart, on the lineage score): the smallest panel on which that score was
# measured to separate the public pairs (held-out AUC 0.86 with 20 controls, 0.76 with 5;
# docs/calibration.md).  It is also where the test's p-value passes the null check on real
# panels; on smaller panels it does not (docs/corpora.md).
WIDE_PANEL = 20

NOTE = ("One answer per prompt per model: within-model variation cannot be estimated, so there "
        "is no per-prompt test and no equality test; evidence is pooled across prompts ({m}).")


def analyze_single(pdata: Sequence[ProbeData], names: list[str], *, alpha: float,
                   rng: np.random.Generator, embedder: EmbedderRecord, method: str) -> Analysis:
    K = len(names) - 2
    full = [i for i, d in enumerate(pdata) if all(len(g) >= 1 for g in d.groups)]
    grams = [pdata[i].kernel[np.ix_([int(g[0]) for g in pdata[i].groups],
                                    [int(g[0]) for g in pdata[i].groups])] for i in full]
    if K and full:
        # columns: hub-corrected reference-centred d_1..d_K, then suspect-centred d'_1..d'_K
        D = np.hstack([single_sample.single_sample_differences(grams, K),
                       single_sample.suspect_centred_differences(grams, K)])
    else:
        D = np.zeros((len(full), 0))
    pooled: list[PooledResult | None] = [pooled_relative_test(D[:, j]) if len(full) >= 2 else None
                                         for j in range(2 * K)]
    panel = panel_test(pooled) if K and all(p is not None for p in pooled) else None
    side_p = [panel_test(pooled[h * K:(h + 1) * K]).p_value if panel else None for h in (0, 1)]
    j_weak = panel.weakest_control if panel else None  # index into the 2K comparisons
    weak = Comparison.all(K)[j_weak] if j_weak is not None else None
    comps = []
    for j, comp in enumerate(Comparison.all(K)):
        pr = pooled[j]
        ci = mean_ci(D[:, j], rng, alpha=alpha) if len(full) else (None, None)
        comps.append(PooledComparison(
            control=names[2 + comp.control], statistic=pr.statistic if pr else None,
            p_value=pr.p_value if pr else None, effect=pr.effect if pr else None, ci=ci,
            closeness=None, n_probes=len(full)))
    row = {i: j for j, i in enumerate(full)}
    probes = []
    for i, d in enumerate(pdata):
        j = row.get(i)
        probes.append(ProbeRow(
            id=d.probe.id, family=d.probe.family, answer_type=d.probe.answer_type,
            n_samples=SampleCounts(len(d.groups[0]), len(d.groups[1]),
                                   tuple(len(g) for g in d.groups[2:])),
            statistics={"similarity_to_reference": grams[j][0].tolist() if j is not None else None,
                        "relative_difference": D[j, :K].tolist() if j is not None else None,
                        "relative_difference_suspect_centred":
                            D[j, K:].tolist() if j is not None else None},
            p_value=None, p_value_equality=None, p_adjusted=None,
            effect=float(D[j].min()) if j is not None and K else None, ci=(None, None)))
    fam_idx: dict[str, list[int]] = {}
    for i in full:
        fam_idx.setdefault(pdata[i].probe.family, []).append(row[i])
    families = []
    for fam, rows in fam_idx.items():
        e = D[rows].min(axis=1) if K else np.zeros(0)
        ci = mean_ci(e, rng, alpha=alpha) if e.size else (None, None)
        p = (panel_test([pooled_relative_test(D[rows, j]) for j in range(2 * K)]).p_value
             if K and len(rows) >= 2 else None)
        direction = ("toward reference" if ci[0] is not None and ci[0] > 0 and len(rows) > 1
                     else "away" if ci[1] is not None and ci[1] < 0 and len(rows) > 1 else "none")
        families.append(FamilyResult(family=fam, n_probes=len(rows),
                                     effect=float(e.mean()) if e.size else None, ci=ci,
                                     direction=direction, p_value=p))
    wk = pooled[j_weak] if j_weak is not None else None
    summary = TestSummary(
        n_probes=len(full), n_controls=K, single_sample=True, p_eq=None, eq_min_p=None,
        controls_eq_p=[], p_distill=panel.p_value if panel else None,
        t_distill=panel.statistic if panel else None, n_distill_probes=len(full),
        effect=wk.effect if wk else None,
        effect_ci=comps[j_weak].ci if j_weak is not None else (None, None),
        closeness=None, weakest_control=names[2 + weak.control] if weak else None,
        weakest_side=weak.side if weak else None,
        p_reference_centred=side_p[0], p_suspect_centred=side_p[1],
        suspect_near_controls=tuple(names[2 + k] for k in range(K) if pooled[K + k] is not None
                                    and pooled[K + k].p_value > 1.0 - alpha))
    fam_sim = []
    for fam, rows in fam_idx.items():
        g = np.stack([grams[r] for r in rows])
        fam_sim.append(FamilySimilarity(
            family=fam, reference_self=None, suspect=float(g[:, 1, 0].mean()),
            controls=tuple(float(g[:, 2 + k, 0].mean()) for k in range(K)),
            control_names=tuple(names[2:])))
    null = None if wk is None else NullDistribution(
        statistic="studentised mean of per-prompt differences, weakest control",
        observed=wk.statistic, null=tuple(sign_flip_null(D[:, j_weak], rng).tolist()),
        null_method=f"random sign flips (t with {wk.df} df in the test)")
    rank = _lineage_evidence(pdata, full, K, rng)
    lineage_z, lineage_p = (rank.score, rank.p_predictive) if rank is not None else (None, None)
    evidence = Evidence(
        n_probes=len(full), n_controls=K, single_sample=1, samples_per_probe=1.0,
        distill_p=summary.p_distill, distill_z=z_of(panel.p_value) if panel else None,
        distill_t_min=summary.t_distill,
        distill_t_min_reference_centred=min(p.statistic for p in pooled[:K]) if panel else None,
        distill_t_min_suspect_centred=min(p.statistic for p in pooled[K:]) if panel else None,
        distill_p_reference_centred=side_p[0], distill_p_suspect_centred=side_p[1],
        effect_standardized=wk.statistic / math.sqrt(wk.n_probes) if wk else None,
        closeness_min=None, cauchy_p=None, cauchy_z=None, equality_p=None, equality_z=None,
        controls_equality_p_max=None, lineage_z=lineage_z, lineage_p=lineage_p)
    verdict = decide(summary, alpha)
    lineage = None
    if K >= WIDE_PANEL and lineage_z is not None:
        ctrl_names = tuple(names[2:])
        at_or_above = tuple(n for n, v in sorted(zip(ctrl_names, rank.control_scores),
                                                 key=lambda nv: -nv[1]) if v >= lineage_z)
        verdict = decide_lineage(summary, lineage_z, lineage_p, len(at_or_above), alpha)
        lineage = LineageTest(
            statistic=lineage_z, p_value=lineage_p, decides=True,
            method=PREDICTIVE_METHOD + "; " + METHOD,
            control_names=ctrl_names, control_scores=tuple(rank.control_scores),
            at_or_above=at_or_above)
    tests = TestResults(
        distillation=DistillationTest(
            statistic=panel.statistic if panel else None, p_value=panel.p_value if panel else None,
            weakest_control=summary.weakest_control, weakest_side=summary.weakest_side,
            p_value_reference_centred=side_p[0], p_value_suspect_centred=side_p[1],
            per_control=tuple(comps[:K]), cauchy_p_value=None,
            method=single_sample.METHOD + "; one-sided t-test over prompts per control, "
                                          "intersection–union over the panel"),
        distillation_suspect_centred=SuspectCentredTest(
            statistic=min(p.statistic for p in pooled[K:]) if panel else None,
            p_value=side_p[1], per_control=tuple(comps[K:]),
            method="per control: one-sided t-test over prompts of sim(S,R) − sim(S,C); part "
                   "of the distillation panel above"),
        equality=EqualityTest(statistic=None, p_value=None, n_probes=0,
                              method="not estimable with one answer per prompt"),
        controls_vs_reference_equality=(), identity=None, distillation_lineage=lineage)
    result = AnalysisResult(
        embedder=embedder, single_sample=True, families=tuple(families), tests=tests,
        evidence=evidence,
        exhibits=single_answer_exhibits(pdata, [p.effect for p in probes], names[2:]),
        plot_data=PlotData(family_similarity=tuple(fam_sim), null_distribution=null,
                           projection=None, choice_counts=()),
        method=NOTE.format(m=single_sample.METHOD) + " " + method)
    return Analysis(result=result, probes=tuple(probes), test_verdict=verdict)


def _lineage_evidence(pdata: Sequence[ProbeData], full: list[int], K: int,
                      rng: np.random.Generator) -> LineageResult | None:
    """The corpus lineage score (:mod:`._lineage`) on this run's own panel and
    prompts: how far the suspect sits above the controls, in units of their spread.  Drawn
    last from ``rng`` (its prompt split), so the other statistics keep their random draws."""
    if K < 2 or len(full) < 4:
        return None
    answers = [[pdata[i].texts[int(pdata[i].groups[m][0])] for i in full] for m in range(K + 2)]
    return lineage_score(answers[0], answers[1], answers[2:], seed=int(rng.integers(2**31 - 1)))


PREDICTIVE_METHOD = ("the suspect's lineage score against the controls' as one more draw from "
                     "their distribution: P(T_{K-1} >= z / sqrt(1 + 1/K)), a prediction-interval "
                     "test")


def decide_lineage(s: TestSummary, z: float, p: float, above: int, alpha: float) -> TestVerdict:
    """The test-based verdict of a one-answer run with a wide control panel.

    Requiring the suspect to be closer to the reference than *every one* of dozens of
    controls (the relative test) almost never rejects: some control always lands close by
    chance.  With a wide panel the test is instead how far the suspect's lineage score
    (:mod:`._lineage`) sits above the controls', each scored exactly as the suspect: the
    p-value of one more draw from the controls' distribution (``p_predictive``).  The rank
    among the controls (``above`` of them at or above the suspect) is shown too; as a
    p-value it fell below uniform in the null check on real panels, and its resolution is
    1/(K+1) (docs/corpora.md)."""
    k = s.n_controls
    what = describe_comparison(s)
    reasons = ["one answer per prompt per model: within-model variation is not estimable, so "
               "there is no equality test",
               f"lineage score over {s.n_probes} prompts: z = {z:.2f} against the spread of {k} "
               f"controls, p = {fmt_p(p)} (prediction-interval test); {above} of the controls "
               f"at or above the suspect"]
    lead = (f"Compared {what} with one answer per prompt. On the lineage score (how much more the "
            f"suspect's answers follow the reference's than the controls' do)")
    if p < alpha:
        label = "distilled"
        summary = (f"{lead} the suspect stands out from the {k} controls (p = {fmt_p(p)}; it "
                   f"ranks above {k - above} of them), as expected after training on the "
                   f"reference's outputs. A "
                   f"same-model relation cannot be told apart without repeated samples.")
    else:
        label = "independent"
        summary = (f"{lead} the suspect does not stand out from the controls: {above} of the "
                   f"{k} score as high or higher (p = {fmt_p(p)}).")
    out = {"label": label, "p_value": p, "p_value_equality": None, "summary": summary,
           "reasons": reasons, "more_data_needed": None, "test": LINEAGE_TEST}
    return finish_test_verdict(out, replace(s, t_distill=z, n_distill_probes=s.n_probes), alpha)
