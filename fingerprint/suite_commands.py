"""The text behind ``fingerprint probes list`` and ``fingerprint probes validate``.

Both return text instead of printing so the CLI stays wiring only and tests read the
output directly.  Problems come one per line, ``file:line: probe 'id': what to fix``.
"""

from __future__ import annotations

from .errors import FingerprintError, SuiteError
from .suite import Probe, Suite, load_suite

DEFAULT_SAMPLES = 10
#: Above these, a probe probably pays for tokens its answer type never reads.
_TOKEN_HINTS = {"choice": 32, "identity": 96, "canary": 128}


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


def lint(suite: Suite) -> list[str]:
    """Advice that does not make a suite invalid (printed as warnings)."""
    out = []
    for p in suite.probes:
        limit = _TOKEN_HINTS.get(p.answer_type)
        if limit is not None and p.max_tokens > limit:
            out.append(f"warning: probe {p.id!r}: max_tokens {p.max_tokens} is large for a "
                       f"{p.answer_type} answer (≤ {limit} usually suffices)")
        if p.temperature == 0 and (p.samples or 0) > 1:
            out.append(f"warning: probe {p.id!r}: {p.samples} samples at temperature 0 repeat "
                       "one answer; raise the temperature or set samples: 1")
    return out


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
