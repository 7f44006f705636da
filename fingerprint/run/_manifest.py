"""The manifest: SHA-256 of every file of a run folder, and the check that re-reads them.

The manifest covers the report, so its own hash cannot be printed inside the report.  The
report prints the *evidence hash* instead: the SHA-256 of the canonical list of the evidence
files (the raw responses, the suite, the run configuration, the collection record and the
facts and calibration the analysis used), which the manifest's entries reproduce.
"""

from __future__ import annotations

from pathlib import Path

from .._hashing import files_digest, sha256_file
from ._folder import (CALIBRATION_COPY, COLLECTION_FILE, LINEAGE_FILE, RESPONSES_FILE, RUN_FILE,
                      SUITE_FILE, read_json, write_json)

MANIFEST_FILE = "manifest.json"
SIGNATURE_FILE = "manifest.sig.json"  # signs manifest.json, so it cannot be listed in it
_SKIP_SUFFIXES = (".tmp",)
EVIDENCE_FILES = (RESPONSES_FILE, SUITE_FILE, RUN_FILE, COLLECTION_FILE, LINEAGE_FILE,
                  CALIBRATION_COPY)


def _run_files(run_dir: Path) -> list[str]:
    return sorted(p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*")
                  if p.is_file() and p.name not in (MANIFEST_FILE, SIGNATURE_FILE) and not p.name.endswith(_SKIP_SUFFIXES))


def evidence_files(run_dir: Path) -> dict[str, str]:
    """SHA-256 of each evidence file the run folder holds (optional ones only when present)."""
    return {name: sha256_file(run_dir / name) for name in EVIDENCE_FILES
            if (run_dir / name).is_file()}


def evidence_digest(files: dict[str, str]) -> str:
    """The evidence hash: SHA-256 of the canonical JSON of ``{file: sha256}``."""
    return files_digest(files)


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
