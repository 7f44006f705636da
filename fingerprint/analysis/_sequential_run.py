"""Sequential collection: which answers the next round asks for, when to stop, and the
test-based verdict at the stop (docs/statistics.md, "Sequential collection").

:func:`run_sequential` is the one loop.  It asks ``fetch`` for each round's answers: the
live comparison collects them (``pipeline``), ``verify`` reads them back from the run folder,
so both reach the same rounds and the same stopping point.  Every choice of the schedule
depends only on earlier rounds (it is predictable), which keeps the e-processes valid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ..features.embed import Embedder, HashedTfidfEmbedder
from ..suite import Probe
from ._results import TestVerdict
from ._sequential import Evidence, SequentialOptions, round_stats
from ._verdict import ALPHA_EQUALITY, describe_panel, fmt_p

SEQUENTIAL_TEST = "sequential e-process"
STOP_REASONS = ("decision", "futility", "max_requests", "max_tokens", "max_cost",
                "interrupted", "suite_exhausted")


@dataclass(frozen=True)
class RoundPlan:
    """What one round asks for: samples ``[start, stop)`` of each probe from each role."""

    index: int
    probes: tuple[tuple[Probe, int, int], ...]
    roles: tuple[str, ...]

    @property
    def answers(self) -> int:
        return sum(stop - start for _, start, stop in self.probes) * len(self.roles)


@dataclass(frozen=True)
class Fetched:
    """A round's answers (``texts[role][probe_id]``) and the requests it cost; ``texts``
    is None when the round could not be completed (``stopped`` says why)."""

    texts: dict[str, dict[str, list[str]]] | None
    requests: int = 0
    stopped: str | None = None


@dataclass(frozen=True)
class SequentialResult:
    rounds: tuple[dict[str, Any], ...]
    stopped_because: str
    test_verdict: TestVerdict
    sentence: str  # why it stopped, in words


def probe_order(probes: Sequence[Probe], seed: int) -> dict[str, list[Probe]]:
    """Each family's probes in a seeded random order (families sorted by name)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,)))
    out: dict[str, list[Probe]] = {}
    for fam in sorted({p.family for p in probes}):
        mine = [p for p in probes if p.family == fam]
        out[fam] = [mine[i] for i in rng.permutation(len(mine))]
    return out


def plan_round(order: dict[str, list[Probe]], counts: dict[str, int], evidence: Evidence,
               options: SequentialOptions, max_samples: int, index: int) -> RoundPlan:
    """The next round: per family the probes with the fewest answers so far (ties in the
    seeded order), ``samples_per_round`` more each; the reference, the suspect and every
    control whose questions are not all settled (a settled control's answers buy nothing)."""
    chosen = []
    for probes in order.values():
        open_ = [p for p in probes if counts.get(p.id, 0) < (p.samples or max_samples)]
        open_.sort(key=lambda p: counts.get(p.id, 0))  # stable: keeps the seeded order
        for p in open_[:options.probes_per_family]:
            start = counts.get(p.id, 0)
            chosen.append((p, start, min(start + options.samples_per_round,
                                         p.samples or max_samples)))
    roles = ["reference", "suspect"] + [f"control {k}" for k in range(1, evidence.K + 1)
                                        if not evidence.settled(k)]
    return RoundPlan(index, tuple(chosen), tuple(roles))


