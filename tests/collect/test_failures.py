"""The final error of a short collection names each cause once, with what it cost."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from fakes.loopback import Action, FakeOpenAIApp, LoopbackServer
from fingerprint.cli import main
from fingerprint.collect.failures import group_failures, incomplete_message, make_failure

SUITE = """
suite: {id: tiny, version: "1"}
probes:
""" + "".join(f"""  - id: p{i}
    family: identity
    rationale: test
    messages: [{{role: user, content: "Question {i}?"}}]
    max_tokens: 8
""" for i in range(6))


def test_causes_are_grouped_per_model_ignoring_request_ids_and_attempt_counts():
    failures = [make_failure("openai/a", f"p{i}", f"openai/a: HTTP 500 (request id r{i}) "
                             f"(gave up after {i + 2} attempts)", 2) for i in range(5)]
    failures.append(make_failure("vllm/b", "p0", "timeout", 1))
    causes = group_failures(failures)
    assert [(c.model, c.requests, c.probes, c.samples) for c in causes] == [
        ("openai/a", 5, 5, 10), ("vllm/b", 1, 1, 1)]
    assert causes[1].cause == "vllm/b: timeout"
    text = incomplete_message(11, failures)
    lines = text.splitlines()
    assert len(lines) == 4 and lines[1].count("HTTP 500") == 1
    assert lines[-1].startswith("Everything collected is stored") and "resume" in lines[-1]


def test_one_cause_is_one_line():
    failures = [make_failure("openai/a", f"p{i}", "openai/a: refused", 1) for i in range(79)]
    text = incomplete_message(79, failures)
    assert "\n" not in text and text.count("refused") == 1
    assert "[79 request(s), 79 probe(s), 79 sample(s)]" in text and "resume" in text


def _run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out + out.err


def test_a_wrong_key_and_a_dead_port_each_print_their_cause_once(tmp_path: Path, capsys,
                                                                  monkeypatch):
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE)

    def unauthorized(i, line, headers, body):
        return Action(status=401, body={"error": {"message": "Incorrect API key provided",
                                                  "type": "invalid_request_error",
                                                  "code": "invalid_api_key"}})

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    with LoopbackServer(unauthorized) as bad, LoopbackServer(FakeOpenAIApp()) as good:
        monkeypatch.setenv("BADSVC_BASE_URL", bad.url + "/v1")
        monkeypatch.setenv("BADSVC_API_KEY", "wrong-key-0000")
        monkeypatch.setenv("DEADSVC_BASE_URL", f"http://127.0.0.1:{dead}/v1")
        monkeypatch.setenv("DEADSVC_API_KEY", "any-key-0000")
        out = tmp_path / "run"
        code, text = _run(["collect", "--model", "openai-api/badsvc/m",
                           "--model", "openai-api/deadsvc/m", "--model", "vllm/ok",
                           "--option", f"model3:base_url={good.url}/v1", "--suite", str(suite),
                           "--samples", "2", "--out", str(out), "--store",
                           str(tmp_path / "s.sqlite"), "--no-progress"], capsys)
    assert code == 3
    assert text.count("HTTP 401") == 1 and text.count("cannot reach") == 1
    assert "check the key in BADSVC_API_KEY" in text and "DEADSVC_BASE_URL" in text
    assert "wrong-key-0000" not in text
    summary = json.loads((out / "collection.json").read_text())
    causes = {c["model"]: c for c in summary["failure_causes"]}
    assert causes["openai-api/badsvc/m"]["requests"] == 12  # 6 probes x 2 samples, n=1
    assert causes["openai-api/deadsvc/m"]["probes"] == 6
    assert summary["samples_stored"] == 12 and len(summary["failures"]) == 24
