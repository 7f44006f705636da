"""The run folder: what one comparison or collection wrote, laid out for review.

``run.json`` identifies the run (its configuration and a hash of it), so the same command
resumes into its own folder while a different run is refused instead of mixed in.
``responses.jsonl`` holds every raw request and response of the run, one sample a line, in
a fixed order, so the analysis can be recomputed from it alone.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable

from ..collect.store import canonical_json
from ..errors import RunFolderError
from ..suite import Probe, Suite, probe_from_dict

RUN_FILE = "run.json"
RESPONSES_FILE = "responses.jsonl"
SUITE_FILE = "suite.json"
REPORT_FILE = "report.json"
COLLECTION_FILE = "collection.json"
CALIBRATION_COPY = "calibration.json"
LINEAGE_FILE = "lineage.json"  # the validated facts of --lineage FILE (docs/report.md#lineage)


def run_id(config: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(config).encode("utf-8")).hexdigest()[:16]


def prepare(out: Path, config: dict[str, Any]) -> str:
    """Create ``out`` or check it holds this very run; return the run id."""
    rid = run_id({k: v for k, v in config.items() if k != "command"})
    marker = out / RUN_FILE
    if out.exists() and not out.is_dir():
        raise RunFolderError(f"--out {out} is a file; give a folder")
    if out.is_dir() and any(out.iterdir()):
        if not marker.is_file():
            raise RunFolderError(f"--out {out} is not empty and holds no fingerprint run; "
                                 "choose a new folder")
        try:
            previous = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise RunFolderError(f"{marker} is unreadable; choose a new --out folder") from None
        if previous.get("run_id") != rid:
            raise RunFolderError(
                f"--out {out} holds another run ({previous.get('command', 'different settings')}); "
                "choose a new folder or delete it")
    out.mkdir(parents=True, exist_ok=True)
    write_json(marker, {"run_id": rid, "config": config, "command": config.get("command")})
    return rid


def write_text(path: Path, text: str) -> None:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFolderError(f"{path} is missing; is {path.parent} a fingerprint run folder?") from None
    except (OSError, ValueError) as exc:
        raise RunFolderError(f"{path} is not valid JSON ({exc.__class__.__name__})") from None


def write_responses(path: Path, lines: Iterable[dict[str, Any]]) -> int:
    rows = [canonical_json(line) for line in lines]
    write_text(path, "".join(r + "\n" for r in rows))
    return len(rows)


_ROW_FIELDS = {"role": str, "model_spec": str, "model": dict, "key": str, "probe_id": str,
               "probe_version": int, "sample_index": int, "request": dict, "response": dict}


def _checked_row(row: Any, path: Path, number: int) -> dict[str, Any]:
    """A response line with every field the analysis and verify read, of the right type."""
    if not isinstance(row, dict):
        raise RunFolderError(f"{path} line {number} is not a JSON object")
    for name, kind in _ROW_FIELDS.items():
        if not isinstance(row.get(name), kind):
            raise RunFolderError(f"{path} line {number} lacks a valid '{name}' field "
                                 "(the file was edited or is not a fingerprint run)")
    return row


def read_responses(path: Path) -> list[dict[str, Any]]:
    rows = []
    try:
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        row = json.loads(line)
                    except ValueError:
                        raise RunFolderError(f"{path} line {number} is not valid JSON") from None
                    rows.append(_checked_row(row, path, number))
    except FileNotFoundError:
        raise RunFolderError(f"{path} is missing; is {path.parent} a fingerprint run folder?") from None
    return rows


def write_suite(path: Path, suite: Suite) -> None:
    write_json(path, {"id": suite.id, "version": suite.version, "sha256": suite.sha256,
                      "source": suite.source, "probes": [p.to_json() for p in suite.probes]})


def read_suite(path: Path) -> Suite:
    data = read_json(path)
    problems: list[str] = []
    probes: list[Probe] = []
    for raw in data.get("probes", []):
        raw = {k: v for k, v in raw.items() if v is not None or k != "samples"}
        probe = probe_from_dict(raw, str(path), problems)
        if probe is not None:
            probes.append(probe)
    if problems:
        raise RunFolderError(f"{path} holds malformed probes: {problems[0]}")
    return Suite(id=data["id"], version=data["version"], probes=tuple(probes),
                 source=data.get("source", ""))
