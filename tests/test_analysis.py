"""analyze(): verdicts on synthetic organisms, determinism, JSON shape, edge cases."""

import json
import time

import numpy as np
import pytest
from scipy import stats as sps

from fingerprint.analysis import ResponseSet, analyze
from fingerprint.stats import single_sample
from fingerprint.suite import Probe

WORDS = [f"w{i}q" for i in range(50)]


def _probe(i, kind="free_text", family=None):
    answer = {"type": kind}
    if kind == "choice":
        answer = {"type": "choice", "kind": "number", "min": 0, "max": 100}
    return Probe(id=f"p{i}", family=family or f"fam{i % 3}", version=1, rationale="test",
                 messages=({"role": "user", "content": f"question {i}"},), answer=answer)


def synthetic(seed, *, suspect, n_probes=12, n=8, n_controls=2, mix=0.6):
    """Per probe each model draws words from its own Dirichlet; a 'student' mixes the
    reference's distribution with its own."""
    rng = np.random.default_rng(seed)
    probes = tuple(_probe(i) for i in range(n_probes))
    ref, sus, ctrls = {}, {}, [dict() for _ in range(n_controls)]

    def draw(p, m):
        return [" ".join(rng.choice(WORDS, size=10, p=p)) for _ in range(m)]

    for pr in probes:
        dr = rng.dirichlet(np.full(50, 0.3))
        own = [rng.dirichlet(np.full(50, 0.3)) for _ in range(n_controls + 1)]
        ds = {"student": mix * dr + (1 - mix) * own[-1], "same": dr, "independent": own[-1]}[suspect]
        ref[pr.id], sus[pr.id] = draw(dr, n), draw(ds, n)
        for k in range(n_controls):
            ctrls[k][pr.id] = draw(own[k], n)
    return ResponseSet(probes, ref, sus, tuple(ctrls), tuple(f"control-{k}" for k in range(n_controls)))


@pytest.mark.parametrize("suspect,label", [("student", "distilled"), ("same", "same_model"),
                                           ("independent", "independent")])
def test_verdicts_on_synthetic_lineages(suspect, label):
    out = analyze(synthetic(1, suspect=suspect), seed=7)
    assert out["verdict"]["label"] == label, out["verdict"]
    assert 2 <= len(out["verdict"]["summary"].split(". ")) <= 6


def test_report_shape_is_json_ready_and_bit_for_bit_reproducible():
    data = synthetic(2, suspect="student")
    a, b = analyze(data, seed=11), analyze(data, seed=11)
    text = json.dumps(a, sort_keys=True, allow_nan=False)
    assert text == json.dumps(b, sort_keys=True, allow_nan=False)
    assert text != json.dumps(analyze(data, seed=12), sort_keys=True)
    for key in ("embedder", "probes", "families", "tests", "evidence", "exhibits", "plot_data",
                "verdict", "method"):
        assert key in a
    assert "probability" not in a["verdict"]
    p = a["probes"][0]
    assert set(p) >= {"id", "family", "answer_type", "n_samples", "statistics", "p_value",
                      "p_value_equality", "p_adjusted", "effect", "ci"}
    assert p["n_samples"] == {"reference": 8, "suspect": 8, "controls": [8, 8]}
    assert len(a["tests"]["distillation"]["per_control"]) == 2
    assert len(a["tests"]["controls_vs_reference_equality"]) == 2
    assert all(isinstance(v, (int, float)) or v is None for v in a["evidence"].values())
    assert 1 <= len(a["exhibits"]) <= 6
    assert len(a["plot_data"]["null_distribution"]["null"]) == 200
    assert len(a["plot_data"]["projection"]["points"]) <= 400
    fam = a["families"][0]
    assert fam["direction"] in ("toward reference", "away", "none")
    assert fam["ci"][0] <= fam["effect"] <= fam["ci"][1]


def test_without_controls_only_equality_is_tested():
    base = synthetic(3, suspect="independent", n_controls=1)
    data = ResponseSet(base.probes, base.reference, base.suspect, (), ())
    out = analyze(data, seed=1)
    assert out["verdict"]["label"] == "independent"
    assert "no distillation verdict" in out["verdict"]["summary"].lower()
    assert out["verdict"]["p_value"] == out["verdict"]["p_value_equality"]
    same = ResponseSet(base.probes, base.reference,
                       synthetic(3, suspect="same", n_controls=1).suspect, (), ())
    out = analyze(same, seed=1)
    assert out["verdict"]["label"] in ("same_model", "independent")


def test_too_little_data_is_inconclusive_and_says_what_is_needed():
    base = synthetic(4, suspect="student", n_probes=3, n=1)
    data = ResponseSet(base.probes, base.reference, {}, base.controls, base.control_names)
    out = analyze(data, seed=1)
    assert out["verdict"]["label"] == "inconclusive"
    assert out["verdict"]["more_data_needed"]


def test_single_sample_path_pools_across_prompts(monkeypatch):
    data = synthetic(5, suspect="student", n_probes=40, n=1, n_controls=3, mix=0.8)
    out = analyze(data, seed=3)
    assert out["single_sample"] is True
    assert out["tests"]["equality"]["p_value"] is None
    assert out["verdict"]["label"] == "distilled"
    assert "one answer per prompt" in out["method"].lower()
    # the hook is what the analysis calls
    calls = []
    real = single_sample.single_sample_differences

    def spy(grams, k):
        calls.append(len(grams))
        return real(grams, k)

    monkeypatch.setattr(single_sample, "single_sample_differences", spy)
    analyze(data, seed=3)
    assert calls == [40]


