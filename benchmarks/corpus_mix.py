"""Variants 10 and 12 of docs/corpora.md: lineage scores of one pair on several versions of
the corpus, combined, under the stress splits of ``corpus_splits.py``.

Variant 10: the full and the style-token lineage scores, weighted by prompt count.
Variant 12 (``cuts``): the full score and the scores on answers cut after 32, 64, 128 and
256 tokens (variant 11), with equal weights.

Per labelled pair both shipped scores are computed with the same controls, on the full panel
and on the style-reduced one (variant 9).  Each is standardised over the controls, so the
variant adds them with weight ``w = n / (n + n0)`` on the full score (``n`` the prompts), for
the suspect and every control alike, re-standardises by the controls' sd of the sum and
decides by the predictive p.  ``n0`` is chosen leave one corpus out from ``GRID`` (by the
worst split of the other corpora: lowest AUC, ties by lowest TPR at 5 % FPR, then the
smaller ``n0``); every grid value's figures are kept, and those of ``w = 1/2`` and ``cuts``.

    python benchmarks/corpus_mix.py CORPORA_DIR [--only CORPUS,...] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from scipy.stats import norm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import corpus_splits as splits  # noqa: E402  (sets the BLAS threads, the paths, the splits)
from fingerprint.analysis import WIDE_PANEL, score_in_panel  # noqa: E402
from fingerprint.analysis._lineage import predictive_p  # noqa: E402  (the shipped p)
from fingerprint.calibration import (NullPairs, panel_controls, prepare_panel,  # noqa: E402
                                     read_labelled, related_models)
from fingerprint.corpus import load_corpus  # noqa: E402
from fingerprint.stats.roc import roc_auc, tpr_at_fpr  # noqa: E402

GRID = (0.0, 25.0, 50.0, 100.0, 200.0, 400.0, 800.0, math.inf)  # n0; 0 = mean+t, inf = +sty
HALF = "w=1/2"
EVEN_CUTS = "cuts"  # variant 12: the full score and every cut, equal weights
CHOICES: tuple[float | str, ...] = (*GRID, HALF, EVEN_CUTS)  # every rule scored on every split
CUTS = (32, 64, 128, 256)  # the panels after the full and the style one: answers cut (variant 11)
ALPHA = 0.05


def full_weight(n: int, n0: float | str) -> float:
    if n0 == HALF:
        return 0.5
    return 0.0 if math.isinf(float(n0)) else n / (n + float(n0))


def weights(n: int, choice: float | str) -> np.ndarray:
    """The weight of each panel's score (full, style, then the cuts) under ``choice``."""
    if choice == EVEN_CUTS:
        return np.array([1.0, 0.0, *[1.0] * len(CUTS)]) / (1 + len(CUTS))
    w = full_weight(n, choice)
    return np.array([w, 1.0 - w, *[0.0] * len(CUTS)])


@dataclass
class Pair:
    """One pair's scores, one per panel: the suspect's and its controls' (each standardised)."""

    label: str
    reference: int
    suspect: int
    n_prompts: int
    scores: tuple[tuple[float, np.ndarray], ...]

    def p_value(self, w: np.ndarray) -> float:
        c = sum(wi * ctrl for wi, (_, ctrl) in zip(w, self.scores))
        sd = float(c.std(ddof=1))
        # degenerate controls (e.g. two whose parts cancel): the sd of independent unit
        # scores, as score_in_panel falls back to sqrt(2), so the full score alone is the
        # shipped p exactly
        sd = sd if sd > 1e-12 else float(np.linalg.norm(w))
        z = (sum(wi * s for wi, (s, _) in zip(w, self.scores)) - float(c.mean())) / sd
        return predictive_p(z, len(c))


