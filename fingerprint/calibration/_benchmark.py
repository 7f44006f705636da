"""``fingerprint benchmark``: lineage detection over a corpus with labelled model pairs.

For each labelled pair the control panel is every other model of the corpus, minus the
pair's two models and every model of either one's documented lineage
(:func:`._pairs.excluded_controls`, the rule calibration uses too).  The score of a pair is the
single-sample lineage score (:mod:`fingerprint.analysis`), what a single-sample ``compare``
computes.  For speed the panel statistics are computed once over the whole corpus (IDF
and topic whitening fitted on every model's answers, prompts answered by all models) and
each pair is scored within it by :func:`fingerprint.analysis.score_in_panel`, the same
function ``lineage_score`` ends with.

Verdicts use the project's labels.  With one answer per prompt the equality test that
separates ``same_model`` from ``distilled`` cannot be run (it needs several samples per
prompt), so a significant closeness is reported as ``distilled`` — which includes "the
same model" — and a non-significant one as ``independent``.  The test is ``compare``'s for a
wide panel: the predictive p-value of the lineage score (``p_predictive``), decided only with
at least ``WIDE_PANEL`` controls, the panels on which its null check holds; with fewer the
verdict is ``inconclusive`` (docs/corpora.md).  Pairs are ranked by that p-value's normal
quantile, so pairs with different panel sizes share one scale.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp
from scipy.stats import norm

from ..analysis import LINEAGE_METHOD as METHOD
from ..analysis import (WIDE_PANEL, LineageResult, dyadic_score, panel_means,
                        panel_similarities, pooled_scale_score, score_in_panel, term_counts)
from ..corpus import Corpus, load_corpus
from ..stats.roc import roc_auc, tpr_at_fpr
from ._pairs import excluded_by, lineage_groups, one_per_lineage, read_pairs, related_models

MIN_CONTROLS = 2  # the lineage score standardises against the controls (score_in_panel)

#: pair kinds scored; distilled is an alias of teacher_student
LABELS = ("teacher_student", "independent", "same_model", "shared_lineage")
ALPHA = 0.05  # verdict level and the false-positive budget of the TPR summary
VERDICT_NOTE = ("one answer per prompt: the equality test cannot tell same_model from distilled, "
                "so 'distilled' means 'significantly closer to the reference than the controls' "
                f"(predictive p ≤ {ALPHA}, with at least {WIDE_PANEL} controls) and includes the "
                "same model; 'independent' means not significant; 'inconclusive' means fewer "
                f"than {WIDE_PANEL} controls, where the test's null check fails")


#: how a pair is decided and ranked: ``"t"`` (the predictive-t p-value, shipped) or
#: ``"rank"`` (the suspect's rank among the controls, shipped before; docs/corpora.md)
DECISIONS = ("t", "rank")
#: what a pair is standardised against: ``"controls"`` (its K controls, shipped), ``"dyads"``
#: (every other unrelated pair of its panel) or ``"pooled"`` (the shipped centring, the scale
#: pooled over every reference of the panel); variants 13 and 14 of docs/corpora.md, under study
_PANEL_WIDE = {"dyads": dyadic_score, "pooled": pooled_scale_score}
NULL_MODELS = ("controls", *_PANEL_WIDE)


def verdict(p_value: float, n_controls: int, alpha: float = ALPHA, *,
            min_controls: int = WIDE_PANEL) -> str:
    """The single-sample verdict: distilled, independent or inconclusive (see VERDICT_NOTE).
    A rank p-value also needs ``1/(K+1) <= alpha`` to reach the level."""
    if n_controls < min_controls:
        return "inconclusive"
    return "distilled" if p_value <= alpha else "independent"


def _decided(res: Any, decision: str,
             groups: list[int] | None = None) -> tuple[float, float, str]:
    """(score, p-value, verdict) of a scored pair under ``decision``.  The ``t`` score is the
    predictive p's normal quantile, so pairs with different panel sizes share one scale.  With
    lineage ``groups`` the rank test's resolution is set by the number of lineages."""
    if decision == "t":
        p = res.p_predictive
        return float(norm.isf(max(p, 1e-300))), p, verdict(p, res.n_controls)
    k = res.n_controls if groups is None else len(set(groups))
    return res.score, res.p_value, verdict(res.p_value, k, min_controls=round(1 / ALPHA) - 1)


