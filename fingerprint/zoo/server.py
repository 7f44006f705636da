"""An OpenAI-compatible HTTP server for one zoo organism (stdlib only).

Endpoints: ``POST /v1/chat/completions``, ``POST /v1/completions`` (legacy shape),
``GET /v1/models`` and ``GET /v1/models/{id}``.  Invalid requests get the real OpenAI error
body ``{"error": {"message", "type", "param", "code"}}`` with HTTP 400/404.  It binds where
told — 127.0.0.1 by default — and never anywhere else.
"""

from __future__ import annotations

import json
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .build import load_organism
from .organism import Generation, Organism

MAX_N = 128
OWNER = "fingerprint-zoo"


class RequestError(Exception):
    def __init__(self, message: str, param: str | None = None, status: int = 400,
                 code: str | None = None, err_type: str = "invalid_request_error"):
        super().__init__(message)
        self.param, self.status, self.code, self.type = param, status, code, err_type

    def body(self) -> dict[str, Any]:
        return {"error": {"message": str(self), "type": self.type, "param": self.param,
                          "code": self.code}}


def _number(body: dict, key: str, lo: float, hi: float, default: float | None) -> float | None:
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise RequestError(f"Invalid '{key}': expected a number between {lo:g} and {hi:g}, got "
                           f"{json.dumps(value)}.", key, code="invalid_value")
    return float(value)


def _integer(body: dict, key: str, lo: int, hi: int | None, default: int | None) -> int | None:
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f">= {lo}"
        raise RequestError(f"Invalid '{key}': expected an integer {bound}, got {json.dumps(value)}.",
                           key, code="invalid_value")
    return value


def _common(org: Organism, body: dict, default_max: int) -> dict[str, Any]:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise RequestError("you must provide a model parameter", "model")
    if model not in (org.name, f"zoo/{org.name}"):
        raise RequestError(f"The model `{model}` does not exist or you do not have access to it.",
                           "model", status=404, code="model_not_found")
    if body.get("stream"):
        raise RequestError("Streaming is not supported by this server; set stream to false.",
                           "stream", code="unsupported_value")
    max_tokens = _integer(body, "max_completion_tokens", 1, None, None)
    if max_tokens is None:
        max_tokens = _integer(body, "max_tokens", 1, None, default_max)
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise RequestError(f"Invalid 'seed': expected an integer, got {json.dumps(seed)}.", "seed",
                           code="invalid_type")
    return {"temperature": _number(body, "temperature", 0.0, 2.0, None),
            "top_p": _number(body, "top_p", 0.0, 1.0, 1.0), "max_tokens": max_tokens,
            "seed": seed, "n": _integer(body, "n", 1, MAX_N, 1)}


def _messages(body: dict) -> list[dict]:
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise RequestError("'messages' must be a non-empty array of message objects.", "messages")
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or m.get("role") not in ("system", "developer", "user",
                                                              "assistant", "tool"):
            raise RequestError(f"Invalid 'messages[{i}]': each message needs a role of system, "
                               "developer, user, assistant or tool.", f"messages[{i}].role")
        if not isinstance(m.get("content"), (str, list)) and m.get("role") != "assistant":
            raise RequestError(f"Invalid 'messages[{i}].content': expected a string or an array "
                               "of content parts.", f"messages[{i}].content")
    return msgs


def _usage(gens: list[Generation], prompt_tokens: int) -> dict[str, int]:
    completion = sum(g.completion_tokens for g in gens)
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion,
            "total_tokens": prompt_tokens + completion}


def chat_completion(org: Organism, body: dict) -> dict[str, Any]:
    """The response body of ``POST /v1/chat/completions``."""
    args = _common(org, body, 256)
    messages = _messages(body)
    want_lp = body.get("logprobs") or False
    if not isinstance(want_lp, bool):
        raise RequestError("Invalid 'logprobs': expected a boolean.", "logprobs")
    top = _integer(body, "top_logprobs", 0, 20, 0)
    if top and not want_lp:
        raise RequestError("'top_logprobs' requires 'logprobs' to be true.", "top_logprobs")
    gens = org.generate(messages, logprobs=want_lp, top_logprobs=top, **args)
    choices = []
    for i, g in enumerate(gens):
        lp = None
        if want_lp:
            lp = {"content": [
                {"token": t, "logprob": l, "bytes": list(t.encode("utf-8")),
                 "top_logprobs": [{"token": a, "logprob": b, "bytes": list(a.encode("utf-8"))}
                                  for a, b in (g.top_logprobs[j] if g.top_logprobs else [])]}
                for j, (t, l) in enumerate(zip(g.tokens, g.token_logprobs))], "refusal": None}
        choices.append({"index": i, "message": {"role": "assistant", "content": g.text,
                                                 "refusal": None},
                        "logprobs": lp, "finish_reason": g.finish_reason})
    return {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion",
            "created": int(time.time()), "model": org.name,
            "system_fingerprint": org.weights_sha256, "choices": choices,
            "usage": _usage(gens, gens[0].prompt_tokens if gens else 0)}


