"""The null check of ``compare``'s own verdict on one-answer corpora.

``corpus_splits.py`` checks the lineage score's p-values, which decide only panels of 20 or
more controls.  Below that, ``compare`` decides a one-answer run by the relative test
(the suspect closer to the reference than every control, on both sides).  This script runs
the whole analysis ``compare`` runs on replayed corpus models for every ordered model pair
with no documented relation (or a seeded sample of ``--pairs`` of them), the pair's
relatives removed from the panel and ``--controls`` of the rest drawn at random (default:
all), and checks the p-value of the test that decided against uniform
(``fingerprint.calibration.NullPairs``: dyadic standard error, one-sided 1 % tolerance),
apart for panels below and at or above 20 controls.

    python benchmarks/null_compare.py CORPORA_DIR [--only just_eval] [--controls 5]
                                      [--pairs 300] [--max-prompts 200] [--seed 0] [--out DIR]
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

from corpus_splits import CORPORA  # noqa: E402
from fingerprint.analysis import WIDE_PANEL, analyze  # noqa: E402
from fingerprint.calibration import (NullPairs, corpus_response_set, excluded_by,  # noqa: E402
                                     read_labelled, related_models, stable_int)
from fingerprint.corpus import load_corpus  # noqa: E402
from power import without_locations  # noqa: E402


def null_pairs(corpus: str, corpora_dir: Path, *, controls: int | None, pairs: int | None,
               max_prompts: int | None, seed: int) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per undocumented pair (its panel size and the deciding test's p-value), and
    the corpus's models."""
    path, pair_files = CORPORA[corpus]
    labelled = read_labelled([str(corpora_dir / corpus / f) for f in pair_files])
    related = related_models(labelled)
    data = load_corpus(str(corpora_dir / path))
    todo = [(a, b) for a in data.models for b in data.models
            if a != b and b not in related.get(a, ())]
    if pairs is not None and pairs < len(todo):
        pick = np.random.default_rng([seed, stable_int(corpus)]).choice(len(todo), pairs,
                                                                        replace=False)
        todo = [todo[i] for i in sorted(pick)]
    rows = []
    for n, (a, b) in enumerate(todo, 1):
        rng = np.random.default_rng([seed, stable_int(f"{a} -> {b}")])
        skip = excluded_by(related, a, b)
        pool = [m for m in data.models if m not in skip]
        if controls is not None and len(pool) > controls:
            pool = sorted(rng.choice(pool, controls, replace=False).tolist())
        if len(pool) < 2:
            continue
        ids = data.shared_prompts([a, b, *pool])
        if max_prompts is not None and max_prompts < len(ids):
            ids = sorted(rng.choice(ids, max_prompts, replace=False).tolist())
        verdict = analyze(corpus_response_set(data, a, b, pool, ids), seed=seed).test_verdict
        rows.append({"reference": a, "suspect": b, "n_controls": len(pool), "prompts": len(ids),
                     "p_value": verdict.p_value, "label": verdict.label,
                     "test": "lineage" if len(pool) >= WIDE_PANEL else "relative"})
        if n % 25 == 0:
            print(f"{corpus}: {n}/{len(todo)} pairs", file=sys.stderr, flush=True)
    return rows, data.models


def check(rows: list[dict[str, Any]], models: list[str]) -> dict[str, Any]:
    index = {m: i for i, m in enumerate(models)}
    out = {}
    for name, keep in (("below 20 controls (relative test)", lambda k: k < WIDE_PANEL),
                       ("20+ controls (lineage test)", lambda k: k >= WIDE_PANEL)):
        mine = [r for r in rows if keep(r["n_controls"]) and r["p_value"] is not None]
        k = np.array([r["n_controls"] for r in mine], int)
        res = NullPairs(np.array([r["p_value"] for r in mine], float),
                        np.array([index[r["reference"]] for r in mine], int),
                        np.array([index[r["suspect"]] for r in mine], int), k, k,
                        rank=False).check()
        out[name] = {**res.to_json(), "distilled": sum(r["label"] == "distilled" for r in mine)}
    return out


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpora", type=Path, help="folder holding the shared corpora")
    ap.add_argument("--only", default="just_eval,zeroeval_gsm8k,alpaca_eval")
    ap.add_argument("--controls", type=int, help="controls drawn per pair (default: all)")
    ap.add_argument("--pairs", type=int, help="a seeded sample of this many pairs per corpus")
    ap.add_argument("--max-prompts", type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "null_compare")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    result: dict[str, Any] = {"corpora": {}}
    for corpus in [c for c in args.only.split(",") if c]:
        t0 = time.perf_counter()
        rows, models = null_pairs(corpus, args.corpora, controls=args.controls,
                                  pairs=args.pairs, max_prompts=args.max_prompts, seed=args.seed)
        checked = check(rows, models)
        result["corpora"][corpus] = {"checks": checked, "pairs": rows,
                                     "runtime_s": round(time.perf_counter() - t0, 1)}
        for name, c in checked.items():
            if not c["pairs"]:
                continue
            levels = "  ".join(f"p<={t}: {v['observed']:.3f} (≤ {v['exact_bound']:.3f} + "
                               f"{v['tolerance']:.3f})" for t, v in c["levels"].items())
            print(f"{corpus}, {name}: {c['pairs']} pairs, median {c['controls_median']} "
                  f"controls, {c['distilled']} 'distilled'  {levels}  "
                  + (f"below uniform at {', '.join(c['failures'])}" if c["failures"]
                     else "passes"))
    words = without_locations(sys.argv[2:] if argv is None else list(argv)[1:])
    result["command"] = "python benchmarks/null_compare.py CORPORA " + " ".join(words)
    result["runtime_s"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    name = "null_compare" + (f"-{args.controls}" if args.controls else "") + ".json"
    (args.out / name).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"runtime {result['runtime_s']:.0f} s; wrote {args.out / name}")


if __name__ == "__main__":
    main()
