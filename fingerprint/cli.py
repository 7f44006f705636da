"""Command-line interface: argparse subcommands, wiring only."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any, Sequence

from . import __version__
from .errors import FingerprintError, SpecError

DEFAULT_SAMPLES = 10


def _parse_options(items: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``ROLE:KEY=VALUE`` → {role: {key: value}}; values are JSON when they parse as JSON."""
    out: dict[str, dict[str, Any]] = {}
    for item in items or []:
        role, sep, rest = item.partition(":")
        key, eq, value = rest.partition("=")
        if not sep or not eq or not role or not key:
            raise SpecError(f"malformed --option {item!r}: expected ROLE:KEY=VALUE, e.g. "
                            "suspect:base_url=http://127.0.0.1:8000/v1 or reference:key_env=MY_KEY")
        try:
            parsed: Any = json.loads(value)
        except ValueError:
            parsed = value
        target = out.setdefault(role.strip().lower().replace(" ", ""), {})
        if key.startswith("extra."):
            target.setdefault("extra", {})[key[len("extra."):]] = parsed
        else:
            target[key] = parsed
    return out


def _add_sampling(p: argparse.ArgumentParser, default_out: str) -> None:
    p.add_argument("--suite", help="probe suite: a YAML/JSONL file or folder, hf:ORG/NAME, or a "
                                   "local dataset (default: the built-in suite)")
    p.add_argument("--samples", type=int, default=DEFAULT_SAMPLES,
                   help=f"samples per probe and model, unless a probe sets its own "
                        f"(default {DEFAULT_SAMPLES})")
    p.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    p.add_argument("--out", default=default_out, help=f"run folder (default {default_out})")
    p.add_argument("--store", help="response store file (default: $FINGERPRINT_CACHE_DIR/store.sqlite)")
    p.add_argument("--option", action="append", default=[], metavar="ROLE:KEY=VALUE",
                   help="per-model override: base_url, key_env (name of the key variable), rpm, tpm, "
                        "max_concurrency, timeout, extra.FIELD; ROLE is reference, suspect, "
                        "control1, … (compare) or model1, … (collect)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--max-requests", type=int, metavar="N",
                   help="hard limit on model calls (HTTP attempts, retries included) this run")
    p.add_argument("--max-tokens", type=int, metavar="N",
                   help="hard limit on prompt + completion tokens this run (worst case reserved)")
    p.add_argument("--max-cost", type=float, metavar="USD",
                   help="hard limit on spending in dollars this run; needs --price for each model")
    p.add_argument("--price", action="append", default=[], metavar="SPEC=IN,OUT",
                   help="dollars per million prompt and completion tokens of a model (repeat)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fingerprint",
        description="Was SUSPECT trained on the outputs of REFERENCE? Black-box evidence.")
    parser.add_argument("--version", action="version", version=f"fingerprint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("compare", help="probe the models, test, and write an evidence report")
    p.add_argument("--ref", required=True, metavar="SPEC", help="reference model, e.g. zoo/teacher")
    p.add_argument("--suspect", required=True, metavar="SPEC", help="suspect model")
    p.add_argument("--control", action="append", default=[], metavar="SPEC",
                   help="independent control model (repeat; needed for a distillation verdict; "
                        "replay/CORPUS#* adds every other model of a corpus)")
    _add_sampling(p, "fingerprint-run")
    p.add_argument("--calibration", metavar="FILE",
                   help="calibration map made by `fingerprint calibrate` (default: the built-in one)")
    p.add_argument("--prior", type=float, metavar="P",
                   help="your prior probability of distillation, in (0, 1)")

    p = sub.add_parser("collect", help="sample models into the store and a run folder, no analysis")
    p.add_argument("--model", action="append", required=True, metavar="SPEC", help="model (repeat)")
    _add_sampling(p, "fingerprint-collection")

    p = sub.add_parser("verify", help="re-check a run folder's hashes and recompute its verdict")
    p.add_argument("dir", type=Path)

    p = sub.add_parser("report", help="re-render report.md/html/plots from report.json")
    p.add_argument("dir", type=Path)
    p.add_argument("--pdf", action="store_true",
                   help="also print report.pdf with headless Chromium (when installed)")

    p = sub.add_parser("probes", help="list or validate probe suites")
    probes_sub = p.add_subparsers(dest="probes_command", metavar="ACTION")
    pl = probes_sub.add_parser("list", help="families, counts and the suite hash")
    pl.add_argument("--suite")
    pv = probes_sub.add_parser("validate", help="check a suite file or folder")
    pv.add_argument("path")

    p = sub.add_parser("serve", help="serve a model organism as an OpenAI-compatible HTTP server")
    p.add_argument("spec", metavar="SPEC", help="zoo/NAME")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)

    p = sub.add_parser("zoo", help="build the built-in model organisms")
    zoo_sub = p.add_subparsers(dest="zoo_command", metavar="ACTION")
    zb = zoo_sub.add_parser("build", help="build (or check the cache of) organisms")
    zb.add_argument("names", nargs="*", help="organisms (default: the whole panel)")
    zb.add_argument("--force", action="store_true", help="rebuild even when cached")
    zoo_sub.add_parser("list", help="organisms and their weight hashes")

    p = sub.add_parser("benchmark", help="score labelled pairs of a response corpus")
    p.add_argument("--corpus", required=True)
    p.add_argument("--pairs", required=True)
    p.add_argument("--out")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-prompts", type=int, help="use a random subset of this many prompts")

    p = sub.add_parser("calibrate", help="fit the probability map on pairs of known lineage")
    p.add_argument("--pairs", required=True)
    p.add_argument("--corpus")
    p.add_argument("--out", default="calibration.json")
    p.add_argument("--seed", type=int, default=0)
    return parser


