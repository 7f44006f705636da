"""What several commands share: the sampling flags, per-model options and the budget."""

from __future__ import annotations

import argparse
import json
import shlex
from typing import Any, Sequence

from ..collect import DEFAULT_SAMPLES, BudgetLimits, budget_from_args
from ..errors import SpecError


def parse_options(items: Sequence[str]) -> dict[str, dict[str, Any]]:
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


def add_sampling(p: argparse.ArgumentParser, default_out: str) -> None:
    """The flags of every command that collects answers (compare, collect)."""
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
                   help="dollars per million prompt and completion tokens of a model (repeat); "
                        "overrides the built-in price table")
    p.add_argument("--dry-run", action="store_true",
                   help="sample nothing: print the planned requests, tokens and cost per model, "
                        "check each remote model with one request, and say what to fix")


def print_dry_run(request: Any) -> int:
    """Run ``--dry-run`` for ``request`` and print it; exit 0 only when every model is ready."""
    from ..pipeline import preview

    result = preview(request)
    for line in result.lines():
        print(line)
    return 0 if result.ready else 3


def budget(args: argparse.Namespace) -> BudgetLimits:
    return budget_from_args(args.max_requests, args.max_tokens, args.max_cost, args.price)


def command_line(argv: Sequence[str]) -> str:
    """The command as the report records it (shell-quoted)."""
    return "fingerprint " + " ".join(shlex.quote(a) for a in argv)


def check_samples(samples: int) -> None:
    if samples < 1:
        raise SpecError("--samples must be at least 1")
