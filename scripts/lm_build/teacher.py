"""The teacher's answers to the distillation prompts, from a loopback llama-server."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: dict, timeout: float = 600.0) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


class Server:
    """``llama-server -m MODEL`` on 127.0.0.1 for the length of a ``with`` block."""

    def __init__(self, binary: Path, model: Path, log: Path, parallel: int = 4,
                 lora: Path | None = None):
        self.port = _free_port()
        self.args = [str(binary), "-m", str(model), "--host", "127.0.0.1", "--port",
                     str(self.port), "-c", str(512 * parallel), "-np", str(parallel), "-t", "2"]
        if lora is not None:
            self.args += ["--lora", str(lora)]
        self.log = log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Server":
        self.handle = self.log.open("wb")
        self.proc = subprocess.Popen(self.args, stdout=self.handle, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"llama-server exited; see {self.log}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit("llama-server did not become healthy")

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.handle.close()


def answer_all(server: Server, prompts: list[str], *, max_tokens: int, temperature: float,
               seed: int, parallel: int, system: str | None = None,
               done: dict[int, dict] | None = None, on_answer=None) -> list[dict]:
    """One chat answer per prompt; request ``i`` uses seed ``seed + i``.  Answers already in
    ``done`` (by index) are kept; ``on_answer(i, row)`` sees each new one (for resuming)."""
    done = dict(done or {})

    def one(i: int) -> dict:
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": prompts[i]}]
        body = _post(server.url + "/v1/chat/completions", {
            "messages": messages, "max_tokens": max_tokens, "temperature": temperature,
            "seed": seed + i})
        choice = body["choices"][0]
        row = {"prompt": prompts[i], "answer": choice["message"]["content"],
               "finish_reason": choice.get("finish_reason"), "seed": seed + i,
               "served_model": body.get("model")}
        if on_answer is not None:
            on_answer(i, row)
        return row

    todo = [i for i in range(len(prompts)) if i not in done]
    with ThreadPoolExecutor(parallel) as pool:
        done.update(zip(todo, pool.map(one, todo)))
    return [done[i] for i in range(len(prompts))]


def complete_all(server: Server, prompts: list[str], *, max_tokens: int, temperature: float,
                 seed: int, parallel: int, stop: list[str]) -> list[str]:
    """Raw completions (for a base model that has no chat template)."""

    def one(i: int) -> str:
        body = _post(server.url + "/v1/completions", {
            "prompt": prompts[i], "max_tokens": max_tokens, "temperature": temperature,
            "seed": seed + i, "stop": stop})
        return body["choices"][0]["text"]

    with ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(one, range(len(prompts))))
