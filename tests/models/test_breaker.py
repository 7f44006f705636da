"""The per-endpoint circuit breaker: an endpoint no attempt ever reached stops at once;
an endpoint that answered once keeps being retried as before."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from fakes.loopback import Action, LoopbackServer
from fakes.vendors import FakeSleep, ScriptedServer, openai_chat, reply
from fingerprint.errors import ProviderError
from fingerprint.models._breaker import DEFAULT_THRESHOLD, ConnectBreaker
from fingerprint.models._http import HttpTransport


def _transport(url: str, *, server=None, sleep=None, **kw) -> HttpTransport:
    sleep = sleep or FakeSleep()
    return HttpTransport(url, label="openai/gpt-x", key_var="OPENAI_API_KEY",
                         url_source="OPENAI_BASE_URL",
                         transport=server.transport if server else None, sleep=sleep,
                         clock=sleep.clock, **kw)


async def _many(t: HttpTransport, count: int) -> list[BaseException | object]:
    try:
        return await asyncio.gather(*(t.post_json("chat/completions", {"model": "m", "i": i})
                                      for i in range(count)), return_exceptions=True)
    finally:
        await t.aclose()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_breaker_opens_only_before_the_endpoint_ever_answered():
    b = ConnectBreaker(threshold=2)
    assert not b.record_connect_failure("x") and b.record_connect_failure("refused")
    assert b.is_open and b.cause == "refused"
    reached = ConnectBreaker(threshold=1)
    reached.record_reached()
    assert not reached.record_connect_failure("refused") and not reached.is_open


def test_a_refused_port_fails_every_request_with_one_cause_and_few_attempts():
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    sleep = FakeSleep()
    results = asyncio.run(_many(_transport(url, sleep=sleep), 20))
    assert all(isinstance(r, ProviderError) for r in results)
    messages = {str(r) for r in results}
    assert len(messages) == 1, messages
    (message,) = messages
    assert message.startswith(f"openai/gpt-x: cannot reach {url}")
    assert "the URL right (from OPENAI_BASE_URL)" in message and "stopped retrying" in message
    assert not any(r.retryable for r in results)  # nothing for the sampler to requeue
    assert len(sleep.waits) < DEFAULT_THRESHOLD * 20  # far from 5 backoffs per request


def test_unknown_host_counts_as_a_connect_failure():
    server = ScriptedServer([httpx.ConnectError("[Errno -2] Name or service not known")])
    t = _transport("https://no-such-host.invalid/v1", server=server)
    results = asyncio.run(_many(t, 10))
    assert {type(r) for r in results} == {ProviderError}
    assert len({str(r) for r in results}) == 1
    assert len(server.requests) == DEFAULT_THRESHOLD  # the rest never left


def test_a_server_that_answered_once_is_retried_through_later_connect_errors():
    server = ScriptedServer([reply(200, openai_chat(["ok"]))] + [
        httpx.ConnectError("connection refused")] * 4 + [reply(200, openai_chat(["back"]))])
    t = _transport("https://api.example.com/v1", server=server)

    async def main():
        first = await t.post_json("chat/completions", {"model": "m"})
        second = await t.post_json("chat/completions", {"model": "m"})
        return first, second

    first, second = asyncio.run(main())
    assert first.attempts == 1 and second.attempts == 5
    assert not t.breaker.is_open


def test_dropped_connections_and_timeouts_are_still_retried():
    server = ScriptedServer([httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped"),
                             httpx.ReadTimeout("slow"), reply(200, openai_chat(["ok"]))])
    t = _transport("https://api.example.com/v1", server=server)
    assert asyncio.run(t.post_json("chat/completions", {"model": "m"})).attempts == 4


def test_a_429_storm_that_recovers_still_succeeds_on_a_real_socket():
    def script(i, line, headers, body):
        if i < 4:
            return Action(status=429, body={"error": {"message": "Rate limit reached",
                                                      "type": "requests"}},
                          headers={"retry-after-ms": "10"})
        return Action(body=openai_chat(["ok"]))

    with LoopbackServer(script) as srv:
        result = asyncio.run(_one(_transport(srv.url + "/v1", max_attempts=6)))
    assert result.attempts == 5 and result.body["choices"][0]["message"]["content"] == "ok"


async def _one(t: HttpTransport):
    try:
        return await t.post_json("chat/completions", {"model": "m"})
    finally:
        await t.aclose()


@pytest.mark.parametrize("threshold", [1, 3])
def test_the_threshold_is_the_number_of_connect_failures(threshold):
    server = ScriptedServer([httpx.ConnectError("refused")])
    t = _transport("https://api.example.com/v1", server=server,
                   breaker=ConnectBreaker(threshold=threshold))
    with pytest.raises(ProviderError):
        asyncio.run(t.post_json("chat/completions", {"model": "m"}))
    assert len(server.requests) == threshold