def scored(panels: Sequence[Any], ref: str, sus: str, label: str,
           related: dict[str, set[str]]) -> Pair | None:
    plain = panels[0]
    index = {m: i for i, m in enumerate(plain.models)}
    names, _ = panel_controls(plain.models, related, ref, sus)
    if len(names) < 2:
        return None
    ctrl = [index[m] for m in names]

    def one(panel: Any) -> tuple[tuple[float, np.ndarray], float]:
        res = score_in_panel(panel.profile_sims, panel.pair_sims, index[ref], index[sus], ctrl,
                             per_prompt=False)
        return (res.score, np.asarray(res.control_scores)), res.p_predictive

    (full, shipped), *others = [one(panel) for panel in panels]
    pair = Pair(label, index[ref], index[sus], len(plain.prompt_ids),
                (full, *[score for score, _ in others]))
    if not math.isclose(pair.p_value(weights(pair.n_prompts, 0.0)), shipped,
                        rel_tol=1e-9, abs_tol=1e-12):
        raise AssertionError(f"{ref} / {sus}: w = 1 must give the shipped p ({shipped})")
    return pair


def figures(pairs: Sequence[Pair], n0: float | str) -> dict[str, Any]:
    by: dict[str, list[float]] = {}
    for q in pairs:
        p = q.p_value(weights(q.n_prompts, n0))
        by.setdefault(q.label, []).append(float(norm.isf(max(p, 1e-300))))
    ts, ind = by.get("teacher_student", []), by.get("independent", [])
    return {"auc_teacher_student_vs_independent": roc_auc(ts, ind),
            "tpr_teacher_student_at_fpr_0.05": tpr_at_fpr(ts, ind, ALPHA)[0],
            "tpr_teacher_student_at_fpr_0.01": tpr_at_fpr(ts, ind, 0.01)[0],
            "auc_same_model_vs_independent": roc_auc(by.get("same_model", []), ind),
            "auc_teacher_student_vs_shared_lineage": roc_auc(ts, by.get("shared_lineage", []))}


def null_pairs(panels: Sequence[Any], labelled: list[dict[str, Any]]) -> list[Pair]:
    """Every ordered pair with no documented relation (as ``null_pvalues`` takes them)."""
    related = related_models(labelled)
    models = panels[0].models
    out = [scored(panels, a, b, "null", related) for a in models for b in models
           if a != b and b not in related.get(a, ())]
    return [q for q in out if q is not None]


def null_check(pairs: Sequence[Pair], n0: float | str) -> list[dict[str, Any]]:
    k = np.array([len(q.scores[0][1]) for q in pairs], dtype=int)
    got = NullPairs(np.array([q.p_value(weights(q.n_prompts, n0)) for q in pairs]),
                    np.array([q.reference for q in pairs], dtype=int),
                    np.array([q.suspect for q in pairs], dtype=int), k, k, rank=False)
    return [{"panels": "all", **got.check().to_json()},
            {"panels": f"{WIDE_PANEL}+ controls", **got.check(WIDE_PANEL).to_json()}]


def run(corpora_dir: Path, corpora: Sequence[str]) -> tuple[list[dict[str, Any]],
                                                              dict[str, list[Pair]]]:
    rows, nulls = [], {}
    for name in corpora:
        path, pair_files = splits.CORPORA[name]
        labelled = read_labelled([str(corpora_dir / name / f) for f in pair_files])
        data = load_corpus(str(corpora_dir / path))
        versions = [data, splits.reduced_corpus(data, "style"),
                    *[splits.truncated_corpus(data, k) for k in CUTS]]
        for split, n, seed in splits.PROMPT_SPLITS:
            t0 = time.perf_counter()
            panels = [prepare_panel(d, seed=seed, max_prompts=n) for d in versions]
            if any(p.prompt_ids != panels[0].prompt_ids for p in panels):
                raise SystemExit(f"{name} {split}: a reduced panel has other prompts")
            for keep in ((False, True) if n is None else (False,)):
                related = related_models([q for q in labelled
                                          if not (keep and q["label"] == "shared_lineage")])
                pairs = [scored(panels, q["reference"], q["suspect"], q["label"], related)
                         for q in labelled]
                pairs = [q for q in pairs if q is not None]
                for n0 in CHOICES:
                    rows.append({"corpus": name, "split": split + (", siblings kept" if keep
                                                                   else ""),
                                 "n0": _key(n0),
                                 "prompts": len(panels[0].prompt_ids), "pairs": len(pairs),
                                 **figures(pairs, n0)})
            if n is None:
                nulls[name] = null_pairs(panels, labelled)
            print(f"{name} {split}: {time.perf_counter() - t0:.0f} s", file=sys.stderr,
                  flush=True)
    return rows, nulls


