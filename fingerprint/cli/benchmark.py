"""``fingerprint benchmark``: score the labelled pairs of a response corpus (ROC AUC, TPR)."""

from __future__ import annotations

import argparse
from typing import Sequence


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("benchmark", help="score labelled pairs of a response corpus")
    p.add_argument("--corpus", required=True)
    p.add_argument("--pairs", required=True, action="append",
                   help="labelled pairs (JSON); repeat to merge several files")
    p.add_argument("--out")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-prompts", type=int, help="use a random subset of this many prompts")
    p.add_argument("--keep-siblings", action="store_true",
                   help="keep models of a shared lineage in each other's control panels")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from ..calibration import format_benchmark, run_benchmark

    pairs = args.pairs[0] if len(args.pairs) == 1 else args.pairs
    result = run_benchmark(args.corpus, pairs, args.out, seed=args.seed,
                           max_prompts=args.max_prompts, keep_siblings=args.keep_siblings)
    print(format_benchmark(result))
    return 0
