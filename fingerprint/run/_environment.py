"""What produced a report: tool version, git revision, Python and package versions."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from .._version import __version__

_PACKAGES = ("numpy", "scipy", "httpx", "httpx-aiohttp", "aiohttp", "datasets", "matplotlib",
             "cryptography",
             "jinja2", "pyyaml", "tenacity", "aiolimiter", "platformdirs", "onnxruntime",
             "tokenizers")


_PACKAGE = Path(__file__).resolve().parents[1]
_CHECKOUT = _PACKAGE.parent


def _git(*args: str) -> str | None:
    if not (_CHECKOUT / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(_CHECKOUT), *args], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def git_revision() -> str | None:
    """The source checkout's commit, when the tool runs from one (``None`` when installed)."""
    out = _git("rev-parse", "HEAD")
    return out.strip() or None if out else None


def git_dirty() -> bool | None:
    """Whether the checkout's package or probe files differ from that commit."""
    out = _git("status", "--porcelain", "--untracked-files=no", "--", "fingerprint", "probes")
    return None if out is None else bool(out.strip())


def package_sha256() -> str:
    """SHA-256 over the package's own source and data files (path and content, sorted).

    It names the code that ran even when no git revision is known (a plain ``pip install``)
    or the checkout had uncommitted changes.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in _PACKAGE.rglob("*") if p.is_file()
                       and "__pycache__" not in p.parts and p.suffix != ".pyc"):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def tool_info() -> dict[str, Any]:
    return {"name": "fingerprint", "version": __version__, "git_revision": git_revision(),
            "dirty": git_dirty(), "package_sha256": package_sha256()}


def environment_info() -> dict[str, Any]:
    packages = {}
    for name in _PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {"python": platform.python_version(), "platform": platform.platform(terse=True),
            "packages": packages}
