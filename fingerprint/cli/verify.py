"""``fingerprint verify DIR``: re-check a run folder's hashes and recompute its verdict."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="re-check a run folder's hashes and recompute its verdict")
    p.add_argument("dir", type=Path)
    p.add_argument("--public-key", type=Path, metavar="KEY",
                   help="also check the folder's signature (`fingerprint sign`) under this "
                        "Ed25519 public key (PEM): proves the folder is the one its author "
                        "signed, not only that it is consistent")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from ..run import verify

    problems = verify(args.dir, public_key=args.public_key)
    for line in problems:
        print(f"MISMATCH {line}")
    if problems:
        print(f"verify: {len(problems)} problem(s) in {args.dir}", file=sys.stderr)
        return 1
    signed = (" and the signature verifies under the public key given" if args.public_key
              else "")
    print(f"verify: OK — every file matches the manifest{signed}, and the verdict recomputes "
          f"from the raw responses in {args.dir}")
    return 0
