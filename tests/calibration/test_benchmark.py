"""run_benchmark / format_table on a synthetic corpus with known lineage, plus metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fingerprint.calibration import excluded_controls, run_benchmark
from fingerprint.calibration import format_benchmark as format_table
from fingerprint.calibration._benchmark import verdict
from fingerprint.stats.roc import roc_auc, tpr_at_fpr
from fingerprint.corpus import clear_cache
from fingerprint.errors import CalibrationError


def _corpus(tmp_path, seed=0, n_prompts=24):
    rng = np.random.default_rng(seed)
    words = [f"t{i}" for i in range(300)]
    topics = [list(rng.choice(words[:150], 15, replace=False)) for _ in range(n_prompts)]
    styles = {f"m{k}": list(rng.choice(words[150:], 12, replace=False)) for k in range(10)}
    teacher_of = {"s0": "m0", "s1": "m1"}
    rows = []
    for j, topic in enumerate(topics):
        for name in list(styles) + list(teacher_of) + ["m0-copy"]:
            base = styles.get(teacher_of.get(name, name.replace("-copy", "")))
            own = styles.get(name, list(rng.choice(words[150:], 12, replace=False)))
            mix = 0.9 if name.endswith("-copy") else 0.5 if name in teacher_of else 1.0
            k = int(mix * 8)
            text = " ".join(list(rng.choice(topic, 10)) + list(rng.choice(base, k))
                            + list(rng.choice(own, 8 - k)))
            rows.append({"model": name, "prompt_id": j, "prompt": f"q{j}", "response": text})
    f = tmp_path / "c.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    pairs = [{"reference": "m0", "suspect": "s0", "label": "teacher_student"},
             {"reference": "m1", "suspect": "s1", "label": "teacher_student"},
             {"reference": "m0", "suspect": "m0-copy", "label": "same_model"},
             {"reference": "m2", "suspect": "m3", "label": "independent"},
             {"reference": "m4", "suspect": "m5", "label": "independent"},
             {"reference": "m0", "suspect": "m6", "label": "independent"}]
    p = tmp_path / "pairs.json"
    p.write_text(json.dumps(pairs))
    return f, p


def test_benchmark_separates_known_lineage(tmp_path):
    corpus, pairs = _corpus(tmp_path)
    res = run_benchmark(str(corpus), str(pairs), str(tmp_path / "out"), seed=0)
    saved = json.loads((tmp_path / "out" / "benchmark.json").read_text())
    assert saved["summary"] == res["summary"]
    s = res["summary"]
    assert s["auc_teacher_student_vs_independent"] == 1.0
    assert s["auc_same_model_vs_independent"] == 1.0
    assert all(set(r) >= {"reference", "suspect", "label", "score", "verdict"} for r in res["pairs"])
    # 13 models: at most 11 controls, too few for a rank test at 5 %
    assert {r["verdict"] for r in res["pairs"]} == {"inconclusive"}
    assert saved["same_model_separable"] is False and "same_model" in saved["verdict_note"]
    table = format_table(res)
    assert "AUC teacher→student vs independent" in table and "m0-copy" in table


def test_a_pair_with_too_few_controls_is_reported_not_scored(tmp_path):
    """A small corpus whose known relatives leave fewer than 2 controls for a pair: the pair
    is listed as not scored, with why, and left out of the AUCs (it used to crash the run)."""
    corpus, _ = _corpus(tmp_path)
    keep = {"m0", "s0", "m2", "m3", "m4"}
    rows = [json.loads(line) for line in corpus.read_text().splitlines()]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows if r["model"] in keep))
    pairs = tmp_path / "small.json"
    clear_cache()
    pairs.write_text(json.dumps([
        {"reference": "m0", "suspect": "s0", "label": "teacher_student"},
        {"reference": "m0", "suspect": "m2", "label": "shared_lineage"},
        {"reference": "m0", "suspect": "m3", "label": "shared_lineage"},  # leaves m4 alone
        {"reference": "m2", "suspect": "m3", "label": "shared_lineage"}]))
    res = run_benchmark(str(corpus), str(pairs), None, seed=0)
    assert all(r["verdict"] == "not_scored" and r["score"] is None and "control" in r["reason"]
               for r in res["pairs"])
    assert res["counts"]["teacher_student"] == 0 and "—" in format_table(res)


def test_metrics_and_exclusions():
    assert roc_auc([3, 2], [1, 2]) == pytest.approx(0.875)
    assert roc_auc([], [1]) is None
    tpr, thr = tpr_at_fpr([5, 4, 1], list(range(20)), 0.05)  # one negative may exceed
    assert thr == 18 and tpr == pytest.approx(0.0)
    tpr, thr = tpr_at_fpr([25, 19, 1], list(range(20)), 0.05)
    assert tpr == pytest.approx(2 / 3)  # 25 and 19 exceed the threshold 18
    pairs = [{"reference": "T", "suspect": "S1", "label": "teacher_student"},
             {"reference": "T", "suspect": "S2", "label": "teacher_student"},
             {"reference": "T2", "suspect": "T", "label": "same_model"}]
    assert excluded_controls(pairs, "T", "X") == {"T", "X", "S1", "S2", "T2"}


def test_bad_pairs_file(tmp_path):
    corpus, _ = _corpus(tmp_path, n_prompts=6)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"reference": "m0", "suspect": "s0", "label": "cousins"}]))
    with pytest.raises(CalibrationError, match="pair 1 has label .cousins."):
        run_benchmark(str(corpus), str(bad), None)


def _fastchat_corpus(root, n_prompts=30, n_models=22, seed=0):
    """A FastChat-layout corpus (hex ids, {content} turns, questions one folder up).

    Every answer = prompt topic words + a shared assistant phrase pool + the model's own
    style words; a student draws half its style words from its teacher's; a twin is
    another sample of the same model.  Two unlabelled students of m2 sit among the
    controls, as undocumented relatives do in real panels.
    """
    rng = np.random.default_rng(seed)
    words = [f"v{i}" for i in range(900)]
    common = words[800:]
    topics = [list(rng.choice(words[:400], 25, replace=False)) for _ in range(n_prompts)]
    styles = {f"m{k}": list(rng.choice(words[400:800], 15, replace=False)) for k in range(n_models)}
    teacher = {"s0": "m0", "s1": "m1", "cousin-a": "m2", "cousin-b": "m2"}
    names = list(styles) + list(teacher) + ["m0-twin"]
    own = {n: styles.get(n.replace("-twin", "")) or list(rng.choice(words[400:800], 15, replace=False))
           for n in names}
    qids = [f"{0xa000 + j:x}" for j in range(n_prompts)]
    answers = root / "model_answer"
    answers.mkdir(parents=True)
    with (root / "question.jsonl").open("w") as fh:
        for j, qid in enumerate(qids):
            fh.write(json.dumps({"question_id": qid, "category": "gen",
                                 "turns": [{"content": f"question {j}"}]}) + "\n")
    for name in names:
        with (answers / f"{name}.jsonl").open("w") as fh:
            for j, qid in enumerate(qids):
                k = 6 if name in teacher else 0
                style = list(rng.choice(styles[teacher[name]], k)) if k else []
                text = " ".join(list(rng.choice(topics[j], 14)) + list(rng.choice(common, 6))
                                + style + list(rng.choice(own[name], 12 - k)))
                fh.write(json.dumps({"question_id": qid, "model_id": name, "choices": [
                    {"index": 0, "turns": [{"content": text, "token_len": 30}]}],
                    "tstamp": 1.0}) + "\n")
    pairs = [{"reference": "m0", "suspect": "s0", "label": "teacher_student"},
             {"reference": "m1", "suspect": "s1", "label": "teacher_student"},
             {"reference": "m0", "suspect": "m0-twin", "label": "same_model"},
             {"reference": "m2", "suspect": "m3", "label": "independent"},
             {"reference": "m4", "suspect": "m5", "label": "independent"},
             {"reference": "m0", "suspect": "m6", "label": "independent"},
             {"reference": "m1", "suspect": "m7", "label": "independent"}]
    (root / "pairs.json").write_text(json.dumps(pairs))
    return root


def test_benchmark_on_fastchat_layout_with_few_prompts(tmp_path):
    clear_cache()
    root = _fastchat_corpus(tmp_path / "fc")
    res = run_benchmark(str(root / "model_answer"), str(root / "pairs.json"), None, seed=1)
    assert res["layout"] == "fastchat" and res["n_prompts"] == 30 and res["n_models"] == 27
    s = res["summary"]
    assert s["auc_teacher_student_vs_independent"] == 1.0
    assert s["auc_same_model_vs_independent"] == 1.0
    by = {(r["reference"], r["suspect"]): r for r in res["pairs"]}
    assert by[("m0", "s0")]["verdict"] == by[("m1", "s1")]["verdict"] == "distilled"
    assert by[("m0", "m0-twin")]["verdict"] == "distilled"  # same model: not separable here
    assert all(by[k]["verdict"] == "independent" for k in [("m2", "m3"), ("m4", "m5"), ("m0", "m6"), ("m1", "m7")])
    assert all(r["n_controls"] >= 19 for r in res["pairs"])
    small = run_benchmark(str(root / "model_answer"), str(root / "pairs.json"), None, seed=1,
                          max_prompts=12)
    assert small["n_prompts"] == 12 and all(r["n_prompts"] == 12 for r in small["pairs"])


def test_verdict_labels():
    from fingerprint.analysis import WIDE_PANEL

    assert verdict(0.01, 30) == "distilled"
    assert verdict(0.2, 30) == "independent"
    assert verdict(0.05, WIDE_PANEL) == "distilled"  # decided where compare decides by it
    assert verdict(0.001, WIDE_PANEL - 1) == "inconclusive"
    assert verdict(0.05, 19, min_controls=19) == "distilled"  # a rank p: 1/(19+1) = α


def test_keep_siblings_and_merged_pair_files(tmp_path):
    """A shared-lineage pair removes each member from the other's panel unless siblings are
    kept; two pair files score as one list."""
    corpus, pairs = _corpus(tmp_path)
    extra = tmp_path / "siblings.json"
    extra.write_text(json.dumps([{"reference": "m7", "suspect": "s0", "label": "shared_lineage"}]))
    clear_cache()
    default = run_benchmark(str(corpus), [str(pairs), str(extra)], None, seed=0)
    kept = run_benchmark(str(corpus), [str(pairs), str(extra)], None, seed=0, keep_siblings=True)
    n = {res["keep_siblings"]: {(r["reference"], r["suspect"]): r["n_controls"]
                                for r in res["pairs"]} for res in (default, kept)}
    assert default["counts"]["shared_lineage"] == 1 and len(default["pairs"]) == 7
    assert n[True][("m0", "s0")] == n[False][("m0", "s0")] + 1  # m7 back in s0's panel
    assert n[True][("m2", "m3")] == n[False][("m2", "m3")]


def test_rank_pooling_matches_a_brute_force_count():
    from fingerprint.analysis._lineage import _mean_prompt_rank

    rng = np.random.default_rng(3)
    values = rng.normal(size=(6, 9)).round(1)  # rounding makes ties
    want = np.zeros(6)
    for i in range(6):
        for j in range(9):
            others = np.delete(values[:, j], i)
            want[i] += (np.sum(others < values[i, j]) + 0.5 * np.sum(others == values[i, j])) / 5
    np.testing.assert_allclose(_mean_prompt_rank(values), want / 9)


def test_benchmark_command_merges_pair_files_and_keeps_siblings(tmp_path, capsys):
    from fingerprint.cli import main

    corpus, pairs = _corpus(tmp_path, n_prompts=12)
    extra = tmp_path / "siblings.json"
    extra.write_text(json.dumps([{"reference": "m7", "suspect": "s0", "label": "shared_lineage"}]))
    clear_cache()
    assert main(["benchmark", "--corpus", str(corpus), "--pairs", str(pairs), "--pairs",
                 str(extra), "--keep-siblings", "--out", str(tmp_path / "o")]) == 0
    saved = json.loads((tmp_path / "o" / "benchmark.json").read_text())
    assert saved["keep_siblings"] is True and len(saved["pairs_file"]) == 2
    assert saved["counts"]["shared_lineage"] == 1
    assert "TPR teacher→student at FPR ≤ 0.01" in capsys.readouterr().out


def test_exchangeable_baseline_measures_each_control_against_the_suspect_too():
    """With ``exchangeable`` a control's attribution baseline is every other candidate,
    the suspect included (computed here by hand); the shipped score leaves the suspect out."""
    from fingerprint.analysis import score_in_panel

    rng = np.random.default_rng(5)
    m, p = 7, 10
    prof, pair = rng.normal(size=(m, p, m)), rng.normal(size=(p, m, m))
    ref, sus, ctrl = 0, 1, [2, 3, 4, 5, 6]

    def za(pool_has_suspect: bool) -> float:
        pool = ctrl + [sus] if pool_has_suspect else ctrl

        def attr(i):
            others = [k for k in pool if k != i]
            return float(np.mean(prof[i, :, ref] - prof[i][:, others].mean(axis=1)))
        c = np.array([attr(i) for i in ctrl])
        return (attr(sus) - c.mean()) / c.std(ddof=1)

    for exch in (False, True):
        res = score_in_panel(prof, pair, ref, sus, ctrl, exchangeable=exch)
        assert res.z_attribution == pytest.approx(za(exch))
    assert za(True) != pytest.approx(za(False))


def test_predictive_t_decision_decides_wide_panels_only():
    """The default ``decision="t"``: the pair's score is the normal quantile of its
    predictive p and the verdict is that p at the level, with at least WIDE_PANEL controls;
    a 5-control panel is inconclusive, as under the rank decision."""
    from scipy.stats import norm

    from fingerprint.analysis import WIDE_PANEL
    from fingerprint.calibration._benchmark import Panel, score_pairs

    class _Data:
        def check_models(self, names):
            pass
        source, layout = "synthetic", "synthetic"

    rng = np.random.default_rng(3)
    labelled = [{"reference": "m0", "suspect": "m1", "label": "independent"}]
    for m, decided in ((7, False), (WIDE_PANEL + 2, True)):
        p = 12
        prof, pair = rng.normal(size=(m, p, m)), rng.normal(size=(p, m, m))
        panel = Panel(_Data(), [f"m{i}" for i in range(m)], [str(j) for j in range(p)], prof,
                      pair, 0, None)
        t = score_pairs(panel, labelled)["pairs"][0]
        rank = score_pairs(panel, labelled, decision="rank")["pairs"][0]
        assert t["p_value"] == t["p_predictive"] == rank["p_predictive"]
        assert rank["p_value"] == rank["p_rank"]
        assert t["score"] == pytest.approx(norm.isf(t["p_predictive"]))
        if decided:
            assert (t["verdict"] == "distilled") == (t["p_value"] <= 0.05)
            assert t["verdict"] in ("distilled", "independent")
        else:
            assert t["verdict"] == rank["verdict"] == "inconclusive"
    with pytest.raises(ValueError):
        score_pairs(panel, labelled, decision="normal")


def test_one_control_per_lineage_keeps_no_two_relatives():
    from fingerprint.calibration import one_per_lineage, related_models

    pairs = [{"reference": "A", "suspect": "A-q", "label": "same_model"},
             {"reference": "A", "suspect": "A-small", "label": "shared_lineage"},
             {"reference": "T", "suspect": "S", "label": "teacher_student"},
             {"reference": "X", "suspect": "Y", "label": "independent"}]
    related = related_models(pairs)
    kept = one_per_lineage(["A", "A-q", "A-small", "S", "T", "X", "Y", "Z"], related)
    assert kept == ["A", "S", "X", "Y", "Z"]
    assert one_per_lineage(["A-small", "A-q", "A"], related) == ["A-small"]  # order decides


def test_lineage_groups_join_documented_relatives():
    from fingerprint.calibration import lineage_groups, related_models

    pairs = [{"reference": "A", "suspect": "A-q", "label": "same_model"},
             {"reference": "A", "suspect": "A-small", "label": "shared_lineage"},
             {"reference": "T", "suspect": "S", "label": "teacher_student"},
             {"reference": "X", "suspect": "Y", "label": "independent"}]
    groups = lineage_groups(["A", "X", "A-q", "S", "A-small", "T", "Y"], related_models(pairs))
    assert groups == [0, 1, 0, 2, 0, 2, 3]


def test_panel_wide_null_models_separate_known_lineage_and_reject_weighting(tmp_path):
    """``null_model="dyads"`` (variant 13) and ``"pooled"`` (variant 14) rank the synthetic students above the independent
    pairs, records itself, and refuses lineage weights it does not implement."""
    from fingerprint.calibration._benchmark import prepare_panel, read_labelled, score_pairs
    from fingerprint.calibration._null_check import null_pvalues
    from fingerprint.corpus import load_corpus

    corpus, pairs = _corpus(tmp_path)
    panel = prepare_panel(load_corpus(str(corpus)))
    labelled = read_labelled(str(pairs))
    res = score_pairs(panel, labelled, null_model="dyads")
    assert res["null_model"] == "dyads"
    assert res["summary"]["auc_teacher_student_vs_independent"] == 1.0
    assert all(r["p_value"] == r["p_predictive"] for r in res["pairs"])
    nulls = null_pvalues(panel, labelled, null_model="dyads")
    assert nulls.p_values.size > 50 and ((nulls.p_values > 0) & (nulls.p_values <= 1)).all()
    pooled = score_pairs(panel, labelled, null_model="pooled")
    assert pooled["summary"]["auc_teacher_student_vs_independent"] == 1.0
    with pytest.raises(ValueError, match="lineage"):
        score_pairs(panel, labelled, null_model="dyads", lineage_weighted=True)
    with pytest.raises(ValueError, match="null_model"):
        score_pairs(panel, labelled, null_model="pairs")
