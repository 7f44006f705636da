"""`fingerprint calibrate` end to end on a small synthetic corpus of known lineage, the
pairs-file checks, and the shipped map's recorded quality."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fingerprint._records import to_json
from fingerprint.calibration import DEFAULT_CALIBRATION, apply_calibration, load_calibration
from fingerprint.calibration import DEFAULT_FEATURES
from fingerprint.calibration import corpus_cases, read_pairs
from fingerprint.calibration import related_models as _related
from fingerprint.cli import main
from fingerprint.errors import CalibrationError

from fakes.corpora import PAIRS
from fakes.corpora import write_lineage_corpus as _write_corpus
from fakes.paths import REPO, SHARED


def _calibrate(evidence, **options):
    """apply_calibration's result as report.json holds it."""
    return to_json(apply_calibration(evidence, **options))


def test_calibrate_on_a_corpus_writes_a_map_compare_can_use(tmp_path, capsys):
    corpus = tmp_path / "corpus.jsonl"
    _write_corpus(corpus)
    pairs = tmp_path / "pairs.json"
    pairs.write_text(json.dumps(PAIRS))
    out = tmp_path / "my-calibration.json"
    assert main(["calibrate", "--pairs", str(pairs), "--corpus", str(corpus), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "leave-one-pair-out over 7 pairs" in printed and "ECE=" in printed
    cmap, sha, name = load_calibration(out)
    assert cmap["name"] == "my-calibration" and cmap["version"].startswith("custom-")
    assert cmap["pairs_file"]["name"] == "pairs.json"
    assert cmap["trained_on"]["pairs"] == 7 and cmap["trained_on"]["distilled_cases"] == 3 * 8
    kinds = cmap["metrics"]["by_kind"]
    assert kinds["teacher_student"]["mean_probability"] > kinds["independent"]["mean_probability"]
    assert cmap["features"] == list(DEFAULT_FEATURES["single_sample"])
    assert cmap["segment"] == "single_sample"
    strong = {f: cmap["standardize"][f][0] + 3 * cmap["standardize"][f][1] for f in cmap["features"]}
    strong["single_sample"] = 1
    result = _calibrate(strong, calibration_file=str(out))
    assert result["calibration"]["sha256"] == sha and result["calibration"]["name"] == "my-calibration"
    assert result["probability"] > 0.5


def test_controls_exclude_every_model_sharing_a_training_source(tmp_path):
    f = tmp_path / "p.json"
    f.write_text(json.dumps([
        {"reference": "A", "suspect": "a1", "label": "teacher_student"},
        {"reference": "A", "suspect": "a2", "label": "teacher_student"},
        {"reference": "a1", "suspect": "g1", "label": "distilled"},
        {"reference": "A2", "suspect": "A", "label": "same_model"},
        {"reference": "a1x", "suspect": "a1", "label": "same_model"},
        {"reference": "B", "suspect": "b", "label": "independent"},
        {"reference": "X", "suspect": "a2", "label": "independent"},
    ]))
    rel = _related(read_pairs(f))
    family = {"A", "A2", "a1", "a1x", "a2", "g1"}
    assert rel["A"] == rel["A2"] == family  # students, grandchildren, twins
    assert rel["a2"] == family  # its teacher, the teacher's twin, its siblings and their students
    assert rel["B"] == {"B"} and rel["b"] == {"b"} and rel["X"] == {"X"}


def test_corpus_panels_hold_no_relative_of_either_model(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    _write_corpus(corpus, n_prompts=12)
    pairs = [dict(p, y=1 if p["label"] != "independent" else 0, kind=p["label"]) for p in PAIRS]
    cases = corpus_cases(str(corpus), pairs, seed=0, replicates=2, prompt_counts=(12,), n_controls=3)
    for case in cases:
        ref, sus = case.pair.split(" -> ")
        # S1, S2 are T1's students; S3 is T2's: no teacher, student or sibling may control
        kin = {"T1": {"S1", "S2"}, "S1": {"T1", "S2"}, "S2": {"T1", "S1"},
               "T2": {"S3"}, "S3": {"T2"}}
        assert not set(case.info["controls"]) & (kin.get(ref, set()) | kin.get(sus, set()) | {ref, sus})


@pytest.mark.parametrize("content,message", [
    ("[]", "non-empty list"),
    ('[{"reference": "a", "suspect": "b"}]', "lacks 'label'"),
    ('[{"reference": "a", "suspect": "b", "label": "cousin"}]', "has label 'cousin'"),
    ('{"pairs": [{"reference": "a", "suspect": "b", "label": "independent", "controls": "c"}]}',
     "'controls' must be a list"),
    ("not json", "not valid JSON"),
])
def test_bad_pairs_files_say_what_is_wrong(tmp_path, content, message):
    f = tmp_path / "pairs.json"
    f.write_text(content)
    with pytest.raises(CalibrationError, match=message):
        read_pairs(f)


def test_shipped_map_meets_the_acceptance_error_and_says_what_it_means():
    cmap, _, _ = load_calibration(DEFAULT_CALIBRATION)
    m = cmap["metrics"]
    assert m["overall"]["ece_bins"] == 10
    organisms = m["by_source"]["organism panel"]
    assert organisms["ece"] <= 0.05 and sum(organisms["bin_counts"]) == organisms["n"]
    assert all(v >= 0 for v in cmap["coefficients"].values())
    t = cmap["thresholds"]
    assert t["distilled"]["false_positive_rate"] <= 0.05
    assert "calibrated on" in cmap["plain_summary"]
    assert "pair" in m["scheme"]


def test_shipped_map_meets_the_public_pairs_target_with_wide_panels():
    m = load_calibration(DEFAULT_CALIBRATION)[0]["metrics"]["by_source"]
    wide = m["public pairs, wide panels"]
    assert wide["ece"] <= 0.10 and sum(wide["bin_counts"]) == wide["n"] == 160


@pytest.mark.xfail(strict=True, reason="known shortfall: with 5 controls per case the held-out "
                   "ECE on the 40 public pairs is 0.111 against the 0.10 target (a calibrated "
                   "map would show 0.105 on average on so few pairs; see docs/calibration.md)")
def test_shipped_map_meets_the_public_pairs_target_with_small_panels():
    m = load_calibration(DEFAULT_CALIBRATION)[0]["metrics"]
    assert m["by_source"]["public pairs"]["ece"] <= 0.10


def test_shipped_map_error_is_within_the_noise_of_a_calibrated_map():
    """Each segment's held-out ECE is no larger than a perfectly calibrated map's would often
    be on that few pairs, and every threshold meets its stated error rate on the held-out
    probabilities stored in the map."""
    from fingerprint.calibration import _metrics as cm

    cmap, _, _ = load_calibration(DEFAULT_CALIBRATION)
    for seg in cmap["segments"].values():
        for src, v in seg["metrics"]["by_source"].items():
            assert v["ece_if_calibrated"]["p_value"] >= 0.05, src
        pairs, y, p = zip(*seg["held_out"])
        # held_out stores probabilities rounded to 6 decimals
        assert cm.expected_calibration_error(p, y) == pytest.approx(seg["metrics"]["overall"]["ece"],
                                                                    abs=1e-5)
        y, p = np.array(y), np.array(p)
        d, i = seg["thresholds"]["distilled"], seg["thresholds"]["independent"]
        t_d, t_i = round(d["probability"], 6), round(i["probability"], 6)
        assert np.sum(p[y == 0] >= t_d) == d["false_positives"] <= 0.05 * d["negatives"]
        assert np.sum(p[y == 1] <= t_i) == i["false_negatives"] <= 0.05 * i["positives"]


EVIDENCE = REPO / "reports" / "calibration"


def test_calibration_cases_use_only_controls_unrelated_to_both_models():
    from fingerprint.calibration import organism_sources

    cases = json.loads((EVIDENCE / "organisms.json").read_text())["cases"]
    for case in cases:
        ref, sus = (name.removeprefix("zoo/") for name in case["pair"].split(" -> "))
        for control in case["info"]["controls"]:
            assert not organism_sources(control) & (organism_sources(ref) | organism_sources(sus)), \
                (case["pair"], control)
    assert organism_sources("student-10") == organism_sources("student-100") > organism_sources("teacher")
    assert organism_sources("student-0") < organism_sources("student-5")
    pairs_file = SHARED / "corpora" / "alpaca_eval" / "pairs.json"
    if not pairs_file.is_file():
        pytest.skip("the public corpora are not beside the clone")
    related = _related(read_pairs(pairs_file))
    for design in ("public.json", "public-wide.json"):
        for case in json.loads((EVIDENCE / design).read_text())["cases"]:
            ref, sus = case["pair"].split(" -> ")
            kin = related.get(ref, {ref}) | related.get(sus, {sus})
            assert not set(case["info"]["controls"]) & kin, case["pair"]
