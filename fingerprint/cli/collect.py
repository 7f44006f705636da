"""``fingerprint collect``: sample models into the store and a run folder, no analysis."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

from ._common import (add_sampling, budget, check_samples, command_line, parse_options,
                      print_dry_run)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("collect", help="sample models into the store and a run folder, no analysis")
    p.add_argument("--model", action="append", required=True, metavar="SPEC", help="model (repeat)")
    add_sampling(p, "fingerprint-collection")
    p.add_argument("--preflight", action="store_true",
                   help="check each remote model with one request before sampling, and stop "
                        "before any is charged if one fails (compare does this by default)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from ..models.spec import parse_spec
    from ..pipeline import RunRequest, collect_run

    check_samples(args.samples)
    options = parse_options(args.option)
    models = [(f"model {i}", parse_spec(s, options.get(f"model{i}")))
              for i, s in enumerate(args.model, 1)]
    request = RunRequest(models=models, suite_path=args.suite, samples=args.samples,
                         seed=args.seed, out=Path(args.out), store_path=args.store,
                         command=command_line(argv), progress=not args.no_progress,
                         budget=budget(args), preflight=args.preflight)
    if args.dry_run:
        return print_dry_run(request)
    _, summary = collect_run(request)
    print(f"collected {summary['samples_new']} new and reused {summary['responses_reused']}: "
          f"{summary['samples_stored']} of {summary['samples_expected']} samples stored "
          f"({summary['requests_made']} requests) -> {Path(args.out) / 'collection.json'}")
    return 0
