"""The sampler and the providers against a real loopback server that misbehaves on 1 in 5
requests: 429 with Retry-After, 500, 503, answers slower than the timeout, dropped
connections, truncated and malformed bodies.  Every (model, probe, sample) must end up
stored exactly once, and no sample may be paid for twice."""

from __future__ import annotations

import asyncio

from fakes.loopback import Action, FakeOpenAIApp, LoopbackServer
from fingerprint.collect import Target, collect
from fingerprint.collect.store import Store
from fingerprint.models import parse_spec
from fingerprint.models.registry import get_provider
from fingerprint.suite import Probe

FAULTS = [
    Action(status=429, body={"error": {"message": "Rate limit reached", "type": "requests",
                                       "code": "rate_limit_exceeded"}},
           headers={"retry-after-ms": "400"}),
    Action(status=500, body={"error": {"message": "The server had an error", "type": "server_error"}}),
    Action(status=503, body={"error": "upstream unavailable"}, headers={"retry-after": "1"}),
    Action(body={"late": True}, delay=0.5),  # past the 0.25 s timeout
    Action(drop=True),
    Action(body={"id": "chatcmpl-x", "choices": [{"index": 0}]}, truncate_to=17),
    Action(body={"id": "chatcmpl-x", "object": "chat.completion", "choices": []}),
]


def _probes(count: int) -> tuple[Probe, ...]:
    return tuple(Probe(id=f"p{i}", family="f", version=1, rationale="r",
                       messages=({"role": "user", "content": f"question {i}"},))
                 for i in range(count))


class ScaledSleep:
    """Real but shortened sleeps (÷20) that remember what was asked for."""

    def __init__(self):
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.sleep(seconds / 20)


def test_every_sample_is_stored_exactly_once_under_faults(tmp_path):
    app = FakeOpenAIApp(fault=lambda i: FAULTS[(i // 5) % len(FAULTS)] if i % 5 == 2 else None)
    sleep = ScaledSleep()
    with LoopbackServer(app) as srv, Store(tmp_path / "s.sqlite") as store:
        opts = {"base_url": srv.url + "/v1", "timeout": 0.25, "max_attempts": 10,
                "max_concurrency": 4}
        targets = [Target("reference", get_provider(parse_spec("vllm/ref-model", opts), env={},
                                                    sleep=sleep)),
                   Target("suspect", get_provider(parse_spec("llamacpp/sus-model", opts), env={},
                                                  sleep=sleep))]
        probes = _probes(6)
        result = collect(targets, probes, samples=5, seed=3, store=store)
        expected = 2 * 6 * 5
        assert result.failures == []
        assert result.samples_stored == expected and store.count() == expected
        # paid once: good answers served = requests the plan needed (vLLM batches n=5)
        assert app.good == 6 + 6 * 5 and app.choices_served == expected
        assert app.faults >= 7  # every kind of fault was met at least once
        for role, model in (("reference", "ref-model"), ("suspect", "sus-model")):
            for probe in probes:
                got = result.samples[(role, probe.id)]
                assert [s.sample_index for s in got] == list(range(5))
                texts = [s.response["text"] for s in got]
                assert len(set(texts)) == 5 and all(t.startswith(f"{model}|") for t in texts)
                assert all(s.response["served_model"] == model for s in got)
        assert any(w >= 0.4 for w in sleep.asked) and any(w >= 1.0 for w in sleep.asked)
        again = collect(targets, probes, samples=5, seed=3, store=store)
        assert again.requests_made == 0 and again.responses_reused == expected


def test_the_budget_holds_under_faults_and_the_rest_comes_later(tmp_path):
    from fingerprint.collect.budget import BudgetLimits

    app = FakeOpenAIApp(fault=lambda i: FAULTS[(i // 5) % len(FAULTS)] if i % 5 == 2 else None)
    sleep = ScaledSleep()
    with LoopbackServer(app) as srv, Store(tmp_path / "s.sqlite") as store:
        opts = {"base_url": srv.url + "/v1", "timeout": 0.25, "max_attempts": 10,
                "max_concurrency": 4}
        target = Target("suspect", get_provider(parse_spec("llamacpp/m", opts), env={},
                                                sleep=sleep))
        probes = _probes(4)
        short = collect([target], probes, samples=5, seed=3, store=store, strict=False,
                        budget=BudgetLimits(max_requests=12, max_tokens=2000))
        assert short.budget_stop is not None and "budget reached" in short.budget_stop
        assert len(srv.seen) == short.requests_made <= 12  # attempts, retries included
        assert short.budget["requests"] <= 12 and short.budget["tokens"] <= 2000
        assert short.samples_stored == store.count() == app.good < 20
        rest = collect([target], probes, samples=5, seed=3, store=store)
        assert store.count() == 20 and rest.responses_reused == short.samples_stored
        assert app.choices_served == 20  # every sample paid for exactly once
