"""Collection: the async sampler (concurrency, rate limits, retries, budget, progress) and the
response store that lets a rerun resume instead of paying twice.  See docs/collect.md."""

from .budget import BudgetLimits, budget_from_args
from .result import CollectionResult
from .runner import collect, raise_if_short
from .target import Target
from .store import Store, StoredSample, sample_key

#: samples per probe and model unless a probe sets its own (the one default of the project)
DEFAULT_SAMPLES = 10

__all__ = ["BudgetLimits", "CollectionResult", "DEFAULT_SAMPLES", "Store", "StoredSample",
           "Target", "budget_from_args", "collect", "raise_if_short", "sample_key"]
