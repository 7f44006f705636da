"""lineage_score: relative-similarity score on synthetic and real single-sample answers."""

from __future__ import annotations

import numpy as np
import pytest

from fingerprint.analysis import lineage_score

from fakes.corpora import alpaca_slice

WORDS = [f"w{i}" for i in range(400)]


def _model(rng: np.random.Generator, style: list[str], topics: list[list[str]], share: float,
           teacher: list[str] | None = None) -> list[str]:
    """Answers: topic words of each prompt plus the model's (or, with ``share``, its teacher's) style."""
    out = []
    for topic in topics:
        own = list(rng.choice(style, 8))
        if teacher is not None:
            k = int(round(share * 8))
            own = list(rng.choice(teacher, k)) + own[k:]
        out.append(" ".join(list(rng.choice(topic, 12)) + own))
    return out


def _panel(seed: int, n_prompts: int = 30, n_controls: int = 8):
    rng = np.random.default_rng(seed)
    topics = [list(rng.choice(WORDS[:200], 20, replace=False)) for _ in range(n_prompts)]
    styles = [list(rng.choice(WORDS[200:], 15, replace=False)) for _ in range(n_controls + 3)]
    ref = _model(rng, styles[0], topics, 0)
    student = _model(rng, styles[1], topics, 0.6, teacher=styles[0])
    indep = _model(rng, styles[2], topics, 0)
    controls = [_model(rng, s, topics, 0) for s in styles[3:]]
    return ref, student, indep, controls


def test_student_ranks_above_independent():
    ref, student, indep, controls = _panel(1)
    s = lineage_score(ref, student, controls, seed=0)
    i = lineage_score(ref, indep, controls, seed=0)
    assert s.score > 2 and s.p_value == pytest.approx(1 / 9)  # beats every control
    assert i.score < s.score and i.p_value > 0.1
    assert s.n_prompts == 30 and s.n_controls == 8 and len(s.per_prompt) == 30


def test_deterministic_and_validated():
    ref, student, _indep, controls = _panel(2, n_prompts=12)
    a = lineage_score(ref, student, controls, seed=3)
    b = lineage_score(ref, student, controls, seed=3)
    assert a.to_json() == b.to_json()
    with pytest.raises(ValueError, match="2 control"):
        lineage_score(ref, student, controls[:1])
    with pytest.raises(ValueError, match="aligned"):
        lineage_score(ref, student[:-1], controls)


def test_real_same_model_beats_independent(tmp_path):
    models = ["gpt4_0314", "gpt4", "oasst-sft-pythia-12b", "claude", "alpaca-7b", "vicuna-7b",
              "falcon-7b-instruct", "guanaco-33b", "text_davinci_001", "chatglm2-6b",
              "llama-2-7b-chat-hf", "baize-v2-7b"]
    from fingerprint.corpus import load_corpus
    c = load_corpus(alpaca_slice(tmp_path, models, 40))
    pids = c.shared_prompts()
    ctrl = [c.texts(m, pids) for m in models[3:]]
    same = lineage_score(c.texts("gpt4_0314", pids), c.texts("gpt4", pids), ctrl, seed=0)
    indep = lineage_score(c.texts("gpt4_0314", pids), c.texts("oasst-sft-pythia-12b", pids),
                          ctrl, seed=0)
    assert same.score > indep.score and same.p_value <= 0.1


