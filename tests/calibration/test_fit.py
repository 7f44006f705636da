"""The calibration machinery on synthetic data whose true probabilities are known."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from fingerprint._records import to_json
from fingerprint.calibration import _metrics as cm
from fingerprint.calibration import apply_calibration, load_calibration, posterior
from fingerprint.calibration import (Case, build_map, choose_thresholds, fit_logistic, fit_map,
                                     format_metrics, label_for)
from fingerprint.calibration import write_reliability
from fingerprint.calibration._fit import cross_validated, grouped_folds
from fingerprint.stats.roc import roc_auc
from fingerprint.errors import CalibrationError


def _calibrate(evidence, **options):
    """apply_calibration's result as report.json holds it."""
    return to_json(apply_calibration(evidence, **options))


def _logistic_data(rng, n, w, b):
    x = rng.normal(size=(n, len(w)))
    p = 1 / (1 + np.exp(-(x @ w + b)))
    return x, (rng.random(n) < p).astype(float), p


def test_fit_logistic_recovers_known_coefficients():
    rng = np.random.default_rng(0)
    x, y, _ = _logistic_data(rng, 20000, np.array([1.5, 0.5]), -0.3)
    w, b = fit_logistic(x, y, ridge=1.0)
    assert w == pytest.approx([1.5, 0.5], abs=0.08)
    assert b == pytest.approx(-0.3, abs=0.06)


def test_coefficients_are_non_negative_so_the_map_is_monotone():
    rng = np.random.default_rng(1)
    x, y, _ = _logistic_data(rng, 4000, np.array([2.0, -1.0]), 0.0)
    w, _ = fit_logistic(x, y)
    assert w[0] > 1.5 and w[1] == 0.0
    w_free, _ = fit_logistic(x, y, nonnegative=False)
    assert w_free[1] < -0.7


def test_ridge_keeps_separable_data_finite():
    x = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    w, _ = fit_logistic(x, y, ridge=1.0)
    assert 0 < w[0] < 10


def test_one_class_is_refused():
    with pytest.raises(CalibrationError):
        fit_logistic(np.zeros((3, 1)), np.ones(3))


def test_grouped_folds_keep_every_pair_in_one_fold():
    rng = np.random.default_rng(2)
    groups = [f"pair{i % 7}" for i in range(40)]
    folds = grouped_folds(groups, rng)
    assert len(folds) == 7  # leave-one-pair-out
    assert sorted(np.concatenate(folds).tolist()) == list(range(40))
    for test in folds:
        assert len({groups[i] for i in test}) == 1
    many = [f"pair{i % 100}" for i in range(300)]
    folds = grouped_folds(many, rng)
    assert len(folds) == 10
    for test in folds:
        held = {many[i] for i in test}
        rest = {many[i] for i in set(range(300)) - set(test.tolist())}
        assert not held & rest


def test_cross_validation_is_out_of_sample():
    """A pair whose cases are all memorable outliers is predicted without seeing them: a
    map trained on the other pairs gives it the probability the other pairs imply."""
    rng = np.random.default_rng(3)
    groups, xs, ys = [], [], []
    for g in range(12):
        label = g % 2
        for _ in range(10):
            groups.append(f"p{g}")
            xs.append([rng.normal(1.0 if label else -1.0)])
            ys.append(label)
    groups += ["odd"] * 10  # a negative pair that looks strongly distilled
    xs += [[3.0]] * 10
    ys += [0] * 10
    p, scheme = cross_validated(np.array(xs), np.array(ys, float), groups, ["x"], rng=rng)
    assert "leave-one-pair-out over 13 pairs" == scheme
    assert np.all(p[-10:] > 0.8)  # in-sample fitting would have pulled these down


def test_metrics_on_hand_computed_values():
    p = [0.05, 0.15, 0.15, 0.95]
    y = [0, 0, 1, 1]
    bins = cm.reliability_bins(p, y)
    assert [b["count"] for b in bins] == [1, 2, 0, 0, 0, 0, 0, 0, 0, 1]
    # |0 − .05|·1 + |.5 − .15|·2 + |1 − .95|·1, over 4
    assert cm.expected_calibration_error(p, y) == pytest.approx((0.05 + 0.7 + 0.05) / 4)
    assert cm.brier_score(p, y) == pytest.approx((0.05**2 + 0.15**2 + 0.85**2 + 0.05**2) / 4)
    assert roc_auc(np.asarray(p)[np.asarray(y) == 1], np.asarray(p)[np.asarray(y) == 0]) == pytest.approx((1 + 1 + 0.5 + 1) / 4)
    assert cm.expected_calibration_error([1.0], [1]) == 0.0


def test_ece_separates_calibrated_from_miscalibrated_probabilities():
    rng = np.random.default_rng(4)
    p = rng.random(20000)
    y = (rng.random(20000) < p).astype(float)
    assert cm.expected_calibration_error(p, y) < 0.02
    assert cm.expected_calibration_error(p**3, y) > 0.15


