"""``ollama/MODEL[:TAG]``: Ollama's native chat API.

Request: ``POST {OLLAMA_HOST}/api/chat`` with ``model``, ``messages``, ``stream: false``
and sampling in ``options`` (``temperature``, ``top_p``, ``num_predict``, ``seed``);
``logprobs``/``top_logprobs`` at the top level when asked for (Ollama 0.12.11+).
Response: ``model``, ``created_at``, ``message.content``, ``done``, ``done_reason``,
``prompt_eval_count``, ``eval_count`` and, when asked, ``logprobs``.  No ``n``: the
sampler repeats calls (with a different seed per call).
"""

from __future__ import annotations

from typing import Any

from ._http import HttpResult
from ._remote import RemoteProvider
from .base import ChatRequest, Completion
from .openai import parse_chat_logprobs


class OllamaProvider(RemoteProvider):
    max_n = 1
    path = "api/chat"
    default_timeout = 600.0  # the first call loads the model into memory

    def auth_headers(self, key: str | None) -> dict[str, str]:
        return {}

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        options: dict[str, Any] = {"temperature": request.temperature, "top_p": request.top_p,
                                   "num_predict": request.max_tokens}
        if request.seed is not None:
            options["seed"] = request.seed
        body: dict[str, Any] = {
            "model": self.target.model,
            "messages": [{"role": m["role"], "content": m["content"]} for m in request.messages],
            "stream": False,
            "options": options,
        }
        if request.logprobs:
            body["logprobs"] = True
            if request.top_logprobs:
                body["top_logprobs"] = request.top_logprobs
        return self.finish_body(body)

    def parse(self, result: HttpResult, request: ChatRequest) -> list[Completion]:
        body = result.body
        if isinstance(body.get("error"), str):
            raise self.http.fail(f"ollama answered an error: {body['error']}",
                                 status=result.status)
        message = body.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            raise self.http.fail("server returned no message (missing 'message.content')",
                                 retryable=True, status=result.status)
        if body.get("done") is False:
            raise self.http.fail("server returned an unfinished answer (done: false) although "
                                 "stream was false", retryable=True, status=result.status)
        prompt = int(body.get("prompt_eval_count") or 0)
        completion = int(body.get("eval_count") or 0)
        return [Completion(
            text=message["content"], finish_reason=body.get("done_reason"),
            served_model=body.get("model"), system_fingerprint=None,
            request_id=result.header_request_id,
            usage={"prompt_tokens": prompt, "completion_tokens": completion,
                   "total_tokens": prompt + completion},
            logprobs=parse_chat_logprobs(body.get("logprobs")) if request.logprobs else None,
            latency_s=round(result.latency_s, 6), created=result.created,
            raw_request=result.request, raw_response=body,
            response_headers=result.headers or None)]
