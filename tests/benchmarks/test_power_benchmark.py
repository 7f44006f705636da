"""Smoke test of the power benchmark's pieces (benchmarks/power.py), on a tiny configuration."""

from __future__ import annotations

import json

import pytest
from fakes.benchmark_module import benchmark_module


@pytest.fixture(scope="module")
def power():
    with benchmark_module("power") as module:
        yield module


def test_clopper_pearson_interval_is_exact(power):
    lo, hi = power.rate_ci(0, 10)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 10))
    lo, hi = power.rate_ci(10, 10)
    assert lo == pytest.approx(0.025 ** (1 / 10)) and hi == 1.0


def _row(budget, suspect, fraction, rate, truth=True):
    probes, samples = (int(x) for x in budget.split("x"))
    return {"budget": budget, "probes": probes, "samples": samples, "suspect": suspect,
            "distilled_truth": truth, "fraction": fraction, "rate": rate, "ci95": [0.0, 1.0]}


def test_headline_needs_fpr_and_contiguous_power(power):
    summary = []
    # budget 20x5 detects everything but has a 10 % false-positive rate: excluded
    summary += [_row("20x5", f"student-{f}", f, 1.0) for f in (100, 50, 25, 10, 5)]
    summary += [_row("20x5", "independent-a", 0, 0.10, False)]
    # budget 79x10: 10 % misses the target, so 5 % does not count even though it passes
    rates = {100: 1.0, 50: 1.0, 25: 0.95, 10: 0.8, 5: 0.95}
    summary += [_row("79x10", f"student-{f}", f, r) for f, r in rates.items()]
    summary += [_row("79x10", "independent-a", 0, 0.0, False)]
    head = power.headline(summary)
    assert head["best"]["fraction"] == 25 and head["best"]["budget"] == "79x10"
    assert not head["target_met"]
    by = {b["budget"]: b for b in head["per_budget"]}
    assert by["20x5"]["fpr_ok"] is False and by["20x5"]["smallest_fraction"] == 5


def test_sampler_matches_what_compare_collects(power, tmp_path):
    """The benchmark's cached answers are the ones `fingerprint compare --seed S` collects."""
    from fingerprint.collect import Target, collect
    from fingerprint.collect.store import Store
    from fingerprint.models.registry import get_provider
    from fingerprint.models.spec import parse_spec
    from fingerprint.suite import load_suite

    probes = load_suite(None).probes[:2]
    with Store(tmp_path / "store.sqlite") as store:
        result = collect([Target("suspect", get_provider(parse_spec("zoo/teacher")))], probes,
                         samples=3, seed=17, store=store, progress_factory=None)
    sampler = power.Sampler(5)
    for p in probes:
        collected = [s.response["text"] for s in result.samples[("suspect", p.id)]]
        assert sampler.texts("teacher", p, 17, 3) == collected


def test_tiny_benchmark_end_to_end(power, tmp_path):
    comps = power.comparisons((10, 5), ("independent-c",))  # cheap builds
    result = power.run_benchmark(budgets=[(4, 2), (6, 3)], replicates=1, seed=5, comps=comps,
                                 workers=1, progress=False)
    json.dumps(result)  # plain JSON all the way down
    rep = result["replicates"][0]
    assert sorted(rep["probe_order"]) == sorted(set(rep["probe_order"]))
    assert len(rep["probe_order"]) == result["config"]["suite"]["probes"]
    assert {r["seed"] for r in result["rows"]} == {rep["seed"]}
    assert all(r["label"] == r["label_from_test"] for r in result["rows"])  # no calibration given
    assert len(result["code_sha256"]) == 64
    assert len(result["summary"]) == 2 * len(comps)
    for s in result["summary"]:
        assert s["n"] == 1 and s["rate"] in (0.0, 1.0)
        assert s["ci95"][0] <= s["rate"] <= s["ci95"][1]
        assert sum(s["labels"].values()) == 1
        assert s["measure"] == ("power" if s["suspect"].startswith("student") else "fpr")
    assert result["headline"]["text"]
    # same seed, same plan: the replicates are reproducible
    again = power.plan_replicates(5, 1, __import__("fingerprint.suite").suite.load_suite(None))
    assert again[0].seed == rep["seed"] and list(again[0].probe_order) == rep["probe_order"]
    png = tmp_path / "power.png"
    power.plot(result["summary"], png, "smoke")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