def _budget(args: argparse.Namespace) -> Any:
    from .collect.budget import budget_from_args

    return budget_from_args(args.max_requests, args.max_tokens, args.max_cost, args.price)


def _command_line(argv: Sequence[str]) -> str:
    return "fingerprint " + " ".join(shlex.quote(a) for a in argv)


def _compare(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .pipeline import RunRequest, compare, roles_for

    if args.samples < 1:
        raise SpecError("--samples must be at least 1")
    if args.prior is not None and not 0 < args.prior < 1:
        raise SpecError("--prior must be a probability strictly between 0 and 1")
    options = _parse_options(args.option)
    models = roles_for(args.ref, args.suspect, args.control, options)
    request = RunRequest(models=models, suite_path=args.suite, samples=args.samples,
                         seed=args.seed, out=Path(args.out), store_path=args.store,
                         calibration=args.calibration, prior=args.prior,
                         command=_command_line(argv), progress=not args.no_progress,
                         budget=_budget(args))
    report = compare(request)
    v, c = report["verdict"], report["collection"]
    prob = v.get("probability")
    prob_text = f"P(distilled)={prob:.2f}, " if isinstance(prob, (int, float)) else ""
    p_text = f"p={v['p_value']:.3g}" if isinstance(v.get("p_value"), (int, float)) else "p=n/a"
    print(f"{v['label'].upper()}: {args.suspect} vs {args.ref} ({prob_text}{p_text}; "
          f"{report['suite']['probes']} probes, {c['samples_total']} answers, "
          f"{c['requests_made']} new requests) -> {Path(args.out) / 'report.html'}")
    return 0


def _collect(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .models.spec import parse_spec
    from .pipeline import RunRequest, collect_run

    options = _parse_options(args.option)
    models = [(f"model {i}", parse_spec(s, options.get(f"model{i}")))
              for i, s in enumerate(args.model, 1)]
    request = RunRequest(models=models, suite_path=args.suite, samples=args.samples,
                         seed=args.seed, out=Path(args.out), store_path=args.store,
                         command=_command_line(argv), progress=not args.no_progress,
                         budget=_budget(args))
    _, summary = collect_run(request)
    print(f"collected {summary['samples_new']} new and reused {summary['responses_reused']}: "
          f"{summary['samples_stored']} of {summary['samples_expected']} samples stored "
          f"({summary['requests_made']} requests) -> {Path(args.out) / 'collection.json'}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from .report.verify import verify

    problems = verify(args.dir)
    for line in problems:
        print(f"MISMATCH {line}")
    if problems:
        print(f"verify: {len(problems)} problem(s) in {args.dir}", file=sys.stderr)
        return 1
    print(f"verify: OK — every file matches the manifest and the verdict recomputes from the "
          f"raw responses in {args.dir}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from .pipeline import load_report, write_report

    report = load_report(args.dir)
    write_report(args.dir, report, pdf=args.pdf)
    pdf = " and report.pdf" if (args.dir / "report.pdf").is_file() and args.pdf else ""
    print(f"re-rendered {args.dir / 'report.html'}, report.md{pdf}; manifest updated")
    return 0


def _probes(args: argparse.Namespace) -> int:
    from .suite_commands import list_command, validate_command

    if args.probes_command == "list":
        print(list_command(args.suite))
        return 0
    if args.probes_command == "validate":
        code, text = validate_command(args.path)
        print(text, file=sys.stdout if code == 0 else sys.stderr)
        return code
    raise SpecError("fingerprint probes needs an action: list or validate")


def _serve(args: argparse.Namespace) -> int:
    from .models.spec import parse_spec
    from .zoo.server import serve

    spec = parse_spec(args.spec)
    if spec.provider != "zoo":
        raise SpecError(f"serve takes a built-in organism (zoo/NAME), not {args.spec!r}")
    serve(spec.model, host=args.host, port=args.port)
    return 0


def _zoo(args: argparse.Namespace) -> int:
    from . import zoo

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


def _benchmark(args: argparse.Namespace) -> int:
    from .benchmark import format_table, run_benchmark

    result = run_benchmark(args.corpus, args.pairs, args.out, seed=args.seed,
                           max_prompts=args.max_prompts)
    print(format_table(result))
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from .calibration import calibrate_command

    print(calibrate_command(args.pairs, args.corpus, args.out, seed=args.seed))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    handlers = {"compare": lambda: _compare(args, argv), "collect": lambda: _collect(args, argv),
                "verify": lambda: _verify(args), "report": lambda: _report(args),
                "probes": lambda: _probes(args), "serve": lambda: _serve(args),
                "zoo": lambda: _zoo(args), "benchmark": lambda: _benchmark(args),
                "calibrate": lambda: _calibrate(args)}
    try:
        return handlers[args.command]()
    except FingerprintError as exc:
        print(f"fingerprint: error: {exc}", file=sys.stderr)
        for line in getattr(exc, "problems", None) or getattr(exc, "mismatches", None) or []:
            print(f"  {line}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # e.g. `fingerprint probes list | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("fingerprint: interrupted; every sample received so far is stored — run the same "
              "command again to resume", file=sys.stderr)
        return 130
