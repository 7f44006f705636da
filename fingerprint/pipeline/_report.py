"""From a collected run folder to its report: recompute, describe the models and the
collection, and write report.json, the renderings and the manifest."""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .._records import from_json
from ..collect.store import Store, canonical_json
from .. import run as runfolder
from ..report import render_pdf, write_report_files
from ..run import (COLLECTION_FILE, REPORT_FILE, SCHEMA_VERSION, AnalysisOptions, Collection,
                   Custody,
                   ModelEntry, Models, Report, Served, SuiteInfo, ToolInfo)

MANIFEST_NOTE = ("manifest.json lists the SHA-256 of every file of this folder; run "
                 "`fingerprint verify DIR` to check them and recompute the verdict, and "
                 "`fingerprint verify DIR --public-key KEY` to check the author's signature")


def served_info(rows: list[dict[str, Any]], role: str) -> Served:
    mine = [r["response"] for r in rows if r["role"] == role]
    times = sorted(t for t in (r.get("created") for r in mine) if t)
    return Served(
        models=tuple(sorted({r.get("served_model") for r in mine if r.get("served_model")})),
        system_fingerprints=tuple(sorted({r.get("system_fingerprint") for r in mine
                                          if r.get("system_fingerprint")})),
        first_request=times[0] if times else None, last_request=times[-1] if times else None,
        samples=len(mine))


def _models(run: dict[str, Any], rows: list[dict[str, Any]]) -> Models:
    entries = {role: ModelEntry(**spec, role=role, served=served_info(rows, role))
               for role, spec in run["config"]["models"]}
    return Models(reference=entries.get("reference"), suspect=entries.get("suspect"),
                  controls=tuple(e for role, e in entries.items() if role.startswith("control")))


def _collection(run_dir: Path, run: dict[str, Any], rows: list[dict[str, Any]],
                sequential: Any = None) -> Collection:
    collection = runfolder.read_json(run_dir / COLLECTION_FILE)
    live = collection.pop("round_requests", None)
    if sequential is not None:  # the rounds as recomputed, with what each one cost live
        requests = list(live or [])
        rounds, total = [], 0
        for i, entry in enumerate(sequential.rounds):
            cost = requests[i] if i < len(requests) else 0
            total += cost
            rounds.append(dict(entry, requests=cost, requests_total=total))
        collection.update(rounds=rounds, stopped_because=sequential.stopped_because,
                          stop_sentence=sequential.sentence)
    times = sorted(t for t in (r["response"].get("created") for r in rows) if t)
    collection.update({
        "samples_total": len(rows), "samples_per_probe": run["config"]["samples"],
        "first_request": times[0] if times else None, "last_request": times[-1] if times else None,
        "responses_file": runfolder.RESPONSES_FILE,
    })
    return from_json(Collection, collection, COLLECTION_FILE)


def build_report(run_dir: Path, request_command: str, *, calibration: str | None,
                 prior: float | None, calibration_source: str | None = None) -> Report:
    fresh = runfolder.recompute(run_dir, calibration=calibration, prior=prior)
    run, suite, rows = fresh.data.run, fresh.data.suite, fresh.data.rows
    evidence = runfolder.evidence_files(run_dir)
    return Report(
        schema_version=SCHEMA_VERSION,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        command=request_command, tool=ToolInfo(**runfolder.tool_info()),
        environment=runfolder.environment_info(), seed=run["config"]["seed"],
        suite=SuiteInfo(**suite.to_json()), models=_models(run, rows),
        collection=_collection(run_dir, run, rows, fresh.sequential),
        evidence_files=evidence,
        analysis=fresh.analysis, probes=fresh.probes, verdict=fresh.verdict,
        evaluation=fresh.evaluation,
        analysis_options=AnalysisOptions(calibration=calibration and Path(calibration).name,
                                         calibration_source=calibration_source, prior=prior),
        manifest_note=MANIFEST_NOTE,
        custody=Custody(run_id=run["run_id"], evidence_sha256=runfolder.evidence_digest(evidence)))


def log_analysis(run_dir: Path, store_path: Path | str | None, report: Report) -> Report:
    """Record this analysis in the store and put every analysis of the same suspect answers
    into the report: a reader sees how many panels were tried before this one."""
    keys = sorted(r["key"] for r in runfolder.read_responses(run_dir / runfolder.RESPONSES_FILE)
                  if r["role"] == "suspect")
    digest = hashlib.sha256(canonical_json(keys).encode("utf-8")).hexdigest()
    models, ev = report.models, report.evaluation
    entry = {"created": report.created,
             "run_id": report.custody.run_id if report.custody else None,
             "suite_sha256": report.suite.sha256,
             "reference": models.reference.spec if models.reference else None,
             "controls": [c.spec for c in models.controls],
             "label": report.verdict.label,
             "likelihood_ratio": ev.likelihood_ratio if ev is not None else None}
    with Store(store_path) as store:
        log = store.log_analysis(digest, entry)
    return dataclasses.replace(report, analysis_log=tuple(log))


def write_report(run_dir: Path, report: Report, *, pdf: bool = False) -> str:
    """Write report.json, the rendered reports (and report.pdf when asked and Chromium is
    installed) and the manifest; return the manifest hash."""
    runfolder.write_report_json(run_dir / REPORT_FILE, report)
    write_report_files(report, run_dir)
    if pdf and render_pdf(run_dir) is None:
        print("fingerprint: no Chromium found; report.pdf not written", file=sys.stderr)
    return runfolder.write_manifest(run_dir)


def load_report(run_dir: Path) -> Report:
    return runfolder.read_report(run_dir / REPORT_FILE)
