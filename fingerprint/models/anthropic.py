"""``anthropic/MODEL``: the Anthropic Messages API.

Request: ``POST {base}/v1/messages`` with headers ``x-api-key`` and
``anthropic-version: 2023-06-01``; body ``model``, ``max_tokens`` (required), ``messages``
(user/assistant turns), top-level ``system``, ``temperature`` and ``top_p``.  The API has
no ``n``, ``seed`` or logprobs, so ``max_n`` is 1 and the sampler repeats calls; a
request's seed is not sent (the recorded ``raw_request`` shows exactly what was).

Two adaptations, both visible in ``raw_request``: temperature is clipped to the API's
range [0, 1], and ``top_p`` is only sent when below 1 (newer models refuse requests that
set both ``temperature`` and ``top_p``).

Response: ``id``, ``model``, ``content[]`` text blocks, ``stop_reason`` and
``usage.input_tokens/output_tokens``; header ``request-id``.
"""

from __future__ import annotations

from typing import Any

from ._http import HttpResult
from ._remote import RemoteProvider, combine_ids
from .base import ChatRequest, Completion

API_VERSION = "2023-06-01"

# Anthropic's stop reasons in the OpenAI vocabulary every other provider reports.
STOP_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
                "refusal": "content_filter"}


def anthropic_usage(usage: Any) -> dict[str, int]:
    """``input_tokens``/``output_tokens`` → ``prompt_tokens``/``completion_tokens``/``total``."""
    usage = usage if isinstance(usage, dict) else {}
    ints = {k: int(v) for k, v in usage.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}
    prompt = ints.pop("input_tokens", 0)
    completion = ints.pop("output_tokens", 0)
    return {**ints, "prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}


class AnthropicProvider(RemoteProvider):
    max_n = 1
    path = "v1/messages"
    default_timeout = 300.0

    def auth_headers(self, key: str | None) -> dict[str, str]:
        version = str((self.spec.options or {}).get("anthropic_version", API_VERSION))
        headers = {"anthropic-version": version}
        if key:
            headers["x-api-key"] = key
        return headers

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        system = [m["content"] for m in request.messages if m["role"] == "system"]
        turns = [{"role": m["role"], "content": m["content"]}
                 for m in request.messages if m["role"] != "system"]
        body: dict[str, Any] = {"model": self.target.model, "max_tokens": request.max_tokens,
                                "messages": turns}
        if system:
            body["system"] = "\n\n".join(system)
        body["temperature"] = min(1.0, max(0.0, request.temperature))
        if request.top_p < 1.0:
            body["top_p"] = request.top_p
        return self.finish_body(body)

    def parse(self, result: HttpResult, request: ChatRequest) -> list[Completion]:
        body = result.body
        content = body.get("content")
        if body.get("type") == "error" or not isinstance(content, list):
            raise self.http.fail("server returned no message content (missing 'content' list)",
                                 retryable=True, status=result.status)
        text = "".join(block.get("text", "") for block in content
                       if isinstance(block, dict) and block.get("type") == "text")
        stop = body.get("stop_reason")
        return [Completion(
            text=text, finish_reason=STOP_REASONS.get(stop, stop),
            served_model=body.get("model"), system_fingerprint=None,
            request_id=combine_ids(body.get("id"), "request-id", result.header_request_id),
            usage=anthropic_usage(body.get("usage")), logprobs=None,
            latency_s=round(result.latency_s, 6), created=result.created,
            raw_request=result.request, raw_response=body,
            response_headers=result.headers or None)]
