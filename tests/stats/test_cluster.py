"""The cluster sign-flip test: exact p-values against a brute-force count, validity under the
null with strongly dependent probes inside clusters, and its input checks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats as sps

from fingerprint.stats import cluster_sign_flip_test
from fingerprint.stats.cluster import cluster_means


def _brute_force(values, clusters):
    groups = {}
    for v, c in zip(values, clusters):
        groups.setdefault(c, []).append(v)
    means = [float(np.mean(groups[c])) for c in sorted(groups)]
    observed = sum(means)
    hits = sum(1 for signs in itertools.product((1, -1), repeat=len(means))
               if sum(s * m for s, m in zip(signs, means)) >= observed - 1e-12)
    return hits / 2 ** len(means)


def test_exact_p_matches_a_brute_force_count():
    rng = np.random.default_rng(3)
    values = rng.normal(0.3, 1.0, size=23)
    clusters = [f"f{i % 6}" for i in range(23)]
    res = cluster_sign_flip_test(values, clusters)
    assert res.exact and res.n_clusters == 6 and res.n_probes == 23
    assert res.p_value == pytest.approx(_brute_force(values, clusters))


def test_every_cluster_counts_once_whatever_its_size():
    # one family of 40 near-copies pointing one way cannot outvote seven families
    values = [1.0] * 40 + [-0.5] * 7
    clusters = ["copies"] * 40 + [f"f{i}" for i in range(7)]
    assert cluster_means(values, clusters).tolist() == [1.0] + [-0.5] * 7
    assert cluster_sign_flip_test(values, clusters).p_value > 0.5


def test_smallest_p_is_one_over_two_to_the_clusters():
    values = np.arange(1, 9, dtype=float)
    res = cluster_sign_flip_test(values, [str(i) for i in range(8)])
    assert res.p_value == pytest.approx(1 / 256)


def test_p_values_are_valid_under_the_null_with_dependent_probes():
    """Probes inside a family share most of their noise (near-copies); under the null the
    rejection rate stays at or below alpha and the p-values are close to uniform."""
    rng = np.random.default_rng(11)
    clusters = [f"f{i}" for i in range(8) for _ in range(10)]
    ps = []
    for _ in range(1500):
        shared = np.repeat(rng.standard_t(3, size=8), 10)  # heavy tails, within-family copies
        ps.append(cluster_sign_flip_test(shared + 0.1 * rng.normal(size=80), clusters).p_value)
    ps = np.array(ps)
    for alpha in (0.05, 0.1, 0.25, 0.5):
        bound = alpha + 3 * np.sqrt(alpha * (1 - alpha) / ps.size)
        assert np.mean(ps <= alpha) <= bound
    # the discrete p-values (multiples of 1/256) are uniform up to their grid
    assert sps.kstest(ps + rng.uniform(-1 / 256, 0, ps.size), "uniform").pvalue > 0.001


def test_the_probe_level_t_test_is_not_valid_there():
    """Why the decision uses the cluster test: the t-test over 80 dependent probes rejects far
    more often than alpha on the same null data."""
    rng = np.random.default_rng(12)
    rejections = 0
    for _ in range(400):
        d = np.repeat(rng.normal(size=8), 10) + 0.1 * rng.normal(size=80)
        rejections += sps.ttest_1samp(d, 0.0, alternative="greater").pvalue < 0.05
    assert rejections / 400 > 0.15


def test_many_clusters_use_a_seeded_monte_carlo_p():
    values = np.random.default_rng(0).normal(size=40)
    clusters = [str(i) for i in range(20)] * 2
    with pytest.raises(ValueError, match="rng"):
        cluster_sign_flip_test(values, clusters)
    a = cluster_sign_flip_test(values, clusters, rng=np.random.default_rng(5))
    b = cluster_sign_flip_test(values, clusters, rng=np.random.default_rng(5))
    assert not a.exact and a.p_value == b.p_value and 0 < a.p_value <= 1


@pytest.mark.parametrize("values, clusters, message", [
    ([1.0, 2.0], ["a", "a"], "2 clusters"),
    ([1.0, np.nan], ["a", "b"], "NaN"),
    ([1.0, 2.0], ["a"], "one cluster name"),
])
def test_bad_input_is_refused(values, clusters, message):
    with pytest.raises(ValueError, match=message):
        cluster_sign_flip_test(values, clusters)
