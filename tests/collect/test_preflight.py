"""Before the money is spent: ``--dry-run`` (plan + one check per remote model, nothing
stored) and the preflight a real ``compare`` makes, against loopback servers."""

from __future__ import annotations

import json
import socket
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
    messages: [{role: user, content: "Who are you? Answer in one sentence."}]
    max_tokens: 16
  - id: color
    family: random_choice
    rationale: test
    messages: [{role: user, content: "Pick a colour."}]
    max_tokens: 8
"""


@pytest.fixture
def suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)
    return path


def _run(args: list[str], capsys) -> tuple[int, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _error(status: int, message: str, code: str):
    def script(i, line, headers, body):
        return Action(status=status, body={"error": {"message": message, "code": code,
                                                     "type": "invalid_request_error"}})
    return script


def test_dry_run_on_organisms_makes_no_request_and_plans_their_answers(tmp_path, capsys):
    out = tmp_path / "run"
    code, text = _run(["compare", "--ref", "zoo/teacher", "--suspect", "zoo/student-100",
                       "--control", "zoo/independent-a", "--out", str(out), "--dry-run",
                       "--store", str(tmp_path / "none.sqlite")], capsys)
    assert code == 0, text
    lines = text.splitlines()
    total = next(line for line in lines if line.startswith("total"))
    assert "0 remote" in total and "$0.00" in total
    assert "preflight: 0 request(s) to 0 remote model(s)" in text and text.count("ready: local organism") == 3
    assert "790" in next(line for line in lines if line.startswith("zoo/teacher"))
    assert not out.exists() and not (tmp_path / "none.sqlite").exists()


def test_dry_run_against_loopback_servers_plans_prices_and_checks_once_each(
        tmp_path, suite_file, capsys, monkeypatch):
    a, b = FakeOpenAIApp(), FakeOpenAIApp()
    with LoopbackServer(a) as srv_a, LoopbackServer(b) as srv_b:
        monkeypatch.setenv("LOCALSVC_BASE_URL", srv_a.url + "/v1")
        monkeypatch.setenv("LOCALSVC_API_KEY", "test-key-not-secret")
        out, db = tmp_path / "run", tmp_path / "store.sqlite"
        code, text = _run(["compare", "--ref", "openai-api/localsvc/model-a",
                           "--suspect", "vllm/model-b", "--control", "vllm/model-b",
                           "--option", f"suspect:base_url={srv_b.url}/v1",
                           "--option", f"control1:base_url={srv_b.url}/v1",
                           "--suite", str(suite_file), "--samples", "4", "--out", str(out),
                           "--store", str(db), "--dry-run",
                           "--price", "openai-api/localsvc/model-a=2,10",
                           "--price", "vllm/model-b=1,4"], capsys)
        seen_a, seen_b = list(srv_a.seen), list(srv_b.seen)
    assert code == 0, text
    # exactly one request per endpoint: the suspect and the control share one check
    assert len(seen_a) == 1 and len(seen_b) == 1
    assert seen_a[0][2]["max_tokens"] == 1
    rows = {line.split()[0] + " " + line.split()[1]: line for line in text.splitlines()
            if line.startswith(("openai-api/", "vllm/"))}
    ref = rows["openai-api/localsvc/model-a reference"]
    # 2 probes x 4 samples, one sample per request (openai-api): 8 requests;
    # prompt ~ ceil(36/4)+4+3 = 16 and ceil(14/4)+4+3 = 11 tokens; completion <= 16 and 8
    assert " 8 " in ref and "108" in ref and "96" in ref
    assert "$0.0012" not in ref and "$0.00" in ref and "(--price)" in ref
    suspect = rows["vllm/model-b suspect"]
    assert " 2 " in suspect  # vLLM batches n=4: one request per probe
    assert "preflight: 2 request(s) to 2 remote model(s)" in text
    assert text.count(": ready: ") == 3 and "serving model-a" in text
    assert "every model is ready" in text
    assert not out.exists() and not db.exists()


def test_dry_run_names_what_to_fix_and_exits_non_zero(tmp_path, suite_file, capsys,
                                                     monkeypatch):
    monkeypatch.delenv("NOKEY_API_KEY", raising=False)
    monkeypatch.setenv("NOKEY_BASE_URL", "http://127.0.0.1:1/v1")
    code, text = _run(["collect", "--model", "openai-api/nokey/m", "--model", "zoo/teacher",
                       "--suite", str(suite_file), "--dry-run", "--out", str(tmp_path / "o"),
                       "--max-cost", "1"], capsys)
    assert code == 3
    assert "openai-api/nokey/m (model 1): NOT READY: openai-api/nokey/m needs an API key: " \
           "set the environment variable NOKEY_API_KEY" in text
    assert "1 model(s) not ready" in text


@pytest.mark.parametrize("script,expected", [
    (_error(401, "Incorrect API key provided: wrong-***", "invalid_api_key"),
     "Incorrect API key provided: wrong-***; check the key in BADSVC_API_KEY"),
    (_error(404, "The model `gpt-nope` does not exist", "model_not_found"),
     "check the model name and the base URL"),
])
def test_a_failing_model_stops_compare_before_any_other_is_charged(
        tmp_path, suite_file, capsys, monkeypatch, script, expected):
    good = FakeOpenAIApp()
    with LoopbackServer(script) as bad_srv, LoopbackServer(good) as good_srv:
        monkeypatch.setenv("BADSVC_BASE_URL", bad_srv.url + "/v1")
        monkeypatch.setenv("BADSVC_API_KEY", "wrong-key-123456")
        out = tmp_path / "run"
        code, text = _run(["compare", "--ref", "openai-api/badsvc/gpt-nope",
                           "--suspect", "vllm/ok", "--option",
                           f"suspect:base_url={good_srv.url}/v1", "--suite", str(suite_file),
                           "--samples", "3", "--out", str(out), "--store",
                           str(tmp_path / "s.sqlite"), "--no-progress"], capsys)
        assert len(bad_srv.seen) == 1 and len(good_srv.seen) == 1  # the checks, nothing more
    assert code == 3
    line = text.strip()
    assert line.count("\n") == 0 and line.startswith("fingerprint: error: preflight: "
                                                     "openai-api/badsvc/gpt-nope (reference)")
    assert expected in line and "nothing was sampled" in line
    assert "wrong-key-123456" not in line
    summary = json.loads((out / "collection.json").read_text())
    assert summary["stopped_by_preflight"] and summary["preflight_requests"] == 2
    assert summary["requests_made"] == 0 and summary["samples_stored"] == 0


def test_a_refused_port_stops_compare_in_one_line(tmp_path, suite_file, capsys, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-000")
    code, text = _run(["compare", "--ref", "openai/gpt-4o", "--suspect", "zoo/teacher",
                       "--suite", str(suite_file), "--out", str(tmp_path / "run"),
                       "--store", str(tmp_path / "s.sqlite"), "--no-progress"], capsys)
    assert code == 3 and text.strip().count("\n") == 0
    assert "openai/gpt-4o (reference): NOT READY: cannot reach" in text
    assert "(from OPENAI_BASE_URL)" in text and "sk-test-not" not in text


def test_a_429_storm_that_recovers_passes_the_preflight_and_the_run(
        tmp_path, suite_file, capsys, monkeypatch):
    app = FakeOpenAIApp(fault=lambda i: Action(
        status=429, body={"error": {"message": "Rate limit reached", "type": "requests"}},
        headers={"retry-after-ms": "20"}) if i < 3 else None)
    with LoopbackServer(app) as srv:
        monkeypatch.setenv("STORMY_BASE_URL", srv.url + "/v1")
        monkeypatch.setenv("STORMY_API_KEY", "test-key-not-secret")
        out = tmp_path / "run"
        code, text = _run(["collect", "--preflight", "--model", "openai-api/stormy/m",
                           "--suite", str(suite_file), "--samples", "2", "--out", str(out),
                           "--store", str(tmp_path / "s.sqlite"), "--no-progress"], capsys)
    assert code == 0, text
    summary = json.loads((out / "collection.json").read_text())
    assert summary["preflight"][0]["ready"] and summary["preflight_requests"] == 4
    assert summary["samples_stored"] == 4 and summary["requests_made"] == 4
