"""The gate every attempt passes: rate limits, then the budget, then the request count.

One :class:`JobGate` per request the sampler sends.  HTTP providers call it before each
attempt (retries included) through the ``ATTEMPT_GATE`` context variable of
:mod:`fingerprint.models._http`; for other providers the sampler calls it once per call.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..models.base import ChatRequest
from .budget import Budget, Reservation, prompt_token_bound
from .limits import EndpointLimits


class Counters:
    """What this invocation did, shared by all gates of one collection."""

    def __init__(self) -> None:
        self.attempts = 0  # model calls made: HTTP attempts, retries included
        self.retries = 0  # attempts after the first of the same request


class JobGate:
    def __init__(self, spec: Any, request: ChatRequest, budget: Budget,
                 limits: EndpointLimits | None, counters: Counters):
        self.spec, self.request, self.budget = spec, request, budget
        self.limits, self.counters = limits, counters
        self.attempts = 0
        self._held: Reservation | None = None

    async def before_attempt(self) -> None:
        """Wait for the rate limits, then reserve the worst case (may raise
        :class:`~fingerprint.errors.BudgetExceededError`: the attempt is then not made)."""
        if self.limits is not None:
            await self.limits.acquire(prompt_token_bound(self.request)
                                      + self.request.max_tokens * self.request.n)
        self._held = await self.budget.reserve(self.spec, self.request)
        self.attempts += 1
        self.counters.attempts += 1
        if self.attempts > 1:
            self.counters.retries += 1

    def attempt_failed(self, *, billed: bool) -> None:
        """A refused attempt costs nothing; an unknown or unusable one stays at worst case."""
        if self._held is not None:
            self.budget.settle(self.spec, self._held, None, keep_worst=billed)
        self._held = None

    def succeeded(self, usages: list[Mapping[str, Any]]) -> None:
        """Settle the last attempt with the usage the server reported (none reported:
        the worst case stays charged)."""
        if self._held is None:
            return
        if not any("prompt_tokens" in u or "completion_tokens" in u for u in usages):
            self.budget.settle(self.spec, self._held, None, keep_worst=True)
            self._held = None
            return
        total = {"prompt_tokens": sum(int(u.get("prompt_tokens") or 0) for u in usages),
                 "completion_tokens": sum(int(u.get("completion_tokens") or 0) for u in usages)}
        self.budget.settle(self.spec, self._held, total)
        self._held = None

    def release(self) -> None:
        """Settle an attempt that ended some other way (cancelled): at the worst case."""
        if self._held is not None:
            self.budget.settle(self.spec, self._held, None, keep_worst=True)
            self._held = None
