"""ReplayProvider and corpus_suite: stored answers served like live ones, offline."""

from __future__ import annotations

import asyncio
import json

import pytest

from fingerprint.errors import CorpusError, ProviderError, SpecError
from fingerprint.models.base import ChatRequest
from fingerprint.corpus import corpus_suite
from fingerprint.models.replay import ReplayProvider, split_replay_model
from fingerprint.models.spec import parse_spec


def _jsonl_corpus(tmp_path):
    f = tmp_path / "c.jsonl"
    rows = [{"model": m, "prompt_id": i, "prompt": f"Question  number {i}?", "response": f"{m}-{i}"}
            for m in ("a", "b", "c") for i in range(4) if not (m == "c" and i == 3)]
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return f


def _ask(provider, text, n=1):
    req = ChatRequest(messages=({"role": "system", "content": "be brief"},
                                {"role": "user", "content": text}), n=n)
    return asyncio.run(provider.complete(req))


def test_replay_corpus_answers_and_missing_prompt(tmp_path):
    f = _jsonl_corpus(tmp_path)
    prov = ReplayProvider(parse_spec(f"replay/{f}#b"))
    out = _ask(prov, " Question number 2? \n")  # whitespace-normalised match
    assert [c.text for c in out] == ["b-2"] and out[0].served_model == "b"
    with pytest.raises(ProviderError, match="no answer to the prompt") as err:
        _ask(prov, "Something else")
    assert err.value.retryable is False
    with pytest.raises(ProviderError, match="only 1 stored answer"):
        _ask(prov, "Question number 2?")  # the one stored sample was served already


def test_replay_spec_errors(tmp_path):
    with pytest.raises(SpecError, match="#MODEL"):
        split_replay_model("some/path")
    f = _jsonl_corpus(tmp_path)
    with pytest.raises(CorpusError, match="no model 'zz'"):
        ReplayProvider(parse_spec(f"replay/{f}#zz"))


def test_corpus_suite_uses_shared_prompts(tmp_path):
    f = _jsonl_corpus(tmp_path)
    suite = corpus_suite(str(f))
    assert [p.id for p in suite.probes] == ["0", "1", "2"]  # c lacks prompt 3
    assert all(p.family == "corpus" and p.samples == 1 and p.answer_type == "free_text"
               for p in suite.probes)
    assert len(corpus_suite(str(f), models=["a", "b"]).probes) == 4
    assert suite.sha256 == corpus_suite(str(f)).sha256


def test_replay_run_folder(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    lines = []
    for spec in ("zoo/teacher", "zoo/student"):
        for k in (1, 0):
            lines.append({"model_spec": spec, "probe_id": "p1", "sample_index": k,
                          "request": {"messages": [{"role": "user", "content": "Hi there"}]},
                          "response": {"text": f"{spec} says {k}"}})
    (run / "responses.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    (run / "report.json").write_text(json.dumps({"models": {"reference": {"spec": "zoo/teacher"},
                                                            "suspect": {"spec": "zoo/student"}}}))
    prov = ReplayProvider(parse_spec(f"replay/{run}#zoo/student"))
    assert [c.text for c in _ask(prov, "Hi  there", n=2)] == ["zoo/student says 0",
                                                              "zoo/student says 1"]
    ref = ReplayProvider(parse_spec(f"replay/{run}#reference"))
    assert _ask(ref, "Hi there")[0].text == "zoo/teacher says 0"
    with pytest.raises(CorpusError, match="no answers from 'openai/x'"):
        ReplayProvider(parse_spec(f"replay/{run}#openai/x"))


def test_a_replay_run_records_no_invented_sampling_and_hashes_its_source(tmp_path):
    """Replayed lines carry no sampling parameters, seed or time that no model saw; the
    collection names the corpus files with their SHA-256 and the report says it replayed."""
    import hashlib

    from fingerprint.cli import main

    rows = [{"model": m, "prompt_id": i, "prompt": f"Question number {i}?",
             "response": f"{m} answers {i} " * (i + 1)}
            for m in ("a", "b", "c", "d", "e") for i in range(12)]
    f = corpus = tmp_path / "answers.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "run"
    args = ["compare", "--ref", f"replay/{corpus}#a", "--suspect", f"replay/{corpus}#b",
            "--control", f"replay/{corpus}#c", "--control", f"replay/{corpus}#d",
            "--control", f"replay/{corpus}#e", "--samples", "1", "--out", str(out),
            "--store", str(tmp_path / "store.db"), "--no-progress"]
    assert main(args) == 0
    lines = [json.loads(x) for x in (out / "responses.jsonl").read_text().splitlines()]
    assert len(lines) == 60
    for line in lines:
        assert set(line["request"]) == {"messages", "replayed", "n"}
        assert line["response"]["created"] is None and line["response"]["latency_s"] is None
    expected = hashlib.sha256(f.read_bytes()).hexdigest()
    collection = json.loads((out / "collection.json").read_text())
    assert collection["replay_sources"][str(corpus.resolve())]["files"] == {"answers.jsonl": expected}
    assert lines[0]["response"]["raw_response"]["source_sha256"] == \
        collection["replay_sources"][str(corpus.resolve())]["sha256"]
    md = (out / "report.md").read_text()
    assert "not collected by this tool" in md and "once (one answer per prompt)" in md
    assert "several times" not in md
    report = json.loads((out / "report.json").read_text())
    assert report["collection"]["first_request"] is None  # no replay-time clock presented
    assert all(m["served"]["first_request"] is None for m in report["models"]["controls"])
    assert main(["verify", str(out)]) == 0
