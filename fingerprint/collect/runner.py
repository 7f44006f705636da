"""The async sampler: every (model, probe, sample) collected once, into the store.

Work is planned from the store first (what is already there is reused, never re-bought),
then sent by a fixed pool of workers per endpoint (its concurrency limit), each attempt
through the rate limits and the budget (:mod:`.gate`).  A request the server asks to
postpone for longer than the transport sleeps through is put back in the queue after that
wait (at most ``max_requeues`` times).  Each request's samples are stored in one
transaction as soon as they arrive (answers arriving within 20 ms share one), so an
interrupted run loses nothing it already paid for and the same command resumes where it
stopped.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

from ..errors import (BudgetExceededError, CollectionIncompleteError, FingerprintError,
                      PreflightError, ProviderError, StoreError)
from ..models._http import ATTEMPT_GATE
from ..models.base import ChatRequest, Completion, Provider
from ..suite import Probe
from .budget import Budget, BudgetLimits
from .failures import incomplete_message, make_failure
from .preflight import check_targets, needs_request, stop_message
from .result import CollectionResult
from .target import Target
from .gate import Counters, JobGate
from .limits import EndpointLimits, endpoint_limits
from .store import Store, StoredSample, sample_key

DEFAULT_CONCURRENCY = 8
# A lane's workers start this far apart (64 workers: 63 ms).  Started together, their
# requests leave and come back in one burst; the answers then queue behind each other in
# the event loop, and a server with steady latency keeps the burst together forever.
START_SPACING = 0.001  # seconds
COMMIT_INTERVAL = 0.02  # seconds: at most 50 store commits a second (see _Run.store_job)


def probe_seed(run_seed: int, probe_id: str, first_index: int = 0) -> int:
    """The seed sent with a request: derived from the run seed, the probe and the batch start."""
    digest = hashlib.sha256(f"{run_seed}:{probe_id}:{first_index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


@dataclass(frozen=True)
class _Job:
    target: Target
    probe: Probe
    indices: tuple[int, ...]
    keys: tuple[str, ...]  # the store key of each sample index
    logical: dict[str, Any]
    request: ChatRequest


def _seed_name(probe_id: str, draw: int) -> str:
    """What the seeds of a draw derive from: a repeated model gets its own seeds (and keys)."""
    return probe_id if draw == 0 else f"{probe_id}@draw{draw}"


def _logical_request(probe: Probe, seed: int, draw: int = 0) -> ChatRequest:
    return ChatRequest(messages=tuple(probe.messages), temperature=probe.temperature,
                       max_tokens=probe.max_tokens, top_p=probe.top_p,
                       seed=probe_seed(seed, _seed_name(probe.id, draw)))


def _key_request(provider: Provider, request: ChatRequest) -> dict[str, Any]:
    """What a sample's key and record cover.  Replayed answers were not sampled by this
    tool: no sampling parameter reached the model that wrote them, so none is recorded."""
    logical = request.logical()
    if provider.sends_parameters:
        return logical
    return {"messages": logical["messages"], "replayed": True}


def plan_jobs(targets: list[Target], probes: tuple[Probe, ...], samples: int, seed: int,
          store: Store, result: CollectionResult) -> list[_Job]:
    jobs: list[_Job] = []
    for target in targets:
        ident = target.provider.identity
        for probe in probes:
            n = probe.samples or samples
            request = _logical_request(probe, seed, target.draw)
            logical = _key_request(target.provider, request)
            keys = [sample_key(ident, probe.id, probe.version, logical, i) for i in range(n)]
            stored = store.keys_present(keys)
            result.samples_expected += n
            result.responses_reused += len(stored)
            missing = [i for i, k in enumerate(keys) if k not in stored]
            for start in range(0, len(missing), max(1, target.provider.max_n)):
                batch = tuple(missing[start:start + target.provider.max_n])
                wire = ChatRequest(messages=request.messages, temperature=request.temperature,
                                   max_tokens=request.max_tokens, top_p=request.top_p,
                                   seed=probe_seed(seed, _seed_name(probe.id, target.draw),
                                                   batch[0]), n=len(batch))
                jobs.append(_Job(target, probe, batch, tuple(keys[i] for i in batch),
                                 logical, wire))
    return jobs


class _Run:
    """The state one collection shares across its endpoints' workers."""

    def __init__(self, store: Store, result: CollectionResult, budget: Budget,
                 progress: Callable[[int], None] | None, max_requeues: int,
                 sleep: Callable[[float], Awaitable[None]]):
        self.store, self.result, self.budget = store, result, budget
        self.progress, self.max_requeues, self.sleep = progress, max_requeues, sleep
        self.counters = Counters()
        self.stopped = False  # the budget is spent or the store failed: send nothing more
        self.store_error: StoreError | None = None
        self._pending: list[tuple[str, dict[str, Any], StoredSample]] = []
        self._flush_scheduled = False
        self._last_flush = float("-inf")

    async def send(self, job: _Job, limits: EndpointLimits | None) -> list[Completion]:
        provider = job.target.provider
        gate = JobGate(provider.spec, job.request, self.budget, limits, self.counters)
        token = ATTEMPT_GATE.set(gate)
        try:
            if getattr(provider, "gates_attempts", False):
                completions = await provider.complete(job.request)
            else:
                await gate.before_attempt()
                try:
                    completions = await provider.complete(job.request)
                except ProviderError as exc:
                    gate.attempt_failed(billed=exc.status is None or exc.status < 300)
                    raise
            gate.succeeded([c.usage or {} for c in completions])
        finally:
            ATTEMPT_GATE.reset(token)
            gate.release()
        return completions

    def failed(self, job: _Job, message: str) -> None:
        self.result.failed.append(make_failure(job.target.provider.spec.raw, job.probe.id,
                                               message, len(job.indices)))

    def store_job(self, job: _Job, completions: list[Completion]) -> None:
        provider = job.target.provider
        ident = provider.identity
        rows = []
        for index, key, completion in zip(job.indices, job.keys, completions):
            rows.append((key, ident, StoredSample(
                key, provider.spec.raw, job.probe.id, job.probe.version, index,
                dict(job.logical, n=job.request.n,
                     **({"seed_sent": job.request.seed} if provider.sends_parameters else {})),
                completion.to_json())))
        self._pending.extend(rows)
        if not self._flush_scheduled:
            # Group commit: answers are written at the next turn of the event loop, all
            # that arrived by then in one transaction, and at most one commit per
            # COMMIT_INTERVAL (one commit per answer cost more than the HTTP exchange at
            # high concurrency).  At a calm rate every answer is committed at once.
            self._flush_scheduled = True
            loop = asyncio.get_running_loop()
            wait = self._last_flush + COMMIT_INTERVAL - loop.time()
            if wait > 0:
                loop.call_later(wait, self.flush)
            else:
                loop.call_soon(self.flush)

    def flush(self) -> None:
        """Write every pending answer in one transaction (all or nothing)."""
        self._flush_scheduled = False
        try:
            self._last_flush = asyncio.get_running_loop().time()
        except RuntimeError:  # the final flush, after the loop has ended
            pass
        rows, self._pending = self._pending, []
        if not rows:
            return
        try:
            self.store.put_many(rows, datetime.now(timezone.utc).isoformat(timespec="seconds"))
        except StoreError as exc:
            self.store_error = exc
            self.stopped = True
            return
        self.result.samples_new += len(rows)
        if self.progress:
            self.progress(len(rows))


