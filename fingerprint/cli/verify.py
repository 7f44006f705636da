"""``fingerprint verify DIR``: re-check a run folder's hashes and recompute its verdict."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="re-check a run folder's hashes and recompute its verdict")
    p.add_argument("dir", type=Path)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from ..run import verify

    problems = verify(args.dir)
    for line in problems:
        print(f"MISMATCH {line}")
    if problems:
        print(f"verify: {len(problems)} problem(s) in {args.dir}", file=sys.stderr)
        return 1
    print(f"verify: OK — every file matches the manifest and the verdict recomputes from the "
          f"raw responses in {args.dir}")
    return 0
