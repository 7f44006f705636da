"""The async sampler: every (model, probe, sample) collected once, into the store.

Work is planned from the store first (what is already there is reused, never re-bought),
then sent concurrently with one concurrency limit per endpoint.  Each request's samples are
stored in one transaction as soon as they arrive, so an interrupted run loses nothing it
already paid for and the same command resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from ..errors import CollectionIncompleteError, FingerprintError
from ..models.base import ChatRequest, Provider
from ..suite import Probe
from .store import Store, StoredSample, sample_key

DEFAULT_CONCURRENCY = 8


def probe_seed(run_seed: int, probe_id: str, first_index: int = 0) -> int:
    """The seed sent with a request: derived from the run seed, the probe and the batch start."""
    digest = hashlib.sha256(f"{run_seed}:{probe_id}:{first_index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


@dataclass(frozen=True)
class Target:
    role: str  # "reference", "suspect", "control 1", … or the spec for `collect`
    provider: Provider


@dataclass
class CollectionResult:
    samples_expected: int = 0
    samples_stored: int = 0
    requests_made: int = 0
    responses_reused: int = 0
    failures: list[str] = field(default_factory=list)
    samples: dict[tuple[str, str], list[StoredSample]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"samples_expected": self.samples_expected, "samples_stored": self.samples_stored,
                "requests_made": self.requests_made, "responses_reused": self.responses_reused,
                "failures": list(self.failures)}


@dataclass(frozen=True)
class _Job:
    target: Target
    probe: Probe
    indices: tuple[int, ...]
    logical: dict[str, Any]
    request: ChatRequest


def _logical_request(probe: Probe, seed: int) -> ChatRequest:
    return ChatRequest(messages=tuple(probe.messages), temperature=probe.temperature,
                       max_tokens=probe.max_tokens, top_p=probe.top_p,
                       seed=probe_seed(seed, probe.id))


def _plan(targets: list[Target], probes: tuple[Probe, ...], samples: int, seed: int,
          store: Store, result: CollectionResult) -> list[_Job]:
    jobs: list[_Job] = []
    for target in targets:
        ident = target.provider.identity
        for probe in probes:
            n = probe.samples or samples
            request = _logical_request(probe, seed)
            logical = request.logical()
            keys = [sample_key(ident, probe.id, probe.version, logical, i) for i in range(n)]
            stored = store.get_many(keys)
            result.samples_expected += n
            result.responses_reused += len(stored)
            missing = [i for i, k in enumerate(keys) if k not in stored]
            for start in range(0, len(missing), max(1, target.provider.max_n)):
                batch = tuple(missing[start:start + target.provider.max_n])
                wire = ChatRequest(messages=request.messages, temperature=request.temperature,
                                   max_tokens=request.max_tokens, top_p=request.top_p,
                                   seed=probe_seed(seed, probe.id, batch[0]), n=len(batch))
                jobs.append(_Job(target, probe, batch, logical, wire))
    return jobs


async def _run_jobs(jobs: list[_Job], store: Store, result: CollectionResult,
                    progress: Callable[[int], None] | None) -> None:
    limits: dict[str, asyncio.Semaphore] = {}
    for job in jobs:
        provider = job.target.provider
        if provider.endpoint not in limits:
            limit = int(provider.spec.options.get("max_concurrency", DEFAULT_CONCURRENCY))
            limits[provider.endpoint] = asyncio.Semaphore(max(1, limit))

    async def run(job: _Job) -> None:
        provider = job.target.provider
        async with limits[provider.endpoint]:
            try:
                completions = await provider.complete(job.request)
            except FingerprintError as exc:
                result.failures.append(f"{provider.spec.raw} probe {job.probe.id}: {exc}")
                return
            finally:
                result.requests_made += 1
        if len(completions) != len(job.indices):
            result.failures.append(f"{provider.spec.raw} probe {job.probe.id}: asked for "
                                   f"{len(job.indices)} samples, server returned {len(completions)}")
            return
        ident = provider.identity
        rows = []
        for index, completion in zip(job.indices, completions):
            key = sample_key(ident, job.probe.id, job.probe.version, job.logical, index)
            rows.append((key, ident, StoredSample(
                key, provider.spec.raw, job.probe.id, job.probe.version, index,
                dict(job.logical, n=job.request.n, seed_sent=job.request.seed),
                completion.to_json())))
        store.put_many(rows, datetime.now(timezone.utc).isoformat(timespec="seconds"))
        result.samples_stored += len(rows)
        if progress:
            progress(len(rows))

    await asyncio.gather(*(run(job) for job in jobs))


def collect(targets: list[Target], probes: tuple[Probe, ...], *, samples: int, seed: int,
            store: Store, progress_factory: Callable[[int], Any] | None = None,
            strict: bool = True) -> CollectionResult:
    """Collect every (target, probe, sample) not yet in the store, then load them all.

    Raises :class:`CollectionIncompleteError` (after storing everything that did arrive)
    when some sample could not be collected and ``strict`` is true.
    """
    result = CollectionResult()
    jobs = _plan(targets, probes, samples, seed, store, result)
    todo = sum(len(j.indices) for j in jobs)
    bar = progress_factory(todo) if (progress_factory and todo) else None

    async def main() -> None:
        try:
            await _run_jobs(jobs, store, result, bar.update if bar else None)
        finally:
            await asyncio.gather(*(t.provider.aclose() for t in targets), return_exceptions=True)

    try:
        asyncio.run(main())
    finally:
        if bar is not None:
            bar.close()
    result.samples = load_samples(targets, probes, samples=samples, seed=seed, store=store)
    if result.failures and strict:
        shown = "; ".join(result.failures[:3])
        more = f" (and {len(result.failures) - 3} more)" if len(result.failures) > 3 else ""
        raise CollectionIncompleteError(
            f"{len(result.failures)} request(s) failed: {shown}{more}. Everything collected is "
            "stored; run the same command again to resume")
    return result


def load_samples(targets: list[Target], probes: tuple[Probe, ...], *, samples: int, seed: int,
                 store: Store) -> dict[tuple[str, str], list[StoredSample]]:
    """Every stored sample of (role, probe id), ordered by sample index."""
    out: dict[tuple[str, str], list[StoredSample]] = {}
    for target in targets:
        ident = target.provider.identity
        for probe in probes:
            logical = _logical_request(probe, seed).logical()
            keys = [sample_key(ident, probe.id, probe.version, logical, i)
                    for i in range(probe.samples or samples)]
            stored = store.get_many(keys)
            out[(target.role, probe.id)] = [stored[k] for k in keys if k in stored]
    return out