def test_whitened_profiles_match_a_dense_solve():
    """The Woodbury path equals S⁻¹μ with S = λI + TᵀT solved densely (λ = mean eigenvalue of TTᵀ)."""
    from fingerprint.analysis._lineage import _tfidf, panel_similarities, term_counts
    import scipy.sparse as sp

    ref, student, indep, controls = _panel(4, n_prompts=10, n_controls=3)
    texts = [ref, student, indep] + controls
    counts = [term_counts(t) for t in texts]
    prof, pair = panel_similarities(counts, seed=5)
    m, p = len(texts), 10
    x = _tfidf(sp.vstack(counts).tocsr()).toarray()
    order = np.random.default_rng(5).permutation(p)
    halves = [np.sort(order[: p // 2]), np.sort(order[p // 2:])]
    for f in range(2):
        train, test = halves[f], halves[1 - f]
        mu = np.stack([x[i * p + train].mean(axis=0) for i in range(m)])
        topics = np.stack([x[np.arange(m) * p + j].mean(axis=0) for j in train])
        lam = np.trace(topics @ topics.T) / len(train)
        w = np.linalg.solve(lam * np.eye(x.shape[1]) + topics.T @ topics, mu.T)  # D × m
        for i in range(m):
            np.testing.assert_allclose(prof[i, test, :], x[i * p + test] @ w, rtol=1e-6, atol=1e-9)
    # same-prompt cosines are plain cosines of the TF-IDF rows
    np.testing.assert_allclose(pair[3], x[np.arange(m) * p + 3] @ x[np.arange(m) * p + 3].T, atol=1e-12)


def test_combined_score_is_standardised_against_controls():
    ref, student, _indep, controls = _panel(6, n_prompts=20, n_controls=10)
    res = lineage_score(ref, student, controls, seed=0)
    cs = np.asarray(res.control_scores)
    assert abs(cs.mean()) < 1e-9 and cs.std(ddof=1) == pytest.approx(1.0)
    assert res.score > cs.max()  # the student beats every control
    assert res.p_value == pytest.approx(1 / 11) and res.method.startswith("lineage-v2")


def test_p_values_are_uniform_when_the_suspect_is_just_another_lab():
    """With the suspect drawn exactly like the controls, P(p <= a) must be about a: for the
    rank p-value (resolution 1/(K+1)) and for the predictive p the wide-panel verdict
    rejects on."""
    from scipy import stats

    reps, k = 120, 19
    ps, pred = [], []
    for seed in range(reps):
        ref, _student, indep, controls = _panel(100 + seed, n_prompts=10, n_controls=k)
        res = lineage_score(ref, indep, controls, seed=seed)
        ps.append(res.p_value)
        pred.append(res.p_predictive)
    ps, pred = np.array(ps), np.array(pred)
    assert set(np.round(ps * (k + 1)).astype(int)) <= set(range(1, k + 2))
    for level in (0.1, 0.25, 0.5):  # exact levels of a rank p-value with K + 1 = 20
        lo, hi = stats.binom.ppf([0.0005, 0.9995], reps, level)
        for p in (ps, pred):
            hits = int(np.sum(p <= level + 1e-9))
            assert lo <= hits <= hi, (level, hits)


def test_predictive_p_is_exact_for_gaussian_controls():
    """``p_predictive``: a new draw against K Gaussian ones, whose mean and sd (ddof 1) it is
    standardised by, is uniform at every level; and it inverts the textbook prediction bound
    mean + t_{1-a, K-1} s sqrt(1 + 1/K)."""
    from scipy import stats

    from fingerprint.analysis._lineage import predictive_p

    for k in (2, 4, 9):
        bound = stats.t.ppf(0.95, k - 1) * np.sqrt(1 + 1 / k)
        assert predictive_p(float(bound), k) == pytest.approx(0.05, abs=1e-12)
    rng = np.random.default_rng(11)
    reps, k = 4000, 4
    x = rng.normal(size=(reps, k + 1))
    ctrl = x[:, 1:]
    z = (x[:, 0] - ctrl.mean(axis=1)) / ctrl.std(axis=1, ddof=1)
    ps = np.array([predictive_p(float(v), k) for v in z])
    for level in (0.05, 0.2, 0.5):
        hits = int(np.sum(ps <= level))
        lo, hi = stats.binom.ppf([0.0005, 0.9995], reps, level)
        assert lo <= hits <= hi, (level, hits)
    with pytest.raises(ValueError):
        predictive_p(1.0, 1)


def test_lineage_result_carries_the_predictive_p():
    from fingerprint.analysis._lineage import predictive_p

    ref, student, _indep, controls = _panel(6, n_prompts=20, n_controls=5)
    res = lineage_score(ref, student, controls, seed=0)
    assert res.p_predictive == pytest.approx(predictive_p(res.score, 5))
    assert res.p_predictive < res.p_value  # below the rank test's floor of 1/6


def _copy_model(prof: np.ndarray, pair: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The panel with one more model, an exact copy of model ``k``."""
    prof = np.concatenate([prof, prof[k:k + 1]], axis=0)
    prof = np.concatenate([prof, prof[:, :, k:k + 1]], axis=2)
    pair = np.concatenate([pair, pair[:, k:k + 1]], axis=1)
    pair = np.concatenate([pair, pair[:, :, k:k + 1]], axis=2)
    return prof, pair


def test_lineage_groups_count_a_duplicated_control_once():
    """With ``lineages``, a control copied into the panel (same group) changes nothing: the
    score, both parts and the rank p equal those of the panel without the copy; with every
    control in its own group the score is the unweighted one."""
    from fingerprint.analysis import score_in_panel

    rng = np.random.default_rng(8)
    m, p = 7, 12
    prof, pair = rng.normal(size=(m, p, m)), rng.normal(size=(p, m, m))
    pair = (pair + pair.transpose(0, 2, 1)) / 2
    plain = score_in_panel(prof, pair, 0, 1, [2, 3, 4, 5, 6])
    alone = score_in_panel(prof, pair, 0, 1, [2, 3, 4, 5, 6], lineages=[0, 1, 2, 3, 4])
    assert alone.score == pytest.approx(plain.score) and alone.p_value == plain.p_value
    prof2, pair2 = _copy_model(prof, pair, 3)
    copied = score_in_panel(prof2, pair2, 0, 1, [2, 3, 4, 5, 6, 7], lineages=[0, 1, 2, 3, 4, 1])
    for field in ("score", "z_attribution", "z_similarity", "p_value", "p_predictive"):
        assert getattr(copied, field) == pytest.approx(getattr(plain, field)), field
    naive = score_in_panel(prof2, pair2, 0, 1, [2, 3, 4, 5, 6, 7])
    assert naive.score != pytest.approx(plain.score)  # without groups the copy counts twice
    with pytest.raises(ValueError):
        score_in_panel(prof, pair, 0, 1, [2, 3, 4], lineages=[0, 1])
