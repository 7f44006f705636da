"""Where built organisms live, and safe (atomic, locked) reads and writes of them.

Layout: ``$FINGERPRINT_CACHE_DIR/zoo/<BUILD_VERSION>/`` (default cache root:
``platformdirs.user_cache_dir("fingerprint")``) holding, per organism, ``NAME.npz``
(weights), ``NAME.train.json`` (training dialogues with provenance) and ``NAME.json``
(metadata, written last: its presence marks a complete build).  JSON and npz only —
``np.load(..., allow_pickle=False)`` — never pickle.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..errors import StoreError

BUILD_VERSION = "v1"


def cache_root() -> Path:
    env = os.environ.get("FINGERPRINT_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("fingerprint"))


def zoo_dir() -> Path:
    path = cache_root() / "zoo" / BUILD_VERSION
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the zoo cache {path}: {exc}; set FINGERPRINT_CACHE_DIR "
                         "to a writable folder") from exc
    return path


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def write_json(path: Path, data: Any) -> None:
    tmp = _tmp(path)
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    tmp = _tmp(path)
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    os.replace(tmp, path)


def read_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


@contextlib.contextmanager
def build_lock(name: str) -> Iterator[None]:
    """Hold an exclusive lock while building ``name`` so that concurrent processes wait for
    one build instead of repeating it (a no-op where ``fcntl`` is unavailable)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(zoo_dir() / f"{name}.lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
