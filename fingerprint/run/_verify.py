"""``fingerprint verify DIR``: re-hash every file and recompute the verdict offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .._records import to_json
from ..collect.store import sample_key
from ..errors import FingerprintError
from ._folder import REPORT_FILE, RESPONSES_FILE, read_json, read_responses
from ._manifest import check_manifest, evidence_digest, sha256_file
from ._signature import check_signature
from ._recompute import recompute

CHECKED_FIELDS = ("probes", "verdict", "analysis")


def _differences(stored: Any, fresh: Any, path: str) -> list[str]:
    if isinstance(stored, dict) and isinstance(fresh, dict):
        out = []
        for key in sorted(set(stored) | set(fresh)):
            out += _differences(stored.get(key), fresh.get(key), f"{path}.{key}")
        return out
    if isinstance(stored, list) and isinstance(fresh, list) and len(stored) == len(fresh):
        out = []
        for i, (a, b) in enumerate(zip(stored, fresh)):
            out += _differences(a, b, f"{path}[{i}]")
        return out
    same = json.dumps(stored, sort_keys=True) == json.dumps(fresh, sort_keys=True)
    return [] if same else [f"report.json: field {path} differs from the recomputed value"]


def _check_keys(run_dir: Path) -> list[str]:
    problems = []
    for row in read_responses(run_dir / RESPONSES_FILE):
        logical = {k: v for k, v in row["request"].items() if k not in ("n", "seed_sent")}
        key = sample_key(row["model"], row["probe_id"], row["probe_version"], logical,
                         row["sample_index"])
        if key != row.get("key"):
            problems.append(f"{RESPONSES_FILE}: sample {row['probe_id']}#{row['sample_index']} of "
                            f"{row['role']} does not match its key (request edited)")
    return problems


def _check_evidence(run_dir: Path, report: Any) -> list[str]:
    """The hashes the report prints must be those of the files beside it."""
    if not isinstance(report, dict):
        return []
    files = report.get("evidence_files") or {}
    problems = [f"{name}: SHA-256 differs from the one the report prints" for name, sha
                in sorted(files.items())
                if not (run_dir / name).is_file() or sha256_file(run_dir / name) != sha]
    custody = report.get("custody") or {}
    if custody.get("evidence_sha256") and custody["evidence_sha256"] != evidence_digest(files):
        problems.append("report.json: the evidence hash does not match its evidence files")
    return problems


def verify(run_dir: Path, public_key: Path | None = None) -> list[str]:
    """Every problem found, one line each; an empty list means the run checks out.

    With ``public_key`` the folder's signature must verify under it too: without one a
    rebuilt folder is consistent, and only the signature shows it is not the original.
    """
    if not run_dir.is_dir():
        raise FingerprintError(f"{run_dir} is not a folder; give the --out folder of a run")
    problems = check_signature(run_dir, public_key) if public_key is not None else []
    problems += check_manifest(run_dir)
    try:
        problems += _check_keys(run_dir)
        report = read_json(run_dir / REPORT_FILE)
        problems += _check_evidence(run_dir, report)
        options = (report.get("analysis_options") or {}) if isinstance(report, dict) else {}
        calibration = options.get("calibration")
        fresh = recompute(run_dir, calibration=str(run_dir / calibration) if calibration else None,
                          prior=options.get("prior"))
    except FingerprintError as exc:
        # A damaged file is already named above; say why the recomputation could not run.
        return problems + [f"recomputation impossible: {exc}"]
    recomputed = {"probes": to_json(fresh.probes), "verdict": to_json(fresh.verdict),
                  "analysis": to_json(fresh.analysis)}
    for name in CHECKED_FIELDS:
        problems += _differences(report.get(name), recomputed[name], name)
    if fresh.sequential is not None:  # the rounds are recomputable too (not what they cost)
        stored = (report.get("collection") or {}) if isinstance(report, dict) else {}
        problems += _differences(
            [_recomputable(r) for r in stored.get("rounds") or []],
            [_recomputable(r) for r in to_json(list(fresh.sequential.rounds))],
            "collection.rounds")
        problems += _differences(stored.get("stopped_because"),
                                 fresh.sequential.stopped_because, "collection.stopped_because")
    return problems


def _recomputable(entry: Any) -> Any:
    """A round without what this invocation paid for it (requests differ on a rerun)."""
    if not isinstance(entry, dict):
        return entry
    return {k: v for k, v in entry.items() if k not in ("requests", "requests_total")}
