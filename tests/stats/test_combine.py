"""Combination and multiple-testing corrections against closed forms and scipy."""

import numpy as np
import pytest
from scipy import stats as sps

from fingerprint.stats.bootstrap import mean_ci, percentile_ci
from fingerprint.stats.combine import benjamini_hochberg, cauchy_combination, holm


def test_cauchy_closed_forms():
    assert cauchy_combination([0.2]) == pytest.approx(0.2)
    assert cauchy_combination([0.03, 0.03, 0.03]) == pytest.approx(0.03)
    p = np.array([0.01, 0.2, 0.7])
    t = np.mean(np.tan((0.5 - p) * np.pi))
    assert cauchy_combination(p) == pytest.approx(sps.cauchy.sf(t))
    assert cauchy_combination([1e-20, 0.5]) == pytest.approx(2e-20, rel=1e-6)
    assert cauchy_combination([0.0, 0.4]) == 0.0
    with pytest.raises(ValueError):
        cauchy_combination([1.2])
    with pytest.raises(ValueError):
        cauchy_combination([])


def test_cauchy_is_uniform_under_independent_nulls():
    rng = np.random.default_rng(0)
    ps = np.array([cauchy_combination(rng.random(10)) for _ in range(400)])
    assert sps.kstest(ps, "uniform").pvalue > 0.01


def test_holm_matches_its_definition():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    m = len(p)
    order = np.argsort(p)
    brute = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        brute[i] = running
    assert holm(p) == pytest.approx(brute)


def test_bh_matches_scipy():
    rng = np.random.default_rng(1)
    p = rng.random(30) ** 2
    assert benjamini_hochberg(p) == pytest.approx(sps.false_discovery_control(p, method="bh"))


def test_bootstrap_mean_ci_agrees_with_scipy():
    x = np.random.default_rng(2).normal(1.0, 2.0, 60)
    ours = mean_ci(x, np.random.default_rng(3), n_boot=4000)
    ref = sps.bootstrap((x,), np.mean, n_resamples=4000, method="percentile",
                        rng=np.random.default_rng(4)).confidence_interval
    assert ours[0] == pytest.approx(ref.low, abs=0.12) and ours[1] == pytest.approx(ref.high, abs=0.12)
    assert percentile_ci(np.array([np.nan])) == (None, None)


def test_truncated_cauchy_cannot_be_driven_to_one_by_a_few_p_values_of_one():
    from fingerprint.stats import cauchy_combination

    ps = [1e-4] * 76 + [1.0] * 3
    assert cauchy_combination(ps) > 0.99  # the degenerate case the truncation removes
    truncated = cauchy_combination(ps, truncate=0.99)
    assert truncated < 0.01
    # truncation changes nothing when no p-value exceeds the cap
    assert cauchy_combination([0.2, 0.5, 0.9], truncate=0.99) == cauchy_combination([0.2, 0.5, 0.9])
