"""``fingerprint calibrate``: fit the probability map on pairs of known lineage."""

from __future__ import annotations

import argparse
from typing import Sequence


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="fit the probability map on pairs of known lineage")
    p.add_argument("--pairs", required=True)
    p.add_argument("--corpus")
    p.add_argument("--out", default="calibration.json")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from ..pipeline import calibrate

    print(calibrate(args.pairs, args.corpus, args.out, seed=args.seed))
    return 0
