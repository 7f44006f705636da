"""``fingerprint zoo build|list``: build (or check the cache of) the built-in organisms."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ..errors import SpecError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("zoo", help="build the built-in model organisms")
    zoo_sub = p.add_subparsers(dest="zoo_command", metavar="ACTION")
    zb = zoo_sub.add_parser("build", help="build (or check the cache of) organisms")
    zb.add_argument("names", nargs="*", help="organisms (default: the whole panel)")
    zb.add_argument("--force", action="store_true", help="rebuild even when cached")
    zoo_sub.add_parser("list", help="organisms and their weight hashes")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .. import zoo

    if args.zoo_command == "build":
        metas = zoo.build_panel(args.names or None, force=args.force,
                                progress=lambda msg: print(msg, file=sys.stderr, flush=True))
        for name, meta in metas.items():
            print(f"{name}\t{meta['weights_sha256']}")
        return 0
    if args.zoo_command == "list":
        for name in zoo.ORGANISMS:
            print(name)
        return 0
    raise SpecError("fingerprint zoo needs an action: build or list")
