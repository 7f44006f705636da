"""The manifest: SHA-256 of every file of a run folder, and the check that re-reads them."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ._folder import read_json, write_json

MANIFEST_FILE = "manifest.json"
_SKIP_SUFFIXES = (".tmp",)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run_files(run_dir: Path) -> list[str]:
    return sorted(p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*")
                  if p.is_file() and p.name != MANIFEST_FILE and not p.name.endswith(_SKIP_SUFFIXES))


def write_manifest(run_dir: Path) -> str:
    """Hash every file of the run into manifest.json; return the manifest's own SHA-256."""
    files = {rel: sha256_file(run_dir / rel) for rel in _run_files(run_dir)}
    write_json(run_dir / MANIFEST_FILE, {"algorithm": "sha256", "files": files})
    return sha256_file(run_dir / MANIFEST_FILE)


def check_manifest(run_dir: Path) -> list[str]:
    """One line per file that is missing, changed, or not listed."""
    manifest = read_json(run_dir / MANIFEST_FILE)
    listed = manifest.get("files", {}) if isinstance(manifest, dict) else {}
    problems = []
    for rel, expected in sorted(listed.items()):
        path = run_dir / rel
        if not path.is_file():
            problems.append(f"{rel}: listed in the manifest but missing")
        elif sha256_file(path) != expected:
            problems.append(f"{rel}: SHA-256 does not match the manifest (the file was changed)")
    for rel in _run_files(run_dir):
        if rel not in listed:
            problems.append(f"{rel}: not listed in the manifest (added after the run)")
    return problems
