"""The sampler's pacing: server-requested pauses re-queue the request, rpm/tpm limits hold."""

from __future__ import annotations

import threading
import time

import pytest

from fakes.loopback import Action, FakeOpenAIApp, LoopbackServer
from fingerprint.collect.budget import BudgetLimits, prompt_token_bound
from fingerprint.collect import Target, collect
from fingerprint.collect.store import Store
from fingerprint.errors import CollectionIncompleteError
from fingerprint.models import parse_spec
from fingerprint.models.base import ChatRequest
from fingerprint.models.registry import get_provider
from fingerprint.suite import Probe


def _probes(count: int) -> tuple[Probe, ...]:
    return tuple(Probe(id=f"p{i}", family="f", version=1, rationale="r", max_tokens=16,
                       messages=({"role": "user", "content": f"question {i}"},))
                 for i in range(count))


class Clocked:
    """Records when each request arrived and for which prompt."""

    def __init__(self, inner):
        self.inner, self.arrivals, self._lock = inner, [], threading.Lock()

    def __call__(self, i, line, headers, body):
        with self._lock:
            self.arrivals.append((time.monotonic(),
                                  f"{body['messages'][-1]['content']}|{body.get('seed')}"))
        return self.inner(i, line, headers, body)


def _target(url: str, **opts) -> Target:
    spec = parse_spec("llamacpp/m", {"base_url": url + "/v1", **opts})
    return Target("m", get_provider(spec, env={}))


def test_a_long_server_pause_requeues_after_that_wait(tmp_path):
    limited: set[str] = set()
    lock = threading.Lock()

    def fault(i, line, headers, body):
        prompt = f"{body['messages'][-1]['content']}|{body.get('seed')}"
        with lock:
            first = prompt not in limited
            limited.add(prompt)
        if first:  # longer than max_retry_wait: the transport gives the request back
            return Action(status=429, headers={"retry-after-ms": "500"},
                          body={"error": {"message": "Rate limit reached", "type": "requests"}})
        return FakeOpenAIApp()(i, line, headers, body)

    app = Clocked(fault)
    with LoopbackServer(app) as srv, Store(tmp_path / "s.sqlite") as store:
        target = _target(srv.url, max_retry_wait=0.1, max_concurrency=4)
        result = collect([target], _probes(3), samples=2, seed=0, store=store)
    assert result.samples_stored == 6 and result.failures == []
    assert result.requests_requeued == 6 and result.requests_made == 6 + 6
    for prompt in {p for _, p in app.arrivals}:
        times = sorted(t for t, p in app.arrivals if p == prompt)
        assert times[1] - times[0] >= 0.5  # never before the server's Retry-After


def test_requeues_are_bounded(tmp_path):
    app = Clocked(lambda i, *a: Action(status=503, headers={"retry-after": "0.2"},
                                       body={"error": "overloaded"}))
    with LoopbackServer(app) as srv, Store(tmp_path / "s.sqlite") as store:
        target = _target(srv.url, max_retry_wait=0.05, max_attempts=1)
        with pytest.raises(CollectionIncompleteError, match="HTTP 503"):
            collect([target], _probes(1), samples=1, seed=0, store=store, max_requeues=2)
    assert len(app.arrivals) == 3  # the first try and two re-queues


def test_requests_per_minute_limit(tmp_path):
    app = Clocked(FakeOpenAIApp())
    with LoopbackServer(app) as srv, Store(tmp_path / "s.sqlite") as store:
        target = _target(srv.url, rpm=1200, max_concurrency=16)  # 20 a second
        started = time.monotonic()
        result = collect([target], _probes(3), samples=10, seed=0, store=store)
    assert result.samples_stored == 30
    times = sorted(t - started for t, _ in app.arrivals)
    # a one-second bucket of 20, refilled at 20/s: request k waits until (k - 20) / 20 s
    for k, t in enumerate(times):
        assert t >= (k - 20) / 20 - 0.02
    assert times[-1] >= 0.45


def test_tokens_per_minute_limit(tmp_path):
    probe = _probes(1)[0]
    worst = prompt_token_bound(ChatRequest(messages=probe.messages)) + probe.max_tokens
    app = Clocked(FakeOpenAIApp())
    with LoopbackServer(app) as srv, Store(tmp_path / "s.sqlite") as store:
        target = _target(srv.url, tpm=60 * 4 * worst, max_concurrency=8)  # 4 requests a second
        started = time.monotonic()
        result = collect([target], (probe,), samples=8, seed=0, store=store)
    assert result.samples_stored == 8
    times = sorted(t - started for t, _ in app.arrivals)
    for k, t in enumerate(times):
        assert t >= (k - 4) / 4 - 0.02
    assert times[-1] >= 0.95


def test_budget_waits_for_settlement_before_giving_up(tmp_path):
    probe = _probes(1)[0]
    worst = prompt_token_bound(ChatRequest(messages=probe.messages)) + probe.max_tokens
    app = FakeOpenAIApp(delay=0.02)  # each answer settles at 10 tokens
    with LoopbackServer(app) as srv, Store(tmp_path / "s.sqlite") as store:
        target = _target(srv.url, max_concurrency=8)
        result = collect([target], (probe,), samples=12, seed=0, store=store, strict=False,
                         budget=BudgetLimits(max_tokens=2 * worst + 11 * 10))
    # at most two worst cases fit at once, but every settled call frees most of its share
    assert result.samples_stored == 12 and result.budget_stop is None
    assert result.budget["tokens"] == 12 * 10
