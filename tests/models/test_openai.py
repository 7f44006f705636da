"""OpenAI chat completions on the wire: openai/, vllm/, llamacpp/ and openai-api/."""

from __future__ import annotations

import asyncio
import logging
import math

import pytest

from fakes.vendors import (FakeSleep, ScriptedServer, legacy_logprobs, openai_chat,
                           openai_chat_logprobs, openai_error, reply)
from fingerprint.errors import ProviderError, SpecError
from fingerprint.models import ChatRequest, parse_spec
from fingerprint.models.openai import parse_logprobs, split_usage
from fingerprint.models.registry import get_provider

ENV = {"OPENAI_API_KEY": "sk-openai-test-key-0001", "TOGETHER_AI_API_KEY": "tg-key-000000001",
       "TOGETHER_AI_BASE_URL": "https://api.together.example/v1"}
MSGS = ({"role": "system", "content": "Be brief."}, {"role": "user", "content": "Pick a number."})


def _provider(spec: str, server: ScriptedServer, options=None, env=ENV):
    sleep = FakeSleep()
    return get_provider(parse_spec(spec, options), env=env, transport=server.transport,
                        sleep=sleep, clock=sleep.clock)


def _run(provider, **kw):
    return asyncio.run(provider.complete(ChatRequest(messages=MSGS, **kw)))


def test_openai_request_body_and_headers():
    server = ScriptedServer([reply(200, openai_chat(["4", "7", "1"]), {"x-request-id": "req_abc"})])
    p = _provider("openai/gpt-4o", server)
    out = _run(p, n=3, seed=11, temperature=0.7, top_p=0.9, max_tokens=16, logprobs=True,
               top_logprobs=2)
    sent = server.requests[0]
    assert sent.url == "https://api.openai.com/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-openai-test-key-0001"
    assert sent.body == {"model": "gpt-4o", "messages": list(MSGS), "temperature": 0.7,
                         "top_p": 0.9, "max_completion_tokens": 16, "n": 3, "seed": 11,
                         "logprobs": True, "top_logprobs": 2}
    assert [c.text for c in out] == ["4", "7", "1"]
    c = out[0]
    assert c.served_model == "gpt-4o-2024-08-06" and c.system_fingerprint == "fp_f33640a400"
    assert c.request_id == "chatcmpl-AbC123; x-request-id=req_abc"
    assert c.finish_reason == "stop" and c.raw_request == sent.body
    assert c.raw_response["choices"] == [openai_chat(["4", "7", "1"])["choices"][0]]
    assert c.created.endswith("Z") and c.latency_s >= 0
    assert sum(x.usage["total_tokens"] for x in out) == 19 + 30
    assert sum(x.usage["prompt_tokens"] for x in out) == 19


def test_choices_are_returned_in_index_order():
    server = ScriptedServer([reply(200, openai_chat(["a", "b", "c"], shuffle=True))])
    assert [c.text for c in _run(_provider("openai/gpt-4o", server), n=3)] == ["a", "b", "c"]


def test_compatible_servers_use_max_tokens_and_their_own_urls():
    for spec, url, auth, max_n in [
        ("vllm/Qwen/Qwen2.5-7B-Instruct", "http://localhost:8000/v1/chat/completions", None, 128),
        ("llamacpp/local", "http://127.0.0.1:8080/v1/chat/completions", None, 1),
        ("openai-api/together-ai/meta-llama/Llama-3-8b",
         "https://api.together.example/v1/chat/completions", "Bearer tg-key-000000001", 1),
    ]:
        server = ScriptedServer([reply(200, openai_chat(["x"]))])
        p = _provider(spec, server)
        assert p.max_n == max_n
        _run(p, max_tokens=8)
        sent = server.requests[0]
        assert sent.url == url
        assert sent.headers.get("authorization") == auth
        assert sent.body["max_tokens"] == 8 and "max_completion_tokens" not in sent.body
        assert "n" not in sent.body
    assert sent.body["model"] == "meta-llama/Llama-3-8b"


