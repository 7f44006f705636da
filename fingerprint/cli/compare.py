"""``fingerprint compare``: probe the models, test, and write an evidence report."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

from ..errors import SpecError
from ..features.embed import DEFAULT_EMBEDDER
from ._common import (add_sampling, budget, check_samples, command_line, parse_options,
                      print_dry_run)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="probe the models, test, and write an evidence report")
    p.add_argument("--ref", required=True, metavar="SPEC", help="reference model, e.g. zoo/teacher")
    p.add_argument("--suspect", required=True, metavar="SPEC", help="suspect model")
    p.add_argument("--control", action="append", default=[], metavar="SPEC",
                   help="independent control model (repeat; needed for a distillation verdict; "
                        "replay/CORPUS#* adds every other model of a corpus)")
    add_sampling(p, "fingerprint-run")
    p.add_argument("--calibration", metavar="FILE",
                   help="calibration map made by `fingerprint calibrate` (default: the built-in one)")
    p.add_argument("--prior", type=float, metavar="P",
                   help="your prior probability of distillation, in (0, 1); the report states "
                        "the posterior at it (default: an even prior, said in words) beside "
                        "1 %%, 10 %% and 50 %%")
    p.add_argument("--lineage", metavar="FILE",
                   help="case facts on the models' lineage (developer, base weights, shared "
                        "data; JSON or YAML, docs/report.md#lineage), added to the shipped "
                        "registry: a known shared lineage turns 'distilled' into 'related'")
    p.add_argument("--embedder", default=DEFAULT_EMBEDDER, metavar="NAME",
                   help="answer embedding: tfidf (default; hashed character n-grams), minilm "
                        "(extra [minilm]) or openai-embeddings[:MODEL] ($OPENAI_BASE_URL, "
                        "$OPENAI_API_KEY)")
    p.add_argument("--sequential", action="store_true",
                   help="collect in rounds and stop as soon as the evidence decides (anytime-valid "
                        "e-processes; --samples is then the most answers per probe and model; "
                        "docs/statistics.md#sequential-collection)")
    p.add_argument("--round-samples", type=int, default=None, metavar="N",
                   help="with --sequential: new answers per probe and model in each round "
                        "(default: all of --samples at once when every model returns that many "
                        "answers in one request, like the zoo or OpenAI's n, so a probe costs "
                        "one request per model; else 2)")
    p.add_argument("--no-preflight", action="store_true",
                   help="do not check each remote model with one request before sampling")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from ..pipeline import RunRequest, compare, roles_for

    check_samples(args.samples)
    if args.prior is not None and not 0 < args.prior < 1:
        raise SpecError("--prior must be a probability strictly between 0 and 1")
    models = roles_for(args.ref, args.suspect, args.control, parse_options(args.option))
    request = RunRequest(models=models, suite_path=args.suite, samples=args.samples,
                         seed=args.seed, out=Path(args.out), store_path=args.store,
                         calibration=args.calibration, prior=args.prior, lineage=args.lineage,
                         embedder=args.embedder,
                         command=command_line(argv), progress=not args.no_progress,
                         budget=budget(args), preflight=not args.no_preflight,
                         sequential=_sequential(args))
    if args.dry_run:
        return print_dry_run(request)
    report = compare(request)
    print(summary_line(report, args.suspect, args.ref) + f" -> {Path(args.out) / 'report.html'}")
    if report.custody is not None:
        from ..run import MANIFEST_FILE, sha256_file

        print(f"evidence SHA-256 {report.custody.evidence_sha256}; manifest SHA-256 "
              f"{sha256_file(Path(args.out) / MANIFEST_FILE)} (sign it: fingerprint sign "
              f"{args.out} --key KEY)")
    return 0


def _sequential(args: argparse.Namespace):
    from ..analysis import SequentialOptions

    if args.round_samples is not None and not args.sequential:
        raise SpecError("--round-samples needs --sequential")
    if not args.sequential:
        return None
    if args.round_samples is None:
        return SequentialOptions(samples_per_round=None)  # chosen from the providers
    if args.round_samples < 2:
        raise SpecError("--round-samples must be at least 2 (a round's tests need two answers "
                        "per model)")
    return SequentialOptions(samples_per_round=args.round_samples)


def summary_line(report, suspect: str, ref: str) -> str:
    """The one line a terminal user reads: label, likelihood ratio, posterior at the stated
    prior, the deciding p-value and what was spent."""
    v, c, ev = report.verdict, report.collection, report.evaluation
    label = "NOT THE SAME MODEL — no distillation test without controls" \
        if v.label == "not_same_model" else v.label.upper().replace("_", " ")
    p_text = f"p={v.p_value:.3g}" if v.p_value is not None else "p=n/a"
    if ev is not None and v.label != "not_same_model":
        weight = (f"LR={ev.likelihood_ratio:.3g} (at least {ev.likelihood_ratio_lower:.3g}: "
                  f"{ev.verbal_scale}); P(distilled)={v.probability:.2f} at "
                  f"{'an even prior' if report.analysis_options.prior is None else f'prior {v.prior:g}'}, ")
    else:
        weight = ""
    stop = (f"; stopped after {len(c.rounds or ())} rounds: {c.stopped_because}"
            if c.stopped_because else "")
    return (f"{label}: {suspect} vs {ref} ({weight}{p_text}; {report.suite.probes} probes, "
            f"{c.samples_total} answers, {c.requests_made} new requests{stop})")
