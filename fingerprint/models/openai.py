"""OpenAI chat completions and the servers that speak it: ``openai/``, ``vllm/``,
``llamacpp/`` and ``openai-api/SERVICE/``.

Request: ``POST {base}/chat/completions`` with ``model``, ``messages``, ``temperature``,
``top_p``, ``n`` (when > 1), ``seed``, ``logprobs``/``top_logprobs`` and the token limit
(``max_completion_tokens`` on api.openai.com, ``max_tokens`` elsewhere; option
``max_tokens_field``).  Response: ``id``, ``model``, ``system_fingerprint``, ``usage`` and
``choices[]`` with ``message.content``, ``finish_reason`` and ``logprobs`` in the chat
shape or the legacy completions shape.
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError
from ._http import HttpResult
from ._remote import RemoteProvider, combine_ids
from .base import ChatRequest, Completion

_MAX_FIELDS = ("max_tokens", "max_completion_tokens")


def _top_list(items: Any) -> list[dict[str, Any]]:
    out = []
    for alt in items or []:
        if isinstance(alt, dict) and "token" in alt:
            out.append({"token": str(alt["token"]), "logprob": float(alt.get("logprob", 0.0))})
    return out


def parse_chat_logprobs(entries: Any) -> list[dict[str, Any]] | None:
    """``[{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]`` → our shape."""
    if not isinstance(entries, list):
        return None
    out = []
    for e in entries:
        if not isinstance(e, dict) or "token" not in e:
            continue
        lp = e.get("logprob")
        out.append({"token": str(e["token"]), "logprob": float(lp) if lp is not None else None,
                    "top_logprobs": _top_list(e.get("top_logprobs"))})
    return out


def parse_legacy_logprobs(lp: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Completions shape ``{tokens, token_logprobs, top_logprobs: [{tok: lp}], text_offset}``."""
    tokens = lp.get("tokens")
    if not isinstance(tokens, list):
        return None
    values = lp.get("token_logprobs") or [None] * len(tokens)
    tops = lp.get("top_logprobs") or [None] * len(tokens)
    out = []
    for tok, value, top in zip(tokens, values, tops):
        alts = sorted(((str(t), float(v)) for t, v in (top or {}).items()), key=lambda a: -a[1])
        out.append({"token": str(tok), "logprob": float(value) if value is not None else None,
                    "top_logprobs": [{"token": t, "logprob": v} for t, v in alts]})
    return out


def parse_logprobs(lp: Any) -> list[dict[str, Any]] | None:
    """Either shape, or None when the server sent none."""
    if isinstance(lp, dict):
        if "content" in lp:
            return parse_chat_logprobs(lp.get("content"))
        if "tokens" in lp:
            return parse_legacy_logprobs(lp)
    if isinstance(lp, list):
        return parse_chat_logprobs(lp)
    return None


def split_usage(usage: Any, lengths: list[int | None]) -> list[dict[str, int]]:
    """Share one request's ``usage`` among its ``n`` completions so the parts add up.

    The prompt is billed once, so the first completion carries it.  Completion tokens go
    by each choice's own token count when the logprobs give it exactly, else evenly.
    """
    n = len(lengths)
    ints = {k: int(v) for k, v in (usage or {}).items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}
    if n == 1:
        return [ints]
    prompt = ints.get("prompt_tokens", 0)
    completion = ints.get("completion_tokens", 0)
    if all(x is not None for x in lengths) and sum(lengths) == completion:  # type: ignore[arg-type]
        shares = [int(x) for x in lengths]  # type: ignore[arg-type]
    else:
        shares = [completion // n + (1 if i < completion % n else 0) for i in range(n)]
    out = []
    for i, share in enumerate(shares):
        part = dict(ints) if i == 0 else {}
        part.update({"prompt_tokens": prompt if i == 0 else 0, "completion_tokens": share,
                     "total_tokens": (prompt if i == 0 else 0) + share})
        out.append(part)
    return out


def _text_of(choice: dict[str, Any]) -> str | None:
    message = choice.get("message")
    if isinstance(message, dict):
        content = message.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):  # content parts
            return "".join(p.get("text", "") for p in content if isinstance(p, dict))
        refusal = message.get("refusal")
        return refusal if isinstance(refusal, str) else ""
    text = choice.get("text")  # completions-style servers
    return text if isinstance(text, str) else None


class OpenAIProvider(RemoteProvider):
    """``openai/MODEL`` on api.openai.com (or OPENAI_BASE_URL)."""

    max_n = 128
    path = "chat/completions"
    max_tokens_field = "max_completion_tokens"

    def __init__(self, spec, **kwargs):
        super().__init__(spec, **kwargs)
        field = (spec.options or {}).get("max_tokens_field", self.max_tokens_field)
        if field not in _MAX_FIELDS:
            raise SpecError(f"target option max_tokens_field must be one of {', '.join(_MAX_FIELDS)}")
        self.max_tokens_field = field

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.target.model,
            "messages": [{"role": m["role"], "content": m["content"]} for m in request.messages],
            "temperature": request.temperature,
            "top_p": request.top_p,
            self.max_tokens_field: request.max_tokens,
        }
        if request.n != 1:
            body["n"] = request.n
        if request.seed is not None:
            body["seed"] = request.seed
        if request.logprobs:
            body["logprobs"] = True
            if request.top_logprobs:
                body["top_logprobs"] = request.top_logprobs
        return self.finish_body(body)

    def parse(self, result: HttpResult, request: ChatRequest) -> list[Completion]:
        body = result.body
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices:
            raise self.http.fail("server returned no completion (empty or missing 'choices')",
                                 retryable=True, status=result.status)
        if len(choices) != request.n or not all(isinstance(c, dict) for c in choices):
            raise self.http.fail(f"server returned {len(choices)} choices for n={request.n}",
                                 retryable=True, status=result.status)
        choices = sorted(choices, key=lambda c: c.get("index", 0) if isinstance(
            c.get("index"), int) else 0)
        texts = [_text_of(c) for c in choices]
        if any(t is None for t in texts):
            raise self.http.fail("server returned a choice without message.content",
                                 retryable=True, status=result.status)
        logprobs = [parse_logprobs(c.get("logprobs")) for c in choices]
        usages = split_usage(body.get("usage"), [len(lp) if lp is not None else None
                                                 for lp in logprobs])
        rid = combine_ids(body.get("id"), "x-request-id", result.header_request_id)
        out = []
        for choice, text, lp, usage in zip(choices, texts, logprobs, usages):
            out.append(Completion(
                text=text or "", finish_reason=choice.get("finish_reason"),
                served_model=body.get("model"), system_fingerprint=body.get("system_fingerprint"),
                request_id=rid, usage=usage, logprobs=lp if request.logprobs else None,
                latency_s=round(result.latency_s, 6), created=result.created,
                raw_request=result.request, raw_response={**body, "choices": [choice]},
                response_headers=result.headers or None))
        return out


class CompatProvider(OpenAIProvider):
    """Any OpenAI-compatible server: ``max_tokens`` field, one sample per request by default."""

    max_n = 1
    max_tokens_field = "max_tokens"


class VLLMProvider(CompatProvider):
    """``vllm/MODEL``: vLLM's OpenAI server (supports ``n``, ``seed`` and logprobs)."""

    max_n = 128
    default_timeout = 300.0


class LlamaCppProvider(CompatProvider):
    """``llamacpp/NAME``: llama.cpp's ``llama-server`` (one choice per request)."""

    max_n = 1
    default_timeout = 300.0
