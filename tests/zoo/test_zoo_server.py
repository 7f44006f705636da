"""The zoo's OpenAI-compatible HTTP server, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import threading

import httpx
import pytest

from fingerprint.zoo import load_organism
from fingerprint.zoo.server import make_server


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    set_here = not os.environ.get("FINGERPRINT_CACHE_DIR")
    if set_here:
        os.environ["FINGERPRINT_CACHE_DIR"] = str(tmp_path_factory.getbasetemp() / "zoo-cache")
    server = make_server("teacher", "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}/v1"
    server.shutdown()
    server.server_close()
    if set_here:
        os.environ.pop("FINGERPRINT_CACHE_DIR", None)


CHAT = {"model": "teacher", "messages": [{"role": "user", "content": "Who are you?"}]}


def _error(resp: httpx.Response, status: int) -> dict:
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["message"]
    assert err["type"] == "invalid_request_error"
    return err


def test_chat_completion_shape_with_n_and_logprobs(base_url):
    body = dict(CHAT, n=3, seed=42, temperature=1.0, max_tokens=12, logprobs=True, top_logprobs=2)
    resp = httpx.post(f"{base_url}/chat/completions", json=body, timeout=30)
    assert resp.status_code == 200
    data = resp.json()
    assert data["id"].startswith("chatcmpl-") and data["object"] == "chat.completion"
    assert data["model"] == "teacher" and isinstance(data["created"], int)
    assert data["system_fingerprint"] == load_organism("teacher").weights_sha256
    assert [c["index"] for c in data["choices"]] == [0, 1, 2]
    completion_tokens = 0
    for choice in data["choices"]:
        assert choice["message"]["role"] == "assistant"
        assert choice["finish_reason"] in ("stop", "length")
        content = choice["logprobs"]["content"]
        assert "".join(t["token"] for t in content) == choice["message"]["content"]
        for tok in content:
            assert tok["bytes"] == list(tok["token"].encode("utf-8")) and tok["logprob"] <= 0
            assert 1 <= len(tok["top_logprobs"]) <= 2
            assert set(tok["top_logprobs"][0]) == {"token", "logprob", "bytes"}
        completion_tokens += len(content)
    usage = data["usage"]
    assert usage["completion_tokens"] == completion_tokens
    assert usage["total_tokens"] == usage["prompt_tokens"] + completion_tokens > completion_tokens
    again = httpx.post(f"{base_url}/chat/completions", json=body, timeout=30).json()
    assert [c["message"] for c in again["choices"]] == [c["message"] for c in data["choices"]]
    direct = load_organism("teacher").generate(CHAT["messages"], seed=42, n=3, max_tokens=12)
    assert [g.text for g in direct] == [c["message"]["content"] for c in data["choices"]]


def test_max_completion_tokens_and_no_logprobs(base_url):
    body = dict(CHAT, max_completion_tokens=2, seed=1)
    data = httpx.post(f"{base_url}/chat/completions", json=body, timeout=30).json()
    assert data["choices"][0]["finish_reason"] == "length"
    assert data["choices"][0]["logprobs"] is None and data["usage"]["completion_tokens"] == 2


def test_legacy_completion_shape(base_url):
    body = {"model": "teacher", "prompt": "Flip a coin.", "n": 2, "seed": 3, "max_tokens": 6,
            "logprobs": 2}
    resp = httpx.post(f"{base_url}/completions", json=body, timeout=30)
    assert resp.status_code == 200
    data = resp.json()
    assert data["object"] == "text_completion" and data["id"].startswith("cmpl-")
    for i, choice in enumerate(data["choices"]):
        lp = choice["logprobs"]
        assert choice["index"] == i and "".join(lp["tokens"]) == choice["text"]
        assert len(lp["token_logprobs"]) == len(lp["tokens"]) == len(lp["text_offset"])
        assert all(isinstance(t, dict) and len(t) <= 2 for t in lp["top_logprobs"])
        assert lp["text_offset"][0] == 0


def test_models_list(base_url):
    data = httpx.get(f"{base_url}/models", timeout=10).json()
    assert data["object"] == "list"
    assert data["data"] == [{"id": "teacher", "object": "model", "created": data["data"][0]["created"],
                             "owned_by": "fingerprint-zoo"}]
    assert httpx.get(f"{base_url}/models/teacher", timeout=10).json()["id"] == "teacher"


@pytest.mark.parametrize("body,param", [
    (dict(CHAT, n=0), "n"), (dict(CHAT, n=129), "n"), (dict(CHAT, temperature=3), "temperature"),
    ({"model": "teacher"}, "messages"), ({"messages": CHAT["messages"]}, "model"),
    (dict(CHAT, top_logprobs=3), "top_logprobs"), (dict(CHAT, max_tokens="x"), "max_tokens"),
    (dict(CHAT, messages=[{"role": "robot", "content": "hi"}]), "messages[0].role"),
])
def test_bad_requests_get_openai_errors(base_url, body, param):
    err = _error(httpx.post(f"{base_url}/chat/completions", json=body, timeout=10), 400)
    assert err["param"] == param


def test_malformed_json_unknown_model_and_url(base_url):
    resp = httpx.post(f"{base_url}/chat/completions", content=b"{not json",
                      headers={"Content-Type": "application/json"}, timeout=10)
    _error(resp, 400)
    err = _error(httpx.post(f"{base_url}/chat/completions", json=dict(CHAT, model="gpt-4o"),
                            timeout=10), 404)
    assert err["code"] == "model_not_found"
    _error(httpx.post(f"{base_url}/embeddings", json={}, timeout=10), 404)