def completion(org: Organism, body: dict) -> dict[str, Any]:
    """The response body of the legacy ``POST /v1/completions``."""
    args = _common(org, body, 16)
    prompt = body.get("prompt")
    prompts = [prompt] if isinstance(prompt, str) else prompt
    if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) for p in prompts):
        raise RequestError("'prompt' must be a string or a non-empty array of strings.", "prompt")
    if body.get("echo"):
        raise RequestError("'echo' is not supported by this server.", "echo",
                           code="unsupported_value")
    top = _integer(body, "logprobs", 0, 5, None)
    choices, usage = [], {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    for p_i, p in enumerate(prompts):
        gens = org.generate([{"role": "user", "content": p}], logprobs=top is not None,
                            top_logprobs=top or 0, **args)
        for k, g in enumerate(gens):
            lp = None
            if top is not None:
                offsets, pos = [], 0
                for t in g.tokens:
                    offsets.append(pos)
                    pos += len(t)
                lp = {"tokens": g.tokens, "token_logprobs": g.token_logprobs,
                      "top_logprobs": ([dict(x) for x in g.top_logprobs] if g.top_logprobs
                                       else None) if top else None,
                      "text_offset": offsets}
            choices.append({"text": g.text, "index": p_i * args["n"] + k, "logprobs": lp,
                            "finish_reason": g.finish_reason})
        for key, value in _usage(gens, gens[0].prompt_tokens if gens else 0).items():
            usage[key] += value
    return {"id": f"cmpl-{uuid.uuid4().hex[:24]}", "object": "text_completion",
            "created": int(time.time()), "model": org.name,
            "system_fingerprint": org.weights_sha256, "choices": choices, "usage": usage}


def _model_card(org: Organism) -> dict[str, Any]:
    return {"id": org.name, "object": "model", "created": 1700000000, "owned_by": OWNER}


def _handler(org: Organism) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "fingerprint-zoo"

        def log_message(self, format: str, *args: Any) -> None:  # quiet by default
            pass

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-request-id", f"req_{uuid.uuid4().hex[:24]}")
            self.end_headers()
            self.wfile.write(data)

        def _path(self) -> str:
            return self.path.split("?", 1)[0].rstrip("/")

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            path = self._path()
            if path == "/v1/models":
                self._send(200, {"object": "list", "data": [_model_card(org)]})
            elif path.startswith("/v1/models/") and path[len("/v1/models/"):] in (org.name, f"zoo/{org.name}"):
                self._send(200, _model_card(org))
            elif path.startswith("/v1/models/"):
                err = RequestError(f"The model `{path[len('/v1/models/'):]}` does not exist.",
                                   "model", status=404, code="model_not_found")
                self._send(err.status, err.body())
            else:
                self._not_found()

        def _not_found(self) -> None:
            err = RequestError(f"Invalid URL ({self.command} {self._path()})", None, status=404,
                               code="unknown_url")
            self._send(404, err.body())

        def do_POST(self) -> None:  # noqa: N802 - stdlib naming
            path = self._path()
            routes = {"/v1/chat/completions": chat_completion, "/v1/completions": completion}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if path not in routes:
                self._not_found()
                return
            try:
                try:
                    body = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise RequestError(f"We could not parse the JSON body of your request ({exc}).",
                                       None) from exc
                if not isinstance(body, dict):
                    raise RequestError("The request body must be a JSON object.", None)
                self._send(200, routes[path](org, body))
            except RequestError as err:
                self._send(err.status, err.body())
            except ValueError as exc:
                self._send(400, RequestError(str(exc)).body())

    return Handler


def make_server(name: str, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A ready (not yet serving) server for organism ``name``; ``port=0`` picks a free port
    (read it from ``server.server_address``).  Call ``serve_forever()`` and ``shutdown()``."""
    org = load_organism(name)
    server = ThreadingHTTPServer((host, port), _handler(org))
    server.daemon_threads = True
    return server


def serve(name: str, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve organism ``name`` until interrupted."""
    server = make_server(name, host, port)
    print(f"serving zoo/{name} on http://{server.server_address[0]}:{server.server_address[1]}/v1",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