def test_ece_noise_reference_tells_sampling_noise_from_miscalibration():
    """With 40 pairs a perfectly calibrated map still shows an ECE well above 0; the
    reference says how much, and flags real miscalibration."""
    rng = np.random.default_rng(3)
    pair_p = rng.uniform(0.05, 0.95, size=40)
    groups = [f"pair{i}" for i in range(40) for _ in range(3)]
    p = np.repeat(pair_p, 3) + rng.normal(0, 0.03, size=120).clip(-0.04, 0.04)
    y = np.repeat((rng.random(40) < pair_p).astype(float), 3)
    calibrated = cm.ece_if_calibrated(p, y, groups, rng=np.random.default_rng(0), draws=400)
    assert 0.04 < calibrated["mean"] < calibrated["upper95"] < 0.25
    assert calibrated["p_value"] > 0.05
    shifted = np.clip(p + 0.3, 0, 1)  # overconfident by 0.3 everywhere
    wrong = cm.ece_if_calibrated(shifted, y, groups, rng=np.random.default_rng(0), draws=400)
    assert cm.expected_calibration_error(shifted, y) > wrong["upper95"] and wrong["p_value"] < 0.01


def test_thresholds_meet_their_error_rates_and_are_the_smallest_that_do():
    rng = np.random.default_rng(5)
    p = np.concatenate([rng.beta(2, 5, 200), rng.beta(5, 2, 200)])
    y = np.concatenate([np.zeros(200), np.ones(200)])
    t = choose_thresholds(p, y)
    d, i = t["distilled"], t["independent"]
    neg, pos = p[y == 0], p[y == 1]
    assert np.mean(neg >= d["probability"]) <= 0.05
    below = p[p < d["probability"]].max()
    assert np.mean(neg >= below) > 0.05  # any smaller threshold breaks the target
    assert np.mean(pos <= i["probability"]) <= 0.05
    assert d["false_positives"] == int(np.sum(neg >= d["probability"]))
    assert d["false_positive_rate"] <= d["false_positive_rate_upper95"] <= 1
    assert label_for(0.999, t) == "distilled"
    assert label_for(0.001, t) == "independent"
    assert label_for((d["probability"] + i["probability"]) / 2, t) == "inconclusive"
    assert label_for(0.5, None) is None


