"""What a collection would send, before it sends anything: per model, the requests left
after what the store already holds, the tokens they are expected to use, and their cost
where a price is known (:mod:`.prices`).

The prompt-token figure is an *estimate* for planning, not a bound: about one token per
four characters of message text (the usual rule of thumb for English with today's BPE
tokenizers) plus 4 tokens per message and 3 per request for the chat template.  The
completion figure is the most a request may use, ``max_tokens × n``; answers are usually
shorter, so the cost shown is an upper estimate.  The hard budget (``--max-cost``) does
not use this estimate: it reserves the worst case of every attempt (:mod:`.budget`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..models.base import ChatRequest
from ..suite import Probe
from .budget import BudgetLimits
from .prices import FREE_PROVIDERS, Quote
from .result import CollectionResult
from .runner import plan_jobs
from .target import Target

CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4
TOKENS_PER_REQUEST = 3


def estimate_prompt_tokens(request: ChatRequest) -> int:
    """About how many prompt tokens ``request`` is billed for (see the module docstring)."""
    return sum(math.ceil(len(str(m.get("content", ""))) / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE
               for m in request.messages) + TOKENS_PER_REQUEST


@dataclass
class ModelPlan:
    role: str
    spec: str
    local: bool  # zoo/ or replay/: answered in process, nothing sent over the network
    samples: int  # samples the run needs from this model
    stored: int  # of which the store already holds
    requests: int  # requests left to send
    prompt_tokens: int  # estimated
    completion_tokens: int  # at most
    quote: Quote | None

    @property
    def cost(self) -> float | None:
        if self.quote is None:
            return None
        return self.quote.price.cost(self.prompt_tokens, self.completion_tokens)

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "model": self.spec, "local": self.local,
                "samples": self.samples, "stored": self.stored, "requests": self.requests,
                "prompt_tokens_estimate": self.prompt_tokens,
                "completion_tokens_max": self.completion_tokens,
                "cost_usd_estimate": None if self.cost is None else round(self.cost, 6),
                "price": self.quote.to_json() if self.quote else None}


@dataclass
class Plan:
    models: list[ModelPlan]

    @property
    def remote_requests(self) -> int:
        return sum(m.requests for m in self.models if not m.local)

    @property
    def cost(self) -> float:
        """The priced part of the plan (unpriced models are listed by :attr:`unpriced`)."""
        return sum(m.cost or 0.0 for m in self.models)

    @property
    def unpriced(self) -> list[str]:
        return [m.spec for m in self.models if m.quote is None and m.requests]

    def table(self) -> list[str]:
        """The plan as aligned text lines, a total line last."""
        head = ("model", "role", "answers", "stored", "requests", "prompt tok ~",
                "completion tok <=", "cost <= ~", "price (USD/1M in/out)")
        rows = [head]
        for m in self.models:
            cost = "local" if m.local else ("unpriced" if m.cost is None else f"${m.cost:.2f}")
            price = "-" if m.local else (m.quote.label() if m.quote else "unknown: --price")
            rows.append((m.spec, m.role, str(m.samples), str(m.stored),
                         str(m.requests) + ("" if not m.local else " local"),
                         f"{m.prompt_tokens:,}", f"{m.completion_tokens:,}", cost, price))
        total = f"${self.cost:.2f}" + (" + unpriced" if self.unpriced else "")
        rows.append(("total", "", str(sum(m.samples for m in self.models)),
                     str(sum(m.stored for m in self.models)),
                     f"{self.remote_requests} remote",
                     f"{sum(m.prompt_tokens for m in self.models if not m.local):,}",
                     f"{sum(m.completion_tokens for m in self.models if not m.local):,}",
                     total, ""))
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]

    def to_json(self) -> dict[str, Any]:
        return {"models": [m.to_json() for m in self.models],
                "remote_requests": self.remote_requests, "cost_usd_estimate": round(self.cost, 6),
                "unpriced": self.unpriced}


def make_plan(targets: list[Target], probes: tuple[Probe, ...], *, samples: int, seed: int,
              store: Any, limits: BudgetLimits) -> Plan:
    """The plan of collecting ``targets`` × ``probes`` given what ``store`` holds.

    ``store`` needs only ``keys_present`` (nothing is written)."""
    models = []
    for target in targets:
        counted = CollectionResult()
        jobs = plan_jobs([target], probes, samples, seed, store, counted)
        spec = target.provider.spec
        models.append(ModelPlan(
            role=target.role, spec=spec.raw, local=spec.provider in FREE_PROVIDERS,
            samples=counted.samples_expected, stored=counted.responses_reused,
            requests=len(jobs),
            prompt_tokens=sum(estimate_prompt_tokens(j.request) for j in jobs),
            completion_tokens=sum(j.request.max_tokens * j.request.n for j in jobs),
            quote=limits.quote(spec)))
    return Plan(models)
