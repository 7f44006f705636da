"""Lineage detection benchmark over an AlpacaEval-layout corpus with labelled pairs.

    python benchmarks/alpaca_eval.py CORPUS_DIR [PAIRS.json] [--out DIR] [--seed N]
                                    [--max-prompts N]

PAIRS.json defaults to CORPUS_DIR/pairs.json.  Prints the per-pair table and the summary
(ROC AUCs, TPR at ≤ 5 % FPR, runtime); the same as ``fingerprint benchmark``.
``--max-prompts N`` scores on N random shared prompts (drawn with ``--seed``) to check that
the ranking holds with fewer prompts.  Works on any corpus layout, not only AlpacaEval.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fingerprint.calibration import format_benchmark as format_table, run_benchmark


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("pairs", nargs="?")
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-prompts", type=int)
    args = ap.parse_args()
    pairs = args.pairs or str(Path(args.corpus) / "pairs.json")
    print(format_table(run_benchmark(args.corpus, pairs, args.out, seed=args.seed,
                                     max_prompts=args.max_prompts)))


if __name__ == "__main__":
    main()
