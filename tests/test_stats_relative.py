"""Relative-similarity test: closed form, enumeration, scipy cross-check, null calibration."""

from itertools import combinations

import numpy as np
import pytest
from scipy import stats as sps

from fingerprint.stats.bootstrap import relative_replicates, within_mean
from fingerprint.stats.mmd import mmd2_unbiased
from fingerprint.stats.relative import (PooledResult, panel_test, pooled_relative_test,
                                        relative_statistic, relative_test, sign_flip_null)


def _gram(*parts):
    z = np.vstack(parts)
    return z @ z.T


def test_statistic_is_difference_of_two_mmds():
    rng = np.random.default_rng(0)
    r, s, c = rng.normal(size=(5, 3)), rng.normal(0.2, 1, (4, 3)), rng.normal(1, 1, (6, 3))
    k = _gram(r, s, c)
    ri, si, ci = np.arange(5), np.arange(5, 9), np.arange(9, 15)
    mmd_cr = mmd2_unbiased(_gram(c, r), 6)
    mmd_sr = mmd2_unbiased(_gram(s, r), 4)
    assert relative_statistic(k, ri, si, ci) == pytest.approx(mmd_cr - mmd_sr, rel=1e-12)
    res = relative_test(k, ri, si, ci, rng=np.random.default_rng(1), n_permutations=99)
    assert res.mmd2_control == pytest.approx(mmd_cr) and res.mmd2_suspect == pytest.approx(mmd_sr)


def test_p_value_agrees_with_enumeration_of_suspect_control_splits():
    rng = np.random.default_rng(2)
    r, s, c = rng.normal(size=(4, 2)), rng.normal(0.3, 1, (4, 2)), rng.normal(1.5, 1, (4, 2))
    k = _gram(r, s, c)
    ri, pool = np.arange(4), np.arange(4, 12)
    obs = relative_statistic(k, ri, pool[:4], pool[4:])
    vals = [relative_statistic(k, ri, pool[list(a)], pool[[i for i in range(8) if i not in a]])
            for a in combinations(range(8), 4)]
    exact = np.mean(np.array(vals) >= obs - 1e-12)
    res = relative_test(k, ri, pool[:4], pool[4:], rng=np.random.default_rng(3),
                        n_permutations=20000)
    assert res.p_value == pytest.approx(exact, abs=0.01)


def test_pooled_test_matches_scipy_ttest_and_panel_is_max():
    d = np.array([0.3, -0.1, 0.5, 0.2, 0.05, 0.4])
    res = pooled_relative_test(d)
    ref = sps.ttest_1samp(d, 0.0, alternative="greater")
    assert res.statistic == pytest.approx(ref.statistic) and res.p_value == pytest.approx(ref.pvalue)
    other = pooled_relative_test(d - 0.2)
    panel = panel_test([res, other])
    assert panel.p_value == max(res.p_value, other.p_value) and panel.weakest_control == 1
    assert panel.statistic == min(res.statistic, other.statistic)
    with pytest.raises(ValueError):
        pooled_relative_test([1.0])
    with pytest.raises(ValueError):
        panel_test([])
    assert isinstance(res, PooledResult)


def test_sizes_and_rng_are_validated():
    k = np.eye(6)
    with pytest.raises(ValueError):
        relative_test(k, [0], [1], [2, 3], rng=np.random.default_rng(0))
    with pytest.raises(TypeError):
        relative_test(k, [0], [1, 2], [3, 4], rng=1)


def test_bootstrap_with_unit_counts_reproduces_the_statistic():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(5, 3))
    kx = x @ x.T
    w = within_mean(kx, np.ones((1, 5)))[0]
    assert w == pytest.approx((kx.sum() - np.trace(kx)) / 20)
    # duplicates never pair a sample with itself
    c = np.array([[2.0, 0, 0, 0, 3]])
    brute = (2 * 3 * kx[0, 4] * 2) / (25 - 13)
    assert within_mean(kx, c)[0] == pytest.approx(brute)
    r, s, cc = rng.normal(size=(6, 3)), rng.normal(size=(6, 3)), rng.normal(2, 1, (6, 3))
    reps = relative_replicates(_gram(r, s, cc), np.arange(6), np.arange(6, 12), [np.arange(12, 18)],
                               np.random.default_rng(5), 300)
    assert reps.shape == (300, 1) and np.nanmean(reps) > 0


def test_null_calibration_small():
    """Suspect and control from one distribution: per-probe and pooled p-values uniform."""
    rng = np.random.default_rng(77)
    per_probe, pooled = [], []
    for _ in range(200):
        d = []
        for p in range(8):
            shift = rng.normal(size=3)
            r = rng.normal(size=(6, 3)) + shift
            s, c = rng.normal(size=(6, 3)) * (1 + p / 8), rng.normal(size=(6, 3)) * (1 + p / 8)
            k = _gram(r, s, c)
            if p == 0:
                per_probe.append(relative_test(k, np.arange(6), np.arange(6, 12), np.arange(12, 18),
                                               rng=rng, n_permutations=199).p_value)
            d.append(relative_statistic(k, np.arange(6), np.arange(6, 12), np.arange(12, 18)))
        pooled.append(pooled_relative_test(np.array(d)).p_value)
    lo, hi = sps.binom.ppf([0.005, 0.995], 200, 0.05)
    for ps in (np.array(per_probe), np.array(pooled)):
        assert sps.kstest(ps, "uniform").pvalue > 0.01
        assert lo <= np.sum(ps <= 0.05) <= hi
    null = sign_flip_null(np.array(d), np.random.default_rng(0), 200)
    assert null.shape == (200,) and np.all(np.isfinite(null))
