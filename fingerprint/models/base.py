"""The provider interface: one request in, ``n`` completions out.

Providers translate a :class:`ChatRequest` into a vendor's real wire format and parse the
answer back into :class:`Completion` objects that keep what the server said it served.
Retries, rate limits and budgets live outside the provider (in ``fingerprint.collect``)
except for wire-level retry of transient HTTP failures, which HTTP providers do themselves.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # models.spec does not import this module; the name is for hints only
    from .spec import ModelSpec


@dataclass(frozen=True)
class ChatRequest:
    """What to ask a model.  ``seed`` is the probe-level seed; ``n`` how many samples."""

    messages: tuple[dict[str, str], ...]  # {"role": "system"|"user"|"assistant", "content": str}
    temperature: float = 1.0
    max_tokens: int = 64
    top_p: float = 1.0
    seed: int | None = None
    n: int = 1
    logprobs: bool = False
    top_logprobs: int | None = None

    def logical(self) -> dict[str, Any]:
        """The request minus transport fields (``n``): what a sample's store key covers."""
        return {
            "messages": [dict(m) for m in self.messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "seed": self.seed,
            "logprobs": self.logprobs,
            "top_logprobs": self.top_logprobs,
        }


@dataclass
class Completion:
    """One sampled answer plus the evidence of what produced it."""

    text: str
    finish_reason: str | None = None
    served_model: str | None = None  # the ``model`` field the server returned
    system_fingerprint: str | None = None
    request_id: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    logprobs: list[dict[str, Any]] | None = None  # [{"token", "logprob", "top_logprobs": [...]}]
    latency_s: float | None = None
    created: str | None = None  # ISO-8601 UTC time the response arrived
    raw_request: dict[str, Any] | None = None  # the wire body sent (never headers with keys)
    raw_response: dict[str, Any] | None = None  # the wire body received
    response_headers: dict[str, str] | None = None  # allow-listed, non-secret headers only

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "finish_reason": self.finish_reason,
            "served_model": self.served_model,
            "system_fingerprint": self.system_fingerprint,
            "request_id": self.request_id,
            "usage": dict(self.usage),
            "logprobs": self.logprobs,
            "latency_s": self.latency_s,
            "created": self.created,
            "raw_request": self.raw_request,
            "raw_response": self.raw_response,
            "response_headers": self.response_headers,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Completion":
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})


class Provider(abc.ABC):
    """A model behind some interface.  Subclasses set ``max_n`` (1 = repeated calls)."""

    max_n: int = 1
    # False for replays: the request's sampling parameters reach no model, so they are
    # neither part of a sample's key nor recorded with it.
    sends_parameters: bool = True

    def __init__(self, spec: ModelSpec):
        self.spec = spec

    @property
    def endpoint(self) -> str:
        """Key for the per-endpoint concurrency limit (e.g. the base URL)."""
        return self.spec.provider

    @property
    def identity(self) -> dict[str, Any]:
        """What a store key covers about the model: provider, model, base URL."""
        return {"provider": self.spec.provider, "model": self.spec.model, "base_url": None}

    @abc.abstractmethod
    async def complete(self, request: ChatRequest) -> list[Completion]:
        """Return exactly ``request.n`` completions (``n`` ≤ ``max_n``)."""

    async def aclose(self) -> None:
        """Release connections."""
