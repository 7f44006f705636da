"""A real HTTP server on 127.0.0.1 that misbehaves on cue: truncated bodies, dropped
connections, answers slower than the client's timeout.  Runs in a thread, so it does not
share the event loop of the client under test."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable


@dataclass
class Action:
    """What to do with one request: send ``body`` (JSON) with ``status``, optionally cut
    after ``truncate_to`` bytes, ``drop`` the connection without answering, or ``delay``."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] | None = None
    truncate_to: int | None = None
    drop: bool = False
    delay: float = 0.0


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: LoopbackServer = self.server.owner  # type: ignore[attr-defined]
        sock: socket.socket = self.request
        sock.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in
                   (line.split(":", 1) for line in lines[1:] if ":" in line)}
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        try:
            body = json.loads(rest[:length] or b"null")
        except ValueError:
            body = None
        action = server.next_action(lines[0], headers, body)
        if action.delay:
            time.sleep(action.delay)
        if action.drop:
            sock.shutdown(socket.SHUT_RDWR)
            return
        payload = json.dumps(action.body).encode()
        status_line = f"HTTP/1.1 {action.status} X\r\n"
        hdrs = {"content-type": "application/json", "content-length": str(len(payload)),
                "connection": "close", **(action.headers or {})}
        out = status_line + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
        sent = out.encode() + payload
        if action.truncate_to is not None:
            sent = out.encode() + payload[:action.truncate_to]
        try:
            sock.sendall(sent)
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class LoopbackServer:
    """``with LoopbackServer(script) as srv: srv.url`` — ``script(i, request_line, headers,
    body)`` returns the :class:`Action` for the *i*-th request (0-based)."""

    def __init__(self, script: Callable[[int, str, dict[str, str], Any], Action]):
        self.script = script
        self.seen: list[tuple[str, dict[str, str], Any]] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def next_action(self, line: str, headers: dict[str, str], body: Any) -> Action:
        with self._lock:
            index = len(self.seen)
            self.seen.append((line, headers, body))
        return self.script(index, line, headers, body)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "LoopbackServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class FakeOpenAIApp:
    """A deterministic OpenAI-compatible chat server for :class:`LoopbackServer`.

    Answers honour ``n`` and derive their text from (model, last message, seed, choice), so a
    test can tell which request produced which sample.  ``fault(i)`` may return an
    :class:`Action` to misbehave on the *i*-th request instead.  Counts good answers.
    """

    def __init__(self, fault: Callable[[int], Action | None] | None = None, delay: float = 0.0):
        self.fault = fault
        self.delay = delay
        self.good = 0
        self.faults = 0
        self.choices_served = 0
        self._lock = threading.Lock()

    def __call__(self, i: int, line: str, headers: dict[str, str], body: Any) -> Action:
        bad = self.fault(i) if self.fault else None
        if bad is not None:
            with self._lock:
                self.faults += 1
            return bad
        n = int(body.get("n", 1)) if isinstance(body, dict) else 1
        model = body.get("model") if isinstance(body, dict) else None
        last = body["messages"][-1]["content"] if isinstance(body, dict) else ""
        seed = body.get("seed") if isinstance(body, dict) else None
        choices = [{"index": k, "message": {"role": "assistant",
                                            "content": f"{model}|{last}|{seed}|{k}"},
                    "logprobs": None, "finish_reason": "stop"} for k in range(n)]
        with self._lock:
            self.good += 1
            self.choices_served += n
        return Action(delay=self.delay, body={
            "id": f"chatcmpl-{i}", "object": "chat.completion", "created": 1750000000,
            "model": model, "system_fingerprint": "fp_loopback", "choices": choices,
            "usage": {"prompt_tokens": 7, "completion_tokens": 3 * n, "total_tokens": 7 + 3 * n}})
