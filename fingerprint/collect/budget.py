"""A hard spending limit: requests, tokens and money that one invocation may never exceed.

Before every attempt the worst case is reserved: one request, the prompt's upper-bound
token count plus ``max_tokens × n`` completion tokens, priced at the model's rates.  After
the attempt the reservation is settled: with the usage the server reported on success, to
nothing when the server refused with an error status (vendors do not bill those), and at
the worst case when the outcome is unknown (a timeout, a dropped connection, a malformed
body: the model may have generated and billed every token).  An attempt whose worst case
does not fit in what is left is never sent.

The prompt bound assumes at most one token per UTF-8 byte of message text (true of the
byte-level BPE and byte-fallback tokenizers that serve today's chat models) plus a fixed
allowance per message and per request for the chat template.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ..errors import BudgetExceededError, SpecError
from ..models.base import ChatRequest
from .prices import FREE_PROVIDERS, OVERRIDE, Price, Quote, parse_price, quote_for, quotes

__all__ = ["Budget", "BudgetLimits", "FREE_PROVIDERS", "Price", "Reservation", "budget_from_args",
           "parse_price", "prompt_token_bound"]

TEMPLATE_TOKENS_PER_MESSAGE = 8
TEMPLATE_TOKENS_PER_REQUEST = 64


def prompt_token_bound(request: ChatRequest) -> int:
    """An upper bound on the prompt tokens a server can bill for ``request``."""
    text_bytes = sum(len(str(m.get("content", "")).encode("utf-8")) + len(str(m.get("role", "")))
                     for m in request.messages)
    return text_bytes + TEMPLATE_TOKENS_PER_MESSAGE * len(request.messages) \
        + TEMPLATE_TOKENS_PER_REQUEST


@dataclass(frozen=True)
class BudgetLimits:
    """What one invocation may spend; None means no limit on that axis."""

    max_requests: int | None = None
    max_tokens: int | None = None
    max_cost: float | None = None
    prices: Mapping[str, Price] = field(default_factory=dict)
    quotes: Mapping[str, Quote] = field(default_factory=dict)  # prices with their sources

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.max_requests, self.max_tokens, self.max_cost))

    def check_prices(self, specs: Iterable[Any]) -> None:
        """A money budget needs a price for every billed model; say which one is missing."""
        if self.max_cost is None:
            return
        for spec in specs:
            if spec.provider not in FREE_PROVIDERS and spec.raw not in self.prices:
                raise SpecError(f"--max-cost needs the price of {spec.raw}, which the price "
                                f"table does not hold: pass --price {spec.raw}=IN,OUT (dollars "
                                "per million prompt and completion tokens)")

    def quote(self, spec: Any) -> Quote | None:
        """The price used for ``spec`` and its source (None when unknown)."""
        return quote_for(spec, self.quotes or {k: Quote(v, OVERRIDE)
                                               for k, v in self.prices.items()})  # built by hand: all --price


@dataclass
class Reservation:
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cost: float


class Budget:
    """Tracks spending (settled + reserved) and refuses what could cross a limit."""

    def __init__(self, limits: BudgetLimits | None = None):
        self.limits = limits or BudgetLimits()
        self.requests = 0
        self.tokens = 0
        self.cost = 0.0
        self.exhausted: str | None = None  # why sending stopped, once it did
        self._outstanding = 0  # reservations not yet settled
        self._waiters: list[asyncio.Future] = []

    def _price(self, spec: Any) -> Price | None:
        if spec.provider in FREE_PROVIDERS:
            return Price(0.0, 0.0)
        return self.limits.prices.get(spec.raw)

    def _over(self, prompt: int, completion: int, cost: float) -> str | None:
        lim = self.limits
        if lim.max_requests is not None and self.requests + 1 > lim.max_requests:
            return "requests"
        if lim.max_tokens is not None and self.tokens + prompt + completion > lim.max_tokens:
            return "tokens"
        if lim.max_cost is not None and self.cost + cost > lim.max_cost + 1e-12:
            return "cost"
        return None

    async def reserve(self, spec: Any, request: ChatRequest) -> Reservation:
        """Reserve the worst case of one attempt.  If it does not fit while other attempts
        hold reservations, wait for them to settle (they usually use less); if it does not
        fit with none outstanding, raise :class:`BudgetExceededError`."""
        prompt = prompt_token_bound(request)
        completion = request.max_tokens * request.n
        price = self._price(spec)
        cost = price.cost(prompt, completion) if price else 0.0
        while True:
            over = None if self.exhausted else self._over(prompt, completion, cost)
            if over is None and not self.exhausted:
                break
            if self.exhausted or self._outstanding == 0:
                self.exhausted = self.exhausted or over
                raise BudgetExceededError(self.summary_line())
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter
        self.requests += 1
        self.tokens += prompt + completion
        self.cost += cost
        self._outstanding += 1
        return Reservation(1, prompt, completion, cost)

    def settle(self, spec: Any, held: Reservation, usage: Mapping[str, Any] | None,
               *, keep_worst: bool = False) -> None:
        """Replace a reservation by what was used: the reported ``usage``, nothing when
        ``usage`` is None (refused, not billed), or the worst case with ``keep_worst``."""
        self._outstanding -= 1
        if not keep_worst:
            self.tokens -= held.prompt_tokens + held.completion_tokens
            self.cost -= held.cost
            if usage is not None:
                prompt = int(usage.get("prompt_tokens") or 0)
                completion = int(usage.get("completion_tokens") or 0)
                price = self._price(spec)
                self.tokens += prompt + completion
                self.cost += price.cost(prompt, completion) if price else 0.0
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def to_json(self) -> dict[str, Any]:
        lim = self.limits
        return {"requests": self.requests, "tokens": self.tokens, "cost_usd": round(self.cost, 6),
                "max_requests": lim.max_requests, "max_tokens": lim.max_tokens,
                "max_cost_usd": lim.max_cost, "exhausted": self.exhausted}

    def summary_line(self) -> str:
        lim = self.limits
        spent = f"{self.requests} request(s), {self.tokens} token(s)"
        if lim.max_cost is not None or self.cost:
            spent += f", ${self.cost:.4f}"
        caps = []
        if lim.max_requests is not None:
            caps.append(f"--max-requests {lim.max_requests}")
        if lim.max_tokens is not None:
            caps.append(f"--max-tokens {lim.max_tokens}")
        if lim.max_cost is not None:
            caps.append(f"--max-cost {lim.max_cost:g}")
        flag = {"requests": "--max-requests", "tokens": "--max-tokens",
                "cost": "--max-cost"}.get(self.exhausted or "", "the budget")
        return (f"budget reached: spent {spent} of {', '.join(caps) or 'no limit'}; sending "
                f"stopped and everything collected is stored. Raise {flag} and run the same "
                "command again to collect the rest")


def budget_from_args(max_requests: int | None = None, max_tokens: int | None = None,
                     max_cost: float | None = None, prices: Iterable[str] = ()) -> BudgetLimits:
    """The CLI's ``--max-requests/--max-tokens/--max-cost/--price`` as :class:`BudgetLimits`."""
    for name, value in (("--max-requests", max_requests), ("--max-tokens", max_tokens),
                        ("--max-cost", max_cost)):
        if value is not None and (not math.isfinite(value) or value < 0):
            raise SpecError(f"{name} must be a non-negative number, got {value}")
    known = quotes(prices)
    return BudgetLimits(max_requests=max_requests, max_tokens=max_tokens, max_cost=max_cost,
                        prices={spec: q.price for spec, q in known.items()}, quotes=known)