def _key(n0: float | str) -> Any:
    return n0 if isinstance(n0, str) else ("inf" if math.isinf(n0) else n0)


def worst(rows: Sequence[dict[str, Any]], n0: Any) -> tuple[float, float]:
    """The worst split's AUC and TPR at 5 % FPR of the rows scored with ``n0``."""
    w = splits.worst(rows, n0, field="n0")
    return tuple(w[k]["value"] if k in w else math.inf for k in splits.JUDGED)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpora", type=Path, help="folder holding the shared corpora")
    ap.add_argument("--only", default=",".join(splits.CORPORA), help="corpora to run")
    ap.add_argument("--out", type=Path,
                    default=ROOT / "benchmarks" / "results" / "corpus_splits" / "variant12")
    args = ap.parse_args(argv)
    corpora = [c for c in args.only.split(",") if c]
    started = time.perf_counter()
    rows, nulls = run(args.corpora, corpora)
    loco = splits.leave_one_out(rows, [_key(n0) for n0 in GRID], corpora, field="n0")
    chosen = {c: {"n0": n0, "worst_other_auc": loco["other_worst"][c][splits.JUDGED[0]],
                  "worst_other_tpr": loco["other_worst"][c][splits.JUDGED[1]]}
              for c, n0 in loco["chosen"].items()}
    shown = {"mean+t": 0.0, "+sty": "inf", HALF: HALF, EVEN_CUTS: EVEN_CUTS}
    print(f"{'corpus':<18} {'split':<26} " + "  ".join(f"{k:>13}" for k in [*shown, "LOCO n0"]))
    for r0 in [r for r in rows if r["n0"] == 0.0]:
        same = {r["n0"]: r for r in rows if (r["corpus"], r["split"]) == (r0["corpus"], r0["split"])}
        cells = [same[v] for v in shown.values()] + [same[chosen[r0["corpus"]]["n0"]]]
        print(f"{r0['corpus']:<18} {r0['split']:<26} " + "  ".join(
            "     —       " if c["auc_teacher_student_vs_independent"] is None else
            f"{c['auc_teacher_student_vs_independent']:.3f} ({c['tpr_teacher_student_at_fpr_0.05']:.2f})"
            for c in cells))
    summary = {"loco": worst(loco["rows"], "loco"), **{k: worst(rows, v) for k, v in shown.items()}}
    for k, (auc, tpr) in summary.items():
        print(f"worst {k}: AUC {auc:.3f}, TPR@5% {tpr:.2f}")
    for c, v in chosen.items():
        print(f"leave-one-out n0 for {c}: {v['n0']} (other corpora's worst AUC "
              f"{v['worst_other_auc']:.3f}, TPR {v['worst_other_tpr']:.2f})")
    checks = []
    for c, pairs in nulls.items():
        for label, n0 in (("loco", chosen[c]["n0"]), (HALF, HALF), (EVEN_CUTS, EVEN_CUTS),
                          ("mean+t", 0.0)):
            for row in null_check(pairs, math.inf if n0 == "inf" else n0):
                checks.append({"corpus": c, "rule": label, "n0": n0, **row})
                levels = " ".join(f"{t}: {v['observed']:.3f}" for t, v in row["levels"].items())
                verdict = ("no pairs" if row["failures"] is None else "fails at "
                           + ", ".join(row["failures"]) if row["failures"] else "passes")
                print(f"null {c} {label} (n0 {n0}, {row['panels']}): {row['pairs']} pairs "
                      f"{levels} {verdict}")
    args.out.mkdir(parents=True, exist_ok=True)
    words = splits.without_locations(sys.argv[2:] if argv is None else list(argv)[1:])
    result = {"command": " ".join(["python benchmarks/corpus_mix.py CORPORA", *words]),
              "grid_n0": [_key(v) for v in GRID], "rows": rows, "leave_one_out": chosen,
              "worst": {k: {"auc": a, "tpr_0.05": t} for k, (a, t) in summary.items()},
              "null_check": checks, "runtime_s": round(time.perf_counter() - started, 1)}
    (args.out / "corpus_mix.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"runtime {result['runtime_s']:.0f} s; wrote {args.out / 'corpus_mix.json'}")


if __name__ == "__main__":
    main()
