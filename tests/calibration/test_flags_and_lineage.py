"""Each flag beside the headline fires on a case built to trigger it; the lineage registry and
case files say who is related to whom, and a bad case file is one clear line."""

from __future__ import annotations

import json

import pytest

from fingerprint.calibration import apply_calibration, lineage_of, read_lineage_file, relation
from fingerprint.calibration._flags import (beyond_validation, clipped_features, design_flags,
                                            in_calibration_set, lineage_flags)
from fingerprint.errors import FingerprintError, LineageError

CMAP = {
    "features": ["distill_t_min"], "standardize": {"distill_t_min": [1.0, 2.0]},
    "clip": {"distill_t_min": [-1.0, 1.5]},
    "held_out": [["a -> b", 1, 0.9], ["c -> d", 0, 0.1], ["c -> d", 0, 0.2]],
    "trained_on": {"list": [{"pair": "zoo/teacher -> zoo/student-100"}],
                   "design": {"n_probes": [50, 79], "n_controls": [3, 3],
                              "samples_per_probe": [10, 10]}},
}


def codes(flags):
    return [f.code for f in flags]


def test_clipped_fires_beyond_the_fitted_range_only():
    assert codes(clipped_features({"distill_t_min": 9.0}, CMAP)) == ["clipped"]
    assert clipped_features({"distill_t_min": 2.0}, CMAP) == []


def test_outside_validated_range_fires_beyond_every_validation_score():
    assert codes(beyond_validation(0.95, CMAP)) == ["outside_validated_range"]
    assert beyond_validation(0.5, CMAP) == []


def test_calibration_set_membership_of_the_pair_and_of_a_model():
    assert codes(in_calibration_set(["zoo/teacher", "zoo/student-100"], CMAP)) == \
        ["pair_in_calibration"]
    assert codes(in_calibration_set(["zoo/teacher", "zoo/student-10"], CMAP)) == \
        ["model_in_calibration"]
    assert in_calibration_set(["zoo/teacher-b", "zoo/student-b"], CMAP) == []


def test_design_outside_validation_names_what_differs():
    flags = design_flags({"n_probes": 20, "n_controls": 3, "samples_per_probe": 4}, CMAP)
    assert codes(flags) == ["design_outside_validation"] * 2
    assert "20 prompts" in flags[0].text and "4 answers per probe" in flags[1].text
    assert design_flags({"n_probes": 79, "n_controls": 3, "samples_per_probe": 10}, CMAP) == []


def test_lineage_flags_shared_unknown_and_relatives():
    rel = relation("replay/c#Meta-Llama-3-70B-Instruct", "replay/c#Meta-Llama-3-8B-Instruct",
                   ["replay/c#llama-2-7b-chat-hf", "replay/c#gpt4"])
    assert codes(lineage_flags(rel)) == ["shared_lineage", "relatives_in_panel"]
    unknown = relation("openai/some-new-model", "replay/c#gpt4", [])
    assert codes(lineage_flags(unknown)) == ["lineage_unknown"]


def test_registry_separates_developers_bases_and_data():
    assert lineage_of("replay/x#alpaca-7b").base == ("LLaMA (1)",)
    assert lineage_of("replay/x#text_davinci_003").developer == ("OpenAI",)
    # a LLaMA-2 model fine-tuned on Claude answers is not Anthropic's
    assert lineage_of("replay/x#claude2-alpaca-13b").developer == ()
    assert relation("replay/x#vicuna-13b-v1.3", "replay/x#vicuna-33b-v1.3", []).shared
    assert relation("replay/x#text_davinci_003", "replay/x#alpaca-7b", []).shared == ()
    # organisms: their recipe's lab
    assert relation("zoo/teacher", "zoo/teacher-wrapped", []).shared
    assert relation("zoo/teacher", "zoo/student-100", []).shared == ()


def test_a_case_file_overrides_the_registry_and_adds_pairs(tmp_path):
    path = tmp_path / "lineage.yaml"
    path.write_text("models:\n  zoo/student-100:\n    developer: Teacher Lab\n"
                    "  zoo/teacher:\n    developer: Teacher Lab\n"
                    "shared_lineage:\n  - [alpha, beta, same post-training data]\n")
    facts = read_lineage_file(path)
    assert relation("zoo/teacher", "zoo/student-100", [], facts).shared == \
        ("developer: Teacher Lab",)
    assert relation("x/alpha", "y/beta", [], facts).shared == \
        ("case file: same post-training data",)
    assert relation("zoo/teacher", "zoo/student-100", [], facts).case_file


@pytest.mark.parametrize("text", ["[1, 2]", "models: {a: {colour: red}}", "shared_lineage: [[a]]",
                                  "models: {a: {developer: [1]}}", ": : :",
                                  "models: [1, 2]", "shared_lineage: {a: b}"])
def test_a_malformed_case_file_is_one_clear_line(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(LineageError) as err:
        read_lineage_file(path)
    assert isinstance(err.value, FingerprintError) and "\n" not in str(err.value)


def test_missing_case_file():
    with pytest.raises(LineageError, match="does not exist"):
        read_lineage_file("no/such/lineage.json")


def test_apply_calibration_flags_a_run_beyond_the_shipped_map():
    evidence = json.loads(json.dumps({
        "n_probes": 79, "n_controls": 3, "single_sample": 0, "samples_per_probe": 10.0,
        "distill_t_min": 40.0, "identity_agreement_diff": 0.2, "choice_agreement_diff": 0.2}))
    cal = apply_calibration(evidence, models=["zoo/teacher", "zoo/student-100", "zoo/independent-a",
                                              "zoo/independent-b", "zoo/independent-c"])
    got = codes(cal.evaluation.flags)
    assert "clipped" in got and "pair_in_calibration" in got
    assert cal.evaluation.likelihood_ratio_lower <= cal.evaluation.likelihood_ratio
    assert cal.probability == pytest.approx(cal.evaluation.posterior)
