"""``fingerprint benchmark``: lineage detection over a corpus with labelled model pairs.

For each labelled pair the control panel is every other model of the corpus, minus the
pair's two models, the models the pairs file marks as the reference's students, and the
models it marks as the same model as either pair member.  The score of a pair is the
single-sample lineage score (:mod:`fingerprint.lineage`), what a single-sample ``compare``
computes.  For speed the panel statistics are computed once over the whole corpus (IDF
and topic whitening fitted on every model's answers, prompts answered by all models) and
each pair is scored within it by :func:`fingerprint.lineage.score_in_panel`, the same
function ``lineage_score`` ends with.

Verdicts use the project's labels.  With one answer per prompt the equality test that
separates ``same_model`` from ``distilled`` cannot be run (it needs several samples per
prompt), so a significant closeness is reported as ``distilled`` — which includes "the
same model" — and a non-significant one as ``independent``; with fewer than
``1/ALPHA − 1`` controls the rank test cannot reach the level and the verdict is
``inconclusive``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .corpus import Corpus, load_corpus
from .errors import CalibrationError
from .lineage import METHOD, panel_similarities, score_in_panel, term_counts

LABELS = ("teacher_student", "independent", "same_model")
ALPHA = 0.05  # verdict level and the false-positive budget of the TPR summary
VERDICT_NOTE = ("one answer per prompt: the equality test cannot tell same_model from distilled, "
                "so 'distilled' means 'significantly closer to the reference than the controls' "
                f"(rank p ≤ {ALPHA}) and includes the same model; 'independent' means not "
                "significant; 'inconclusive' means too few controls for the rank test to reach "
                "the level")


def verdict(p_value: float, n_controls: int, alpha: float = ALPHA) -> str:
    """The single-sample verdict: distilled, independent or inconclusive (see VERDICT_NOTE)."""
    if 1.0 / (n_controls + 1) > alpha:
        return "inconclusive"
    return "distilled" if p_value <= alpha else "independent"


def load_pairs(path: str | Path) -> list[dict[str, Any]]:
    """Read and check PAIRS.json: a list of {reference, suspect, label}."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CalibrationError(f"cannot read pairs file {p} ({exc.__class__.__name__})") from None
    except json.JSONDecodeError as exc:
        raise CalibrationError(f"{p}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    if not isinstance(data, list) or not data:
        raise CalibrationError(f"{p}: expected a non-empty JSON list of "
                               "{reference, suspect, label} objects")
    for i, q in enumerate(data):
        if (not isinstance(q, dict) or not isinstance(q.get("reference"), str)
                or not isinstance(q.get("suspect"), str) or q.get("label") not in LABELS):
            raise CalibrationError(f"{p}: pair {i} needs string 'reference' and 'suspect' and "
                                   f"'label' in {', '.join(LABELS)}")
        if q["reference"] == q["suspect"]:
            raise CalibrationError(f"{p}: pair {i} compares {q['reference']!r} with itself")
    return data


def excluded_controls(pairs: list[dict[str, Any]], reference: str, suspect: str) -> set[str]:
    """Models that must not serve as controls for (reference, suspect)."""
    out = {reference, suspect}
    for q in pairs:
        if q["label"] == "teacher_student" and q["reference"] == reference:
            out.add(q["suspect"])
        if q["label"] == "same_model":
            if q["reference"] in (reference, suspect):
                out.add(q["suspect"])
            if q["suspect"] in (reference, suspect):
                out.add(q["reference"])
    return out


def roc_auc(pos: list[float], neg: list[float]) -> float | None:
    """P(score of a positive > score of a negative), ties counting one half."""
    if not pos or not neg:
        return None
    a, b = np.asarray(pos, float)[:, None], np.asarray(neg, float)[None, :]
    return float(((a > b).sum() + 0.5 * (a == b).sum()) / (a.size * b.size))


def tpr_at_fpr(pos: list[float], neg: list[float], max_fpr: float = ALPHA) -> tuple[float | None, float | None]:
    """Largest TPR over thresholds whose false-positive rate on ``neg`` is ≤ ``max_fpr``."""
    if not pos or not neg:
        return None, None
    neg_sorted = np.sort(np.asarray(neg, float))[::-1]
    allowed = int(np.floor(max_fpr * len(neg_sorted)))  # negatives allowed at or above it
    # flag "score > threshold"; the threshold sits at the (allowed+1)-th highest negative
    threshold = float(neg_sorted[allowed]) if allowed < len(neg_sorted) else -np.inf
    return float(np.mean(np.asarray(pos, float) > threshold)), threshold


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


def run_benchmark(corpus: str, pairs: str, out: str | None, *, seed: int = 0,
                  max_prompts: int | None = None) -> dict[str, Any]:
    """Score every labelled pair of ``pairs`` over ``corpus``; write ``out/benchmark.json``.

    ``max_prompts`` scores on a random subset of that many shared prompts (drawn with
    ``seed``): how robust the ranking is when fewer prompts are available.
    """
    started = time.perf_counter()
    data = load_corpus(corpus)
    labelled = load_pairs(pairs)
    for q in labelled:
        data.check_models([q["reference"], q["suspect"]])
    # One panel: every model over the prompts all of them answered.  Each pair is scored in
    # it with its own control set; the cosines (and the IDF) are shared by all pairs.
    models = data.models
    prompt_ids = data.shared_prompts(models)
    if max_prompts is not None and max_prompts < len(prompt_ids):
        pick = np.random.default_rng(seed).choice(len(prompt_ids), max_prompts, replace=False)
        prompt_ids = [prompt_ids[i] for i in np.sort(pick)]
    counts = _Counts(data)
    prof, pair = panel_similarities([counts.get(m, prompt_ids) for m in models], seed=seed)
    index = {m: i for i, m in enumerate(models)}
    rows = []
    for q in labelled:
        ref, sus = q["reference"], q["suspect"]
        skip = excluded_controls(labelled, ref, sus)
        controls = [index[m] for m in models if m not in skip]
        res = score_in_panel(prof, pair, index[ref], index[sus], controls)
        rows.append({
            "reference": ref, "suspect": sus, "label": q["label"], "score": res.score,
            "verdict": verdict(res.p_value, res.n_controls),
            "p_value": res.p_value, "p_normal": res.p_normal,
            "z_attribution": res.z_attribution, "z_similarity": res.z_similarity,
            "n_prompts": res.n_prompts, "n_controls": res.n_controls,
        })
    by = {lab: [r["score"] for r in rows if r["label"] == lab] for lab in LABELS}
    tpr_ts, thr = tpr_at_fpr(by["teacher_student"], by["independent"])
    tpr_same, _ = tpr_at_fpr(by["same_model"], by["independent"])
    result = {
        "corpus": data.source, "layout": data.layout, "pairs_file": str(pairs), "seed": seed,
        "method": METHOD,
        "verdict_labels": ["distilled", "independent", "inconclusive"],
        "same_model_separable": False,
        "verdict_note": VERDICT_NOTE,
        "alpha": ALPHA,
        "n_models": len(data.models),
        "n_prompts": len(prompt_ids),
        "counts": {lab: len(v) for lab, v in by.items()},
        "summary": {
            "auc_teacher_student_vs_independent": roc_auc(by["teacher_student"], by["independent"]),
            "auc_same_model_vs_independent": roc_auc(by["same_model"], by["independent"]),
            "tpr_teacher_student_at_fpr_0.05": tpr_ts,
            "tpr_same_model_at_fpr_0.05": tpr_same,
            "threshold_at_fpr_0.05": thr,
        },
        "pairs": rows,
        "runtime_s": round(time.perf_counter() - started, 2),
    }
    if out is not None:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "benchmark.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def _fmt(v: Any) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def format_table(result: dict[str, Any]) -> str:
    """The per-pair scores and the summary as a plain-text table."""
    rows = sorted(result["pairs"], key=lambda r: -r["score"])
    w_ref = max([9] + [len(r["reference"]) for r in rows])
    w_sus = max([7] + [len(r["suspect"]) for r in rows])
    lines = [f"{'reference':<{w_ref}}  {'suspect':<{w_sus}}  {'label':<15}  {'score':>7}  "
             f"{'p':>6}  verdict"]
    for r in rows:
        lines.append(f"{r['reference']:<{w_ref}}  {r['suspect']:<{w_sus}}  {r['label']:<15}  "
                     f"{r['score']:>7.2f}  {r['p_value']:>6.3f}  {r['verdict']}")
    s, c = result["summary"], result["counts"]
    lines += [
        "",
        f"{'summary':<44} value",
        f"{'AUC teacher→student vs independent':<44} {_fmt(s['auc_teacher_student_vs_independent'])}"
        f"  ({c['teacher_student']} vs {c['independent']} pairs)",
        f"{'AUC same-model vs independent':<44} {_fmt(s['auc_same_model_vs_independent'])}"
        f"  ({c['same_model']} vs {c['independent']} pairs)",
        f"{'TPR teacher→student at FPR ≤ 0.05':<44} {_fmt(s['tpr_teacher_student_at_fpr_0.05'])}",
        f"{'TPR same-model at FPR ≤ 0.05':<44} {_fmt(s['tpr_same_model_at_fpr_0.05'])}",
        f"{'prompts × models':<44} {result.get('n_prompts')} × {result['n_models']}",
        f"{'runtime (s)':<44} {result['runtime_s']}",
        "",
        f"verdicts: {result.get('verdict_note', '')}",
    ]
    return "\n".join(lines)
