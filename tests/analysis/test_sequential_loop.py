"""The sequential loop on synthetic answers: schedule, stopping reasons, labels, determinism."""

from __future__ import annotations

import numpy as np

from fingerprint.analysis import Fetched, SequentialOptions, run_sequential
from fingerprint.analysis._sequential_run import plan_round, probe_order
from fingerprint.analysis._sequential import Evidence
from fingerprint.suite import Probe

PROBES = tuple(Probe(id=f"p{i}", family=f"f{i % 4}", version=1, rationale="test",
                     messages=({"role": "user", "content": f"q{i}"},)) for i in range(12))
WORDS = {"a": "alpha beta gamma delta epsilon", "b": "one two three four five",
         "c": "red green blue cyan magenta", "d": "oak elm ash fir yew"}


def _texts(source: str, probe: Probe, start: int, stop: int, seed: int) -> list[str]:
    words = WORDS[source].split()
    out = []
    for k in range(start, stop):
        rng = np.random.default_rng([seed, int(probe.id[1:]), k, ord(source)])
        out.append(" ".join(rng.choice(words, size=6)))
    return out


def _run(models: dict[str, str], seed: int = 0, max_samples: int = 10, **opts):
    calls = []

    def fetch(plan):
        calls.append(plan)
        return Fetched({role: {p.id: _texts(models[role], p, a, b, seed) for p, a, b in plan.probes}
                        for role in plan.roles}, plan.answers)

    n_controls = sum(r.startswith("control") for r in models)
    return run_sequential(PROBES, n_controls, fetch, seed=seed, options=SequentialOptions(**opts),
                          max_samples=max_samples), calls


def test_schedule_takes_the_least_sampled_probes_of_each_family_in_seeded_order():
    order = probe_order(PROBES, seed=3)
    assert order == probe_order(PROBES, seed=3)
    assert sorted(order) == ["f0", "f1", "f2", "f3"]
    ev = Evidence(1, 0.05, 0.01)
    first = plan_round(order, {}, ev, SequentialOptions(), 10, 0)
    assert [p.id for p, _, _ in first.probes] == [p.id for f in order.values() for p in f[:2]]
    assert all((a, b) == (0, 2) for _, a, b in first.probes)
    counts = {p.id: 2 for p, _, _ in first.probes}
    second = plan_round(order, counts, ev, SequentialOptions(), 10, 1)
    # 3 probes a family: the unsampled one first, then the first of the seeded order again
    assert {p.id for p, _, _ in second.probes} >= {p.id for p in PROBES} - set(counts)
    assert sorted((a, b) for _, a, b in second.probes) == [(0, 2)] * 4 + [(2, 4)] * 4
    assert first.roles == ("reference", "suspect", "control 1")


def test_different_models_without_controls_stop_as_not_the_same_model():
    result, _ = _run({"reference": "a", "suspect": "b"})
    assert result.stopped_because == "decision"
    assert result.test_verdict.label == "not_same_model"
    assert result.rounds[-1]["evidence"]["equality"] >= 100


def test_an_independent_suspect_is_never_called_distilled_and_the_run_is_deterministic():
    models = {"reference": "a", "suspect": "b", "control 1": "c", "control 2": "d"}
    result, calls = _run(models)
    again, _ = _run(models)
    assert result.test_verdict.label != "distilled"
    assert result.rounds == again.rounds
    assert result.stopped_because in ("futility", "suite_exhausted")
    assert sum(c.answers for c in calls) == result.rounds[-1]["answers_total"]


def test_the_suite_runs_out():
    result, calls = _run({"reference": "a", "suspect": "a"}, max_samples=4)
    assert result.stopped_because == "suite_exhausted"
    assert result.rounds[-1]["answers_total"] == len(PROBES) * 4 * 2
    assert len(calls) == len(result.rounds)


def test_a_round_that_cannot_be_completed_stops_with_its_reason():
    def fetch(plan):
        return Fetched(None, 0, "max_cost")

    result = run_sequential(PROBES, 0, fetch, seed=0, options=SequentialOptions(), max_samples=10)
    assert result.stopped_because == "max_cost" and result.rounds == ()
    assert result.test_verdict.label == "inconclusive"
