"""The shared HTTP transport: server-given waits, backoff, give-up rules, redaction."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from email.utils import format_datetime

import httpx
import pytest

from fakes.loopback import Action, LoopbackServer
from fakes.vendors import FakeSleep, ScriptedServer, openai_chat, openai_error, reply
from fingerprint.errors import ProviderError
from fingerprint.models._http import HttpTransport, error_message
from fingerprint.models._retry import (parse_go_duration, parse_rfc3339, redact, reset_header_wait,
                                       retry_after_header, server_wait)

NOW = 1_750_000_000.0


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("text,seconds", [
    ("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("0s", 0.0),
    ("59.9s", 59.9), ("", None), ("soon", None), ("5", None), ("1s junk", None),
])
def test_go_durations(text, seconds):
    got = parse_go_duration(text)
    assert got == pytest.approx(seconds) if seconds is not None else got is None


def test_rfc3339_with_nanoseconds_and_offsets():
    assert parse_rfc3339("2025-06-15T12:00:07.123456789Z").timestamp() == pytest.approx(
        datetime(2025, 6, 15, 12, 0, 7, 123456, tzinfo=timezone.utc).timestamp())
    assert parse_rfc3339("2025-06-15T14:00:00+02:00").hour == 14
    assert parse_rfc3339("not a date") is None


def test_retry_after_dialects():
    assert retry_after_header({"retry-after-ms": "1500"}, NOW) == 1.5
    assert retry_after_header({"retry-after-ms": "250", "retry-after": "9"}, NOW) == 0.25
    assert retry_after_header({"retry-after": "7"}, NOW) == 7.0
    date = format_datetime(datetime.fromtimestamp(NOW + 30, tz=timezone.utc), usegmt=True)
    assert retry_after_header({"retry-after": date}, NOW) == pytest.approx(30.0)
    past = format_datetime(datetime.fromtimestamp(NOW - 30, tz=timezone.utc), usegmt=True)
    assert retry_after_header({"retry-after": past}, NOW) == 0.0
    assert retry_after_header({"retry-after": "whenever"}, NOW) is None
    assert retry_after_header({"retry-after": "-3"}, NOW) is None


def test_reset_headers_only_count_exhausted_windows():
    openai = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s",
              "x-ratelimit-remaining-tokens": "1200", "x-ratelimit-reset-tokens": "20ms"}
    assert reset_header_wait(openai, NOW) == 360.0
    tokens_out = dict(openai, **{"x-ratelimit-remaining-tokens": "0",
                                 "x-ratelimit-remaining-requests": "5"})
    assert reset_header_wait(tokens_out, NOW) == pytest.approx(0.02)
    anthropic = {"anthropic-ratelimit-requests-remaining": "0",
                 "anthropic-ratelimit-requests-reset": _iso(NOW + 12),
                 "anthropic-ratelimit-tokens-remaining": "0",
                 "anthropic-ratelimit-tokens-reset": _iso(NOW + 40),
                 "anthropic-ratelimit-input-tokens-remaining": "9000",
                 "anthropic-ratelimit-input-tokens-reset": _iso(NOW + 90)}
    assert reset_header_wait(anthropic, NOW) == pytest.approx(40.0)
    # reset headers only explain a 429, and Retry-After wins over them
    assert server_wait(anthropic, 500, NOW) is None
    assert server_wait(dict(anthropic, **{"retry-after": "3"}), 429, NOW) == 3.0


def test_redact_removes_keys_pieces_and_key_shapes():
    key = "sk-proj-UNIQUEkey0123456789abcdefXYZ"
    text = (f"bad key {key}; masked sk-proj-****************************cdefXYZ, "
            f"piece UNIQUEkey0123, header Bearer abc.def")
    out = redact(text, [key])
    assert "UNIQUEkey" not in out and "cdefXYZ" not in out and "abc.def" not in out
    assert out.startswith("bad key [REDACTED]")
    assert redact("nothing secret here", [key]) == "nothing secret here"


def test_error_message_reads_each_vendor_shape():
    assert error_message('{"error": {"message": "Bad", "type": "invalid_request_error"}}') == \
        "invalid_request_error: Bad"
    assert error_message('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}') \
        == "overloaded_error: Overloaded"
    assert error_message('{"error": "model \\"x\\" not found"}') == 'model "x" not found'
    assert error_message("<html>502 Bad Gateway</html>") == "<html>502 Bad Gateway</html>"
    assert error_message("") == "(empty body)"


def _transport(server, sleep=None, **kw) -> HttpTransport:
    sleep = sleep or FakeSleep()
    return HttpTransport("https://api.example.com/v1", label="openai/gpt-x",
                         auth_headers={"authorization": "Bearer sk-test-0000000000"},
                         secrets=("sk-test-0000000000",), key_var="OPENAI_API_KEY",
                         transport=server.transport, sleep=sleep, clock=sleep.clock, **kw)


def _post(t: HttpTransport, parse=None):
    return asyncio.run(t.post_json("chat/completions", {"model": "m"}, parse))


def test_429_retry_after_is_honoured_before_retrying():
    server = ScriptedServer([
        reply(429, openai_error("Rate limit reached", type="requests", code="rate_limit_exceeded"),
              {"retry-after": "7"}),
        reply(200, openai_chat(["ok"]))])
    sleep = FakeSleep()
    result = _post(_transport(server, sleep))
    assert result.body["choices"][0]["message"]["content"] == "ok"
    assert result.attempts == 2 and len(server.requests) == 2
    assert len(sleep.waits) == 1 and 7.0 <= sleep.waits[0] <= 8.0


def test_http_date_and_ms_and_reset_headers_are_honoured():
    sleep = FakeSleep()
    date = format_datetime(datetime.fromtimestamp(sleep.now + 30, tz=timezone.utc), usegmt=True)
    server = ScriptedServer([
        reply(503, {"error": "busy"}, {"retry-after": date}),
        reply(429, openai_error("slow down"), {"retry-after-ms": "2500"}),
        reply(429, openai_error("slow down"), {"x-ratelimit-remaining-requests": "0",
                                               "x-ratelimit-reset-requests": "1m5s"}),
        reply(200, openai_chat(["ok"]))])
    _post(_transport(server, sleep))
    assert len(sleep.waits) == 3
    assert 30.0 <= sleep.waits[0] <= 31.0
    assert 2.5 <= sleep.waits[1] <= 3.5
    assert 65.0 <= sleep.waits[2] <= 66.0


def test_server_wait_beyond_the_cap_returns_a_retryable_error_at_once():
    server = ScriptedServer([reply(429, openai_error("slow down"), {
        "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s"})])
    sleep = FakeSleep()
    with pytest.raises(ProviderError) as info:
        _post(_transport(server, sleep, max_retry_wait=120))
    err = info.value
    assert err.retryable and err.status == 429 and err.retry_after == 360.0
    assert "asks to wait 360 s" in str(err)
    assert sleep.waits == [] and len(server.requests) == 1


def test_backoff_grows_with_jitter_and_gives_up_after_max_attempts():
    server = ScriptedServer([reply(500, {"error": {"message": "The server had an error",
                                                   "type": "server_error"}})])
    sleep = FakeSleep()
    with pytest.raises(ProviderError) as info:
        _post(_transport(server, sleep, max_attempts=5, backoff_initial=1.0, backoff_max=4.0))
    assert info.value.retryable and info.value.status == 500
    assert "gave up after 5 attempts" in str(info.value)
    assert "server_error: The server had an error" in str(info.value)
    assert len(server.requests) == 5 and len(sleep.waits) == 4
    for wait, base in zip(sleep.waits, [1.0, 2.0, 4.0, 4.0]):
        assert base / 2 <= wait <= base


@pytest.mark.parametrize("status", [408, 409, 502, 503, 504, 529])
def test_transient_statuses_are_retried(status):
    server = ScriptedServer([reply(status, {"error": "transient"}), reply(200, openai_chat(["ok"]))])
    assert _post(_transport(server)).attempts == 2


def test_client_errors_are_not_retried_and_carry_the_server_message():
    server = ScriptedServer([reply(400, openai_error(
        "'temperature' must be between 0 and 2", param="temperature"))])
    with pytest.raises(ProviderError) as info:
        _post(_transport(server))
    assert not info.value.retryable and info.value.status == 400
    assert "'temperature' must be between 0 and 2" in str(info.value)
    assert str(info.value).startswith("openai/gpt-x: https://api.example.com/v1 answered HTTP 400")
    assert len(server.requests) == 1


def test_spent_quota_and_should_retry_false_are_final():
    quota = ScriptedServer([reply(429, openai_error(
        "You exceeded your current quota", type="insufficient_quota", code="insufficient_quota"))])
    with pytest.raises(ProviderError) as info:
        _post(_transport(quota))
    assert not info.value.retryable and len(quota.requests) == 1
    told = ScriptedServer([reply(503, {"error": "no"}, {"x-should-retry": "false"})])
    with pytest.raises(ProviderError):
        _post(_transport(told))
    assert len(told.requests) == 1


def test_connection_errors_are_retried():
    server = ScriptedServer([httpx.ConnectError("connection refused"),
                             httpx.ReadTimeout("timed out"), reply(200, openai_chat(["ok"]))])
    assert _post(_transport(server)).attempts == 3


def test_malformed_json_gives_a_clear_error_after_retries():
    server = ScriptedServer([reply(200, raw=b'{"id": "chatcmpl-1", "choices": [')])
    with pytest.raises(ProviderError) as info:
        _post(_transport(server, max_attempts=3))
    assert "server returned malformed JSON" in str(info.value)
    assert info.value.retryable and len(server.requests) == 3


def test_parser_rejection_is_retried_then_reported():
    server = ScriptedServer([reply(200, {"choices": []}), reply(200, {"choices": [1]})])
    t = _transport(server)

    def parse(result):
        if not result.body["choices"]:
            raise t.fail("server returned no completion", retryable=True)
        return result.body["choices"]

    assert _post(t, parse) == [1]


def test_truncated_body_and_dropped_connection_on_a_real_socket():
    def script(i, line, headers, body):
        if i == 0:
            return Action(body=openai_chat(["ok"]), truncate_to=25)
        if i == 1:
            return Action(drop=True)
        return Action(body=openai_chat(["third time lucky"]))

    with LoopbackServer(script) as srv:
        sleep = FakeSleep()
        t = HttpTransport(srv.url + "/v1", label="vllm/m", sleep=sleep, timeout=5)
        result = asyncio.run(t.post_json("chat/completions", {"model": "m"}))
    assert result.attempts == 3 and len(srv.seen) == 3
    assert srv.seen[0][0].startswith("POST /v1/chat/completions")
    assert result.body["choices"][0]["message"]["content"] == "third time lucky"


def test_truncated_body_every_time_is_reported():
    with LoopbackServer(lambda *a: Action(body=openai_chat(["x"]), truncate_to=10)) as srv:
        t = HttpTransport(srv.url, label="vllm/m", sleep=FakeSleep(), timeout=5, max_attempts=2)
        with pytest.raises(ProviderError) as info:
            asyncio.run(t.post_json("chat/completions", {}))
    assert "truncated" in str(info.value) and info.value.retryable


def test_slow_server_hits_the_per_request_timeout():
    with LoopbackServer(lambda i, *a: Action(body=openai_chat(["late"]), delay=0.6 if i == 0
                                             else 0.0)) as srv:
        t = HttpTransport(srv.url, label="llamacpp/m", sleep=FakeSleep(), timeout=0.25)
        result = asyncio.run(t.post_json("chat/completions", {}))
        assert result.attempts == 2
        t2 = HttpTransport(srv.url, label="llamacpp/m", sleep=FakeSleep(), timeout=0.2,
                           max_attempts=1)
        srv.script = lambda *a: Action(body={}, delay=0.5)
        with pytest.raises(ProviderError) as info:
            asyncio.run(t2.post_json("chat/completions", {}))
    assert "within 0.2 s" in str(info.value) and "timeout" in str(info.value)


def test_a_proxy_from_the_environment_is_honoured(monkeypatch):
    """Requests skip the client machinery only when no proxy is configured."""
    from fakes.loopback import FakeOpenAIApp

    for var in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    app = FakeOpenAIApp()
    with LoopbackServer(app) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("http_proxy", proxy.url)
        http = HttpTransport("http://model-host.invalid/v1", label="llamacpp/m", max_attempts=1)

        async def go():
            try:
                return await http.post_json("chat/completions", {
                    "model": "m", "messages": [{"role": "user", "content": "hi"}]})
            finally:
                await http.aclose()

        result = asyncio.run(go())
    assert result.status == 200
    line = proxy.seen[0][0]  # a forward proxy sees the absolute URL
    assert line.startswith("POST http://model-host.invalid/v1/chat/completions ")