def _synthetic_cases(seed=6, pairs=16, reps=12):
    rng = np.random.default_rng(seed)
    cases = []
    for g in range(pairs):
        label = int(g < pairs // 2)
        shift = rng.normal(2.0 if label else 0.0, 0.5)
        for _ in range(reps):
            z = shift + rng.normal()
            cases.append(Case(pair=f"ref -> s{g}", label=label, source="synthetic",
                              kind="student" if label else "independent",
                              evidence={"z": z, "effect": z / 3 + rng.normal(0, 0.2)}))
    cases += [Case(pair="ref -> wrapped", label=None, source="synthetic", kind="same_model",
                   evidence={"z": 8.0, "effect": 3.0}) for _ in range(3)]
    return cases


@pytest.fixture(scope="module")
def synthetic_map(tmp_path_factory):
    cmap = build_map(_synthetic_cases(), ["z", "effect"], name="synthetic-test", version="0.1",
                     seed=0)
    path = tmp_path_factory.mktemp("cal") / "synthetic.json"
    path.write_text(json.dumps(cmap, indent=2))
    return cmap, path


def test_build_map_records_everything_a_report_needs(synthetic_map):
    cmap, path = synthetic_map
    data, sha, name = load_calibration(path)
    assert name == "synthetic.json" and len(sha) == 64
    m = data["metrics"]
    assert m["scheme"] == "leave-one-pair-out over 16 pairs"
    assert sum(m["overall"]["bin_counts"]) == m["overall"]["n"] == 16 * 12
    assert m["overall"]["ece_bins"] == 10
    assert m["same_model"]["cases"] == 3  # reported, not fitted
    assert data["trained_on"]["pairs"] == 16
    assert all(c >= 0 for c in data["coefficients"].values())
    assert "16 pairs of known lineage" in data["plain_summary"]
    assert "ECE=" in format_metrics(data)
    # out-of-sample predictions of a well-separated synthetic problem are well calibrated
    assert m["overall"]["ece"] < 0.1 and m["overall"]["auc"] > 0.9


def test_apply_calibration_names_the_file_and_gives_a_label(synthetic_map):
    _, path = synthetic_map
    out = _calibrate({"z": 4.0, "effect": 1.3}, calibration_file=str(path))
    cal = out["calibration"]
    assert cal["name"] == "synthetic-test" and cal["file"] == "synthetic.json"
    assert cal["sha256"] == load_calibration(path)[1]
    ev = out["evaluation"]
    # 96 non-distilled validation cases support a bound of at most about 31; the top block
    # here holds 27 of 96 distilled cases, so its bound stays below the threshold of 10
    assert ev["likelihood_ratio"] > 10 > ev["likelihood_ratio_lower"]
    assert out["label_from_calibration"] == "inconclusive"
    assert out["missing_evidence"] == []
    low = _calibrate({"z": -2.0, "effect": -0.7}, calibration_file=str(path))
    assert low["evaluation"]["likelihood_ratio_upper"] < 1
    assert low["label_from_calibration"] == "independent"
    assert low["probability"] < 0.1 < 0.9 < out["probability"]
    gap = _calibrate({"effect": 1.3}, calibration_file=str(path))
    assert gap["missing_evidence"] == ["z"]


@pytest.mark.parametrize("prior", [0.001, 0.1, 0.5, 0.9])
def test_prior_moves_probability_exactly_as_bayes_rule(synthetic_map, prior):
    _, path = synthetic_map
    evidence = {"z": 1.7, "effect": 0.4}
    base = _calibrate(evidence, calibration_file=str(path))
    mine = _calibrate(evidence, calibration_file=str(path), prior=prior)
    lr = base["likelihood_ratio"]
    assert mine["likelihood_ratio"] == pytest.approx(lr)
    odds = mine["probability"] / (1 - mine["probability"])
    assert odds == pytest.approx(lr * prior / (1 - prior), rel=1e-9)
    assert mine["prior"] == prior and mine["prior_source"] == "your prior (--prior)"
    # the prior restates the probability; the label does not change with it
    assert mine["label_from_calibration"] == base["label_from_calibration"]
    # without --prior the probability is the posterior at an even prior, said in words
    assert base["prior"] == 0.5 and "even prior" in base["prior_source"]
    assert base["probability"] == pytest.approx(lr / (1 + lr))
    assert math.log10(lr) == pytest.approx(base["log10_likelihood_ratio"])
    assert mine["evaluation"]["posterior"] == pytest.approx(mine["probability"])


def test_posterior_is_bayes_rule_on_the_odds():
    assert posterior(1.0, 0.3) == pytest.approx(0.3)
    assert posterior(3.0, 0.5) == pytest.approx(0.75)
    with pytest.raises(CalibrationError):
        posterior(2.0, 1.0)


def test_without_controls_the_probability_is_the_prior(synthetic_map):
    _, path = synthetic_map
    out = _calibrate({"z": 9.0, "effect": 3.0}, calibration_file=str(path),
                            prior=0.2, has_controls=False)
    assert out["probability"] == 0.2 and out["likelihood_ratio"] == 1.0
    assert out["label_from_calibration"] == "inconclusive"


def test_reliability_diagram_is_a_reproducible_png(synthetic_map, tmp_path):
    cmap, _ = synthetic_map
    a = write_reliability(cmap, tmp_path / "a.png", marker=0.7)
    b = write_reliability(cmap, tmp_path / "b.png", marker=0.7)
    assert a.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert a.read_bytes() == b.read_bytes()
    with pytest.raises(ValueError):
        write_reliability({"metrics": {}}, tmp_path / "c.png")


def test_bad_calibration_files_raise_one_clear_error(tmp_path):
    with pytest.raises(CalibrationError, match="does not exist"):
        load_calibration(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(CalibrationError, match="not valid JSON"):
        load_calibration(bad)
    bad.write_text(json.dumps({"version": "1"}))
    with pytest.raises(CalibrationError, match="lacks"):
        load_calibration(bad)


def test_fit_map_clips_to_the_training_range():
    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    fm = fit_map(x, y, ["z"])
    assert fm.probability(np.array([[100.0]]))[0] == pytest.approx(fm.probability(np.array([[3.0]]))[0])


def test_single_and_multi_sample_runs_are_calibrated_apart(tmp_path):
    from fingerprint.calibration import build_calibration

    multi = _synthetic_cases(seed=7)
    single = []
    for c in _synthetic_cases(seed=8, pairs=10):
        ev = {"z": c.evidence["z"] / 2, "effect": c.evidence["effect"] / 2, "single_sample": 1}
        single.append(Case(pair="corpus " + c.pair, label=c.label, evidence=ev, source="corpus",
                           kind=c.kind))
    both = {"multi_sample": ["z", "effect"], "single_sample": ["z"]}
    cmap = build_calibration(multi + single, both, name="two", version="1")
    assert cmap["segments"]["single_sample"]["features"] == ["z"]
    assert set(cmap["segments"]) == {"multi_sample", "single_sample"}
    assert cmap["segments"]["single_sample"]["trained_on"]["pairs"] == 10
    assert set(cmap["metrics"]["by_source"]) == {"synthetic", "corpus"}
    path = tmp_path / "two.json"
    path.write_text(json.dumps(cmap))
    ev = {"z": 1.0, "effect": 0.3}
    a = _calibrate(ev, calibration_file=str(path))
    b = _calibrate(dict(ev, single_sample=1), calibration_file=str(path))
    assert a["calibration"]["segment"] == "multi_sample" and b["calibration"]["segment"] == "single_sample"
    assert a["probability"] != b["probability"]
    only_multi = tmp_path / "multi.json"
    only_multi.write_text(json.dumps(build_calibration(multi, both, name="m", version="1")))
    c = _calibrate(dict(ev, single_sample=1), calibration_file=str(only_multi))
    assert "fitted on runs with several answers" in c["calibration_note"]
