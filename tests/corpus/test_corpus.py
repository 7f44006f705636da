"""Corpus loading: the three layouts, errors naming file and line, real AlpacaEval slices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fakes.corpora import alpaca_slice
from fingerprint.corpus import clear_cache, load_corpus, prompt_hash
from fingerprint.errors import CorpusError
from fakes.paths import CORPORA



def _fastchat(root: Path, dict_turns: bool, hex_ids: bool, questions_up: bool) -> Path:
    answers = root / "model_answer"
    answers.mkdir(parents=True)
    qdir = root if questions_up else answers
    ids = ["a1f3", "b2c4"] if hex_ids else [81, 82]
    turn = (lambda t: {"content": t, "token_len": 3}) if dict_turns else (lambda t: t)
    with (qdir / "question.jsonl").open("w") as fh:
        for qid, q in zip(ids, ["Write a poem.", "Explain   gravity."]):
            fh.write(json.dumps({"question_id": qid, "category": "x",
                                 "turns": [turn(q), turn("Now shorter.")]}) + "\n")
    for model in ("m-one", "m-two"):
        with (answers / f"{model}.jsonl").open("w") as fh:
            for qid in ids:
                fh.write(json.dumps({"question_id": qid, "model_id": model, "choices": [
                    {"index": 0, "turns": [turn(f"{model} first {qid}"), turn("second")]}],
                    "tstamp": 1.0}) + "\n")
    return root


@pytest.mark.parametrize("dict_turns,hex_ids,questions_up",
                         [(False, False, False), (True, True, True), (True, False, False)])
def test_fastchat_layouts(tmp_path, dict_turns, hex_ids, questions_up):
    clear_cache()
    root = _fastchat(tmp_path / "fc", dict_turns, hex_ids, questions_up)
    c = load_corpus(str(root))
    assert c.layout == "fastchat" and c.models == ["m-one", "m-two"]
    qid = "a1f3" if hex_ids else "81"
    assert c.answers["m-one"][qid] == [f"m-one first {qid}"]  # first turn only
    assert c.find_prompt("Explain gravity.") == ("b2c4" if hex_ids else "82")


def test_fastchat_bad_line_names_file_and_line(tmp_path):
    root = _fastchat(tmp_path / "fc", False, False, False)
    f = root / "model_answer" / "m-two.jsonl"
    f.write_text(f.read_text() + '{"question_id": 83, "choices": []}\n')
    with pytest.raises(CorpusError, match=r"m-two\.jsonl:3: 'choices'"):
        load_corpus(str(root))
    f.write_text(f.read_text() + '{"question_id": 84, "choi\n')
    with pytest.raises(CorpusError, match=r"m-two\.jsonl:3"):
        load_corpus(str(root))


def test_jsonl_layout_and_errors(tmp_path):
    f = tmp_path / "c.jsonl"
    rows = [{"model": m, "prompt_id": i, "prompt": f"q{i}", "response": f"{m}{i}"}
            for m in ("a", "b") for i in range(3)]
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    c = load_corpus(f)
    assert c.layout == "jsonl" and c.shared_prompts() == ["0", "1", "2"]
    assert c.texts("b", ["2"]) == ["b2"]
    f.write_text(f.read_text() + json.dumps({"model": "a", "prompt": "x", "response": "y"}) + "\n")
    with pytest.raises(CorpusError, match=r"c\.jsonl:7: missing field\(s\) prompt_id"):
        load_corpus(f)
    with pytest.raises(CorpusError, match="cannot tell the layout"):
        load_corpus(tmp_path)


def test_unknown_model_is_clear(tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text(json.dumps({"model": "a", "prompt_id": 1, "prompt": "p", "response": "r"}) + "\n")
    with pytest.raises(CorpusError, match="no model 'zz'"):
        load_corpus(f).check_models(["zz"])


def test_alpaca_eval_slice(tmp_path):
    root = alpaca_slice(tmp_path / "ae", ["gpt4", "claude", "alpaca-7b"], 12)
    c = load_corpus(root)
    assert c.layout == "alpaca_eval" and c.models == ["alpaca-7b", "claude", "gpt4"]
    assert len(c.shared_prompts()) >= 10
    pid = c.shared_prompts()[0]
    assert pid == prompt_hash(c.prompts[pid])
    bad = root / "results" / "claude" / "model_outputs.json"
    data = json.loads(bad.read_text())
    del data[3]["output"]
    bad.write_text(json.dumps(data, indent=1))
    with pytest.raises(CorpusError, match=r"claude/model_outputs\.json:\d+: item 3"):
        load_corpus(root)


def test_full_alpaca_eval_loads_once_per_process():
    if not (CORPORA / "alpaca_eval" / "results").is_dir():
        pytest.skip("shared AlpacaEval corpus not available")
    clear_cache()
    c = load_corpus(CORPORA / "alpaca_eval")
    assert len(c.models) == 76 and len(c.prompts) == 805
    assert load_corpus(CORPORA / "alpaca_eval") is c  # cached, not parsed again
