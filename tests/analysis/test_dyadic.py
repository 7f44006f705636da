"""The dyadic lineage score (variant 13 of docs/corpora.md): the additive fit against an
independent least-squares solve, uniform p-values under the null, and a planted link found."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kstest

from fingerprint.analysis import dyadic_score, panel_means
from fingerprint.analysis._dyadic import additive_fit


def _studentised(y, used, focal, symmetric):
    """The same fit through the pseudo-inverse of the design itself (H = X X⁺)."""
    n = y.shape[0]
    rows, cols = np.nonzero(np.triu(used, 1) if symmetric else used)
    x = np.zeros((len(rows), n if symmetric else 2 * n))
    for r, (i, k) in enumerate(zip(rows, cols)):
        x[r, i] += 1.0
        x[r, k if symmetric else n + k] += 1.0
    pinv = np.linalg.pinv(x)
    e = y[rows, cols] - x @ (pinv @ y[rows, cols])
    h = np.diag(x @ pinv)
    sigma = np.sqrt(e @ e / (len(rows) - np.linalg.matrix_rank(x)))
    xf = np.zeros(x.shape[1])
    xf[focal[0]] += 1.0
    xf[focal[1] if symmetric else n + focal[1]] += 1.0
    pred = y[focal] - xf @ (pinv @ y[rows, cols])
    return e / (sigma * np.sqrt(1 - h)), pred / (sigma * np.sqrt(1 + xf @ pinv @ pinv.T @ xf))


@pytest.mark.parametrize("symmetric", [False, True])
def test_additive_fit_matches_a_design_pseudo_inverse_with_missing_entries(symmetric):
    rng = np.random.default_rng(0)
    n = 9
    y = rng.normal(size=(n, n))
    y = (y + y.T) if symmetric else y
    used = ~np.eye(n, dtype=bool)
    used[0, 1] = used[1, 0] = used[3, 5] = used[5, 3] = False
    resid, focal, _ = additive_fit(y, used, (1, 0), symmetric=symmetric)
    expected, expected_focal = _studentised(y, used, (1, 0), symmetric)
    rows, cols = np.nonzero(np.triu(used, 1) if symmetric else used)
    assert np.allclose(resid[rows, cols], expected) and focal == pytest.approx(expected_focal)
    assert resid[0, 1] == resid[3, 5] == 0.0


def _panel(rng, m, link=0.0, ref=0, sus=1):
    """Prompt-mean matrices with hub effects (rows, columns, a symmetric similarity) and
    noise; ``link`` adds to the (sus, ref) entries."""
    a, b, h = rng.normal(size=m), rng.normal(size=m), rng.normal(size=m)
    attribution = a[:, None] + b[None, :] + 0.3 * rng.normal(size=(m, m))
    noise = 0.3 * rng.normal(size=(m, m))
    similarity = h[:, None] + h[None, :] + (noise + noise.T) / np.sqrt(2)
    attribution[sus, ref] += link
    similarity[sus, ref] += link * 0.3
    similarity[ref, sus] = similarity[sus, ref]
    return attribution, similarity


@pytest.mark.parametrize("m", [6, 12])
def test_p_values_are_uniform_when_no_pair_is_linked(m):
    rng = np.random.default_rng(m)
    p = [dyadic_score(_panel(rng, m), 0, 1, list(range(2, m)), n_prompts=50).p_predictive
         for _ in range(400)]
    assert kstest(p, "uniform").pvalue > 0.01
    assert np.mean(np.asarray(p) <= 0.05) < 0.05 + 3 * np.sqrt(0.05 * 0.95 / 400)


def test_a_planted_link_is_found_and_documented_relatives_leave_the_null():
    rng = np.random.default_rng(1)
    means = _panel(rng, 8, link=3.0)
    res = dyadic_score(means, 0, 1, list(range(2, 8)), n_prompts=50)
    assert res.p_predictive < 0.01 and res.p_value == pytest.approx(1 / 55)
    assert len(res.control_scores) == 6 and res.n_controls == 6
    # the same link planted between two controls: unrelated, it is part of the null; documented,
    # it is left out, and the focal pair's p does not move by it
    base = _panel(np.random.default_rng(2), 8)
    linked = tuple(m.copy() for m in base)
    linked[0][3, 2] += 3.0
    unrelated = np.ones((8, 8), dtype=bool)
    unrelated[2, 3] = unrelated[3, 2] = False
    ctrl = list(range(2, 8))
    clean = dyadic_score(base, 0, 1, ctrl, n_prompts=50, unrelated=unrelated)
    assert dyadic_score(linked, 0, 1, ctrl, n_prompts=50, unrelated=unrelated).z == \
        pytest.approx(clean.z)
    assert dyadic_score(linked, 0, 1, ctrl, n_prompts=50).z != pytest.approx(clean.z)


def test_panel_means_and_validation():
    rng = np.random.default_rng(3)
    prof, pair = rng.normal(size=(5, 7, 5)), rng.normal(size=(7, 5, 5))
    attribution, similarity = panel_means(prof, pair)
    assert attribution[2, 4] == pytest.approx(prof[2, :, 4].mean())
    assert similarity[1, 3] == pytest.approx(pair[:, 1, 3].mean())
    with pytest.raises(ValueError, match="at least 2 control"):
        dyadic_score((attribution, similarity), 0, 1, [2], n_prompts=7)