class _Counts:
    """Term counts of every model's answers, computed once per model (first answer each)."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self._rows: dict[str, tuple[dict[str, int], sp.csr_matrix]] = {}

    def get(self, model: str, prompt_ids: list[str]) -> sp.csr_matrix:
        if model not in self._rows:
            pids = sorted(self.corpus.answers[model])
            texts = [self.corpus.answers[model][pid][0] for pid in pids]
            self._rows[model] = ({pid: i for i, pid in enumerate(pids)}, term_counts(texts))
        index, matrix = self._rows[model]
        return matrix[[index[pid] for pid in prompt_ids]]


@dataclass(frozen=True)
class Panel:
    """A corpus's models over the prompts all of them answered, with the inner products
    every pair is scored from (computed once; :func:`score_pairs` reuses them)."""

    data: Corpus
    models: list[str]
    prompt_ids: list[str]
    profile_sims: np.ndarray
    pair_sims: np.ndarray
    seed: int
    max_prompts: int | None


def prepare_panel(data: Corpus, *, seed: int = 0, max_prompts: int | None = None) -> Panel:
    """The panel of a loaded corpus; ``max_prompts`` keeps a random subset of that many
    shared prompts (drawn with ``seed``, which also draws the cross-fitting halves)."""
    models = data.models
    prompt_ids = data.shared_prompts(models)
    if max_prompts is not None and max_prompts < len(prompt_ids):
        pick = np.random.default_rng(seed).choice(len(prompt_ids), max_prompts, replace=False)
        prompt_ids = [prompt_ids[i] for i in np.sort(pick)]
    counts = _Counts(data)
    prof, pair = panel_similarities([counts.get(m, prompt_ids) for m in models], seed=seed)
    return Panel(data, models, prompt_ids, prof, pair, seed, max_prompts)


def read_labelled(pairs: str | list[str]) -> list[dict[str, Any]]:
    """The labelled pairs of one file or several (``distilled`` read as ``teacher_student``)."""
    return [dict(q, label="teacher_student" if q["label"] == "distilled" else q["label"])
            for f in ([pairs] if isinstance(pairs, str) else pairs) for q in read_pairs(f)]


def run_benchmark(corpus: str, pairs: str | list[str], out: str | None, *, seed: int = 0,
                  max_prompts: int | None = None, keep_siblings: bool = False) -> dict[str, Any]:
    """Score every labelled pair of ``pairs`` (one file or several) over ``corpus``; write
    ``out/benchmark.json``.

    ``max_prompts`` scores on a random subset of that many shared prompts (drawn with
    ``seed``): how robust the ranking is when fewer prompts are available.
    ``keep_siblings`` leaves models of a shared lineage (siblings, a common base) in each
    other's control panels: only teacher→student and same-model links exclude a control.
    """
    started = time.perf_counter()
    labelled = read_labelled(pairs)
    data = load_corpus(corpus)
    for q in labelled:  # before the panel's minutes of work
        data.check_models([q["reference"], q["suspect"]])
    panel = prepare_panel(data, seed=seed, max_prompts=max_prompts)
    result = score_pairs(panel, labelled, keep_siblings=keep_siblings)
    result["pairs_file"] = str(pairs) if isinstance(pairs, str) else [str(f) for f in pairs]
    result["runtime_s"] = round(time.perf_counter() - started, 2)
    if out is not None:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "benchmark.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def panel_controls(models: list[str], related: dict[str, set[str]], reference: str,
                   suspect: str, *, per_lineage: bool = False, lineage_weighted: bool = False
                   ) -> tuple[list[str], list[int] | None]:
    """A pair's controls: every model but the pair and their documented relatives; with
    ``per_lineage`` one per lineage among them; with ``lineage_weighted`` also their lineage
    groups (for ``score_in_panel(lineages=)``), else None."""
    skip = excluded_by(related, reference, suspect)
    names = [m for m in models if m not in skip]
    if per_lineage:
        names = one_per_lineage(names, related)
    return names, lineage_groups(names, related) if lineage_weighted else None


def pair_scorer(panel: Panel, related: dict[str, set[str]], *, null_model: str = "controls",
                similarity_pooling: str = "mean", exchangeable: bool = False
                ) -> Callable[[int, int, list[int], list[int] | None], LineageResult]:
    """``score(reference, suspect, controls, groups)`` over ``panel`` (indices into its models)
    under ``null_model`` (:data:`NULL_MODELS`); for the panel-wide ones the pairs ``related``
    documents are left out of the fit, the null or the pooled spread."""
    if null_model not in NULL_MODELS:
        raise ValueError(f"null_model must be one of {NULL_MODELS}")
    if null_model == "controls":
        return lambda ref, sus, controls, groups: score_in_panel(
            panel.profile_sims, panel.pair_sims, ref, sus, controls, lineages=groups,
            similarity_pooling=similarity_pooling, exchangeable=exchangeable, per_prompt=False)
    if similarity_pooling != "mean" or exchangeable:
        raise ValueError(f"null_model={null_model!r} takes the default pooling and baseline")
    scored = _PANEL_WIDE[null_model]
    means = panel_means(panel.profile_sims, panel.pair_sims)
    unrelated = np.array([[b not in related.get(a, ()) and a not in related.get(b, ())
                           for b in panel.models] for a in panel.models])

    def score(ref: int, sus: int, controls: list[int], groups: list[int] | None) -> LineageResult:
        if groups is not None:
            raise ValueError(f"null_model={null_model!r} does not weight controls by lineage")
        return scored(means, ref, sus, controls, n_prompts=len(panel.prompt_ids),
                      unrelated=unrelated)
    return score


def score_pairs(panel: Panel, labelled: list[dict[str, Any]], *, keep_siblings: bool = False,
                similarity_pooling: str = "mean", exchangeable: bool = False,
                decision: str = "t", per_lineage: bool = False,
                lineage_weighted: bool = False, null_model: str = "controls",
                related: dict[str, set[str]] | None = None) -> dict[str, Any]:
    """Every labelled pair scored within ``panel``, with the summary figures.
    ``per_lineage`` keeps one control per documented lineage (:func:`one_per_lineage`);
    ``lineage_weighted`` keeps them all, weighted so each lineage counts once.  Relatives come
    from ``labelled`` unless a ``related`` map is given (e.g. :func:`related_by_facts`);
    ``null_model`` as for :func:`pair_scorer`."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}")
    data, models = panel.data, panel.models
    for q in labelled:
        data.check_models([q["reference"], q["suspect"]])
    index = {m: i for i, m in enumerate(models)}
    rows = []
    if related is None:
        related = related_models([q for q in labelled
                                  if not (keep_siblings and q["label"] == "shared_lineage")])
    scorer = pair_scorer(panel, related, null_model=null_model,
                         similarity_pooling=similarity_pooling, exchangeable=exchangeable)
    for q in labelled:
        ref, sus = q["reference"], q["suspect"]
        names, groups = panel_controls(models, related, ref, sus, per_lineage=per_lineage,
                                       lineage_weighted=lineage_weighted)
        controls = [index[m] for m in names]
        if len(set(groups or names)) < MIN_CONTROLS:  # too few once relatives are out
            rows.append({"reference": ref, "suspect": sus, "label": q["label"], "score": None,
                         "verdict": "not_scored", "p_value": None, "n_controls": len(controls),
                         "reason": f"{len(controls)} control(s)"
                                   + (f" of {len(set(groups))} lineage(s)" if groups else "")
                                   + " once the pair's known relatives are removed; the score "
                                   f"needs {MIN_CONTROLS}"})
            continue
        res = scorer(index[ref], index[sus], controls, groups)
        score, p_value, label = _decided(res, decision, groups)
        rows.append({
            "reference": ref, "suspect": sus, "label": q["label"], "score": score,
            "verdict": label, "p_value": p_value, "p_rank": res.p_value,
            "p_normal": res.p_normal, "p_predictive": res.p_predictive,
            "z_attribution": res.z_attribution, "z_similarity": res.z_similarity,
            "n_prompts": res.n_prompts, "n_controls": res.n_controls,
        })
    by = {lab: [r["score"] for r in rows if r["label"] == lab and r["score"] is not None]
          for lab in LABELS}
    tpr_ts, thr = tpr_at_fpr(by["teacher_student"], by["independent"], ALPHA)
    tpr_ts_1, _ = tpr_at_fpr(by["teacher_student"], by["independent"], 0.01)
    tpr_same, _ = tpr_at_fpr(by["same_model"], by["independent"], ALPHA)
    return {
        "corpus": data.source, "layout": data.layout,
        "seed": panel.seed, "max_prompts": panel.max_prompts, "keep_siblings": keep_siblings,
        "similarity_pooling": similarity_pooling, "exchangeable": exchangeable,
        "decision": decision, "one_control_per_lineage": per_lineage,
        "lineage_weighted": lineage_weighted, "null_model": null_model,
        "method": METHOD,
        "verdict_labels": ["distilled", "independent", "inconclusive", "not_scored"],
        "same_model_separable": False,
        "verdict_note": VERDICT_NOTE,
        "alpha": ALPHA,
        "n_models": len(models),
        "n_prompts": len(panel.prompt_ids),
        "counts": {lab: len(v) for lab, v in by.items()},
        "summary": {
            "auc_teacher_student_vs_independent": roc_auc(by["teacher_student"], by["independent"]),
            "auc_same_model_vs_independent": roc_auc(by["same_model"], by["independent"]),
            "auc_teacher_student_vs_shared_lineage": roc_auc(by["teacher_student"],
                                                             by["shared_lineage"]),
            "tpr_teacher_student_at_fpr_0.05": tpr_ts,
            "tpr_teacher_student_at_fpr_0.01": tpr_ts_1,
            "tpr_same_model_at_fpr_0.05": tpr_same,
            "threshold_at_fpr_0.05": thr,
        },
        "pairs": rows,
    }


