"""The Anthropic Messages API on the wire."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from fakes.vendors import FakeSleep, ScriptedServer, anthropic_error, anthropic_message, reply
from fingerprint.errors import MissingKeyError, ProviderError
from fingerprint.models import ChatRequest, parse_spec
from fingerprint.models.registry import get_provider

KEY = "sk-ant-api03-UNIQUEanthropicKEY0123456789"
ENV = {"ANTHROPIC_API_KEY": KEY}
MSGS = ({"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Who made you?"})


def _provider(server, options=None, env=ENV, sleep=None):
    sleep = sleep or FakeSleep()
    return get_provider(parse_spec("anthropic/claude-sonnet-4-5", options), env=env,
                        transport=server.transport, sleep=sleep, clock=sleep.clock)


def _run(p, **kw):
    return asyncio.run(p.complete(ChatRequest(messages=MSGS, **kw)))


def test_request_headers_and_body():
    server = ScriptedServer([reply(200, anthropic_message("Anthropic made me."),
                                   {"request-id": "req_018EeWyXxfu5pfWkrYcMdjWG"})])
    p = _provider(server)
    assert p.max_n == 1
    c = _run(p, temperature=0.5, max_tokens=32, seed=99, logprobs=True)[0]
    sent = server.requests[0]
    assert sent.url == "https://api.anthropic.com/v1/messages"
    assert sent.headers["x-api-key"] == KEY and sent.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in sent.headers
    assert sent.body == {"model": "claude-sonnet-4-5", "max_tokens": 32,
                         "messages": [{"role": "user", "content": "Who made you?"}],
                         "system": "You are terse.", "temperature": 0.5}
    assert c.text == "Anthropic made me." and c.finish_reason == "stop"
    assert c.served_model == "claude-sonnet-4-5-20250929" and c.system_fingerprint is None
    assert c.request_id == "msg_013Zva2CMHLNnXjNJJKqJ2EF; request-id=req_018EeWyXxfu5pfWkrYcMdjWG"
    assert c.usage == {"prompt_tokens": 21, "completion_tokens": 9, "total_tokens": 30,
                       "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    assert c.logprobs is None and c.raw_request == sent.body
    assert c.raw_response["content"][0]["text"] == "Anthropic made me."


def test_temperature_is_clipped_and_top_p_only_sent_below_one():
    server = ScriptedServer([reply(200, anthropic_message("x"))])
    p = _provider(server)
    _run(p, temperature=1.6, top_p=0.8)
    assert server.requests[0].body["temperature"] == 1.0
    assert server.requests[0].body["top_p"] == 0.8


def test_stop_reasons_are_normalised_and_text_blocks_joined():
    body = anthropic_message("ignored", stop="max_tokens")
    body["content"] = [{"type": "text", "text": "Part one, "},
                       {"type": "thinking", "thinking": "hidden", "signature": "x"},
                       {"type": "text", "text": "part two"}]
    c = _run(_provider(ScriptedServer([reply(200, body)])))[0]
    assert c.text == "Part one, part two" and c.finish_reason == "length"


def test_overloaded_529_is_retried_with_backoff():
    server = ScriptedServer([reply(529, anthropic_error("overloaded_error", "Overloaded")),
                             reply(529, anthropic_error("overloaded_error", "Overloaded")),
                             reply(200, anthropic_message("back"))])
    sleep = FakeSleep()
    c = _run(_provider(server, sleep=sleep))[0]
    assert c.text == "back" and len(server.requests) == 3 and len(sleep.waits) == 2


def test_overloaded_forever_ends_in_a_retryable_error():
    server = ScriptedServer([reply(529, anthropic_error("overloaded_error", "Overloaded"),
                                   {"request-id": "req_overloaded1"})])
    with pytest.raises(ProviderError) as info:
        _run(_provider(server, {"max_attempts": 4}))
    err = info.value
    assert err.retryable and err.status == 529 and len(server.requests) == 4
    assert "overloaded_error: Overloaded" in str(err) and "req_overloaded1" in str(err)


def test_rate_limit_reset_header_is_honoured():
    sleep = FakeSleep()
    reset = datetime.fromtimestamp(sleep.now + 42, tz=timezone.utc).isoformat().replace(
        "+00:00", "Z")
    server = ScriptedServer([
        reply(429, anthropic_error("rate_limit_error", "Number of request tokens has exceeded "
                                   "your per-minute rate limit"),
              {"anthropic-ratelimit-requests-remaining": "0",
               "anthropic-ratelimit-requests-reset": reset}),
        reply(200, anthropic_message("ok"))])
    _run(_provider(server, sleep=sleep))
    assert len(sleep.waits) == 1 and 42.0 <= sleep.waits[0] <= 43.0


def test_spend_limit_is_not_retried():
    server = ScriptedServer([reply(429, anthropic_error(
        "rate_limit_error", "You have reached your monthly spend limit",
        details={"error_code": "enforced_spend_limit_reached"}))])
    with pytest.raises(ProviderError) as info:
        _run(_provider(server))
    assert not info.value.retryable and len(server.requests) == 1


def test_invalid_request_carries_the_server_message():
    server = ScriptedServer([reply(400, anthropic_error(
        "invalid_request_error", "max_tokens: 100000 > 64000, which is the maximum"))])
    with pytest.raises(ProviderError, match="max_tokens: 100000 > 64000"):
        _run(_provider(server))


def test_missing_content_is_malformed():
    body = anthropic_message("x")
    del body["content"]
    server = ScriptedServer([reply(200, body)])
    with pytest.raises(ProviderError, match="missing 'content'"):
        _run(_provider(server, {"max_attempts": 2}))


def test_missing_key_names_the_variable_only():
    with pytest.raises(MissingKeyError) as info:
        get_provider(parse_spec("anthropic/claude-sonnet-4-5"), env={})
    assert str(info.value) == ("anthropic/claude-sonnet-4-5 needs an API key: set the "
                               "environment variable ANTHROPIC_API_KEY")
    second = {"ANTHROPIC_API_KEY_B": "sk-ant-other-account-0000"}
    p = get_provider(parse_spec("anthropic/claude-sonnet-4-5", {"key_env": "ANTHROPIC_API_KEY_B"}),
                     env=second)
    assert p.endpoint.endswith("#ANTHROPIC_API_KEY_B")


def test_key_is_redacted_from_errors_and_records():
    server = ScriptedServer([reply(401, anthropic_error("authentication_error",
                                                        f"invalid x-api-key {KEY}"))])
    with pytest.raises(ProviderError) as info:
        _run(_provider(server))
    assert KEY not in str(info.value) and KEY[14:30] not in str(info.value)
    assert "ANTHROPIC_API_KEY" in str(info.value)
