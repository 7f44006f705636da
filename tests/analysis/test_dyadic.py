"""The panel-wide lineage scores (variants 13 and 14 of docs/corpora.md): the dyadic score's
additive fit against an independent solve, uniform p-values under its model and a planted link
found; the pooled scale against the shipped score and against a loop over every reference."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kstest
from scipy.stats import t as t_dist

from fingerprint.analysis import dyadic_score, panel_means, pooled_scale_score
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


def test_pooled_scale_is_the_shipped_score_when_only_the_reference_pools():
    """With every other reference's controls marked related, nothing is pooled and the pooled
    score is the shipped one (score_in_panel: same z, same predictive p)."""
    from fingerprint.analysis import score_in_panel

    rng = np.random.default_rng(4)
    m, p = 9, 12
    prof, pair = rng.normal(size=(m, p, m)), rng.normal(size=(p, m, m))
    pair = (pair + pair.transpose(0, 2, 1)) / 2
    ctrl = list(range(2, m))
    shipped = score_in_panel(prof, pair, 0, 1, ctrl)
    alone = np.ones((m, m), dtype=bool)
    alone[np.ix_(ctrl, ctrl)] = False
    pooled = pooled_scale_score(panel_means(prof, pair), 0, 1, ctrl, n_prompts=p, unrelated=alone)
    assert pooled.z == pytest.approx(shipped.z)
    assert pooled.p_predictive == pytest.approx(shipped.p_predictive)
    assert pooled.control_scores == pytest.approx(shipped.control_scores)


def test_pooled_scale_matches_a_loop_over_every_reference():
    rng = np.random.default_rng(6)
    m = 8
    attribution, similarity = rng.normal(size=(m, m)), rng.normal(size=(m, m))
    similarity = (similarity + similarity.T) / 2
    ctrl = list(range(2, m))
    unrelated = np.ones((m, m), dtype=bool)
    unrelated[3, 4] = unrelated[4, 3] = False

    def part(y, hub, i, ref, pool):
        return y[i, ref] - hub * np.mean([y[i, j] for j in pool if j != i])

    dev, df = {}, 0
    for name, y, hub in (("a", attribution, 1.0), ("s", similarity, 0.5)):
        columns = [[part(y, hub, i, 0, ctrl) for i in ctrl]]
        for r in ctrl:
            pool = [j for j in ctrl if j != r]
            columns.append([part(y, hub, i, r, pool) for i in pool if unrelated[i, r]])
        dev[name] = [np.asarray(col) - np.mean(col) for col in columns]
        df = sum(len(col) - 1 for col in columns)
        scale = np.sqrt(sum(np.sum(d ** 2) for d in dev[name]) / df)
        dev[name] = ([d / scale for d in dev[name]],
                     (part(y, hub, 1, 0, ctrl) - np.mean(columns[0])) / scale)
    sums = [a + b for a, b in zip(dev["a"][0], dev["s"][0])]
    z = (dev["a"][1] + dev["s"][1]) / np.sqrt(sum(np.sum(x ** 2) for x in sums) / df)
    res = pooled_scale_score((attribution, similarity), 0, 1, ctrl, n_prompts=5,
                             unrelated=unrelated)
    assert res.z == pytest.approx(z)
    assert res.p_predictive == pytest.approx(float(t_dist.sf(z / np.sqrt(1 + 1 / 6), df)))


@pytest.mark.parametrize("m", [6, 12])
def test_pooled_scale_p_values_are_not_below_uniform_under_the_null(m):
    rng = np.random.default_rng(100 + m)
    p = np.array([pooled_scale_score(_panel(rng, m), 0, 1, list(range(2, m)),
                                     n_prompts=50).p_predictive for _ in range(400)])
    for t in (0.05, 0.1, 0.2, 0.5):
        assert np.mean(p <= t) <= t + 3 * np.sqrt(t * (1 - t) / 400)
