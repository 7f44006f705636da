"""The lm power benchmark's pieces (benchmarks/lm_power.py) offline: panels, pool subsets and
the per-family summary.  The live run itself is a benchmark, not a test."""

from __future__ import annotations

import pytest
from fakes.benchmark_module import benchmark_module

from fingerprint.suite import Probe


@pytest.fixture(scope="module")
def lm_power():
    with benchmark_module("lm_power", "power_benchmark") as module:
        yield module


def test_panels_never_hold_the_suspect_or_a_teacher_student(lm_power):
    built = ["teacher", "base", "student-100", "student-30", "student-10"]
    comps = lm_power.comparisons(built)
    assert [c.suspect for c in comps if c.distilled] == ["student-100", "student-30",
                                                          "student-10"]
    assert [c.suspect for c in lm_power.comparisons(built[:3]) if c.distilled] == [
        "student-100"]  # a dose not built is not compared
    for c in comps:
        assert c.suspect not in c.controls and len(c.controls) == 3
        assert set(c.controls) <= set(lm_power.NO_LINK)
    assert {c.suspect for c in comps if not c.distilled} == set(lm_power.NO_LINK)
    assert lm_power.PARAPHRASED in [c.suspect for c in lm_power.comparisons(
        [lm_power.PARAPHRASED])]


def _probe(pid, samples=None):
    return Probe(id=pid, version=1, family="f", rationale="r",
                 messages=({"role": "user", "content": "hi"},), samples=samples)


def test_pool_subsets_are_seeded_distinct_and_without_repeats(lm_power):
    pool = {(org, "p"): [f"{org}{i}" for i in range(20)] for org in ("a", "b")}
    sampler = lm_power.PoolSampler(pool)
    one = sampler.texts("a", _probe("p"), seed=1, n=5)
    assert one == sampler.texts("a", _probe("p"), seed=1, n=5)  # reproducible
    assert len(set(one)) == 5 and one == sorted(one, key=lambda t: int(t[1:]))
    assert one != sampler.texts("a", _probe("p"), seed=2, n=5)  # a fresh replicate
    assert [t[1:] for t in one] != [t[1:] for t in sampler.texts("b", _probe("p"), 1, 5)]
    assert len(sampler.texts("a", _probe("p", samples=3), seed=1, n=5)) == 3  # probe's own n


def test_family_signal_counts_replicates_below_alpha(lm_power):
    comp = lm_power.Comparison("student-100", ("base",), True, 100)
    rows = [{"budget": "4x2", "suspect": "student-100",
             "families": {"identity": [0.2, p], "style": [None, None]}}
            for p in (0.01, 0.2, 0.03, 0.5)]
    (ident, style) = lm_power.family_signal(rows, [comp])
    assert ident["family"] == "identity" and ident["share_p_below_alpha"] == 0.5
    assert ident["mean_effect"] == pytest.approx(0.2) and ident["n"] == 4
    assert style["mean_effect"] is None and style["share_p_below_alpha"] is None


def test_the_recorded_command_names_no_machine_location(lm_power):
    argv = ["--pool", "10", "--store", "/x/s.sqlite", "--out=/y", "--replicates", "20"]
    assert lm_power.power.without_locations(argv) == ["--pool", "10", "--replicates", "20"]
