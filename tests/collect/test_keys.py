"""A key set in the environment appears in no file a run writes, even when the server
echoes it back in bodies, headers and error messages."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from fakes.loopback import Action, FakeOpenAIApp, LoopbackServer
from fingerprint.cli import main

SUITE = """
suite: {id: tiny, version: "1"}
probes:
  - {id: a, family: f, rationale: r, max_tokens: 8, messages: [{role: user, content: "Say a."}]}
  - {id: b, family: f, rationale: r, max_tokens: 8, messages: [{role: user, content: "Say b."}]}
"""


def _every_file(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*") if p.is_file()]


def test_the_key_is_in_no_file_the_run_writes(tmp_path, monkeypatch, capsys):
    key = f"kq{uuid.uuid4().hex}Zx"  # not key-shaped: only exact redaction can catch it
    inner = FakeOpenAIApp()
    seen_auth: list[str] = []

    def echoing(i, line, headers, body):
        auth = headers.get("authorization", "")
        seen_auth.append(auth)
        if i == 0:  # a retryable error that quotes the key
            return Action(status=500, body={"error": {"message": f"bad token {auth}",
                                                      "type": "server_error"}})
        if i == 1:  # a refusal with the key in it ends that request: logged, not stored
            return Action(status=400, headers={"x-request-id": f"req_{key}"},
                          body={"error": {"message": f"key {key} may not ask this",
                                          "type": "invalid_request_error"}})
        action = inner(i, line, headers, body)
        action.body["choices"][0]["message"]["content"] += f" (you sent {auth})"
        action.body["id"] = f"chatcmpl-{key}"
        action.headers = {"x-request-id": f"req_{key}", "openai-processing-ms": "3"}
        return action

    cache, out = tmp_path / "cache", tmp_path / "run"
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE)
    monkeypatch.setenv("FINGERPRINT_CACHE_DIR", str(cache))
    monkeypatch.setenv("SECRETSVC_API_KEY", key)
    with LoopbackServer(echoing) as srv:
        monkeypatch.setenv("SECRETSVC_BASE_URL", srv.url + "/v1")
        args = ["collect", "--model", "openai-api/secretsvc/m", "--suite", str(suite),
                "--samples", "3", "--out", str(out)]
        first = main(args)
        logs = capsys.readouterr()
        assert first == 3  # the refused request is reported, not retried
        assert main(args) == 0
        logs2 = capsys.readouterr()
    assert seen_auth and all(a == f"Bearer {key}" for a in seen_auth)  # the key was sent
    files = _every_file(cache, out)
    assert any(p.suffix == ".sqlite" for p in files) and (out / "responses.jsonl").is_file()
    for path in files:  # the store, its WAL, the run folder: raw bytes
        assert key.encode() not in path.read_bytes(), path
    for text in (logs.out, logs.err, logs2.out, logs2.err):
        assert key not in text
    assert "may not ask this" in logs.err  # the server's message is kept, minus the key
    rows = [json.loads(x) for x in (out / "responses.jsonl").read_text().splitlines()]
    assert len(rows) == 6
    assert all("[REDACTED]" in r["response"]["text"] for r in rows)
    assert all(r["response"]["response_headers"]["x-request-id"] == "req_[REDACTED]"
               for r in rows)
    assert all(r["response"]["request_id"].startswith("chatcmpl-[REDACTED]") for r in rows)