def test_single_sample_differences_closed_form():
    g = np.array([[1, .9, .2, .3], [.9, 1, .5, .4], [.2, .5, 1, .6], [.3, .4, .6, 1.]])
    d = single_sample.single_sample_differences([g], 2)
    assert d[0, 0] == pytest.approx((.9 - .4) - (.2 - .6))
    assert d[0, 1] == pytest.approx((.9 - .5) - (.3 - .6))
    with pytest.raises(ValueError):
        single_sample.single_sample_differences([np.eye(3)], 2)


def test_choice_and_identity_probes():
    rng = np.random.default_rng(6)
    probes = tuple(_probe(i, "choice", "random") for i in range(6)) + \
        tuple(_probe(10 + i, "identity", "identity") for i in range(4))

    def nums(p, n=10):
        return [str(x) for x in rng.choice([37, 42, 47, 72], size=n, p=p)]

    ref = {p.id: nums([0.1, 0.1, 0.7, 0.1]) for p in probes[:6]}
    sus = {p.id: nums([0.1, 0.1, 0.7, 0.1]) for p in probes[:6]}
    c1 = {p.id: nums([0.1, 0.7, 0.1, 0.1]) for p in probes[:6]}
    for p in probes[6:]:
        ref[p.id] = ["I am ChatGPT, a model trained by OpenAI."] * 10
        sus[p.id] = ["I am ChatGPT, developed by OpenAI."] * 7 + ["I am an AI assistant."] * 3
        c1[p.id] = ["I am Claude, made by Anthropic."] * 10
    out = analyze(ResponseSet(probes, ref, sus, (c1,), ("c1",)), seed=2)
    ev = out["evidence"]
    assert ev["choice_agreement_suspect"] > ev["choice_agreement_max_control"]
    assert ev["identity_agreement_suspect"] > ev["identity_agreement_max_control"]
    ident = out["tests"]["identity"]["suspect"]
    assert ident["ci"][0] <= ident["rate"] <= ident["ci"][1]
    counts = out["plot_data"]["choice_counts"]
    assert 1 <= len(counts) <= 6 and counts[0]["models"] == ["reference", "suspect", "c1"]
    assert "choice_test" in out["probes"][0]["statistics"]


def test_inputs_are_validated():
    data = synthetic(7, suspect="student", n_probes=2)
    with pytest.raises(ValueError):
        analyze(data, seed=-1)
    with pytest.raises(ValueError):
        analyze(data, seed=1, alpha=1.5)
    with pytest.raises(ValueError):
        analyze(ResponseSet(data.probes, data.reference, data.suspect, data.controls, ("x",)), seed=1)
    with pytest.raises(ValueError):
        analyze(ResponseSet(data.probes, {"p0": "not a list"}, data.suspect, (), ()), seed=1)


def test_null_calibration_of_the_distillation_test_small():
    """Suspect and control drawn alike: the panel p-value of analyze() is uniform."""
    ps = []
    for rep in range(200):
        rng = np.random.default_rng(1000 + rep)
        probes = tuple(_probe(i) for i in range(5))
        ref, sus, ctl = {}, {}, {}
        for pr in probes:
            dr, dx = rng.dirichlet(np.full(20, 0.5)), rng.dirichlet(np.full(20, 0.5))
            ref[pr.id] = [" ".join(rng.choice(WORDS[:20], 6, p=dr)) for _ in range(4)]
            sus[pr.id] = [" ".join(rng.choice(WORDS[:20], 6, p=dx)) for _ in range(4)]
            ctl[pr.id] = [" ".join(rng.choice(WORDS[:20], 6, p=dx)) for _ in range(4)]
        out = analyze(ResponseSet(probes, ref, sus, (ctl,), ("c",)), seed=rep,
                      n_permutations=99, n_boot=20)
        ps.append(out["tests"]["distillation"]["p_value"])
    ps = np.array(ps)
    assert sps.kstest(ps, "uniform").pvalue > 0.01
    lo, hi = sps.binom.ppf([0.005, 0.995], 200, 0.05)
    assert lo <= np.sum(ps <= 0.05) <= hi


def test_quick_start_scale_is_fast():
    data = synthetic(8, suspect="student", n_probes=70, n=10, n_controls=2)
    t = time.perf_counter()
    analyze(data, seed=1)
    assert time.perf_counter() - t < 20.0  # a few seconds on 2 busy cores


def test_null_calibration_of_the_equality_test_small():
    """The suspect is a fresh draw of the reference: the pooled equality p is uniform."""
    ps = []
    for rep in range(200):
        rng = np.random.default_rng(5000 + rep)
        probes = tuple(_probe(i) for i in range(4))
        ref, sus = {}, {}
        for pr in probes:
            dr = rng.dirichlet(np.full(20, 0.5))
            ref[pr.id] = [" ".join(rng.choice(WORDS[:20], 6, p=dr)) for _ in range(4)]
            sus[pr.id] = [" ".join(rng.choice(WORDS[:20], 6, p=dr)) for _ in range(4)]
        out = analyze(ResponseSet(probes, ref, sus, (), ()), seed=rep, n_permutations=99, n_boot=20)
        ps.append(out["tests"]["equality"]["p_value"])
    ps = np.array(ps)
    assert sps.kstest(ps, "uniform").pvalue > 0.01
    lo, hi = sps.binom.ppf([0.005, 0.995], 200, 0.05)
    assert lo <= np.sum(ps <= 0.05) <= hi