class _Lane:
    """One endpoint: ``concurrency`` workers draining its queue, requeues included."""

    def __init__(self, run: _Run, jobs: list[_Job], concurrency: int,
                 limits: EndpointLimits | None):
        self.run, self.limits, self.concurrency = run, limits, max(1, concurrency)
        self.queue: asyncio.Queue[tuple[_Job, int] | None] = asyncio.Queue()
        for job in jobs:
            self.queue.put_nowait((job, 0))
        self.outstanding = len(jobs)
        self._timers: set[asyncio.Task] = set()

    def _finish(self) -> None:
        self.outstanding -= 1
        if self.outstanding == 0:
            for _ in range(self.concurrency):
                self.queue.put_nowait(None)

    async def _requeue_after(self, wait: float, item: tuple[_Job, int]) -> None:
        await self.run.sleep(wait)
        self.queue.put_nowait(item)

    async def worker(self, start_delay: float = 0.0) -> None:
        run = self.run
        if start_delay:
            await asyncio.sleep(start_delay)
        while True:
            item = await self.queue.get()
            if item is None:
                return
            job, requeues = item
            if run.stopped:
                self._finish()
                continue
            try:
                completions = await run.send(job, self.limits)
            except BudgetExceededError as exc:
                run.stopped = True
                run.result.budget_stop = str(exc)
                self._finish()
                continue
            except ProviderError as exc:
                if exc.retryable and exc.retry_after is not None and requeues < run.max_requeues:
                    # The server asked for a longer pause than the transport sleeps through:
                    # free the slot, wait at least that long, then try again.
                    run.result.requests_requeued += 1
                    task = asyncio.ensure_future(self._requeue_after(
                        float(exc.retry_after), (job, requeues + 1)))
                    self._timers.add(task)
                    task.add_done_callback(self._timers.discard)
                    continue
                run.failed(job, str(exc))
                self._finish()
                continue
            except FingerprintError as exc:
                run.failed(job, str(exc))
                self._finish()
                continue
            if len(completions) != len(job.indices):
                run.failed(job, f"asked for {len(job.indices)} samples, "
                                f"server returned {len(completions)}")
            else:
                run.store_job(job, completions)
            self._finish()

    async def drain(self) -> None:
        if self.outstanding == 0:
            return
        try:
            await asyncio.gather(*(self.worker(k * START_SPACING)
                                   for k in range(self.concurrency)))
        finally:
            for task in list(self._timers):
                task.cancel()


def _concurrency(provider: Provider) -> int:
    value = getattr(provider, "max_concurrency", None) or \
        provider.spec.options.get("max_concurrency", DEFAULT_CONCURRENCY)
    return max(1, int(value))


