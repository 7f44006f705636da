"""Ollama's native /api/chat on the wire."""

from __future__ import annotations

import asyncio

import pytest

from fakes.vendors import FakeSleep, ScriptedServer, ollama_chat, ollama_error, reply
from fingerprint.errors import ProviderError
from fingerprint.models import ChatRequest, parse_spec
from fingerprint.models._env import normalize_ollama_host
from fingerprint.models.registry import get_provider

MSGS = ({"role": "user", "content": "Name a colour."},)


def _provider(server, env=None, options=None):
    sleep = FakeSleep()
    return get_provider(parse_spec("ollama/qwen2.5:7b", options), env=env or {},
                        transport=server.transport, sleep=sleep, clock=sleep.clock)


def _run(p, **kw):
    return asyncio.run(p.complete(ChatRequest(messages=MSGS, **kw)))


def test_request_body_and_parsed_answer():
    server = ScriptedServer([reply(200, ollama_chat("Blue."))])
    p = _provider(server)
    c = _run(p, temperature=0.8, top_p=0.95, max_tokens=20, seed=5)[0]
    sent = server.requests[0]
    assert sent.url == "http://localhost:11434/api/chat"
    assert "authorization" not in sent.headers
    assert sent.body == {"model": "qwen2.5:7b", "messages": list(MSGS), "stream": False,
                         "options": {"temperature": 0.8, "top_p": 0.95, "num_predict": 20,
                                     "seed": 5}}
    assert c.text == "Blue." and c.finish_reason == "stop" and c.served_model == "qwen2.5:7b"
    assert c.usage == {"prompt_tokens": 26, "completion_tokens": 12, "total_tokens": 38}
    assert c.raw_response["created_at"] == "2025-06-12T14:13:43.416799Z"
    assert c.raw_request == sent.body and c.logprobs is None and p.max_n == 1


def test_seedless_request_sends_no_seed_and_extra_merges_into_options():
    server = ScriptedServer([reply(200, ollama_chat("x", done_reason="length"))])
    c = _run(_provider(server, options={"extra": {"options": {"num_ctx": 8192},
                                                   "keep_alive": "10m"}}))[0]
    body = server.requests[0].body
    assert "seed" not in body["options"] and body["options"]["num_ctx"] == 8192
    assert body["options"]["temperature"] == 1.0 and body["keep_alive"] == "10m"
    assert c.finish_reason == "length"


def test_logprobs_when_asked():
    lps = [{"token": "Blue", "logprob": -0.3, "bytes": [66, 108, 117, 101],
            "top_logprobs": [{"token": "Blue", "logprob": -0.3}, {"token": "Red", "logprob": -1.5}]}]
    server = ScriptedServer([reply(200, ollama_chat("Blue", logprobs=lps))])
    c = _run(_provider(server), logprobs=True, top_logprobs=2)[0]
    assert server.requests[0].body["logprobs"] is True
    assert server.requests[0].body["top_logprobs"] == 2
    assert c.logprobs == [{"token": "Blue", "logprob": -0.3,
                           "top_logprobs": [{"token": "Blue", "logprob": -0.3},
                                            {"token": "Red", "logprob": -1.5}]}]


@pytest.mark.parametrize("value,url", [
    ("localhost", "http://localhost:11434"), ("0.0.0.0:9999", "http://0.0.0.0:9999"),
    ("https://ollama.example.org", "https://ollama.example.org:443"),
    ("http://gpu-box:11434/", "http://gpu-box:11434"), ("[::1]", "http://[::1]:11434"),
])
def test_ollama_host_forms(value, url):
    assert normalize_ollama_host(value) == url


def test_ollama_host_from_env():
    server = ScriptedServer([reply(200, ollama_chat("x"))])
    _run(_provider(server, env={"OLLAMA_HOST": "gpu-box:11500"}))
    assert server.requests[0].url == "http://gpu-box:11500/api/chat"


def test_model_not_found_is_a_clear_final_error():
    server = ScriptedServer([reply(404, ollama_error(
        'model "qwen2.5:7b" not found, try pulling it first'))])
    with pytest.raises(ProviderError) as info:
        _run(_provider(server))
    assert not info.value.retryable and len(server.requests) == 1
    assert 'model "qwen2.5:7b" not found' in str(info.value)
    assert "check the model name" in str(info.value)


def test_unfinished_or_empty_answers_are_malformed():
    server = ScriptedServer([reply(200, ollama_chat("partial", done=False)),
                             reply(200, {"model": "qwen2.5:7b", "done": True}),
                             reply(200, ollama_chat("whole"))])
    assert _run(_provider(server))[0].text == "whole" and len(server.requests) == 3
    bad = ScriptedServer([reply(200, {"model": "qwen2.5:7b", "done": True})])
    with pytest.raises(ProviderError, match="message.content"):
        _run(_provider(bad, options={"max_attempts": 2}))


def test_server_error_body_in_a_200_is_reported():
    server = ScriptedServer([reply(200, ollama_error("llama runner process has terminated"))])
    with pytest.raises(ProviderError, match="llama runner process has terminated"):
        _run(_provider(server))


def test_busy_server_503_is_retried():
    server = ScriptedServer([reply(503, ollama_error("server busy, please try again.  maximum "
                                                     "pending requests exceeded")),
                             reply(200, ollama_chat("ok"))])
    assert _run(_provider(server))[0].text == "ok"