def _decide(ev: Evidence, options: SequentialOptions, final: bool) -> tuple[str | None, str, str]:
    """(stop reason or None, test-based label, why in words) after the rounds so far."""
    a, a_eq = ev.alpha, ev.alpha_eq
    eq = ev.equality.crossed
    bound_ok = ev.rounds >= options.min_rounds
    if not ev.K:
        if eq:
            return "decision", "not_same_model", (
                f"the equality e-process reached 1/{a_eq:g}: the suspect is not the reference; "
                "without controls no distillation question is asked")
        return (None, "inconclusive", "") if not final else (None, "inconclusive", (
            "the equality test did not reject; without controls its power to tell models "
            "apart cannot be shown"))
    if eq and ev.distillation >= 1.0 / a:
        return "decision", "distilled", (
            f"the equality e-process reached 1/{a_eq:g} and every comparison of the panel "
            f"reached 1/{a:g}: closer to the reference than every control, and closer to it "
            "than to every control")
    ref_side = all(p.crossed for p in ev.comparisons[:ev.K])
    if eq and ev.power_shown and bound_ok:
        level = a / max(1, sum(not p.crossed for p in ev.comparisons))
        futile = [j for j, (p, ub) in enumerate(zip(ev.comparisons, ev.futility_bounds(level)))
                  if not p.crossed and ub < 0]
        if futile:
            label = "inconclusive" if ref_side and all(j >= ev.K for j in futile) else "independent"
            return "futility", label, (
                f"with confidence {1 - a:.0%} the suspect closes less than {options.margin:.0%} "
                "of the distance the competing model keeps in at least one comparison, so more "
                "answers would not reach a distillation decision" + (
                    "; it is closer to the reference than every control but not closer to the "
                    "reference than to every control (a model near every model, or a control "
                    "related to the suspect)" if label == "inconclusive" else ""))
    if not eq and ev.power_shown and bound_ok:
        if all(ub < 0 for ub in ev.equivalence_bounds(a_eq)):
            return "futility", "same_model", (
                f"every control was told apart from the reference, while with confidence "
                f"{1 - a_eq:.0%} the suspect's distance to the reference is below "
                f"{options.equivalence_margin:.0%} of every control's, so more answers would "
                "not reject equality")
    if not final:
        return None, "inconclusive", ""
    if not ev.power_shown:
        return None, "inconclusive", ("the equality test did not tell every control from the "
                                      "reference with these answers")
    if not eq:
        return None, "same_model", ("the equality test did not reject, while it told every "
                                    "control apart from the reference")
    if ref_side:
        return None, "inconclusive", ("the suspect is closer to the reference than every "
                                      "control, but not shown closer to it than to every control")
    return None, "independent", ("the suspect is not the reference and was not shown closer "
                                 "to it than the controls")


def _record(plan: RoundPlan, fetched: Fetched, ev: Evidence, totals: list[int]) -> dict[str, Any]:
    a, a_eq = ev.alpha, ev.alpha_eq
    fut_level = a / max(1, sum(not p.crossed for p in ev.comparisons))
    return {
        "round": plan.index + 1, "requests": fetched.requests, "answers": plan.answers,
        "requests_total": totals[0], "answers_total": totals[1],
        "probes": len(plan.probes), "models": list(plan.roles),
        "evidence": {
            "equality": ev.equality.value,
            "controls_equality": [p.value for p in ev.controls_equality],
            "distillation": ev.distillation,
            "comparisons": [p.value for p in ev.comparisons],
            "futility_upper": [_finite(u) for u in ev.futility_bounds(fut_level)],
            "equivalence_upper": [_finite(u) for u in ev.equivalence_bounds(a_eq)],
        }}


def _finite(x: float) -> float | None:
    return None if not math.isfinite(x) else float(x)


