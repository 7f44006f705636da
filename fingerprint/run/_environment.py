"""What produced a report: tool version, git revision, Python and package versions."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from .._version import __version__

_PACKAGES = ("numpy", "scipy", "httpx", "httpx-aiohttp", "aiohttp", "datasets", "matplotlib",
             "jinja2", "pyyaml", "tenacity", "aiolimiter", "platformdirs", "onnxruntime",
             "tokenizers")


def git_revision() -> str | None:
    """The source checkout's commit, when the tool runs from one (``None`` when installed)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def tool_info() -> dict[str, Any]:
    return {"name": "fingerprint", "version": __version__, "git_revision": git_revision()}


def environment_info() -> dict[str, Any]:
    packages = {}
    for name in _PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {"python": platform.python_version(), "platform": platform.platform(terse=True),
            "packages": packages}
