"""Relative-similarity test: closed form, enumeration, scipy cross-check, null calibration."""

from itertools import combinations

import numpy as np
import pytest
from scipy import stats as sps

from fingerprint.stats.bootstrap import relative_replicates, within_mean
from fingerprint.stats.mmd import mmd2_unbiased
from fingerprint.stats.relative import (PooledResult, panel_test, pooled_relative_test,
                                        relative_statistic, relative_test, sign_flip_null,
                                        suspect_centred_statistic)


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


def test_suspect_centred_statistic_is_difference_of_two_mmds():
    rng = np.random.default_rng(10)
    r, s, c = rng.normal(size=(5, 3)), rng.normal(0.2, 1, (4, 3)), rng.normal(1, 1, (6, 3))
    k = _gram(r, s, c)
    ri, si, ci = np.arange(5), np.arange(5, 9), np.arange(9, 15)
    mmd_sc = mmd2_unbiased(_gram(s, c), 4)
    mmd_sr = mmd2_unbiased(_gram(s, r), 4)
    assert suspect_centred_statistic(k, ri, si, ci) == pytest.approx(mmd_sc - mmd_sr, rel=1e-12)
    # one suspect sample suffices (its within-sample term cancels), two references do not
    assert np.isfinite(suspect_centred_statistic(k, ri, si[:1], ci))
    with pytest.raises(ValueError):
        suspect_centred_statistic(k, ri[:1], si, ci)


def test_bootstrap_replicates_of_both_comparisons_share_resamples():
    rng = np.random.default_rng(11)
    r, s, c = rng.normal(size=(6, 3)), rng.normal(size=(6, 3)) + 1.5, rng.normal(2, 1, (6, 3))
    k = _gram(r, s, c)
    idx = np.arange(6), np.arange(6, 12), [np.arange(12, 18)]
    both = relative_replicates(k, *idx, np.random.default_rng(5), 300, suspect_centred=True)
    one = relative_replicates(k, *idx, np.random.default_rng(5), 300)
    assert both.shape == (300, 2)
    np.testing.assert_allclose(both[:, :1], one, rtol=1e-12)
    obs = suspect_centred_statistic(k, *idx[:2], idx[2][0])
    assert abs(np.nanmedian(both[:, 1]) - obs) < 0.5 * abs(obs)


def _iut_p(rng, mu_r, mu_s, mu_c, n_probes=8, n=6):
    """Panel p of the two pooled comparisons for Gaussian 'answers' with the given means."""
    d, d2 = [], []
    for _ in range(n_probes):
        k = _gram(rng.normal(size=(n, 2)) + mu_r, rng.normal(size=(n, 2)) + mu_s,
                  rng.normal(size=(n, 2)) + mu_c)
        idx = np.arange(n), np.arange(n, 2 * n), np.arange(2 * n, 3 * n)
        d.append(relative_statistic(k, *idx))
        d2.append(suspect_centred_statistic(k, *idx))
    return panel_test([pooled_relative_test(d), pooled_relative_test(d2)]).p_value


def test_intersection_union_is_exact_on_both_boundaries_of_the_null():
    """Linear kernel: MMD² is the squared distance of the means.  Boundary of the first
    comparison: S and C equally far from R, S far closer to R than to C.  Boundary of the
    second: R and C equally far from S, C far from R.  Inside the null (a hub suspect at the
    centre of R and C) the panel test is conservative."""
    rng = np.random.default_rng(12)
    lo, hi = sps.binom.ppf([0.005, 0.995], 200, 0.05)
    o, e = np.zeros(2), np.array([2.0, 0.0])
    for mus in ((o, e, -e), (e, o, -e)):
        ps = np.array([_iut_p(rng, *mus) for _ in range(200)])
        assert sps.kstest(ps, "uniform").pvalue > 0.01
        assert lo <= np.sum(ps <= 0.05) <= hi
    hub = np.array([_iut_p(rng, e, o, -e + np.array([0, 0.5])) for _ in range(200)])
    assert np.sum(hub <= 0.05) <= hi