def _fmt(v: Any) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def format_table(result: dict[str, Any]) -> str:
    """The per-pair scores and the summary as a plain-text table."""
    rows = sorted(result["pairs"], key=lambda r: (r["score"] is None, -(r["score"] or 0.0)))
    w_ref = max([9] + [len(r["reference"]) for r in rows])
    w_sus = max([7] + [len(r["suspect"]) for r in rows])
    lines = [f"{'reference':<{w_ref}}  {'suspect':<{w_sus}}  {'label':<15}  {'score':>7}  "
             f"{'p':>6}  verdict"]
    for r in rows:
        score = "—" if r["score"] is None else f"{r['score']:.2f}"
        p_val = "—" if r["p_value"] is None else f"{r['p_value']:.3f}"
        lines.append(f"{r['reference']:<{w_ref}}  {r['suspect']:<{w_sus}}  {r['label']:<15}  "
                     f"{score:>7}  {p_val:>6}  {r['verdict']}")
    s, c = result["summary"], result["counts"]
    lines += [
        "",
        f"{'summary':<44} value",
        f"{'AUC teacher→student vs independent':<44} {_fmt(s['auc_teacher_student_vs_independent'])}"
        f"  ({c['teacher_student']} vs {c['independent']} pairs)",
        f"{'AUC same-model vs independent':<44} {_fmt(s['auc_same_model_vs_independent'])}"
        f"  ({c['same_model']} vs {c['independent']} pairs)",
        f"{'AUC teacher→student vs shared lineage':<44} "
        f"{_fmt(s['auc_teacher_student_vs_shared_lineage'])}"
        f"  ({c['teacher_student']} vs {c['shared_lineage']} pairs)",
        f"{'TPR teacher→student at FPR ≤ 0.05':<44} {_fmt(s['tpr_teacher_student_at_fpr_0.05'])}",
        f"{'TPR teacher→student at FPR ≤ 0.01':<44} "
        f"{_fmt(s.get('tpr_teacher_student_at_fpr_0.01'))}",
        f"{'TPR same-model at FPR ≤ 0.05':<44} {_fmt(s['tpr_same_model_at_fpr_0.05'])}",
        f"{'prompts × models':<44} {result.get('n_prompts')} × {result['n_models']}",
        f"{'runtime (s)':<44} {result['runtime_s']}",
        "",
        f"verdicts: {result.get('verdict_note', '')}",
    ]
    return "\n".join(lines)