def test_vllm_key_is_optional_but_sent_when_set():
    server = ScriptedServer([reply(200, openai_chat(["x"]))])
    _run(_provider("vllm/m", server, env={"VLLM_API_KEY": "vllm-secret-123",
                                          "VLLM_BASE_URL": "http://gpu:9000/v1"}))
    assert server.requests[0].url == "http://gpu:9000/v1/chat/completions"
    assert server.requests[0].headers["authorization"] == "Bearer vllm-secret-123"


def test_options_extra_omit_and_max_tokens_field():
    server = ScriptedServer([reply(200, openai_chat(["x"]))])
    p = _provider("openai/o4-mini", server, {"extra": {"reasoning_effort": "low"},
                                             "omit": ["temperature", "top_p"],
                                             "max_tokens_field": "max_tokens"})
    _run(p)
    body = server.requests[0].body
    assert body["reasoning_effort"] == "low" and body["max_tokens"] == 64
    assert "temperature" not in body and "top_p" not in body
    with pytest.raises(SpecError, match="may not set n"):
        _provider("openai/gpt-4o", server, {"extra": {"n": 5}})
    with pytest.raises(SpecError, match="max_tokens_field"):
        _provider("openai/gpt-4o", server, {"max_tokens_field": "tokens"})


def test_n_above_max_n_is_refused_without_a_request():
    server = ScriptedServer([reply(200, openai_chat(["x"]))])
    with pytest.raises(ProviderError, match="n=2"):
        _run(_provider("llamacpp/m", server), n=2)
    assert server.requests == []


def test_chat_logprobs_are_parsed():
    lp = [openai_chat_logprobs([("Seven", -0.25, [("Seven", -0.25), ("Four", -1.9)]),
                                (".", -0.01, [(".", -0.01)])])]
    server = ScriptedServer([reply(200, openai_chat(["Seven."], logprobs=lp))])
    c = _run(_provider("openai/gpt-4o", server), logprobs=True, top_logprobs=2)[0]
    assert c.logprobs == [
        {"token": "Seven", "logprob": -0.25,
         "top_logprobs": [{"token": "Seven", "logprob": -0.25}, {"token": "Four", "logprob": -1.9}]},
        {"token": ".", "logprob": -0.01, "top_logprobs": [{"token": ".", "logprob": -0.01}]}]


def test_legacy_completions_logprobs_are_parsed():
    lp = legacy_logprobs([("Hello", -0.5, {"Hello": -0.5, "Hi": -1.2}),
                          (" world", -0.1, {" world": -0.1, " there": -2.5})])
    got = parse_logprobs(lp)
    assert got[0] == {"token": "Hello", "logprob": -0.5,
                      "top_logprobs": [{"token": "Hello", "logprob": -0.5},
                                       {"token": "Hi", "logprob": -1.2}]}
    assert got[1]["top_logprobs"][1] == {"token": " there", "logprob": -2.5}
    assert parse_logprobs(None) is None
    assert parse_logprobs({"content": None}) is None


def test_usage_split_adds_up_and_uses_exact_lengths_when_known():
    usage = {"prompt_tokens": 10, "completion_tokens": 7, "total_tokens": 17,
             "prompt_tokens_details": {"cached_tokens": 0}}
    even = split_usage(usage, [None, None, None])
    assert [u["completion_tokens"] for u in even] == [3, 2, 2]
    assert sum(u["total_tokens"] for u in even) == 17
    exact = split_usage(usage, [1, 2, 4])
    assert [u["completion_tokens"] for u in exact] == [1, 2, 4]
    assert split_usage(usage, [None]) == [{"prompt_tokens": 10, "completion_tokens": 7,
                                           "total_tokens": 17}]


