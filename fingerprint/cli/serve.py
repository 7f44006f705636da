"""``fingerprint serve zoo/NAME``: a model organism as an OpenAI-compatible HTTP server."""

from __future__ import annotations

import argparse
from typing import Sequence

from ..errors import SpecError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve a model organism as an OpenAI-compatible HTTP server")
    p.add_argument("spec", metavar="SPEC", help="zoo/NAME")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from ..models.spec import parse_spec
    from ..zoo.server import serve

    spec = parse_spec(args.spec)
    if spec.provider != "zoo":
        raise SpecError(f"serve takes a built-in organism (zoo/NAME), not {args.spec!r}")
    serve(spec.model, host=args.host, port=args.port)
    return 0
