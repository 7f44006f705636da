"""``--dry-run``: the plan and the preflight, with no sampling and nothing stored.

It prints, per model, the requests a real run would send after what the store already
holds, the tokens they are expected to use and their cost where a price is known
(:mod:`.plan`), then checks every remote model with one cheap request (:mod:`.preflight`)
and prints one line per model: ready, or what to fix.  The store is only read (and not
even created when it does not exist); the run folder is not touched.  Organisms are not
built: planning needs only their names.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..errors import FingerprintError, SpecError
from ..models.base import ChatRequest, Completion, Provider
from ..models.registry import get_provider
from ..models.spec import ModelSpec
from ..suite import Probe
from .budget import BudgetLimits
from .plan import Plan, make_plan
from .preflight import Check, check_targets
from .target import Target
from .store import Store, default_cache_dir


class _Organism(Provider):
    """A ``zoo/`` model for planning only: its name is checked, its weights not built."""

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        from ..models.zoo_provider import ZooProvider
        from ..zoo import ORGANISMS, RECIPES

        if spec.model not in RECIPES:
            raise SpecError(f"unknown organism {spec.model!r}; choose one of: "
                            f"{', '.join(ORGANISMS)}")
        self.max_n = ZooProvider.max_n

    @property
    def endpoint(self) -> str:
        return "zoo"

    async def complete(self, request: ChatRequest) -> list[Completion]:  # pragma: no cover
        raise SpecError("a dry run does not sample")


class _NoStore:
    """The store when its file does not exist yet: it holds nothing."""

    def keys_present(self, keys: Iterable[str]) -> set[str]:
        return set()

    def close(self) -> None:
        pass


@dataclass
class DryRun:
    plan: Plan
    checks: list[Check]
    notes: list[str]

    @property
    def ready(self) -> bool:
        return all(c.ready for c in self.checks)

    @property
    def requests(self) -> int:
        return sum(c.requests for c in self.checks)

    def lines(self) -> list[str]:
        out = ["dry run: nothing is sampled or stored", *self.plan.table(), *self.notes]
        remote = sum(1 for c in self.checks if c.requests)
        out.append(f"preflight: {self.requests} request(s) to {remote} remote model(s) "
                   "(one each, plus retries of what can recover):")
        out += [f"  {c.line()}" for c in self.checks]
        bad = [c for c in self.checks if not c.ready]
        out.append("every model is ready" if not bad else
                   f"{len(bad)} model(s) not ready: fix what is said above and run it again")
        return out

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan.to_json(), "preflight": [c.to_json() for c in self.checks],
                "preflight_requests": self.requests, "ready": self.ready, "notes": self.notes}


def _targets(models: list[tuple[str, ModelSpec]]) -> tuple[list[Target], list[Check]]:
    targets, broken, seen = [], [], []
    for role, spec in models:
        try:
            provider = _Organism(spec) if spec.provider == "zoo" else get_provider(spec)
        except FingerprintError as exc:  # a missing key, a bad option: say it, plan the rest
            broken.append(Check(role, spec.raw, False, str(exc)))
            continue
        targets.append(Target(role, provider, draw=seen.count(spec.raw)))
        seen.append(spec.raw)
    return targets, broken


def _open_store(path: str | None) -> Any:
    file = Path(path) if path else default_cache_dir() / "store.sqlite"
    return Store(file) if file.is_file() else _NoStore()


def _budget_notes(plan: Plan, limits: BudgetLimits) -> list[str]:
    notes = []
    if plan.unpriced:
        notes.append("no price known for " + ", ".join(plan.unpriced) + ": pass --price "
                     "SPEC=IN,OUT (dollars per million prompt and completion tokens)")
    if limits.max_requests is not None and plan.remote_requests > limits.max_requests:
        notes.append(f"the plan's {plan.remote_requests} requests exceed --max-requests "
                     f"{limits.max_requests}: the run would stop there (and resume later)")
    if limits.max_cost is not None and plan.cost > limits.max_cost:
        notes.append(f"the plan's estimate ${plan.cost:.2f} exceeds --max-cost "
                     f"{limits.max_cost:g}: the run would stop there (and resume later)")
    return notes


def dry_run(models: list[tuple[str, ModelSpec]], probes: tuple[Probe, ...], *, samples: int,
            seed: int, store_path: str | None, limits: BudgetLimits) -> DryRun:
    """Plan the collection of ``models`` and check each remote one; sample nothing."""
    targets, broken = _targets(models)
    store = _open_store(store_path)
    try:
        plan = make_plan(targets, probes, samples=samples, seed=seed, store=store,
                         limits=limits)
    finally:
        store.close()

    async def main() -> list[Check]:
        try:
            return await check_targets(targets, probes[0] if probes else None)
        finally:
            await asyncio.gather(*(t.provider.aclose() for t in targets),
                                 return_exceptions=True)

    checks = asyncio.run(main()) if targets else []
    order = {role: i for i, (role, _) in enumerate(models)}
    checks = sorted(checks + broken, key=lambda c: order[c.role])
    return DryRun(plan, checks, _budget_notes(plan, limits))
