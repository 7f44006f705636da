"""The one spelling of JSON that gets hashed, and the SHA-256 of files and file lists."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def canonical_json(value: Any) -> str:
    """The one JSON spelling used for hashing and storage (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_digest(files: dict[str, str]) -> str:
    """SHA-256 of the canonical JSON of ``{file: sha256}``: one hash naming a set of files."""
    return hashlib.sha256(canonical_json({"algorithm": "sha256", "files": files})
                          .encode("utf-8")).hexdigest()
