"""`fingerprint collect` end to end against a loopback OpenAI-compatible server: the
collection summary, resume, failures and the hard budget."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from fakes.loopback import Action, FakeOpenAIApp, LoopbackServer
from fingerprint.cli import main

SUITE = """
suite: {id: tiny, version: "1"}
probes:
  - id: who
    family: identity
    rationale: test
    messages: [{role: user, content: "Who are you?"}]
    max_tokens: 16
  - id: color
    family: random_choice
    rationale: test
    messages: [{role: user, content: "Pick a colour."}]
    max_tokens: 8
  - id: fail-me
    family: identity
    rationale: test
    messages: [{role: user, content: "Please fail."}]
    max_tokens: 8
"""


@pytest.fixture
def suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)
    return path


def _suite_without_failing_probe(path: Path) -> Path:
    text = SUITE.split("  - id: fail-me")[0]
    out = path.with_name("ok.yaml")
    out.write_text(text)
    return out


def _run(args: list[str], capsys) -> tuple[int, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _count(db: Path) -> int:
    with sqlite3.connect(db) as con:
        return int(con.execute("SELECT COUNT(*) FROM samples").fetchone()[0])


def test_collect_writes_the_summary_and_resumes(tmp_path, suite_file, capsys, monkeypatch):
    app = FakeOpenAIApp()
    ok = _suite_without_failing_probe(suite_file)
    with LoopbackServer(app) as srv:
        monkeypatch.setenv("LOCALSVC_BASE_URL", srv.url + "/v1")
        monkeypatch.setenv("LOCALSVC_API_KEY", "test-key-not-secret")
        out, db = tmp_path / "run", tmp_path / "store.sqlite"
        args = ["collect", "--model", "openai-api/localsvc/model-a", "--model", "vllm/model-b",
                "--option", f"model2:base_url={srv.url}/v1", "--suite", str(ok),
                "--samples", "3", "--out", str(out), "--store", str(db), "--no-progress"]
        code, text = _run(args, capsys)
        assert code == 0, text
        summary = json.loads((out / "collection.json").read_text())
        assert summary["samples_expected"] == 2 * 2 * 3
        assert summary["samples_stored"] == 12 and summary["samples_new"] == 12
        assert summary["responses_reused"] == 0 and summary["samples_missing"] == 0
        # openai-api sends one sample per request, vLLM batches n=3: 6 + 2 calls
        assert summary["requests_made"] == 8 == app.good == len(srv.seen)
        assert _count(db) == 12
        rows = [json.loads(line) for line in (out / "responses.jsonl").read_text().splitlines()]
        assert len(rows) == 12 and {r["model_spec"] for r in rows} == {
            "openai-api/localsvc/model-a", "vllm/model-b"}
        assert all(r["response"]["served_model"] in ("model-a", "model-b") for r in rows)

        code, text = _run(args, capsys)
        assert code == 0, text
        again = json.loads((out / "collection.json").read_text())
        assert again["requests_made"] == 0 and again["samples_new"] == 0
        assert again["responses_reused"] == 12 and again["samples_stored"] == 12
        assert len(srv.seen) == 8


def test_collect_exits_non_zero_when_a_sample_is_missing(tmp_path, suite_file, capsys,
                                                         monkeypatch):
    inner = FakeOpenAIApp()

    def app(i, line, headers, body):
        if "fail" in body["messages"][-1]["content"]:
            return Action(status=400, body={"error": {"message": "unsupported prompt",
                                                      "type": "invalid_request_error"}})
        return inner(i, line, headers, body)

    with LoopbackServer(app) as srv:
        out, db = tmp_path / "run", tmp_path / "store.sqlite"
        code, text = _run(["collect", "--model", "llamacpp/m", "--option",
                           f"model1:base_url={srv.url}/v1", "--suite", str(suite_file),
                           "--samples", "2", "--out", str(out), "--store", str(db),
                           "--no-progress"], capsys)
    assert code == 3 and "Traceback" not in text
    assert "sample(s) missing" in text and "run the same command again" in text
    summary = json.loads((out / "collection.json").read_text())
    assert summary["samples_expected"] == 6 and summary["samples_stored"] == 4
    assert summary["samples_missing"] == 2 and len(summary["failures"]) == 2
    assert _count(db) == 4


def test_budget_is_never_exceeded_and_raising_it_resumes(tmp_path, suite_file, capsys):
    app = FakeOpenAIApp(fault=lambda i: Action(status=503, body={"error": "busy"})
                        if i % 4 == 1 else None)
    ok = _suite_without_failing_probe(suite_file)
    with LoopbackServer(app) as srv:
        out, db = tmp_path / "run", tmp_path / "store.sqlite"
        base = ["collect", "--model", "llamacpp/m", "--option", f"model1:base_url={srv.url}/v1",
                "--option", "model1:max_concurrency=3", "--suite", str(ok), "--samples", "10",
                "--out", str(out), "--store", str(db), "--no-progress"]
        code, text = _run(base + ["--max-requests", "7"], capsys)
        assert code == 4, text
        lines = [ln for ln in text.splitlines() if ln.startswith("fingerprint: error:")]
        assert len(lines) == 1 and "budget reached: spent 7 request(s)" in lines[0]
        assert "Raise --max-requests" in lines[0]
        assert len(srv.seen) == 7  # never one call more than the budget
        summary = json.loads((out / "collection.json").read_text())
        assert summary["requests_made"] == 7 and summary["stopped_by_budget"]
        assert summary["budget"]["requests"] == 7 and summary["budget"]["max_requests"] == 7
        stored = summary["samples_stored"]
        assert stored == _count(db) == app.good and 0 < stored < 20

        code, text = _run(base + ["--max-tokens", "100000"], capsys)
        assert code == 0, text
        done = json.loads((out / "collection.json").read_text())
        assert done["samples_stored"] == 20 and done["responses_reused"] == stored
        assert done["samples_new"] == 20 - stored
        assert done["budget"]["tokens"] <= 100000


def test_token_and_money_budgets_hold_with_real_usage(tmp_path, suite_file, capsys):
    app = FakeOpenAIApp()  # usage: 7 prompt + 3 completion tokens per answer
    ok = _suite_without_failing_probe(suite_file)
    with LoopbackServer(app) as srv:
        out, db = tmp_path / "run", tmp_path / "store.sqlite"
        base = ["collect", "--model", "llamacpp/m", "--option", f"model1:base_url={srv.url}/v1",
                "--option", "model1:max_concurrency=4", "--suite", str(ok), "--samples", "30",
                "--out", str(out), "--store", str(db), "--no-progress"]
        code, text = _run(base + ["--max-cost", "0.01"], capsys)
        assert code == 2 and "--price llamacpp/m=IN,OUT" in text and len(srv.seen) == 0
        # worst case per call: (13 bytes + 4 role + 8 + 64) prompt + 16 completion = 105
        # tokens; each call settles at 10 tokens, so 400 tokens buy far more than 400/105
        code, text = _run(base + ["--max-tokens", "400"], capsys)
        assert code == 4, text
        summary = json.loads((out / "collection.json").read_text())
        assert summary["budget"]["tokens"] <= 400 and summary["budget"]["exhausted"] == "tokens"
        assert summary["requests_made"] == len(srv.seen) == summary["samples_new"]
        assert 400 // 105 < summary["samples_new"] <= 40
        # $10/$30 per million: 0.00016 a call as settled, 0.00137 reserved (worst case)
        first = summary["samples_new"]
        code, text = _run(base + ["--max-cost", "0.003", "--price", "llamacpp/m=10,30"], capsys)
        assert code == 4 and "$0.00" in text, text
        summary = json.loads((out / "collection.json").read_text())
        assert summary["budget"]["cost_usd"] <= 0.003 and summary["budget"]["exhausted"] == "cost"
        assert summary["requests_made"] == len(srv.seen) - first
        assert summary["samples_stored"] == first + summary["samples_new"] < 60
