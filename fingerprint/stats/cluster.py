"""A test over probes that does not treat near-copies as independent evidence.

Hand-written probes are not independent draws: one identity question asked in several
languages is one piece of evidence, not several.  :func:`cluster_sign_flip_test` averages the
per-probe differences within each cluster (a probe family) and tests the clusters' means by
random sign flips (a cluster randomisation test; Canay, Romano & Shaikh 2017, "Randomization
tests under an approximate symmetry assumption").  Under the null each cluster's mean is
symmetric about zero, whatever the dependence inside a cluster, so the p-value is valid with
as few as a handful of clusters; its smallest value is ``1 / 2**G`` with ``G`` clusters.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Sequence

import numpy as np

#: up to this many clusters every sign pattern is enumerated (exact p-value)
MAX_EXACT_CLUSTERS = 16


@dataclass(frozen=True)
class ClusterResult:
    statistic: float  # the mean of the cluster means
    p_value: float  # one-sided: is the mean greater than zero?
    n_clusters: int
    n_probes: int
    exact: bool


def cluster_means(values: Sequence[float], clusters: Sequence[str]) -> np.ndarray:
    """The mean of ``values`` within each cluster, clusters in sorted order."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size != len(clusters):
        raise ValueError("one cluster name per value is needed")
    if not np.all(np.isfinite(v)):
        raise ValueError("values hold NaN or inf")
    names = sorted(set(clusters))
    labels = np.array([names.index(c) for c in clusters])
    return np.array([v[labels == g].mean() for g in range(len(names))])


def cluster_sign_flip_test(values: Sequence[float], clusters: Sequence[str], *,
                           rng: np.random.Generator | None = None,
                           n_resamples: int = 9999) -> ClusterResult:
    """One-sided sign-flip test of ``mean > 0`` with one unit per cluster.

    Exact (every one of the ``2**G`` sign patterns) for ``G <= MAX_EXACT_CLUSTERS``; beyond
    that a Monte-Carlo p-value ``(1 + #{T* >= T}) / (1 + n_resamples)`` from ``rng``."""
    means = cluster_means(values, clusters)
    g = means.size
    if g < 2:
        raise ValueError(f"the cluster test needs >= 2 clusters, got {g}")
    observed = float(means.mean())
    tol = 1e-12 * max(1.0, float(np.abs(means).max()))
    if g <= MAX_EXACT_CLUSTERS:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=g)))
        null = signs @ means / g
        p = float(np.mean(null >= observed - tol))
        return ClusterResult(observed, p, g, len(values), True)
    if rng is None:
        raise ValueError("more than 16 clusters: pass an rng for the Monte-Carlo p-value")
    signs = rng.choice(np.array([-1.0, 1.0]), size=(n_resamples, g))
    null = signs @ means / g
    p = float((1 + np.sum(null >= observed - tol)) / (1 + n_resamples))
    return ClusterResult(observed, p, g, len(values), False)
