"""The sampler against an in-test provider: resume, batching, atomic stores, failures."""

from __future__ import annotations

import pytest

from fingerprint.collect import Target, collect
from fingerprint.collect.store import Store
from fingerprint.errors import CollectionIncompleteError, ProviderError
from fingerprint.models.base import ChatRequest, Completion, Provider
from fingerprint.models.spec import parse_spec
from fingerprint.suite import Probe


class CountingProvider(Provider):
    max_n = 4

    def __init__(self, spec, fail_probe: str | None = None):
        super().__init__(spec)
        self.calls: list[ChatRequest] = []
        self.fail_probe = fail_probe

    async def complete(self, request: ChatRequest) -> list[Completion]:
        self.calls.append(request)
        if self.fail_probe and self.fail_probe in request.messages[-1]["content"]:
            raise ProviderError("server returned malformed JSON")
        return [Completion(text=f"{request.messages[-1]['content']}|{request.seed}|{k}")
                for k in range(request.n)]


def _probes(count=3, samples=None):
    return tuple(Probe(id=f"p{i}", family="f", version=1, rationale="r",
                       messages=({"role": "user", "content": f"question {i}"},), samples=samples)
                 for i in range(count))


def test_collects_everything_once_then_reuses(tmp_path):
    provider = CountingProvider(parse_spec("zoo/fake"))
    with Store(tmp_path / "s.sqlite") as store:
        first = collect([Target("reference", provider)], _probes(), samples=6, seed=1, store=store)
        assert first.samples_expected == 18 and first.samples_stored == 18
        assert first.requests_made == 6  # 6 samples per probe in batches of max_n=4: 4 + 2
        assert all(len(v) == 6 for v in first.samples.values())
        again = collect([Target("reference", provider)], _probes(), samples=6, seed=1, store=store)
        assert again.requests_made == 0 and again.responses_reused == 18
        assert [s.response["text"] for s in again.samples[("reference", "p0")]] == \
               [s.response["text"] for s in first.samples[("reference", "p0")]]
        assert store.count() == 18


def test_a_new_seed_is_a_new_sample(tmp_path):
    provider = CountingProvider(parse_spec("zoo/fake"))
    with Store(tmp_path / "s.sqlite") as store:
        collect([Target("r", provider)], _probes(1), samples=2, seed=1, store=store)
        result = collect([Target("r", provider)], _probes(1), samples=2, seed=2, store=store)
        assert result.requests_made == 1 and store.count() == 4


def test_probe_samples_override_the_default(tmp_path):
    provider = CountingProvider(parse_spec("zoo/fake"))
    with Store(tmp_path / "s.sqlite") as store:
        result = collect([Target("r", provider)], _probes(2, samples=3), samples=10, seed=0,
                         store=store)
    assert result.samples_expected == 6


def test_failures_keep_what_arrived_and_resume(tmp_path):
    broken = CountingProvider(parse_spec("zoo/fake"), fail_probe="question 1")
    with Store(tmp_path / "s.sqlite") as store:
        with pytest.raises(CollectionIncompleteError, match="run the same command again"):
            collect([Target("r", broken)], _probes(), samples=2, seed=0, store=store)
        assert store.count() == 4  # probes 0 and 2 stored, probe 1 not
        healed = CountingProvider(parse_spec("zoo/fake"))
        result = collect([Target("r", healed)], _probes(), samples=2, seed=0, store=store)
        assert result.requests_made == 1 and result.responses_reused == 4
        assert store.count() == 6


def test_store_keys_cover_model_identity(tmp_path):
    a = CountingProvider(parse_spec("zoo/a"))
    b = CountingProvider(parse_spec("zoo/b"))
    with Store(tmp_path / "s.sqlite") as store:
        collect([Target("reference", a), Target("suspect", b)], _probes(1), samples=2, seed=0,
                store=store)
        assert store.count() == 4
