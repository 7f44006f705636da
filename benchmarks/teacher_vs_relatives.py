"""What separates a teacher's student from the teacher's relatives (docs/corpora.md,
"Variants 7 and 8"): the *direction* of the similarity, and style against knowledge.

The hypothesis of the issue: from the student's side the teacher is its nearest model, while
siblings are mutually nearest, and a teacher is near many students, so the reference's side
should see the suspect less clearly than the suspect's side sees the reference.  For every
labelled pair, with the pair's known relatives removed from the panel (as ``score_pairs``),
each feature is a z-score against the controls:

- ``similarity_from_suspect``: S's mean cosine to R against S's mean cosines to the controls;
- ``similarity_from_reference``: R's mean cosine to S against R's mean cosines to the controls;
- ``attribution_suspect_on_reference``: S's answers on R's topic-whitened profile against the
  controls' answers on R's profile (the shipped attribution part, before the hub correction);
- ``attribution_reference_on_suspect``: R's answers on S's profile against the controls';
- ``*_direction``: the first minus the second;
- ``style_similarity`` / ``content_similarity``: S's mean cosine to R against the controls'
  mean cosines to R, on *style* tokens only (punctuation, markup and the corpus's
  ``STYLE_WORDS`` most frequent words by document frequency: function words) and on
  *content* tokens only (every other word; ``corpus_splits.reduced_corpus``);
  ``style_minus_content`` their difference.

Prints and writes AUC teacher→student vs shared-lineage and vs independent per corpus and
prompt split (the splits of ``corpus_splits.py``), and each feature's worst split.

    python benchmarks/teacher_vs_relatives.py CORPORA_DIR [--only alpaca_eval,...] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from corpus_splits import CORPORA, PROMPT_SPLITS, reduced_corpus  # noqa: E402
from fingerprint.calibration import (panel_controls, prepare_panel, read_labelled,  # noqa: E402
                                     related_models)
from fingerprint.corpus import load_corpus  # noqa: E402
from fingerprint.stats.roc import roc_auc  # noqa: E402

FEATURES = ("similarity_from_suspect", "similarity_from_reference", "similarity_direction",
            "attribution_suspect_on_reference", "attribution_reference_on_suspect",
            "attribution_direction", "style_similarity", "content_similarity",
            "style_minus_content")
SCORED = ("teacher_student", "shared_lineage", "independent")


def _z(value: float, controls: np.ndarray) -> float:
    sd = float(controls.std(ddof=1))
    return (value - float(controls.mean())) / sd if sd > 1e-12 else 0.0


def direction_features(panel: Any, ref: int, sus: int, ctrl: np.ndarray,
                       style: np.ndarray, content: np.ndarray) -> dict[str, float]:
    """The features of one pair (panel indices) against its controls."""
    cos, prof = panel.pair_sims, panel.profile_sims  # (prompt, i, k) and (i, prompt, k)
    out = {
        "similarity_from_suspect": _z(cos[:, sus, ref].mean(), cos[:, sus, ctrl].mean(axis=0)),
        "similarity_from_reference": _z(cos[:, ref, sus].mean(), cos[:, ref, ctrl].mean(axis=0)),
        "attribution_suspect_on_reference": _z(prof[sus, :, ref].mean(),
                                               prof[ctrl, :, ref].mean(axis=1)),
        "attribution_reference_on_suspect": _z(prof[ref, :, sus].mean(),
                                               prof[ctrl, :, sus].mean(axis=1)),
    }
    out["similarity_direction"] = (out["similarity_from_suspect"]
                                   - out["similarity_from_reference"])
    out["attribution_direction"] = (out["attribution_suspect_on_reference"]
                                    - out["attribution_reference_on_suspect"])
    out["style_similarity"] = _z(style[:, sus, ref].mean(), style[:, ctrl, ref].mean(axis=0))
    out["content_similarity"] = _z(content[:, sus, ref].mean(),
                                   content[:, ctrl, ref].mean(axis=0))
    out["style_minus_content"] = out["style_similarity"] - out["content_similarity"]
    return out


def score_split(panel: Any, style: np.ndarray, content: np.ndarray,
                labelled: list[dict[str, Any]]) -> dict[str, Any]:
    """Every feature's AUCs over the labelled pairs that keep at least 3 controls;
    ``style`` and ``content`` are the per-prompt cosines of the reduced corpora."""
    index = {m: i for i, m in enumerate(panel.models)}
    related = related_models(labelled)
    rows = []
    for q in labelled:
        if q["label"] not in SCORED:
            continue
        names, _ = panel_controls(panel.models, related, q["reference"], q["suspect"])
        if len(names) >= 3:
            ctrl = np.array([index[m] for m in names])
            rows.append((q["label"], direction_features(panel, index[q["reference"]],
                                                        index[q["suspect"]], ctrl,
                                                        style, content)))
    auc = {}
    for f in FEATURES:
        by = {lab: [x[f] for lab_, x in rows if lab_ == lab] for lab in SCORED}
        auc[f] = {"vs_shared_lineage": roc_auc(by["teacher_student"], by["shared_lineage"]),
                  "vs_independent": roc_auc(by["teacher_student"], by["independent"])}
    counts = {lab: sum(lab_ == lab for lab_, _ in rows) for lab in SCORED}
    return {"counts": counts, "auc": auc}


def run(corpora_dir: Path, corpora: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for name in corpora:
        path, pair_files = CORPORA[name]
        labelled = read_labelled([str(corpora_dir / name / f) for f in pair_files])
        if not any(q["label"] == "shared_lineage" for q in labelled):
            continue
        data = load_corpus(str(corpora_dir / path))
        parts = [data, reduced_corpus(data, "style"), reduced_corpus(data, "content")]
        for split, n, seed in PROMPT_SPLITS:
            t0 = time.perf_counter()
            panel, style, content = [prepare_panel(d, seed=seed, max_prompts=n) for d in parts]
            res = score_split(panel, style.pair_sims, content.pair_sims, labelled)
            rows.append({"corpus": name, "split": split, **res})
            print(f"{name} {split}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return rows


def _f(v: float | None) -> str:
    return "  —  " if v is None else f"{v:.3f}"


def format_rows(rows: list[dict[str, Any]]) -> str:
    lines = []
    for f in FEATURES:
        lines.append(f"{f}  (AUC teacher→student vs shared lineage / vs independent)")
        for r in rows:
            a = r["auc"][f]
            lines.append(f"  {r['corpus']:<16} {r['split']:<14} {_f(a['vs_shared_lineage'])} / "
                         f"{_f(a['vs_independent'])}")
        per_corpus = {}
        for r in rows:
            v = r["auc"][f]["vs_shared_lineage"]
            if v is not None:
                per_corpus.setdefault(r["corpus"], []).append(v)
        lines.append("  worst split vs shared lineage: " + ", ".join(
            f"{c} {min(v):.3f}" for c, v in per_corpus.items()))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpora", type=Path, help="folder holding the shared corpora")
    ap.add_argument("--only", default=",".join(CORPORA), help="corpora to run")
    ap.add_argument("--out", type=Path,
                    default=ROOT / "benchmarks" / "results" / "teacher_vs_relatives")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    rows = run(args.corpora, [c for c in args.only.split(",") if c])
    print(format_rows(rows))
    args.out.mkdir(parents=True, exist_ok=True)
    result = {"command": "python benchmarks/teacher_vs_relatives.py CORPORA"
                         + (f" --only {args.only}" if argv and "--only" in argv else ""),
              "runtime_s": round(time.perf_counter() - started, 1), "rows": rows}
    (args.out / "teacher_vs_relatives.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
