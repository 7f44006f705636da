"""``zoo/NAME``: a built-in model organism, sampled in-process.

It answers like an OpenAI-compatible server would (the same fields a real server reports),
so a comparison gives the same evidence in-process and over ``fingerprint serve``.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import datetime, timezone

from .base import ChatRequest, Completion, Provider
from .spec import ModelSpec


class ZooProvider(Provider):
    max_n = 128

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        from ..zoo import load_organism  # deferred: building an organism is not free

        self.organism = load_organism(spec.model)

    @property
    def endpoint(self) -> str:
        return "zoo"

    async def complete(self, request: ChatRequest) -> list[Completion]:
        started = time.perf_counter()
        generations = await asyncio.to_thread(
            self.organism.generate, [dict(m) for m in request.messages],
            temperature=request.temperature, top_p=request.top_p, max_tokens=request.max_tokens,
            seed=request.seed, n=request.n, logprobs=request.logprobs,
            top_logprobs=request.top_logprobs or 0)
        latency = time.perf_counter() - started
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        fingerprint = self.organism.weights_sha256  # what `fingerprint serve` reports too
        request_id = "zoo-" + hashlib.sha256(
            f"{self.spec.model}:{request.seed}:{request.n}".encode()).hexdigest()[:16]
        out = []
        for k, g in enumerate(generations):
            logprobs = None
            if request.logprobs:
                logprobs = [{"token": t, "logprob": lp,
                             "top_logprobs": [{"token": a, "logprob": b} for a, b in tops]}
                            for t, lp, tops in zip(g.tokens, g.token_logprobs,
                                                   g.top_logprobs or [[]] * len(g.tokens))]
            out.append(Completion(
                text=g.text, finish_reason=g.finish_reason, served_model=self.organism.name,
                system_fingerprint=fingerprint, request_id=f"{request_id}-{k}",
                usage={"prompt_tokens": g.prompt_tokens, "completion_tokens": g.completion_tokens,
                       "total_tokens": g.prompt_tokens + g.completion_tokens},
                logprobs=logprobs, latency_s=round(latency, 6), created=created))
        return out
