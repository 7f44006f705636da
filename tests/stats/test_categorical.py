"""Categorical test and exact intervals: brute force, scipy cross-checks, calibration."""

from itertools import combinations

import numpy as np
import pytest
from scipy import stats as sps

from fingerprint.stats.categorical import categorical_test, clopper_pearson, rate


def _chi2(a, b):
    cats = sorted({str(v) for v in a + b})
    table = np.array([[sum(1 for v in a if str(v) == c) for c in cats],
                      [sum(1 for v in b if str(v) == c) for c in cats]])
    return sps.chi2_contingency(table, correction=False).statistic


def test_exact_p_value_equals_brute_force_over_all_relabellings():
    a, b = ["47", "47", "42", "37", None], ["42", "42", "42", "47", "72", "72"]
    res = categorical_test(a, b, rng=np.random.default_rng(0))
    assert res.method == "exact"
    pooled = [str(v) for v in a + b]
    obs = _chi2(a, b)
    vals = []
    for idx in combinations(range(11), 5):
        x = [pooled[i] for i in idx]
        y = [pooled[i] for i in range(11) if i not in idx]
        vals.append(_chi2(x, y))
    assert res.statistic == pytest.approx(obs)
    assert res.p_value == pytest.approx(np.mean(np.array(vals) >= obs - 1e-9), rel=1e-9)
    assert "<unparsed>" in res.categories


def test_permutation_branch_agrees_with_exact_and_with_chi2_for_large_counts():
    rng = np.random.default_rng(1)
    a = list(rng.choice(["x", "y", "z"], 60, p=[0.5, 0.3, 0.2]))
    b = list(rng.choice(["x", "y", "z"], 60, p=[0.3, 0.4, 0.3]))
    exact = categorical_test(a, b, rng=np.random.default_rng(2))
    perm = categorical_test(a, b, rng=np.random.default_rng(2), n_permutations=20000, exact_limit=1)
    assert exact.method == "exact" and perm.method == "permutation"
    assert perm.p_value == pytest.approx(exact.p_value, abs=0.01)
    a = list(rng.choice(["x", "y", "z"], 200, p=[0.5, 0.3, 0.2]))
    b = list(rng.choice(["x", "y", "z"], 200, p=[0.35, 0.4, 0.25]))
    big = categorical_test(a, b, rng=np.random.default_rng(2))
    asym = sps.chi2.sf(big.statistic, 2)  # large counts: the chi-square law applies
    assert big.p_value < 0.05 and big.p_value == pytest.approx(asym, rel=0.1)


def test_identical_samples_and_validation():
    res = categorical_test(["a", "a"], ["a"], rng=np.random.default_rng(0))
    assert res.p_value == 1.0 and res.statistic == 0.0 and res.total_variation == 0.0
    with pytest.raises(ValueError):
        categorical_test([], ["a"], rng=np.random.default_rng(0))
    with pytest.raises(ValueError):
        categorical_test("abc", ["a"], rng=np.random.default_rng(0))
    with pytest.raises(TypeError):
        categorical_test(["a"], ["b"], rng=None)


def test_clopper_pearson_matches_scipy_binomtest():
    for k, n in [(0, 10), (3, 10), (10, 10), (17, 40)]:
        ci = sps.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
        assert clopper_pearson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-10)
    r = rate(3, 12)
    assert r.rate == 0.25 and r.ci[0] < 0.25 < r.ci[1]
    with pytest.raises(ValueError):
        clopper_pearson(5, 3)


def test_null_calibration_small():
    """Same answer distribution on both sides: the conditional test is valid (FPR <= its
    99 % binomial band); its p-values are discrete, so they are super-uniform, not uniform."""
    rng = np.random.default_rng(5)
    probs = [0.5, 0.25, 0.15, 0.1]
    ps = np.array([categorical_test(list(rng.choice(4, 20, p=probs)), list(rng.choice(4, 20, p=probs)),
                                    rng=rng).p_value for _ in range(200)])
    hi = sps.binom.ppf(0.995, 200, 0.05)
    assert np.sum(ps <= 0.05) <= hi
    assert sps.kstest(ps, "uniform", alternative="greater").pvalue > 0.01  # not anti-conservative
