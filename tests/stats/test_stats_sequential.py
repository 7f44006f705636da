"""E-values, e-processes and the confidence sequence of sequential collection, checked against
independent computations and for validity under optional stopping on cheap synthetic nulls."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats as sps

from fingerprint.stats.sequential import (mixture_e_process, randomization_e_value,
                                          sign_bet_e_values, upper_confidence_sequence)

ALPHA = 0.05
REPS = 400


def _band(n: int, p: float) -> int:
    """Upper end of the binomial 99 % interval of a count with rate ``p``."""
    return int(sps.binom.ppf(0.995, n, p))


def test_sign_bet_is_exactly_fair_given_the_magnitudes():
    x = np.array([0.3, -0.1, 0.05, 0.2, -0.4])
    flips = [np.array(s) * np.abs(x) for s in itertools.product((1, -1), repeat=x.size)]
    avg = np.mean([sign_bet_e_values(f) for f in flips], axis=0)
    np.testing.assert_allclose(avg, 1.0, atol=1e-12)


def test_sign_bet_matches_the_product_by_hand():
    x = [0.2, -0.1, 0.4]
    e = sign_bet_e_values(x, bets=(0.5,))
    assert e[0] == pytest.approx((1 + 0.5 * 0.5) * (1 - 0.5 * 0.25) * (1 + 0.5))
    assert sign_bet_e_values([0.0, 0.0]).tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError):
        sign_bet_e_values(x, bets=(1.0,))


def test_randomization_e_value_averages_one_over_exchangeable_positions():
    rng = np.random.default_rng(1)
    t = rng.normal(size=20)
    # the observed value is any one of the B+1 exchangeable values with equal probability
    values = [randomization_e_value(t[i], np.delete(t, i)) for i in range(t.size)]
    np.testing.assert_allclose(np.mean(values, axis=0), 1.0, atol=1e-12)
    e = randomization_e_value(100.0, np.zeros(9), tilts=(1.0,))
    assert e[0] == pytest.approx(10 * math.exp(100) / (math.exp(100) + 9), rel=1e-9)


def test_mixture_e_process_is_the_mean_of_running_products():
    e = np.array([[2.0, 0.5], [3.0, 1.0]])
    np.testing.assert_allclose(mixture_e_process(e), [1.25, 3.25])


def test_confidence_bound_matches_its_formula():
    v = np.array([0.1, 0.3, -0.2, 0.4])
    t, sd = v.size, v.std(ddof=1)
    a = -2 * math.log(ALPHA)
    rho = math.sqrt((a + math.log(a + 1)) / 10.0)
    width = sd * math.sqrt(2 * (t * rho ** 2 + 1) / (t ** 2 * rho ** 2)
                           * math.log(math.sqrt(t * rho ** 2 + 1) / ALPHA))
    assert upper_confidence_sequence(v, ALPHA) == pytest.approx(v.mean() + width)
    assert upper_confidence_sequence([1.0], ALPHA) == math.inf


def test_sign_bets_reject_at_most_alpha_under_optional_stopping():
    """8 clusters whose means are symmetric about 0, 20 rounds, stop at the first crossing."""
    rng = np.random.default_rng(20261206)
    hits = 0
    for _ in range(REPS):
        e = np.array([sign_bet_e_values(rng.standard_t(3, size=8) * rng.uniform(0.1, 2, size=8))
                      for _ in range(20)])
        hits += bool(np.any(mixture_e_process(e) >= 1 / ALPHA))
    assert hits <= _band(REPS, ALPHA)


def test_permutation_e_values_reject_at_most_alpha_under_optional_stopping():
    """Two samples from one distribution per round, 15 rounds, mean difference statistic."""
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(REPS // 2):
        rows = []
        for _ in range(15):
            pool = rng.exponential(size=8)
            perms = [rng.permutation(8) for _ in range(99)]
            stat = lambda p: pool[p[:4]].mean() - pool[p[4:]].mean()  # noqa: E731
            rows.append(randomization_e_value(stat(np.arange(8)), [stat(p) for p in perms]))
        hits += bool(np.any(mixture_e_process(np.array(rows)) >= 1 / ALPHA))
    assert hits <= _band(REPS // 2, ALPHA)


def test_confidence_sequence_covers_at_all_times():
    rng = np.random.default_rng(3)
    misses = 0
    for _ in range(REPS // 2):
        v = rng.normal(0.0, 1.0, size=40)
        misses += any(upper_confidence_sequence(v[:t], ALPHA) < 0.0 for t in range(3, 41))
    assert misses <= _band(REPS // 2, ALPHA)
