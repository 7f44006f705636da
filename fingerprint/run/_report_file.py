"""``report.json``: the typed report, written at the edge and read back through one
validating loader keyed by ``schema_version``.

The report is the source of truth of a run; the renderings are derived from it.  Reading it
checks every field against :class:`Report` (:func:`fingerprint._records.from_json`), so a
report that a renderer cannot trust is one clear error, not a half-rendered page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._records import from_json, optional, to_json
from ..analysis import AnalysisResult, Evaluation, ProbeRow, Verdict
from ..errors import RunFolderError, SchemaError
from ._folder import write_json

# 1.1: evaluation; verdict.probability is the posterior at a stated prior.
# 1.2: custody (run id, evidence hash), tool.dirty and tool.package_sha256.
# 1.3: collection.rounds, collection.stopped_because, collection.stop_sentence (--sequential).
SCHEMA_VERSION = "1.3"
SUPPORTED_SCHEMAS = ("1.0", "1.1", "1.2", SCHEMA_VERSION)


@dataclass(frozen=True)
class ToolInfo:
    name: str
    version: str
    git_revision: str | None
    dirty: bool | None = optional()  # uncommitted changes in the checkout that ran
    package_sha256: str | None = optional()  # hash of the package's own files as installed


@dataclass(frozen=True)
class Custody:
    """What ties the printed report to the stored evidence (docs/report.md#custody)."""

    run_id: str
    evidence_sha256: str  # SHA-256 of the canonical {file: sha256} of the evidence files


@dataclass(frozen=True)
class SuiteInfo:
    id: str
    version: str
    sha256: str
    source: str
    probes: int


@dataclass(frozen=True)
class Served:
    """What the server said it served, over every answer of one model."""

    models: tuple[str, ...]
    system_fingerprints: tuple[str, ...]
    first_request: str | None
    last_request: str | None
    samples: int


@dataclass(frozen=True)
class ModelEntry:
    spec: str
    provider: str
    model: str
    options: dict[str, Any]
    role: str
    served: Served


@dataclass(frozen=True)
class Models:
    reference: ModelEntry | None
    suspect: ModelEntry | None
    controls: tuple[ModelEntry, ...]


@dataclass(frozen=True)
class Collection:
    """What the collection asked for, sent, reused and stored (collection.json plus the
    run-level totals)."""

    samples_expected: int
    samples_stored: int
    samples_new: int
    requests_made: int
    requests_retried: int
    requests_requeued: int
    responses_reused: int
    samples_missing: int
    failures: tuple[str, ...]
    budget: dict[str, Any] | None
    stopped_by_budget: bool
    interrupted: bool
    samples_total: int
    samples_per_probe: int
    first_request: str | None
    last_request: str | None
    responses_file: str
    # Added with the preflight (optional, so reports written before still load):
    failure_causes: tuple[dict[str, Any], ...] | None = optional()  # each cause once
    preflight: tuple[dict[str, Any], ...] | None = optional()  # one check per remote model
    preflight_requests: int | None = optional()  # requests the checks made (not sampling)
    stopped_by_preflight: bool | None = optional()
    prices: dict[str, dict[str, Any]] | None = optional()  # spec -> the price used and its source
    price_table: dict[str, Any] | None = optional()  # the shipped table: date and source
    cost_usd: float | None = optional()  # priced spending of this invocation
    # Replays (schema 1.2): source -> {"sha256", "files": {file: sha256}} of the stored answers
    replay_sources: dict[str, dict[str, Any]] | None = optional()
    # Sequential collection (schema 1.3): one entry per round (requests and answers this
    # round and in total, the models and probes asked, the evidence of every question after
    # it), why the collection stopped (analysis.STOP_REASONS) and the same in words
    rounds: tuple[dict[str, Any], ...] | None = optional()
    stopped_because: str | None = optional()
    stop_sentence: str | None = optional()


@dataclass(frozen=True)
class AnalysisOptions:
    calibration: str | None
    calibration_source: str | None
    prior: float | None


@dataclass(frozen=True)
class Report:
    schema_version: str
    created: str
    command: str
    tool: ToolInfo
    environment: dict[str, Any]
    seed: int
    suite: SuiteInfo
    models: Models
    collection: Collection
    evidence_files: dict[str, str]
    analysis: AnalysisResult
    probes: tuple[ProbeRow, ...]
    verdict: Verdict
    analysis_options: AnalysisOptions
    manifest_note: str | None = optional()
    evaluation: Evaluation | None = optional()
    custody: Custody | None = optional()
    # Every analysis the store recorded of the same suspect answers, this one last (1.2)
    analysis_log: tuple[dict[str, Any], ...] | None = optional()


def report_from_json(data: Any, where: str = "report.json") -> Report:
    """A :class:`Report` from parsed JSON; :class:`SchemaError` names the first bad field."""
    if not isinstance(data, dict):
        raise SchemaError(f"{where} is not a JSON object")
    version = data.get("schema_version")
    if version not in SUPPORTED_SCHEMAS:
        raise SchemaError(f"{where} has schema_version {version!r}; this fingerprint reads "
                          f"{', '.join(SUPPORTED_SCHEMAS)} (re-run `fingerprint compare` or use "
                          "the version that wrote it)")
    return from_json(Report, data, where)


def read_report(path: Path) -> Report:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFolderError(f"{path} is missing; is {path.parent} a fingerprint run folder?") from None
    except (OSError, ValueError) as exc:
        raise RunFolderError(f"{path} is not valid JSON ({exc.__class__.__name__})") from None
    return report_from_json(data, str(path.name))


def write_report_json(path: Path, report: Report) -> None:
    write_json(path, to_json(report))
