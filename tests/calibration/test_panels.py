"""Control-panel size in calibration: the single-sample analysis reports the corpus lineage
score of its own panel, corpus cases can use every eligible control, and a map records the
panel sizes it was fitted on so that a run with a smaller panel is told."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from fingerprint._records import to_json
from fingerprint.calibration import apply_calibration, select_segment
from fingerprint.analysis import WIDE_PANEL
from fingerprint.calibration import Case, build_map, segment_of
from fingerprint.calibration import corpus_cases
from fingerprint.pipeline import roles_for

from fakes.corpora import PAIRS
from fakes.corpora import write_lineage_corpus as _write_corpus


def _calibrate(evidence, **options):
    """apply_calibration's result as report.json holds it."""
    return to_json(apply_calibration(evidence, **options))


def _pairs():
    return [dict(p, y=1 if p["label"] != "independent" else 0, kind=p["label"]) for p in PAIRS]


def test_every_eligible_control_and_the_lineage_score_reach_the_evidence(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    _write_corpus(corpus, n_prompts=16)
    cases = corpus_cases(str(corpus), _pairs(), seed=0, replicates=2, prompt_counts=(16,),
                         n_controls=None)
    again = corpus_cases(str(corpus), _pairs(), seed=0, replicates=2, prompt_counts=(16,),
                         n_controls=None)
    models = {"T1", "T2", "I1", "I2", "I3", "C1", "C2", "C3", "C4", "C5", "C6", "S1", "S2", "S3"}
    kin = {"T1": {"S1", "S2"}, "S1": {"T1", "S2"}, "S2": {"T1", "S1"}, "T2": {"S3"}, "S3": {"T2"}}
    for case, twin in zip(cases, again):
        ref, sus = case.pair.split(" -> ")
        eligible = models - kin.get(ref, set()) - kin.get(sus, set()) - {ref, sus}
        assert set(case.info["controls"]) == eligible
        assert case.evidence["n_controls"] == len(eligible)
        z = case.evidence["lineage_z"]
        assert isinstance(z, float) and math.isfinite(z) and z == twin.evidence["lineage_z"]
        assert 0 < case.evidence["lineage_p"] <= 1
    z = {c.pair: c.evidence["lineage_z"] for c in cases}
    # students copy 60 % of their teacher's words: far above the controls; independents not
    assert min(z["T1 -> S1"], z["T1 -> S2"], z["T2 -> S3"]) > max(z["T1 -> I1"], z["T2 -> I2"])


def _map_on_panels(tmp_path, k: int):
    rng = np.random.default_rng(0)
    cases = [Case(pair=f"p{i}", label=i % 2, evidence={"single_sample": 1, "n_controls": k + i % 3,
                                                        "lineage_z": float(rng.normal(2.0 * (i % 2)))})
             for i in range(12)]
    cmap = dict(build_map(cases, ["lineage_z"], name="t", version="0"),
                segment="single_sample_wide")
    path = tmp_path / "map.json"
    path.write_text(json.dumps(cmap))
    return cmap, path


def test_a_run_with_a_smaller_panel_than_the_calibration_is_told(tmp_path):
    cmap, path = _map_on_panels(tmp_path, 20)
    assert cmap["trained_on"]["controls_per_case"] == [20, 22]
    small = _calibrate({"single_sample": 1, "n_controls": 5, "lineage_z": 1.0},
                              calibration_file=str(path))
    assert "5 control models" in small["calibration_note"] and "20–22" in small["calibration_note"]
    wide = _calibrate({"single_sample": 1, "n_controls": 40, "lineage_z": 1.0},
                             calibration_file=str(path))
    assert "calibration_note" not in wide
    # a segment mismatch and a small panel are both said
    both = _calibrate({"single_sample": 0, "n_controls": 3, "lineage_z": 1.0},
                             calibration_file=str(path))
    assert "fitted on runs with one answer" in both["calibration_note"]
    assert "3 control models" in both["calibration_note"]


def test_wide_single_sample_panels_are_their_own_segment_with_a_fallback():
    assert segment_of({"single_sample": 0, "n_controls": 50}) == "multi_sample"
    assert segment_of({"single_sample": 1, "n_controls": WIDE_PANEL - 1}) == "single_sample"
    assert segment_of({"single_sample": 1, "n_controls": WIDE_PANEL}) == "single_sample_wide"
    small = {"segment": "single_sample", "features": ["distill_t_min"]}
    wide = {"segment": "single_sample_wide", "features": ["lineage_z"]}
    both = {"segments": {"single_sample": small, "single_sample_wide": wide}}
    run = {"single_sample": 1, "n_controls": 60}
    assert select_segment(both, run)["features"] == ["lineage_z"]
    assert select_segment(both, dict(run, n_controls=5))["features"] == ["distill_t_min"]
    # a user map fitted on small panels only still serves a wide run (and says so)
    assert select_segment({"segments": {"single_sample": small}}, run)["features"] == \
        ["distill_t_min"]


def test_a_corpus_wildcard_control_names_every_other_model(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    _write_corpus(corpus, n_prompts=4)
    src = f"replay/{corpus}"
    roles = roles_for(f"{src}#T1", f"{src}#S1", [f"{src}#C1", f"{src}#*"])
    names = [spec.model.split("#")[1] for _, spec in roles]
    assert names[:3] == ["T1", "S1", "C1"]
    assert sorted(names[3:]) == sorted({"T2", "I1", "I2", "I3", "C2", "C3", "C4", "C5", "C6",
                                        "S2", "S3"})
    assert [role for role, _ in roles][-1] == f"control {len(names) - 2}"


def _summary(k: int):
    from fingerprint.analysis._verdict import TestSummary

    return TestSummary(n_probes=200, n_controls=k, single_sample=True, p_eq=None, eq_min_p=None,
                       controls_eq_p=[], p_distill=1.0, t_distill=-3.0, n_distill_probes=200,
                       effect=None, effect_ci=(None, None), closeness=None, weakest_control="C1")


def test_a_wide_panel_is_decided_by_the_lineage_test_and_the_final_label_says_so():
    from fingerprint.analysis import final_verdict
    from fingerprint.analysis._single import decide_lineage

    k = 60
    top = decide_lineage(_summary(k), z=3.1, p=0.002, above=0, alpha=0.05)
    assert top.label == "distilled" and top.p_value == pytest.approx(0.002)
    assert "ranks above 60 of them" in top.summary and "60 controls" in top.summary
    mid = decide_lineage(_summary(k), z=1.2, p=0.12, above=8, alpha=0.05)
    assert mid.label == "independent" and "8 of the 60 score as high or higher" in mid.summary
    from fakes.verdicts import calibrated

    cal = calibrated(40.0, 12.0)  # the likelihood ratio and its bound clear the threshold
    agree = final_verdict(top, cal, has_controls=True)
    assert agree.label == "distilled"
    torn = final_verdict(mid, cal, has_controls=True)
    assert torn.label == "inconclusive"
    assert "lineage test did not place the suspect" in torn.summary
    assert "more controls" in torn.more_data_needed
