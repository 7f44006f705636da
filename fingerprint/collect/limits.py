"""Requests-per-minute and tokens-per-minute limits, one pair per endpoint (aiolimiter).

Vendors enforce per-minute limits in shorter slices (OpenAI: "60,000 RPM may be enforced
as 1,000 per second"), so the buckets here hold one second's worth and refill
continuously; a slow limit (under one request a second) spaces requests evenly instead.
Every attempt, retries included, takes one request and its worst-case token count, the
way vendors count ``max_tokens`` against a token limit before generating anything.
"""

from __future__ import annotations

from typing import Any, Iterable

from aiolimiter import AsyncLimiter

from ..errors import SpecError


def _rate(options: dict[str, Any], name: str, raw: str) -> float | None:
    value = options.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if isinstance(value, bool) or not number > 0:
        raise SpecError(f"target option {name} for {raw} must be a positive number, got {value!r}")
    return number


def _bucket(per_minute: float) -> AsyncLimiter:
    if per_minute >= 60:
        return AsyncLimiter(per_minute / 60.0, 1.0)
    return AsyncLimiter(1, 60.0 / per_minute)


class EndpointLimits:
    """The rpm/tpm buckets of one endpoint."""

    def __init__(self, rpm: float | None = None, tpm: float | None = None):
        self.rpm, self.tpm = rpm, tpm
        self._requests = _bucket(rpm) if rpm else None
        self._tokens = _bucket(tpm) if tpm else None

    async def acquire(self, tokens: int) -> None:
        """Wait until one more request of ``tokens`` tokens fits in both limits."""
        if self._requests is not None:
            await self._requests.acquire(1)
        if self._tokens is not None:
            left = float(max(0, tokens))
            while left > 0:  # a request larger than one slice takes several slices' time
                step = min(left, self._tokens.max_rate)
                await self._tokens.acquire(step)
                left -= step


def endpoint_limits(providers: Iterable[Any]) -> dict[str, EndpointLimits]:
    """One :class:`EndpointLimits` per endpoint; targets sharing one get the strictest."""
    found: dict[str, tuple[float | None, float | None]] = {}
    for provider in providers:
        opts = dict(provider.spec.options or {})
        rpm = _rate(opts, "rpm", provider.spec.raw)
        tpm = _rate(opts, "tpm", provider.spec.raw)
        old_rpm, old_tpm = found.get(provider.endpoint, (None, None))
        found[provider.endpoint] = (_min(old_rpm, rpm), _min(old_tpm, tpm))
    return {ep: EndpointLimits(rpm, tpm) for ep, (rpm, tpm) in found.items() if rpm or tpm}


def _min(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None else min(a, b)
