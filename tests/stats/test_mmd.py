"""MMD²: agreement with brute force, exact permutation enumeration, and null calibration."""

from itertools import combinations

import numpy as np
import pytest
from scipy import stats as sps

from fingerprint.stats.mmd import mmd2_unbiased, mmd_test, rbf_from_linear
from fingerprint.stats.perm import monte_carlo_p, sequential_p_value


def brute_mmd2(x, y, kern):
    m, n = len(x), len(y)
    xx = sum(kern(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(kern(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(kern(a, b) for a in x for b in y) / (m * n)
    return xx + yy - 2 * xy


def test_unbiased_mmd_matches_brute_force_and_linear_closed_form():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 3)), rng.normal(0.5, 1, size=(5, 3))
    z = np.vstack([x, y])
    k = z @ z.T
    got = mmd2_unbiased(k, 6)
    assert got == pytest.approx(brute_mmd2(x, y, np.dot), rel=1e-12)
    # linear kernel closed form: |sum x|^2 - sum |x_i|^2 etc.
    sx, sy = x.sum(0), y.sum(0)
    closed = ((sx @ sx - (x * x).sum()) / 30 + (sy @ sy - (y * y).sum()) / 20 - 2 * sx @ sy / 30)
    assert got == pytest.approx(closed, rel=1e-12)
    g = np.exp(-((z[:, None] - z[None]) ** 2).sum(-1))
    assert mmd2_unbiased(g, 6) == pytest.approx(
        brute_mmd2(x, y, lambda a, b: np.exp(-((a - b) ** 2).sum())), rel=1e-12)


def test_permutation_p_value_agrees_with_full_enumeration():
    rng = np.random.default_rng(1)
    z = np.vstack([rng.normal(0.8, 1, size=(5, 2)), rng.normal(size=(5, 2))])
    k = z @ z.T
    obs = mmd2_unbiased(k, 5)
    vals = []
    for a in combinations(range(10), 5):
        order = list(a) + [i for i in range(10) if i not in a]
        vals.append(mmd2_unbiased(k[np.ix_(order, order)], 5))
    exact = np.mean(np.array(vals) >= obs - 1e-12)
    res = mmd_test(k, 5, rng=np.random.default_rng(2), n_permutations=20000)
    assert res.p_value == pytest.approx(exact, abs=0.01)
    assert res.statistic == pytest.approx(obs)


def test_inputs_are_validated():
    k = np.eye(4)
    with pytest.raises(ValueError):
        mmd2_unbiased(np.ones((3, 4)), 2)
    with pytest.raises(ValueError):
        mmd2_unbiased(k, 1)
    with pytest.raises(TypeError):
        mmd_test(k, 2, rng=0)
    bad = np.eye(4)
    bad[0, 0] = np.nan
    with pytest.raises(ValueError):
        mmd2_unbiased(bad, 2)


def test_same_seed_same_result_and_rbf_is_a_kernel():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(12, 4))
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    k = z @ z.T
    a = mmd_test(k, 6, rng=np.random.default_rng(9))
    b = mmd_test(k, 6, rng=np.random.default_rng(9))
    assert a == b
    g = rbf_from_linear(k)
    assert np.allclose(np.diag(g), 1.0) and np.all(np.linalg.eigvalsh(g) > -1e-9)


def test_sequential_p_value_is_besag_clifford():
    rng = np.random.default_rng(4)
    p, used = sequential_p_value(10.0, lambda b: rng.normal(size=b), 100, 1000)
    assert used == 1000 and p == pytest.approx(1 / 1001)
    p, used = sequential_p_value(0.0, lambda b: np.arange(b, dtype=float), 100, 1000, h=10)
    assert used == 10 and p == 1.0
    assert monte_carlo_p(1.0, np.array([0.0, 2.0, 1.0])) == pytest.approx(3 / 4)


def test_null_calibration_small():
    """200 replicates with X and Y from one distribution: p uniform, FPR in its 99 % band."""
    rng = np.random.default_rng(2024)
    ps = []
    for _ in range(200):
        z = rng.normal(size=(20, 5))
        ps.append(mmd_test(z @ z.T, 10, rng=rng, n_permutations=199).p_value)
    ps = np.array(ps)
    assert sps.kstest(ps, "uniform").pvalue > 0.01
    lo, hi = sps.binom.ppf([0.005, 0.995], 200, 0.05)
    assert lo <= np.sum(ps <= 0.05) <= hi
