"""``fingerprint probes list`` / ``fingerprint probes validate``: the suite's families, counts
and hash, or a schema check with one line per problem (``file:line: probe 'id': what to fix``).

The text is built by functions that return it, so tests read the output directly.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ..collect import DEFAULT_SAMPLES
from ..errors import FingerprintError, SpecError, SuiteError
from ..suite import Probe, Suite, lint, load_suite


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("probes", help="list or validate probe suites")
    probes_sub = p.add_subparsers(dest="probes_command", metavar="ACTION")
    pl = probes_sub.add_parser("list", help="families, counts and the suite hash")
    pl.add_argument("--suite")
    pv = probes_sub.add_parser("validate", help="check a suite file or folder")
    pv.add_argument("path")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    if args.probes_command == "list":
        print(list_command(args.suite))
        return 0
    if args.probes_command == "validate":
        code, text = validate_command(args.path)
        print(text, file=sys.stdout if code == 0 else sys.stderr)
        return code
    raise SpecError("fingerprint probes needs an action: list or validate")


def _cost_line(suite: Suite, samples: int) -> str:
    requests = sum(p.samples or samples for p in suite.probes)
    tokens = sum((p.samples or samples) * p.max_tokens for p in suite.probes)
    return (f"at --samples {samples}: {requests} samples and at most {tokens} completion tokens "
            "per model")


def list_command(suite_path: str | None, samples: int = DEFAULT_SAMPLES) -> str:
    """Families, probe counts, answer types and the suite hash, as printable text."""
    try:
        suite = load_suite(suite_path)
    except SuiteError as exc:
        shown = suite_path or "the default suite"
        raise SuiteError(f"{exc}; run `fingerprint probes validate {shown}` to list them",
                         exc.problems) from None
    by_family: dict[str, list[Probe]] = {}
    for p in suite.probes:
        by_family.setdefault(p.family, []).append(p)
    width = max(len("family"), *(len(f) for f in by_family))
    lines = [f"suite {suite.id} version {suite.version} ({suite.source})",
             f"sha256 {suite.sha256}",
             f"{'family':<{width}}  probes  answer types",
             ]
    for family in sorted(by_family):
        probes = by_family[family]
        kinds: dict[str, int] = {}
        for p in probes:
            kinds[p.answer_type] = kinds.get(p.answer_type, 0) + 1
        kind_text = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        lines.append(f"{family:<{width}}  {len(probes):>6}  {kind_text}")
    lines.append(f"total: {len(suite.probes)} probes in {len(by_family)} families")
    lines.append(_cost_line(suite, samples))
    return "\n".join(lines)


def validate_command(path: str) -> tuple[int, str]:
    """Validate a suite file or folder; (0, summary) when valid, (1, one line per problem)."""
    try:
        suite = load_suite(path)
    except SuiteError as exc:
        if not exc.problems:
            return exc.exit_code, f"error: {exc}"
        lines = list(exc.problems)
        lines.append(f"{len(exc.problems)} problem(s) in {path}; fix them and run "
                     "`fingerprint probes validate` again")
        return 1, "\n".join(lines)
    except FingerprintError as exc:
        return exc.exit_code, f"error: {exc}"
    families = suite.families()
    lines = lint(suite)
    lines.append(f"ok: suite {suite.id} version {suite.version}: {len(suite.probes)} probes in "
                 f"{len(families)} families ({', '.join(families)}), sha256 {suite.sha256}")
    return 0, "\n".join(lines)
