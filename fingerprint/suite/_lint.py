"""Advice on a valid suite: settings that waste tokens or samples (warnings, not errors)."""

from __future__ import annotations

from ._probe import Suite

#: Above these, a probe probably pays for tokens its answer type never reads.
_TOKEN_HINTS = {"choice": 32, "identity": 96, "canary": 128}


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
