"""The null check (issue: a lineage statistic whose null stays valid): on real panels with
every known relative removed, the shipped decision rule's p-values for undocumented pairs are
not below uniform; and the check itself, its bound and its dyadic standard error, against
independently computed values."""

from __future__ import annotations

import numpy as np
import pytest

from fingerprint.analysis import WIDE_PANEL
from fingerprint.calibration import (NULL_LEVELS, NullPairs, dyadic_se, null_check,
                                     prepare_panel, read_labelled)
from fingerprint.corpus import load_corpus


def _all_ordered_pairs(m: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
    off = a != b
    return a[off], b[off]


def test_dyadic_se_matches_the_binomial_se_for_independent_pairs() -> None:
    a, b = _all_ordered_pairs(40)
    rng = np.random.default_rng(0)
    ratios = []
    for _ in range(50):
        x = (rng.random(a.size) < 0.2).astype(float)
        ratios.append(dyadic_se(x, a, b) / np.sqrt(0.2 * 0.8 / a.size))
    assert 0.9 < np.mean(ratios) < 1.2  # floored at the binomial se, noise only above it


def test_dyadic_se_matches_the_spread_of_replicated_panels_with_model_effects() -> None:
    """With a random effect per model (a hub), pairs sharing a model are correlated: the
    estimate must follow the replicate-to-replicate spread, far above the binomial se."""
    m = 30
    a, b = _all_ordered_pairs(m)
    rng = np.random.default_rng(1)
    means, estimates = [], []
    for _ in range(300):
        u = rng.normal(size=m)
        x = (u[a] + u[b] + rng.normal(size=a.size) > 1.5).astype(float)
        means.append(x.mean())
        estimates.append(dyadic_se(x, a, b))
    spread = float(np.std(means))
    assert spread > 3 * np.sqrt(np.mean(means) * (1 - np.mean(means)) / a.size)
    assert 0.8 * spread < float(np.mean(estimates)) < 1.15 * spread


def _null_pairs(p: np.ndarray, k: int, m: int) -> NullPairs:
    a, b = _all_ordered_pairs(m)
    return NullPairs(p, a, b, np.full(a.size, k), np.full(a.size, k), rank=True)


def test_an_exact_rank_p_meets_the_bound_and_a_halved_one_fails() -> None:
    m, k = 25, 19
    a, _ = _all_ordered_pairs(m)
    rng = np.random.default_rng(2)
    exact = rng.integers(1, k + 2, a.size) / (k + 1)  # uniform on {1/20, ..., 1}
    check = _null_pairs(exact, k, m).check()
    assert check.pairs == a.size and check.controls_median == k
    for t in NULL_LEVELS:
        assert check.bound[t] == pytest.approx(np.floor(t * (k + 1) + 1e-9) / (k + 1))
    assert check.failures() == []
    assert _null_pairs(exact / 2, k, m).check().failures() == list(NULL_LEVELS)
    assert _null_pairs(exact, k, m).check(min_controls=k + 1).pairs == 0


@pytest.mark.parametrize("corpus, path, pair_files", [
    ("alpaca_eval", "alpaca_eval", ("pairs.json", "pairs-shared-lineage.json")),
    ("zeroeval_gsm8k", "zeroeval_gsm8k/answers.jsonl", ("pairs.json",)),
])
def test_the_shipped_rule_is_not_below_uniform_on_real_wide_panels(shared_dir, corpus, path,
                                                                  pair_files) -> None:
    """The corpora with enough models for the panels compare decides by the lineage test
    (WIDE_PANEL controls), on the smallest stress split: 80 random prompts.  The rule is the
    benchmark's default, compare's: the predictive p of the lineage score."""
    root = shared_dir / "corpora" / corpus
    labelled = read_labelled([str(root / f) for f in pair_files])
    panel = prepare_panel(load_corpus(str(shared_dir / "corpora" / path)), seed=1,
                          max_prompts=80)
    check = null_check(panel, labelled, min_controls=WIDE_PANEL)
    assert check.pairs > 1000
    assert check.failures() == [], check.to_json()
