"""Pieces of the stress-split benchmark (benchmarks/corpus_splits.py): variant parsing, the
truncated corpus of variant 11 and the leave-one-corpus-out choice."""

from __future__ import annotations

import dataclasses

import pytest
from fakes.benchmark_module import benchmark_module


@pytest.fixture(scope="module")
def splits():
    with benchmark_module("corpus_splits") as module:
        yield module


@dataclasses.dataclass
class _Corpus:
    answers: dict


def test_truncation_keeps_the_text_up_to_the_kth_token(splits):
    data = _Corpus({"m": {"p": ["Sure!  Here is   a list:\n1. one", "Hi", ""]}})
    cut = splits.truncated_corpus(data, 3).answers["m"]["p"]
    assert cut == ["Sure!  Here", "Hi", ""]  # 'Sure', '!', 'Here': spacing kept as written
    assert splits.truncated_corpus(data, 100).answers == data.answers


def test_variant_names_parse_and_conflicts_are_refused(splits):
    assert splits.options("mean+t+len64")["truncate"] == 64
    assert splits.options("mean+t")["truncate"] is None
    for bad in ("mean+t+len0", "mean+len32+len64", "mean+sty+len32", "mean+lenx"):
        with pytest.raises(SystemExit):
            splits.options(bad)


def _rows(corpus, variant, auc, tpr):
    return {"corpus": corpus, "split": "all", "variant": variant,
            "auc_teacher_student_vs_independent": auc, "tpr_teacher_student_at_fpr_0.05": tpr}


def test_leave_one_out_chooses_on_the_other_corpora_only(splits):
    rows = [_rows("a", "x", 0.9, 0.5), _rows("a", "y", 0.6, 0.1),
            _rows("b", "x", 0.7, 0.2), _rows("b", "y", 0.95, 0.9)]
    loco = splits.leave_one_out(rows, ["x", "y"], ["a", "b"])
    # a is scored with what b prefers (y) and b with what a prefers (x): both worse here
    assert loco["chosen"] == {"a": "y", "b": "x"}
    assert loco["worst"]["auc_teacher_student_vs_independent"]["value"] == 0.6
