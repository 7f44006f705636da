"""Response bodies shaped like the vendors' documented answers and errors, and a scripted
fake server for ``httpx.MockTransport`` that records every request it receives."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Union

import httpx


# ---- OpenAI chat completions --------------------------------------------------------------

def openai_chat(texts: list[str], *, model: str = "gpt-4o-2024-08-06", rid: str = "chatcmpl-AbC123",
                fingerprint: str | None = "fp_f33640a400", finish: str = "stop",
                logprobs: list[Any] | None = None, usage: dict[str, Any] | None = None,
                shuffle: bool = False) -> dict[str, Any]:
    """A ``chat.completion`` object as api.openai.com returns it."""
    choices = []
    for i, text in enumerate(texts):
        choices.append({
            "index": i,
            "message": {"role": "assistant", "content": text, "refusal": None, "annotations": []},
            "logprobs": logprobs[i] if logprobs else None,
            "finish_reason": finish,
        })
    if shuffle:
        choices.reverse()
    return {
        "id": rid, "object": "chat.completion", "created": 1741569952, "model": model,
        "choices": choices,
        "usage": usage or {
            "prompt_tokens": 19, "completion_tokens": 10 * len(texts),
            "total_tokens": 19 + 10 * len(texts),
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0,
                                          "rejected_prediction_tokens": 0},
        },
        "service_tier": "default",
        "system_fingerprint": fingerprint,
    }


def openai_chat_logprobs(tokens: list[tuple[str, float, list[tuple[str, float]]]]) -> dict:
    """``choices[].logprobs`` in the chat shape (with the ``bytes`` fields servers send)."""
    return {"content": [
        {"token": t, "logprob": lp, "bytes": list(t.encode()),
         "top_logprobs": [{"token": a, "logprob": b, "bytes": list(a.encode())} for a, b in top]}
        for t, lp, top in tokens], "refusal": None}


def legacy_logprobs(tokens: list[tuple[str, float, dict[str, float]]]) -> dict:
    """``choices[].logprobs`` in the legacy completions shape."""
    offsets, pos = [], 0
    for t, _, _ in tokens:
        offsets.append(pos)
        pos += len(t)
    return {"tokens": [t for t, _, _ in tokens], "token_logprobs": [lp for _, lp, _ in tokens],
            "top_logprobs": [top for _, _, top in tokens], "text_offset": offsets}


def openai_error(message: str, *, type: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


# ---- Anthropic messages ------------------------------------------------------------------

def anthropic_message(text: str, *, model: str = "claude-sonnet-4-5-20250929",
                      rid: str = "msg_013Zva2CMHLNnXjNJJKqJ2EF", stop: str = "end_turn",
                      input_tokens: int = 21, output_tokens: int = 9) -> dict[str, Any]:
    return {
        "id": rid, "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop, "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens,
                  "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
    }


def anthropic_error(type: str, message: str, *, request_id: str = "req_011CSHoEeqs5C35K2UUqR7Fy",
                    details: dict | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"type": type, "message": message}
    if details:
        err["details"] = details
    return {"type": "error", "error": err, "request_id": request_id}


# ---- Ollama /api/chat ----------------------------------------------------------------------

def ollama_chat(text: str, *, model: str = "qwen2.5:7b", done_reason: str = "stop",
                prompt_eval_count: int = 26, eval_count: int = 12,
                logprobs: list[Any] | None = None, done: bool = True) -> dict[str, Any]:
    body = {
        "model": model, "created_at": "2025-06-12T14:13:43.416799Z",
        "message": {"role": "assistant", "content": text},
        "done": done, "done_reason": done_reason,
        "total_duration": 5191566416, "load_duration": 2154458,
        "prompt_eval_count": prompt_eval_count, "prompt_eval_duration": 383809000,
        "eval_count": eval_count, "eval_duration": 4799921000,
    }
    if logprobs is not None:
        body["logprobs"] = logprobs
    return body


def ollama_error(message: str) -> dict[str, Any]:
    return {"error": message}


# ---- a scripted fake server -----------------------------------------------------------------

Step = Union[httpx.Response, Exception, Callable[[httpx.Request], httpx.Response]]


def reply(status: int = 200, body: Any = None, headers: dict[str, str] | None = None,
          raw: bytes | None = None) -> httpx.Response:
    content = raw if raw is not None else json.dumps(body).encode()
    hdrs = {"content-type": "application/json", **(headers or {})}
    return httpx.Response(status, content=content, headers=hdrs)


@dataclass
class Recorded:
    method: str
    url: str
    headers: dict[str, str]
    body: Any
    raw: bytes


@dataclass
class ScriptedServer:
    """Answers request *i* with ``steps[i]`` (the last step repeats); records requests."""

    steps: list[Step]
    requests: list[Recorded] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        raw = request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self.requests.append(Recorded(request.method, str(request.url),
                                      {k.lower(): v for k, v in request.headers.items()}, body, raw))
        step = self.steps[min(len(self.requests) - 1, len(self.steps) - 1)]
        if isinstance(step, Exception):
            raise step
        if callable(step) and not isinstance(step, httpx.Response):
            return step(request)
        return step

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


class FakeSleep:
    """Stands in for ``asyncio.sleep``: records waits and advances a fake wall clock."""

    def __init__(self, start: float = 1_750_000_000.0):
        self.now = start
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(float(seconds))
        self.now += float(seconds)

    def clock(self) -> float:
        return self.now
