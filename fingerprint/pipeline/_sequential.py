"""``compare --sequential``: collect round by round and stop when the evidence is in.

Each round asks the store (and, for what it lacks, the models) for the answers the schedule
names (:func:`fingerprint.analysis.run_sequential`); sample ``k`` of a probe has the same
store key as in a fixed-budget run, so a rerun, or a fixed run after a sequential one, reuses
every stored answer.  The report is then built from the run folder as for every run: the
rounds are recomputed offline from the stored answers, and only what each round cost (its
requests) comes from this invocation.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import run as runfolder
from ..analysis import Fetched, RoundPlan, SequentialOptions, run_sequential
from ..collect import BudgetLimits, CollectionResult, Target, collect, raise_if_short
from ..collect.store import Store
from ..features.embed import embedder_for
from ..run import COLLECTION_FILE
from ..suite import Suite

_STOPS = {"requests": "max_requests", "tokens": "max_tokens", "cost": "max_cost"}
_SUMMED = ("samples_new", "requests_made", "requests_retried", "requests_requeued",
           "preflight_requests")


class _Spending:
    """What earlier rounds of this invocation spent, so one budget covers every round."""

    def __init__(self, limits: BudgetLimits):
        self.limits, self.requests, self.tokens, self.cost = limits, 0, 0, 0.0

    def remaining(self) -> BudgetLimits:
        lim = self.limits
        return dataclasses.replace(
            lim, max_requests=None if lim.max_requests is None else lim.max_requests - self.requests,
            max_tokens=None if lim.max_tokens is None else lim.max_tokens - self.tokens,
            max_cost=None if lim.max_cost is None else lim.max_cost - self.cost)

    def add(self, result: CollectionResult) -> None:
        spent = result.budget or {}
        self.requests += result.requests_made + result.preflight_requests
        self.tokens += int(spent.get("tokens") or 0)
        self.cost += float(result.cost_usd or 0.0)


def collect_sequential(request: Any, suite: Suite, options: SequentialOptions,
                       targets: list[Target]) -> dict[str, Any]:
    """Run the rounds, write suite.json, responses.jsonl and collection.json; return the
    collection summary.  A budget that runs out is a stopping reason, not an error;
    failures and interruptions raise after everything is written, as in a fixed run."""
    by_role = {t.role: t for t in targets}
    spending = _Spending(request.budget or BudgetLimits())
    results: list[CollectionResult] = []
    samples: dict[str, Any] = {}
    requests_per_round: list[int] = []
    short: list[CollectionResult] = []

    with Store(request.store_path) as store:
        def fetch(plan: RoundPlan) -> Fetched:
            texts: dict[str, dict[str, list[str]]] = {role: {} for role in plan.roles}
            made = 0
            for stop in sorted({s for _, _, s in plan.probes}):
                probes = tuple(p for p, _, s in plan.probes if s == stop)
                result = collect([by_role[r] for r in plan.roles], probes, samples=stop,
                                 seed=request.seed, store=store,
                                 progress_factory=None, strict=False,
                                 budget=spending.remaining(),
                                 preflight=request.preflight and not results)
                results.append(result)
                spending.add(result)
                made += result.requests_made
                for (role, _), s_list in result.samples.items():
                    for s in s_list:
                        samples[(role, s.key)] = s
                if result.interrupted or result.preflight_stop or result.budget_stop \
                        or result.failed or not result.complete:
                    short.append(result)
                    reason = _STOPS.get((result.budget or {}).get("exhausted") or "",
                                        "interrupted")
                    requests_per_round.append(made)
                    return Fetched(None, made, reason)
                for (role, pid), s_list in result.samples.items():
                    start = next(st for p, st, _ in plan.probes if p.id == pid)
                    texts[role][pid] = [s.response.get("text") or "" for s in s_list
                                        if start <= s.sample_index < stop]
            requests_per_round.append(made)
            return Fetched(texts, made)

        n_controls = sum(role.startswith("control") for role in by_role)
        outcome = run_sequential(suite.probes, n_controls, fetch, seed=request.seed,
                                 options=options, max_samples=request.samples,
                                 embedder=embedder_for(request.embedder))
    order = {p.id: i for i, p in enumerate(suite.probes)}
    rows = []
    for target in targets:  # the fixed run's order: role, probe, sample index
        mine = sorted((x for (role, _), x in samples.items() if role == target.role),
                      key=lambda x: (order[x.probe_id], x.sample_index))
        rows += [response_row(target, x) for x in mine]
    runfolder.write_suite(request.out / runfolder.SUITE_FILE, suite)
    runfolder.write_responses(request.out / runfolder.RESPONSES_FILE, rows)
    summary = _merge(results, spending)
    # each round's collection also counted the earlier rounds' answers it reloaded
    missing = sum(r.samples_expected - r.samples_stored for r in results)
    summary.update(samples_stored=len(rows), samples_expected=len(rows) + missing,
                   samples_missing=missing, responses_reused=len(rows) - summary["samples_new"])
    summary.update(round_requests=requests_per_round, stopped_because=outcome.stopped_because)
    runfolder.write_json(request.out / COLLECTION_FILE, summary)
    for result in short:
        if result.budget_stop is None:
            raise_if_short(result)  # interrupted, preflight or failures: after writing
    return summary


def response_row(target: Target, sample: Any) -> dict[str, Any]:
    """One line of responses.jsonl: a stored sample under the role it played in the run."""
    return {"role": target.role, "model_spec": sample.model_spec,
            "model": target.provider.identity, "key": sample.key,
            "probe_id": sample.probe_id, "probe_version": sample.probe_version,
            "sample_index": sample.sample_index, "request": sample.request,
            "response": sample.response}


def _merge(results: list[CollectionResult], spending: _Spending) -> dict[str, Any]:
    """One collection summary over every round's collection."""
    if not results:
        return CollectionResult().to_json()
    summary = results[-1].to_json()
    for name in _SUMMED:
        summary[name] = sum(r.to_json()[name] for r in results)
    summary["failures"] = [line for r in results for line in r.failures]
    summary["stopped_by_budget"] = any(r.budget_stop is not None for r in results)
    summary["interrupted"] = any(r.interrupted for r in results)
    summary["cost_usd"] = round(spending.cost, 6)
    first = next((r for r in results if r.preflight is not None), None)
    summary["preflight"] = first.to_json()["preflight"] if first else None
    if spending.limits.active:
        lim = spending.limits
        summary["budget"] = {"requests": spending.requests, "tokens": spending.tokens,
                             "cost_usd": round(spending.cost, 6),
                             "max_requests": lim.max_requests, "max_tokens": lim.max_tokens,
                             "max_cost_usd": lim.max_cost,
                             "exhausted": next((r.budget["exhausted"] for r in results
                                                if r.budget and r.budget.get("exhausted")),
                                               None)}
    return summary