def test_refusals_and_null_content_become_text():
    body = openai_chat(["x"])
    body["choices"][0]["message"] = {"role": "assistant", "content": None,
                                     "refusal": "I can't help with that."}
    server = ScriptedServer([reply(200, body)])
    assert _run(_provider("openai/gpt-4o", server))[0].text == "I can't help with that."


def test_empty_choices_is_retried_then_a_clear_error():
    server = ScriptedServer([reply(200, dict(openai_chat([]), choices=[]))])
    with pytest.raises(ProviderError) as info:
        _run(_provider("openai/gpt-4o", server, {"max_attempts": 3}))
    assert "empty or missing 'choices'" in str(info.value)
    assert len(server.requests) == 3


def test_wrong_number_of_choices_is_an_error():
    server = ScriptedServer([reply(200, openai_chat(["only one"])), reply(200, openai_chat(["a", "b"]))])
    out = _run(_provider("openai/gpt-4o", server), n=2)
    assert [c.text for c in out] == ["a", "b"] and len(server.requests) == 2


def test_malformed_and_truncated_json_bodies():
    server = ScriptedServer([reply(200, raw=b"<html>upstream error</html>"),
                             reply(200, raw=b'{"id":"chatcmpl-1","object":"chat.completion","choi'),
                             reply(200, openai_chat(["fine"]))])
    out = _run(_provider("openai/gpt-4o", server))
    assert out[0].text == "fine" and len(server.requests) == 3
    bad = ScriptedServer([reply(200, raw=b"not json")])
    with pytest.raises(ProviderError, match="malformed JSON"):
        _run(_provider("openai/gpt-4o", bad, {"max_attempts": 2}))


def test_rate_limit_then_success_honours_retry_after():
    server = ScriptedServer([
        reply(429, openai_error("Rate limit reached for gpt-4o on requests per min (RPM)",
                                type="requests", code="rate_limit_exceeded"),
              {"retry-after": "2", "x-ratelimit-remaining-requests": "0",
               "x-ratelimit-reset-requests": "1s"}),
        reply(200, openai_chat(["ok"]))])
    sleep = FakeSleep()
    p = get_provider(parse_spec("openai/gpt-4o"), env=ENV, transport=server.transport,
                     sleep=sleep, clock=sleep.clock)
    assert _run(p)[0].text == "ok"
    assert len(sleep.waits) == 1 and sleep.waits[0] >= 2.0


@pytest.mark.parametrize("spec,var,key", [
    ("openai/gpt-4o", "OPENAI_API_KEY", "sk-proj-LEAKCHECK9f8e7d6c5b4a3210zz"),
    ("openai-api/acme/m", "ACME_API_KEY", "LeakCheckPlainToken7c0ffee42beef99"),
])
def test_the_key_leaks_nowhere(spec, var, key, caplog):
    caplog.set_level(logging.DEBUG)
    env = {var: key, "ACME_BASE_URL": "https://acme.example/v1"}
    echo = openai_error(f"Incorrect API key provided: {key[:8]}****{key[-4:]}. Full: {key}",
                        code="invalid_api_key")
    server = ScriptedServer([reply(401, echo)])
    p = _provider(spec, server, env=env)
    with pytest.raises(ProviderError) as info:
        _run(p)
    err = info.value
    seen = [str(err), repr(err), repr(err.args), repr(p), repr(p.http), repr(p.target)]
    assert err.__cause__ is None and err.__context__ is None
    assert f"check the key in {var}" in str(err)
    # a server that echoes the key inside a successful body
    body = openai_chat([f"my key is {key}"])
    body["id"] = key
    server2 = ScriptedServer([reply(200, body)])
    c = _run(_provider(spec, server2, {"extra": {"user": key}}, env=env))[0]
    seen += [repr(c.to_json()), caplog.text]
    for text in seen:
        assert key not in text and key[8:20] not in text and key[-12:] not in text
    assert server2.requests[0].headers["authorization"] == f"Bearer {key}"  # it was sent
    assert math.isfinite(c.latency_s)
