"""What one collection found, sent and stored, counted for the run folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .failures import Failure, group_failures
from .preflight import Check
from .prices import table_info
from .store import StoredSample


@dataclass
class CollectionResult:
    """What one invocation found, sent and stored.

    ``requests_made`` counts model calls made by this invocation: every HTTP attempt,
    retries included (the calls a server saw and may have counted against a rate limit).
    ``samples_stored`` is the run's total now in the store; ``samples_new`` the part of it
    this invocation stored; ``responses_reused`` what was found stored before it started.
    """

    samples_expected: int = 0
    samples_stored: int = 0
    samples_new: int = 0
    requests_made: int = 0
    requests_retried: int = 0
    requests_requeued: int = 0
    responses_reused: int = 0
    failed: list[Failure] = field(default_factory=list)
    budget: dict[str, Any] | None = None
    budget_stop: str | None = None  # the budget's one-line summary when it stopped sending
    interrupted: bool = False
    preflight: list[Check] | None = None  # the checks made before sampling, if any
    preflight_requests: int = 0
    preflight_stop: str | None = None  # why the checks stopped the run, if they did
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    cost_usd: float | None = None
    samples: dict[tuple[str, str], list[StoredSample]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.samples_stored == self.samples_expected

    @property
    def failures(self) -> list[str]:
        """One line per request that could not be completed."""
        return [f.line() for f in self.failed]

    def to_json(self) -> dict[str, Any]:
        return {"samples_expected": self.samples_expected, "samples_stored": self.samples_stored,
                "samples_new": self.samples_new, "requests_made": self.requests_made,
                "requests_retried": self.requests_retried,
                "requests_requeued": self.requests_requeued,
                "responses_reused": self.responses_reused,
                "samples_missing": self.samples_expected - self.samples_stored,
                "failures": self.failures,
                "failure_causes": [c.to_json() for c in group_failures(self.failed)],
                "budget": self.budget,
                "stopped_by_budget": self.budget_stop is not None,
                "interrupted": self.interrupted,
                "preflight": None if self.preflight is None else [c.to_json()
                                                                  for c in self.preflight],
                "preflight_requests": self.preflight_requests,
                "stopped_by_preflight": self.preflight_stop is not None,
                "prices": self.prices, "price_table": table_info(), "cost_usd": self.cost_usd}