def run_sequential(probes: Sequence[Probe], n_controls: int,
                   fetch: Callable[[RoundPlan], Fetched], *, seed: int,
                   options: SequentialOptions, max_samples: int, alpha: float = 0.05,
                   embedder: Embedder | None = None) -> SequentialResult:
    """Rounds until a decision, futility, the end of the budget or of the suite."""
    emb = embedder or HashedTfidfEmbedder()
    ev = Evidence(n_controls, alpha, ALPHA_EQUALITY)
    order = probe_order(probes, seed)
    counts: dict[str, int] = {}
    past: dict[str, dict[str, list[str]]] = {}
    rounds: list[dict[str, Any]] = []
    totals = [0, 0]
    stopped, label, why = "suite_exhausted", "inconclusive", ""
    while True:
        plan = plan_round(order, counts, ev, options, max_samples, len(rounds))
        if not plan.probes:
            _, label, why = _decide(ev, options, final=True)
            break
        fetched = fetch(plan)
        if fetched.texts is None:
            stopped = fetched.stopped or "interrupted"
            _, label, why = _decide(ev, options, final=True)
            break
        active = [int(r.split()[1]) for r in plan.roles if r.startswith("control")]
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(3, plan.index)))
        ev.add(round_stats([p for p, _, _ in plan.probes], fetched.texts, active, n_controls,
                           emb, rng, options, past))
        for role, by_probe in fetched.texts.items():
            for pid, got in by_probe.items():
                past.setdefault(role, {}).setdefault(pid, []).extend(got)
        for p, _, stop in plan.probes:
            counts[p.id] = stop
        totals[0] += fetched.requests
        totals[1] += plan.answers
        rounds.append(_record(plan, fetched, ev, totals))
        reason, label, why = _decide(ev, options, final=False)
        if reason is not None:
            stopped = reason
            break
    compared = describe_panel(len(probes), n_controls)
    verdict = _verdict(ev, label, why, stopped, rounds, compared, len(counts))
    return SequentialResult(tuple(rounds), stopped, verdict, _sentence(stopped, why, rounds))


def _sentence(stopped: str, why: str, rounds: list[dict[str, Any]]) -> str:
    n = len(rounds)
    answers = rounds[-1]["answers_total"] if rounds else 0
    head = {"decision": "a decision was reached", "futility": "further answers would not "
            "change the verdict", "suite_exhausted": "every probe had all its samples",
            "max_requests": "--max-requests was reached", "max_tokens": "--max-tokens was "
            "reached", "max_cost": "--max-cost was reached",
            "interrupted": "the collection was interrupted"}.get(stopped, stopped)
    return (f"Collection stopped after {n} round(s) and {answers} answers because {head}"
            + (f": {why}." if why else "."))


def _verdict(ev: Evidence, label: str, why: str, stopped: str, rounds: list[dict[str, Any]],
             compared: str, n_probes: int) -> TestVerdict:
    p_dist = min(1.0, 1.0 / max(ev.distillation, 1e-300)) if ev.K else None
    p_eq = min(1.0, 1.0 / ev.equality.peak)
    reasons = [f"equality e-process {ev.equality.peak:.3g} (rejects at {1 / ev.alpha_eq:g}; "
               f"anytime-valid p = {fmt_p(p_eq)})"]
    if ev.K:
        n_rej = sum(p.crossed for p in ev.controls_equality)
        reasons.append(f"the equality e-process rejected {n_rej} of {ev.K} controls vs the "
                       "reference (power check)")
        reasons.append(f"distillation e-process (smallest over the {2 * ev.K} comparisons) "
                       f"{ev.distillation:.3g} (rejects at {1 / ev.alpha:g}; anytime-valid p = "
                       f"{fmt_p(p_dist)})")
    summary = f"Compared {compared} sequentially. " + _sentence(stopped, why, rounds)
    more = None if stopped in ("decision", "futility") else (
        "more answers: run again with a larger budget or --samples (every stored answer is "
        "reused)")
    return TestVerdict(label=label, p_value=p_dist if ev.K else p_eq, p_value_equality=p_eq,
                       summary=summary, reasons=tuple(reasons), more_data_needed=more,
                       alpha=ev.alpha, alpha_equality=ev.alpha_eq,
                       test_statistic=math.log10(max(ev.distillation, 1e-300)) if ev.K else None,
                       n_probes_tested=n_probes, compared=compared, single_sample=False,
                       test=SEQUENTIAL_TEST)


__all__ = ["Fetched", "RoundPlan", "SEQUENTIAL_TEST", "STOP_REASONS", "SequentialResult",
           "plan_round", "probe_order", "run_sequential"]
