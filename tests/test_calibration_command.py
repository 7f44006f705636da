"""`fingerprint calibrate` end to end on a small synthetic corpus of known lineage, the
pairs-file checks, and the shipped map's recorded quality."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fingerprint.calibration import DEFAULT_CALIBRATION, apply_calibration, load_calibration
from fingerprint.calibration_fit import DEFAULT_FEATURES
from fingerprint.calibration_pairs import _related, read_pairs
from fingerprint.cli import main
from fingerprint.errors import CalibrationError

WORDS = [f"w{i}" for i in range(400)]


def _answer(rng, weights, n=30):
    return " ".join(rng.choice(WORDS, size=n, p=weights))


def _write_corpus(path: Path, n_prompts: int = 40) -> None:
    """Teachers T1, T2 with their own word habits per prompt; students copy 60 % of their
    teacher's words on each prompt; independents and controls draw from their own habits."""
    rng = np.random.default_rng(11)
    labs = ["T1", "T2", "I1", "I2", "I3", "C1", "C2", "C3", "C4", "C5", "C6"]
    habit = {m: rng.dirichlet(np.full(len(WORDS), 0.3)) for m in labs + ["S1", "S2", "S3"]}
    lines = []
    for p in range(n_prompts):
        topic = rng.dirichlet(np.full(len(WORDS), 0.3))
        texts = {m: _answer(rng, 0.5 * habit[m] + 0.5 * topic) for m in labs}
        for s, teacher in (("S1", "T1"), ("S2", "T1"), ("S3", "T2")):
            own = _answer(rng, 0.5 * habit[s] + 0.5 * topic).split()
            copied = texts[teacher].split()
            texts[s] = " ".join(c if rng.random() < 0.6 else o for c, o in zip(copied, own))
        for m, t in texts.items():
            lines.append(json.dumps({"model": m, "prompt_id": f"q{p}", "prompt": f"question {p}",
                                     "response": t}))
    path.write_text("\n".join(lines) + "\n")


PAIRS = [
    {"reference": "T1", "suspect": "S1", "label": "teacher_student"},
    {"reference": "T1", "suspect": "S2", "label": "teacher_student"},
    {"reference": "T2", "suspect": "S3", "label": "distilled"},
    {"reference": "T1", "suspect": "I1", "label": "independent"},
    {"reference": "T2", "suspect": "I2", "label": "independent"},
    {"reference": "T1", "suspect": "S3", "label": "independent"},
    {"reference": "T2", "suspect": "I3", "label": "independent"},
]


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
    result = apply_calibration(strong, {}, calibration_file=str(out))
    assert result["calibration"]["sha256"] == sha and result["calibration"]["name"] == "my-calibration"
    assert result["probability"] > 0.5


def test_controls_exclude_the_references_students_and_twins(tmp_path):
    f = tmp_path / "p.json"
    f.write_text(json.dumps([
        {"reference": "A", "suspect": "a1", "label": "teacher_student"},
        {"reference": "A2", "suspect": "A", "label": "same_model"},
        {"reference": "a1x", "suspect": "a1", "label": "same_model"},
        {"reference": "B", "suspect": "b", "label": "independent"},
    ]))
    rel = _related(read_pairs(f))
    assert rel["A"] == {"A", "A2", "a1", "a1x"}
    assert rel["A2"] == {"A", "A2", "a1", "a1x"}
    assert "b" not in rel.get("B", set())


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
    if "public pairs" in m["by_source"]:
        assert m["by_source"]["public pairs"]["ece"] <= 0.10
    assert all(v >= 0 for v in cmap["coefficients"].values())
    t = cmap["thresholds"]
    assert t["distilled"]["false_positive_rate"] <= 0.05
    assert "calibrated on" in cmap["plain_summary"]
    assert "pair" in m["scheme"]