async def _run_jobs(jobs: list[_Job], run: _Run) -> None:
    by_endpoint: dict[str, list[_Job]] = {}
    providers: dict[int, Provider] = {}
    for job in jobs:
        by_endpoint.setdefault(job.target.provider.endpoint, []).append(job)
        providers[id(job.target.provider)] = job.target.provider
    limits = endpoint_limits(providers.values())
    lanes = []
    for endpoint, mine in by_endpoint.items():
        concurrency = min(_concurrency(j.target.provider) for j in mine)
        lanes.append(_Lane(run, mine, concurrency, limits.get(endpoint)))
    await asyncio.gather(*(lane.drain() for lane in lanes))


def collect(targets: list[Target], probes: tuple[Probe, ...], *, samples: int, seed: int,
            store: Store, progress_factory: Callable[[int], Any] | None = None,
            strict: bool = True, budget: BudgetLimits | None = None, max_requeues: int = 3,
            sleep: Callable[[float], Awaitable[None]] | None = None,
            preflight: bool = False) -> CollectionResult:
    """Collect every (target, probe, sample) not yet in the store, then load them all.

    Sending stops when the budget would be exceeded, when Ctrl-C is pressed, or when
    nothing is left; whatever arrived is stored either way.  With ``strict`` a short
    collection raises (after storing): :class:`KeyboardInterrupt` if interrupted,
    :class:`BudgetExceededError` if the budget stopped it, else
    :class:`CollectionIncompleteError`.  Without ``strict`` the caller reads ``result``.

    With ``preflight`` every remote model that has work left first gets one cheap check
    (:mod:`.preflight`, through the same budget); if any fails, nothing is sampled and the
    result says why (strict: :class:`~fingerprint.errors.PreflightError`).
    """
    limits = budget or BudgetLimits()
    limits.check_prices(t.provider.spec for t in targets)
    result = CollectionResult()
    jobs = plan_jobs(targets, probes, samples, seed, store, result)
    todo = sum(len(j.indices) for j in jobs)
    bar = progress_factory(todo) if (progress_factory and todo) else None
    run = _Run(store, result, Budget(limits), bar.update if bar else None, max_requeues,
               sleep or asyncio.sleep)

    pending = {id(j.target.provider) for j in jobs}
    to_check = [t for t in targets if id(t.provider) in pending and needs_request(t.provider)]
    checked = Counters()

    def gate_for(provider: Provider, request: ChatRequest) -> JobGate:
        return JobGate(provider.spec, request, run.budget, None, checked)

    async def main() -> None:
        try:
            if preflight and to_check:
                result.preflight = await check_targets(to_check, probes[0] if probes else None,
                                                       gate_for=gate_for)
                if not all(c.ready for c in result.preflight):
                    result.preflight_stop = stop_message(result.preflight)
                    return
            await _run_jobs(jobs, run)
        finally:
            await asyncio.gather(*(t.provider.aclose() for t in targets), return_exceptions=True)

    try:
        if jobs:
            asyncio.run(main())
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        run.flush()  # answers that arrived in the last turn of the loop
        if bar is not None:
            bar.close()
        result.requests_made = run.counters.attempts
        result.requests_retried = run.counters.retries
        result.preflight_requests = checked.attempts
        result.cost_usd = round(run.budget.cost, 6)
        result.prices = {t.provider.spec.raw: q.to_json() for t in targets
                         if needs_request(t.provider) and (q := limits.quote(t.provider.spec))}
        result.budget = run.budget.to_json() if limits.active else None
    if run.store_error is not None:
        raise run.store_error
    result.samples = load_samples(targets, probes, samples=samples, seed=seed, store=store)
    result.samples_stored = sum(len(v) for v in result.samples.values())
    if strict:
        raise_if_short(result)
    return result


def raise_if_short(result: CollectionResult) -> None:
    """Raise the error that explains why ``result`` is short of samples, if it is."""
    if result.interrupted:
        raise KeyboardInterrupt
    if result.preflight_stop is not None:
        raise PreflightError(result.preflight_stop)
    if result.budget_stop is not None:
        raise BudgetExceededError(result.budget_stop)
    if result.failed or not result.complete:
        raise CollectionIncompleteError(incomplete_message(
            result.samples_expected - result.samples_stored, result.failed))


def load_samples(targets: list[Target], probes: tuple[Probe, ...], *, samples: int, seed: int,
                 store: Store) -> dict[tuple[str, str], list[StoredSample]]:
    """Every stored sample of (role, probe id), ordered by sample index."""
    out: dict[tuple[str, str], list[StoredSample]] = {}
    for target in targets:
        ident = target.provider.identity
        for probe in probes:
            logical = _key_request(target.provider, _logical_request(probe, seed, target.draw))
            keys = [sample_key(ident, probe.id, probe.version, logical, i)
                    for i in range(probe.samples or samples)]
            stored = store.get_many(keys)
            out[(target.role, probe.id)] = [stored[k] for k in keys if k in stored]
    return out
