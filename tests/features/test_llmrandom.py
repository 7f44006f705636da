"""The choice extractor and the categorical test on real LLM answers (llmrandom corpus).

Three vendors' models answered "Pick a random number from 0 - 100" 200 times per
temperature.  The extractor must read every answer, and the categorical test must tell the
models apart but not two halves of one model's samples.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from fingerprint.features.extract import normalize_choice
from fingerprint.stats.categorical import categorical_test
from fingerprint.suite import load_suite
from fakes.paths import CORPORA

MODELS = ("O", "C", "G")  # gpt-3.5-turbo, claude-3-haiku, gemini-1.0-pro (see the README)


@pytest.fixture(scope="module")
def answers() -> dict[tuple[str, str], list[str | None]]:
    path = CORPORA / "llmrandom" \
        / "llmrandom.json"
    if not path.is_file():
        pytest.skip("the llmrandom corpus is not beside this checkout")
    raw = json.loads(path.read_text(encoding="utf-8"))
    answer = load_suite().get("random-number-0-100").answer  # the suite's own probe, same prompt
    out: dict[tuple[str, str], list[str | None]] = {}
    for key in sorted(raw, key=lambda k: (k.split(",")[0], k.split(",")[1], int(k.split(",")[2]))):
        model, temp, _ = key.split(",")
        out.setdefault((model, temp), []).append(normalize_choice(raw[key], answer))
    return out


def test_every_answer_is_read(answers):
    for (model, temp), labels in answers.items():
        assert len(labels) == 200
        assert all(lab is not None and 0 <= int(lab) <= 100 for lab in labels), (model, temp)
    assert answers[("C", "0.00")].count("42") >= 190  # the README's modes at T=0
    assert answers[("O", "0.00")].count("47") == 200
    assert answers[("G", "0.00")].count("72") == 200


def test_vendors_apart_with_50_samples_at_t1(answers):
    # The first 50 samples of each model, in collection order.  This is at the edge of
    # the test's power (see docs/probes.md): other 50-sample blocks do not always reach it.
    rng = np.random.default_rng(20240415)
    for a, b in itertools.combinations(MODELS, 2):
        result = categorical_test(answers[(a, "1.00")][:50], answers[(b, "1.00")][:50],
                                  rng=rng, n_permutations=19999)
        assert result.p_value < 1e-3, (a, b, result.p_value)


def test_vendors_apart_with_all_samples_at_t1(answers):
    rng = np.random.default_rng(7)
    for a, b in itertools.combinations(MODELS, 2):
        result = categorical_test(answers[(a, "1.00")], answers[(b, "1.00")], rng=rng,
                                  n_permutations=9999)
        assert result.p_value < 1e-3 and result.total_variation > 0.4, (a, b)


def test_halves_of_one_model_not_apart(answers):
    rng = np.random.default_rng(11)
    for model in MODELS:
        labels = answers[(model, "1.00")]
        order = rng.permutation(len(labels))
        first = [labels[i] for i in order[:100]]
        second = [labels[i] for i in order[100:]]
        result = categorical_test(first, second, rng=rng, n_permutations=4999)
        assert result.p_value > 0.01, (model, result.p_value)
        blocks = categorical_test(labels[:50], labels[50:100], rng=rng, n_permutations=4999)
        assert blocks.p_value > 0.01, (model, blocks.p_value)
