"""The default HTTP path (httpx requests over aiohttp's pool) against a real loopback server:
each kind of failure gets the line that says what happened, and proxies come from the
environment once per pool."""

from __future__ import annotations

import asyncio
import socket

import pytest

from fakes.loopback import Action, FakeOpenAIApp, LoopbackServer
from fingerprint.errors import ProviderError
from fingerprint.models._http import HttpTransport, _env_proxy

BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def _fail_once(server_url: str, **kw) -> ProviderError:
    transport = HttpTransport(server_url, label="t", max_attempts=1, **kw)

    async def go() -> ProviderError:
        try:
            await transport.post_json("v1/chat/completions", BODY)
        except ProviderError as exc:
            return exc
        finally:
            await transport.aclose()
        raise AssertionError("the request should have failed")

    return asyncio.run(go())


@pytest.mark.parametrize("action, words", [
    (Action(drop=True), "closed the connection"),
    (Action(body={"id": "x", "choices": []}, truncate_to=5), "closed the connection"),
    (Action(body={"late": True}, delay=1.0), "no answer from"),
])
def test_each_failure_is_named_for_what_happened(action, words):
    with LoopbackServer(FakeOpenAIApp(fault=lambda i: action)) as srv:
        exc = _fail_once(srv.url, timeout=0.3)
    assert words in str(exc) and exc.retryable


def test_a_port_nobody_listens_on_cannot_be_reached():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the request: nobody listens
    exc = _fail_once(f"http://127.0.0.1:{port}")
    assert "cannot reach" in str(exc) and "is the server running" in str(exc)


def test_an_answer_arrives_through_the_default_pool():
    with LoopbackServer(FakeOpenAIApp()) as srv:
        transport = HttpTransport(srv.url, label="t", auth_headers={"authorization": "Bearer k"})

        async def go():
            try:
                return await transport.post_json("v1/chat/completions", dict(BODY, n=2))
            finally:
                await transport.aclose()

        result = asyncio.run(go())
    assert result.status == 200 and len(result.body["choices"]) == 2


def test_proxy_from_the_environment_with_no_proxy_exceptions(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://user:secret@proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1,.internal.example")
    proxy = _env_proxy("https://api.example.com/v1")
    assert proxy is not None and proxy.url.host == "proxy.invalid"
    assert proxy.auth == ("user", "secret")
    assert _env_proxy("http://127.0.0.1:8080/v1") is None
    assert _env_proxy("https://llm.internal.example/v1") is None
    monkeypatch.delenv("HTTPS_PROXY")
    assert _env_proxy("https://api.example.com/v1") is None
