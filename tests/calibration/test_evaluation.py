"""The likelihood ratio for Hp against Hd1: the monotone (PAV) estimate against an independent
computation, its bounds against what the validation counts can support, the verbal scale,
the posterior at stated priors and the held-out error rates."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from fingerprint.calibration._evaluation import (LR_THRESHOLD, error_rates, evaluate, fit_blocks,
                                                 max_supported_ratio, posterior,
                                                 ratio_with_bounds, verbal)


def _pav_by_hand(scores, labels):
    """Pool-adjacent-violators written out independently: merge blocks while their means fall."""
    order = np.argsort(scores, kind="stable")
    blocks = [[float(labels[i]), 1.0, scores[i], scores[i]] for i in order]  # sum, n, lo, hi
    blocks = [[1.0, 1.0, -math.inf, -math.inf]] + blocks + [[0.0, 1.0, math.inf, math.inf]]
    merged = []
    for b in blocks:
        merged.append(b)
        while len(merged) > 1 and (merged[-2][0] / merged[-2][1] >= merged[-1][0] / merged[-1][1]
                                   or merged[-2][3] == merged[-1][2]):
            s, n, lo, _ = merged[-2]
            s2, n2, _, hi2 = merged.pop()
            merged[-1] = [s + s2, n + n2, lo, hi2]
    return merged


def test_pav_ratio_matches_an_independent_computation():
    rng = np.random.default_rng(4)
    y = np.array([0] * 40 + [1] * 20)
    s = np.concatenate([rng.beta(2, 5, 40), rng.beta(5, 2, 20)])
    blocks = fit_blocks(s, y)
    by_hand = _pav_by_hand(s, y)
    n_pos, n_neg = 21, 41  # with the two dummies
    for score in (0.05, 0.3, 0.5, 0.7, 0.95):
        hand = next(b for b in by_hand if b[2] <= score <= b[3]) if any(
            b[2] <= score <= b[3] for b in by_hand) else None
        if hand is None:
            continue
        pos, neg = hand[0], hand[1] - hand[0]
        expected = (pos / n_pos) / (neg / n_neg) if neg else math.inf
        assert ratio_with_bounds(blocks, score, 20, 40)[0] == pytest.approx(expected)
    ratios = [b.ratio for b in blocks]
    assert ratios == sorted(ratios) and all(0 < r < math.inf for r in ratios)


@pytest.mark.parametrize("seed", range(6))
def test_bounds_never_exceed_the_ratio_nor_what_the_counts_support(seed):
    rng = np.random.default_rng(seed)
    n_neg, n_pos = int(rng.integers(10, 120)), int(rng.integers(5, 120))
    y = np.array([0] * n_neg + [1] * n_pos)
    s = np.concatenate([rng.normal(0, 1, n_neg), rng.normal(rng.uniform(0, 4), 1, n_pos)])
    blocks = fit_blocks(s, y)
    cap = max_supported_ratio(n_neg)
    assert cap == pytest.approx(1 / (1 - 0.05 ** (1 / n_neg)))
    for score in np.linspace(s.min() - 1, s.max() + 1, 60):
        lr, lower, upper = ratio_with_bounds(blocks, score, n_pos, n_neg)
        assert 0 <= lower <= lr
        assert lower <= cap + 1e-12
        assert upper is None or upper >= lr


def test_zero_of_seventy_two_supports_an_lr_of_order_twenty_not_ten_to_the_fifth():
    # the quick start's situation: every distilled case above every non-distilled one
    s = np.concatenate([np.linspace(0, 0.2, 72), np.linspace(0.8, 1, 24)])
    y = np.array([0] * 72 + [1] * 24)
    lr, lower, upper = ratio_with_bounds(fit_blocks(s, y), 0.999, 24, 72)
    assert lower < max_supported_ratio(72) < 25
    assert lower == pytest.approx(0.05 ** (1 / 24) / (1 - 0.05 ** (1 / 72)))
    assert upper is None and lr > lower


def test_verbal_scale_reads_the_conservative_bound():
    assert verbal(50, 12, None) == ("moderate support for Hp over Hd1", "Hp")
    assert verbal(5000, 1500, None)[0] == "strong support for Hp over Hd1"
    assert verbal(20000, 10001, None)[0] == "very strong support for Hp over Hd1"
    assert verbal(3, 0.8, 9)[1] == "neither"
    assert verbal(0.02, 0.001, 0.05) == ("moderate support for Hd1 over Hp", "Hd1")
    assert verbal(0.5, 0.1, 1.5)[1] == "neither"


def test_posterior_is_bayes_rule_on_the_odds():
    assert posterior(1.0, 0.3) == pytest.approx(0.3)
    assert posterior(38, 0.5) == pytest.approx(38 / 39)
    assert posterior(38, 0.01) == pytest.approx(38 * 0.01 / (38 * 0.01 + 0.99))


def _cmap(scores, labels):
    return {"held_out": [[f"pair-{i // 3}", int(y), float(s)]
                         for i, (s, y) in enumerate(zip(scores, labels))]}


def test_error_rates_hold_each_pair_out_and_carry_exact_intervals():
    rng = np.random.default_rng(8)
    labels = [0] * 60 + [1] * 30
    scores = list(rng.uniform(0, 0.5, 60)) + list(rng.uniform(0.6, 1.0, 30))
    rates = error_rates(_cmap(scores, labels), "test design")
    assert rates.negatives == 60 and rates.positives == 30
    assert rates.fpr == rates.false_positives / 60
    lo, hi = rates.tpr_ci
    k = rates.true_positives
    assert lo == pytest.approx(0 if k == 0 else sps.beta.ppf(0.025, k, 30 - k + 1))
    assert hi == pytest.approx(1 if k == 30 else sps.beta.ppf(0.975, k + 1, 30 - k))
    assert rates.false_positives == 0 and rates.true_positives > 0


def test_evaluation_without_controls_weighs_nothing():
    ev = evaluate(0.99, _cmap([0.1, 0.9], [0, 1]), prior=None, design="d", flags=(),
                  lineage=None, has_controls=False)
    assert ev.likelihood_ratio == 1 and ev.posterior == 0.5 and ev.supports == "neither"
    assert "without controls" in ev.verbal_scale


def test_evaluation_states_the_prior_and_a_sensitivity_row():
    s = list(np.linspace(0, 0.4, 50)) + list(np.linspace(0.6, 1, 50))
    y = [0] * 50 + [1] * 50
    ev = evaluate(0.95, _cmap(s, y), prior=0.2, design="d", flags=(), lineage=None,
                  has_controls=True)
    assert [r.prior for r in ev.sensitivity] == [0.01, 0.10, 0.50, 0.2]
    assert ev.posterior == pytest.approx(posterior(ev.likelihood_ratio, 0.2))
    assert all(r.posterior_lower <= r.posterior for r in ev.sensitivity)
    default = evaluate(0.95, _cmap(s, y), prior=None, design="d", flags=(), lineage=None,
                       has_controls=True)
    assert default.prior == 0.5 and "even prior" in default.prior_source
    assert default.lr_threshold == LR_THRESHOLD == 10
