"""analyze(): verdicts on synthetic organisms, determinism, JSON shape, edge cases."""

import json
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats as sps

from fakes.verdicts import calibrated as _calibrated
from fingerprint._records import to_json
from fingerprint.analysis import ResponseSet, final_verdict
from fingerprint.analysis import analyze as analyze_typed
from fingerprint.stats import single_sample
from fingerprint.suite import Probe


def analyze(*args, **kwargs):
    """The analysis as the report writes it: the ``analysis`` section, plus ``probes`` and
    the test-based ``verdict``."""
    a = analyze_typed(*args, **kwargs)
    return dict(to_json(a.result), probes=to_json(a.probes), verdict=to_json(a.test_verdict))

WORDS = [f"w{i}q" for i in range(50)]


def _probe(i, kind="free_text", family=None):
    answer = {"type": kind}
    if kind == "choice":
        answer = {"type": "choice", "kind": "number", "min": 0, "max": 100}
    return Probe(id=f"p{i}", family=family or f"fam{i % 6}", version=1, rationale="test",
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
    ex = a["exhibits"]
    assert 3 <= len(ex) <= 3 * 8
    assert [e["kind"] for e in ex[:3]] == ["most reference-like", "drawn at random",
                                          "least reference-like"]
    assert len({e["family"] for e in ex}) == len(ex) // 3  # one probe per family
    assert len(a["plot_data"]["null_distribution"]["null"]) == 200
    assert len(a["plot_data"]["projection"]["points"]) <= 400
    fam = a["families"][0]
    assert fam["direction"] in ("toward reference", "away", "none")
    assert fam["ci"][0] <= fam["effect"] <= fam["ci"][1]


def test_exhibits_show_the_best_a_random_and_the_contrary_answer():
    """On a hand-made kernel: per family the probe with the largest |effect|, and on it the
    suspect answers closest to, drawn from, and farthest from the reference."""
    from types import SimpleNamespace

    import numpy as np

    from fingerprint.analysis._exhibits import exhibits

    def probe(pid, family, kernel, texts):
        groups = [np.array([0, 1]), np.array([2, 3, 4]), np.array([5, 6])]
        return SimpleNamespace(data=SimpleNamespace(
            kernel=np.array(kernel, dtype=float), groups=groups, texts=texts, labels=None,
            probe=SimpleNamespace(id=pid, family=family, answer_type="free_text",
                                  messages=[{"role": "user", "content": f"ask {pid}"}])))

    k = np.eye(7)
    k[2, 0] = k[0, 2] = 0.9   # suspect answer "s0" is closest to reference answer "r0"
    k[3, 1] = k[1, 3] = 0.5
    k[4, 0] = k[0, 4] = 0.1   # "s2" is the least reference-like
    k[6, 0] = k[0, 6] = 0.4   # the control answer closest to r0 is "c1"
    texts = ["r0", "r1", "s0", "s1", "s2", "c0", "c1"]
    results = [probe("a1", "A", k, texts), probe("a2", "A", k, texts), probe("b1", "B", k, texts)]
    out = exhibits(results, [0.2, -0.7, 0.3], ["ctrl-1", "ctrl-2"])
    assert [(e.probe_id, e.kind) for e in out] == [
        ("a2", "most reference-like"), ("a2", "drawn at random"), ("a2", "least reference-like"),
        ("b1", "most reference-like"), ("b1", "drawn at random"), ("b1", "least reference-like")]
    assert (out[0].suspect_answer, out[0].reference_answer, out[0].control_answer) == \
        ("s0", "r0", "c1")
    assert out[2].suspect_answer == "s2" and out[2].reference_answer == "r0"
    assert out[1].suspect_answer in ("s0", "s1", "s2")
    assert "range 0.10–0.90" in out[0].why and "(ctrl-1) has 0.40" in out[0].why
    assert exhibits(results, [0.2, -0.7, 0.3], ["ctrl-1", "ctrl-2"]) == out  # seeded draw


def test_without_controls_only_equality_is_tested():
    base = synthetic(3, suspect="independent", n_controls=1)
    data = ResponseSet(base.probes, base.reference, base.suspect, (), ())
    out = analyze(data, seed=1)
    assert out["verdict"]["label"] == "not_same_model"
    assert "no distillation verdict" in out["verdict"]["summary"].lower()
    assert out["verdict"]["p_value"] == out["verdict"]["p_value_equality"]
    same = ResponseSet(base.probes, base.reference,
                       synthetic(3, suspect="same", n_controls=1).suspect, (), ())
    out = analyze(same, seed=1)
    assert out["verdict"]["label"] in ("same_model", "not_same_model")


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


X_LETTERS, Y_LETTERS = "abcde", "fghij"
MIRROR = str.maketrans(X_LETTERS + Y_LETTERS, Y_LETTERS + X_LETTERS)


def _mirror_null(rng, boundary, n_probes=6, n=4):
    """Texts on the boundary of the distillation null, exactly, by symmetry.

    Words are spelled with letters a-e ("X words") or f-j (their mirror images: a<->f, ...).
    Swapping the letters maps the character n-gram kernel onto itself.  ``"reference"``: the
    reference draws X and mirrored words alike and the control is the suspect's mirror, so
    suspect and control are exactly as far from the reference (d has mean 0) while the
    suspect is much closer to the reference than to the control (d' > 0).  ``"suspect"``:
    the suspect is the symmetric one and the control is the reference's mirror (d' has mean
    0, d > 0).  On either boundary the panel p-value must be uniform."""
    probes = tuple(_probe(i) for i in range(n_probes))
    words = ["".join(rng.choice(list(X_LETTERS), 3)) for _ in range(12)]
    ref, sus, ctl = {}, {}, {}
    for pr in probes:
        q = rng.dirichlet(np.full(len(words), 0.5))

        def draw(mix):  # mix = probability of writing a mirrored word
            return [" ".join(w.translate(MIRROR) if rng.random() < mix else w
                             for w in rng.choice(words, 6, p=q)) for _ in range(n)]

        sym, plain, mirrored = draw(0.5), draw(0.0), draw(1.0)
        if boundary == "reference":
            ref[pr.id], sus[pr.id], ctl[pr.id] = sym, plain, mirrored
        else:
            ref[pr.id], sus[pr.id], ctl[pr.id] = plain, sym, mirrored
    return ResponseSet(probes, ref, sus, (ctl,), ("c",))


def test_null_calibration_of_the_distillation_test_small():
    """On the boundary of the composite null (one of the two comparisons exactly null, the
    other clearly not), the intersection–union panel p-value of analyze() is uniform."""
    ps = []
    for rep in range(200):
        rng = np.random.default_rng(1000 + rep)
        data = _mirror_null(rng, "reference" if rep % 2 else "suspect")
        out = analyze(data, seed=rep, n_permutations=99, n_boot=20)
        ps.append(out["tests"]["distillation"]["p_value"])
    ps = np.array(ps)
    assert sps.kstest(ps, "uniform").pvalue > 0.01
    lo, hi = sps.binom.ppf([0.005, 0.995], 200, 0.05)
    assert lo <= np.sum(ps <= 0.05) <= hi


def test_distillation_test_is_valid_inside_the_null():
    """Suspect and control drawn alike (inside the null, where the suspect-centred
    comparison is far from rejecting): no excess of small p-values."""
    ps = []
    for rep in range(100):
        rng = np.random.default_rng(3000 + rep)
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
        # the reference-centred half alone is exact here
        assert out["tests"]["distillation"]["p_value"] >= \
            out["tests"]["distillation"]["p_value_reference_centred"]
    ps = np.array(ps)
    assert np.sum(ps <= 0.05) <= sps.binom.ppf(0.995, 100, 0.05)
    assert sps.kstest(ps, "uniform", alternative="greater").pvalue > 0.01


def hub_suspect(seed, n_probes=15, n=8):
    """The suspect mixes the answers of four models unrelated to the reference and the
    controls (a "hub"); the reference is one more independent model.  The suspect is closer to the reference than the controls are
    (it is near everyone) but not closer to the reference than to the controls."""
    rng = np.random.default_rng(seed)
    probes = tuple(_probe(i) for i in range(n_probes))
    ref, sus, c1, c2 = {}, {}, {}, {}
    for pr in probes:
        dists = [rng.dirichlet(np.full(50, 0.3)) for _ in range(7)]
        hub = np.mean(dists[3:], axis=0)  # sources 3..6: none is the reference or a control
        for out, d in ((ref, dists[0]), (sus, hub), (c1, dists[1]), (c2, dists[2])):
            out[pr.id] = [" ".join(rng.choice(WORDS, 10, p=d)) for _ in range(n)]
    return ResponseSet(probes, ref, sus, (c1, c2), ("c1", "c2"))


def test_a_hub_suspect_is_not_called_distilled():
    out = analyze(hub_suspect(11), seed=1)
    dist = out["tests"]["distillation"]
    assert dist["p_value_reference_centred"] < 0.05  # fooled without the second comparison
    assert dist["p_value"] >= 0.05 and dist["weakest_side"] == "suspect-centred"
    assert out["verdict"]["label"] == "independent", out["verdict"]
    assert "mix of sources" in out["verdict"]["summary"]
    assert out["evidence"]["distill_t_min"] == min(
        out["evidence"]["distill_t_min_reference_centred"],
        out["evidence"]["distill_t_min_suspect_centred"])
    assert len(out["tests"]["distillation_suspect_centred"]["per_control"]) == 2


def test_quick_start_scale_runs():
    # speed is measured by benchmarks/analysis.py, never asserted in a test
    data = synthetic(8, suspect="student", n_probes=70, n=10, n_controls=2)
    assert analyze(data, seed=1)["verdict"]["label"] == "distilled"


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


def test_final_label_combines_test_and_likelihood_ratio():
    student = analyze_typed(synthetic(1, suspect="student"), seed=7).test_verdict
    indep = analyze_typed(synthetic(1, suspect="independent"), seed=7).test_verdict
    same = analyze_typed(synthetic(1, suspect="same"), seed=7).test_verdict
    assert (student.label, indep.label, same.label) == ("distilled", "independent", "same_model")
    # agreement keeps the test's label and its summary, then states the weight of evidence
    out = final_verdict(student, _calibrated(50, 13), has_controls=True)
    assert out.label == "distilled" and out.summary.startswith(student.summary)
    assert "conservatively at least 13" in out.summary
    assert final_verdict(indep, _calibrated(0.1), has_controls=True).label == "independent"
    # the test rejects, the LR's bound is below 10
    out = final_verdict(student, _calibrated(21, 6), has_controls=True)
    assert out.label == "inconclusive" and "disagree" in out.summary
    assert out.more_data_needed and out.label_from_test == "distilled"
    assert "distilled" not in out.summary.split("so no verdict")[1]
    # not rejected, LR above 1 but bound below 10: independent, and the reason says why
    out = final_verdict(indep, _calibrated(3, 0.8), has_controls=True)
    assert out.label == "independent"
    assert any("absence of evidence" in r for r in out.reasons)
    out = final_verdict(indep, _calibrated(40, 12), has_controls=True)
    assert out.label == "inconclusive" and "disagree" in out.summary
    # same model comes from the equality test; no controls never gives distilled
    assert final_verdict(same, _calibrated(1.0), has_controls=True).label == "same_model"
    no_ctrl = replace(indep, label="independent")
    assert final_verdict(no_ctrl, _calibrated(1e4), has_controls=False).label == "not_same_model"
    # deterministic: the same inputs give the same verdict
    assert final_verdict(indep, _calibrated(40, 12), has_controls=True) == out
    # a calibration without validation cases leaves the test's label
    out = final_verdict(student, _calibrated(1, evaluation=False), has_controls=True)
    assert out.label == "distilled" and "validation cases" in out.reasons[-1]


def test_final_label_with_the_shipped_calibration():
    from fingerprint.calibration import apply_calibration

    for kind in ("student", "independent"):
        a = analyze_typed(synthetic(3, suspect=kind), seed=2)
        cal = apply_calibration(a.result.evidence)
        verdict = final_verdict(a.test_verdict, cal, has_controls=True)
        assert verdict.label in ("distilled", "independent", "inconclusive")
        if verdict.label != verdict.label_from_test:
            assert verdict.label == "inconclusive" and verdict.more_data_needed


def test_a_control_related_to_the_suspect_makes_the_verdict_inconclusive():
    """A student (30 % reference) judged against its own sibling (the same source without the
    reference): closer to the reference than the controls are, but closer to the sibling
    than to the reference, which a hub suspect would also be; no label is safe."""
    rng = np.random.default_rng(21)
    probes = tuple(_probe(i) for i in range(15))
    ref, sus, sib, ind = {}, {}, {}, {}
    for pr in probes:
        dr, own, other = (rng.dirichlet(np.full(50, 0.3)) for _ in range(3))
        for out, d in ((ref, dr), (sus, 0.3 * dr + 0.7 * own), (sib, own), (ind, other)):
            out[pr.id] = [" ".join(rng.choice(WORDS, 10, p=d)) for _ in range(8)]
    out = analyze(ResponseSet(probes, ref, sus, (sib, ind), ("sibling", "other")), seed=1)
    v = out["verdict"]
    assert out["tests"]["distillation"]["p_value_reference_centred"] < 0.05
    assert v["label"] == "inconclusive", v
    assert "sibling" in v["summary"] and "unrelated to both" in v["more_data_needed"]


def test_a_wide_one_answer_panel_shows_where_the_suspect_ranks():
    """The deciding lineage test carries every control's score, computed as the suspect's;
    the named controls at or above the suspect are exactly those scoring as high, and its
    p-value is the predictive p of the score against that many controls."""
    from fingerprint.analysis import WIDE_PANEL
    from fingerprint.analysis._lineage import predictive_p

    k = WIDE_PANEL + 2
    data = synthetic(4, suspect="student", n_probes=16, n=1, n_controls=k)
    out = analyze(data, seed=5)
    lt = out["tests"]["distillation_lineage"]
    assert lt["decides"] and len(lt["control_scores"]) == len(lt["control_names"]) == k
    above = [n for n, v in zip(lt["control_names"], lt["control_scores"]) if v >= lt["statistic"]]
    assert sorted(above) == sorted(lt["at_or_above"])
    assert lt["p_value"] == pytest.approx(predictive_p(lt["statistic"], k), rel=1e-12)
    assert out["evidence"]["lineage_p"] == lt["p_value"]


def test_one_answer_runs_get_exhibits_too():
    """Per family: the prompt with the largest per-prompt effect, a seeded random one and
    the one with the smallest, each quoting the suspect's only answer there."""
    data = synthetic(6, suspect="student", n_probes=12, n=1, n_controls=3)
    out = analyze(data, seed=2)
    probes = {p["id"]: p for p in out["probes"]}
    ex = out["exhibits"]
    assert len(ex) == 3 * 6  # six families of two prompts each
    for fam_start in range(0, len(ex), 3):
        trio = ex[fam_start:fam_start + 3]
        assert [e["kind"] for e in trio] == ["most reference-like", "drawn at random",
                                             "least reference-like"]
        family = {e["family"] for e in trio}
        assert len(family) == 1
        effects = [p["effect"] for p in probes.values() if p["family"] in family]
        assert probes[trio[0]["probe_id"]]["effect"] == max(effects)
        assert probes[trio[2]["probe_id"]]["effect"] == min(effects)
    assert analyze(data, seed=2)["exhibits"] == ex
