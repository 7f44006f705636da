"""The final label never says more than its numbers: over a grid of test outcomes,
likelihood ratios, bounds and lineage facts."""

from __future__ import annotations

import itertools

import pytest

from fingerprint.analysis import (Calibrated, CalibrationInfo, Evaluation, LineageRelation,
                                  ModelLineage, final_verdict)
from fingerprint.analysis import TestVerdict as _TestVerdict
from fingerprint.calibration import PROPOSITIONS
from fingerprint.calibration._evaluation import posterior

INFO = CalibrationInfo(name="t", version="0", file="t.json", segment=None, sha256="0" * 64,
                       trained_on=None, ece=None, ece_bins=None, bin_counts=None, brier=None,
                       cv_scheme=None, metrics=None, thresholds=None, plain_summary=None)


def _test(label: str) -> _TestVerdict:
    return _TestVerdict(label=label, p_value=0.001 if label == "distilled" else 0.4,
                       p_value_equality=0.001, summary=f"test says {label}.", reasons=("r",),
                       more_data_needed=None, alpha=0.05, alpha_equality=0.01,
                       test_statistic=3.0, n_probes_tested=79, compared="79 probes",
                       single_sample=False)


def _lineage(shared: tuple[str, ...]) -> LineageRelation:
    m = ModelLineage(model="x", developer=(), base=(), data=(), source="registry")
    return LineageRelation(reference=m, suspect=m, shared=shared, relatives_in_panel=(),
                           registry="r")


def _calibrated(lr: float, lower: float, shared: tuple[str, ...] = ()) -> Calibrated:
    ev = Evaluation(propositions=PROPOSITIONS, statistic=0.5, likelihood_ratio=lr,
                    likelihood_ratio_lower=lower, likelihood_ratio_upper=None,
                    log10_likelihood_ratio=0.0, verbal_scale="v", supports="Hp",
                    lr_threshold=10.0, prior=0.5, prior_source="even", posterior=posterior(lr, .5),
                    sensitivity=(), error_rates=None, flags=(), lineage=_lineage(shared),
                    method="m", validation="val")
    return Calibrated(probability=posterior(lr, 0.5), probability_at_base_rate=0.5,
                      likelihood_ratio=lr, log10_likelihood_ratio=0.0, prior=0.5,
                      prior_source="even", calibration=INFO, label_from_calibration=None,
                      missing_evidence=(), evaluation=ev)


GRID = list(itertools.product(
    ("distilled", "independent", "inconclusive", "same_model"),
    (0.05, 0.5, 1.0, 3.0, 9.0, 30.0, 1e4),  # LR
    (0.01, 0.3, 0.9, 1.0),  # lower bound as a fraction of the LR
    ((), ("developer: Meta",))))


@pytest.mark.parametrize("test_label, lr, frac, shared", GRID)
def test_labels_never_contradict_their_numbers(test_label, lr, frac, shared):
    lower = lr * frac
    v = final_verdict(_test(test_label), _calibrated(lr, lower, shared), has_controls=True)
    even = posterior(lr, 0.5)
    if v.label == "distilled":
        assert test_label == "distilled" and lower >= 10 and not shared
        assert even >= 0.9 and v.probability >= 0.5
    if v.label == "related":
        assert test_label == "distilled" and lower >= 10 and shared
    if v.label == "independent":
        assert lower < 10
        if lr > 1:
            assert any("above 1" in r for r in v.reasons), "an LR above 1 must be explained"
    if test_label == "same_model":
        assert v.label == "same_model"
    assert v.label != "not_same_model"


@pytest.mark.parametrize("test_label", ["independent", "not_same_model"])
def test_without_controls_the_label_is_not_the_same_model(test_label):
    v = final_verdict(_test(test_label), _calibrated(1.0, 1.0), has_controls=False)
    assert v.label == "not_same_model"
    assert v.summary.startswith("Not the same model — no distillation test without controls")
    assert "independent" not in v.label


def test_a_known_shared_lineage_turns_distilled_into_related():
    v = final_verdict(_test("distilled"), _calibrated(50, 13, ("base: Llama 3",)),
                      has_controls=True)
    assert v.label == "related" and "base: Llama 3" in v.summary
