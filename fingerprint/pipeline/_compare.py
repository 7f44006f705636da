"""The main job, stage by stage: specs ─► collection ─► responses.jsonl ─► analysis ─► report.

Every stage after collection reads only the run folder, so ``verify`` and ``report`` can redo
them offline, byte for byte.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import run as runfolder
from ..collect import DEFAULT_SAMPLES
from ..collect.runner import Target, collect, raise_if_short
from ..collect.store import Store
from ..corpus import corpus_suite, load_corpus
from ..errors import FingerprintError
from ..models.registry import get_provider
from ..models.replay import split_replay_model
from ..models.spec import ModelSpec, parse_spec
from ..run import CALIBRATION_COPY, COLLECTION_FILE, REPORT_FILE
from ..report import render_pdf, write_report_files
from ..suite import Suite, load_suite

SCHEMA_VERSION = "1.0"


@dataclass
class RunRequest:
    """What the user asked for; the CLI builds it from flags."""

    models: list[tuple[str, ModelSpec]]  # (role, spec) in report order
    suite_path: str | None = None
    samples: int = DEFAULT_SAMPLES
    seed: int = 0
    out: Path = Path("fingerprint-run")
    store_path: str | None = None
    calibration: str | None = None
    prior: float | None = None
    command: str = ""
    progress: bool = True
    budget: Any = None  # collect.budget.BudgetLimits; not part of the run's identity


def roles_for(ref: str, suspect: str, controls: list[str],
              options: dict[str, dict[str, Any]] | None = None) -> list[tuple[str, ModelSpec]]:
    """Parse the compare command's specs into (role, spec) pairs, applying per-role options."""
    options = options or {}
    named = [("reference", ref), ("suspect", suspect)]
    controls = _expand_controls(controls, [ref, suspect])
    named += [(f"control {i}", c) for i, c in enumerate(controls, 1)]
    return [(role, parse_spec(text, options.get(role.replace(" ", "")) or options.get(role)))
            for role, text in named]


def _expand_controls(controls: list[str], named: list[str]) -> list[str]:
    """``replay/CORPUS#*`` stands for every model of that corpus the run does not already
    name: the wide panel the single-sample calibration is fitted on (docs/calibration.md).
    Check that none of them shares the reference's or the suspect's lineage."""
    out: list[str] = []
    for text in controls:
        if text.startswith("replay/") and text.endswith("#*"):
            source = text[len("replay/"):-2]
            out += [spec for spec in (f"replay/{source}#{m}" for m in load_corpus(source).models)
                    if spec not in named and spec not in out and spec not in controls]
        else:
            out.append(text)
    return out


def resolve_suite(path: str | None, specs: list[ModelSpec]) -> Suite:
    """The probe suite: the given one or, when every model replays one stored source, the
    prompts that source holds (a run folder's own suite, or a corpus's shared prompts)."""
    if path is None and specs and all(s.provider == "replay" for s in specs):
        sources = {split_replay_model(s.model)[0] for s in specs}
        if len(sources) == 1:
            source = sources.pop()
            if (Path(source) / runfolder.SUITE_FILE).is_file():
                return runfolder.read_suite(Path(source) / runfolder.SUITE_FILE)
            return corpus_suite(source, models=[split_replay_model(s.model)[1] for s in specs])
    return load_suite(path)


def _config(request: RunRequest, suite: Suite) -> dict[str, Any]:
    return {
        "models": [[role, spec.to_json()] for role, spec in request.models],
        "suite_sha256": suite.sha256, "samples": request.samples, "seed": request.seed,
        "command": request.command,
    }


def _progress_factory(enabled: bool):
    if not enabled:
        return None

    def factory(total: int):
        from tqdm import tqdm

        return tqdm(total=total, desc="sampling", unit="sample", disable=None, leave=False)

    return factory


def collect_run(request: RunRequest) -> tuple[Suite, dict[str, Any]]:
    """Collect every sample of the run into the store and the run folder."""
    suite = resolve_suite(request.suite_path, [spec for _, spec in request.models])
    runfolder.prepare(request.out, _config(request, suite))
    targets, seen = [], []
    for role, spec in request.models:
        targets.append(Target(role, get_provider(spec), draw=seen.count(spec.raw)))
        seen.append(spec.raw)
    with Store(request.store_path) as store:
        result = collect(targets, suite.probes, samples=request.samples, seed=request.seed,
                         store=store, progress_factory=_progress_factory(request.progress),
                         strict=False, budget=request.budget)
    rows = []
    for target in targets:
        for probe in suite.probes:
            for s in result.samples.get((target.role, probe.id), []):
                rows.append({"role": target.role, "model_spec": s.model_spec,
                             "model": target.provider.identity, "key": s.key,
                             "probe_id": s.probe_id, "probe_version": s.probe_version,
                             "sample_index": s.sample_index, "request": s.request,
                             "response": s.response})
    runfolder.write_suite(request.out / runfolder.SUITE_FILE, suite)
    runfolder.write_responses(request.out / runfolder.RESPONSES_FILE, rows)
    summary = result.to_json()
    runfolder.write_json(request.out / COLLECTION_FILE, summary)
    raise_if_short(result)  # interrupted, budget spent or samples missing: after writing
    return suite, summary


def served_info(rows: list[dict[str, Any]], role: str) -> dict[str, Any]:
    mine = [r["response"] for r in rows if r["role"] == role]
    times = sorted(t for t in (r.get("created") for r in mine) if t)
    return {
        "models": sorted({r.get("served_model") for r in mine if r.get("served_model")}),
        "system_fingerprints": sorted({r.get("system_fingerprint") for r in mine
                                       if r.get("system_fingerprint")}),
        "first_request": times[0] if times else None,
        "last_request": times[-1] if times else None,
        "samples": len(mine),
    }


def build_report(run_dir: Path, request_command: str, *, calibration: str | None,
                 prior: float | None, calibration_source: str | None = None) -> dict[str, Any]:
    result = runfolder.recompute(run_dir, calibration=calibration, prior=prior)
    run, suite, rows = result["run"], result["suite"], result["rows"]
    models: dict[str, Any] = {"reference": None, "suspect": None, "controls": []}
    for role, spec in run["config"]["models"]:
        entry = dict(spec, role=role, served=served_info(rows, role))
        if role.startswith("control"):
            models["controls"].append(entry)
        else:
            models[role] = entry
    collection = runfolder.read_json(run_dir / COLLECTION_FILE)
    times = sorted(t for t in (r["response"].get("created") for r in rows) if t)
    collection.update({
        "samples_total": len(rows), "samples_per_probe": run["config"]["samples"],
        "first_request": times[0] if times else None, "last_request": times[-1] if times else None,
        "responses_file": runfolder.RESPONSES_FILE,
    })
    return {
        "schema_version": SCHEMA_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": request_command,
        "tool": runfolder.tool_info(),
        "environment": runfolder.environment_info(),
        "seed": run["config"]["seed"],
        "suite": suite.to_json(),
        "models": models,
        "collection": collection,
        "evidence_files": {name: runfolder.sha256_file(run_dir / name) for name in
                           (runfolder.RESPONSES_FILE, runfolder.SUITE_FILE, runfolder.RUN_FILE)},
        "analysis": result["analysis"],
        "probes": result["probes"],
        "verdict": result["verdict"],
        "analysis_options": {"calibration": calibration and Path(calibration).name,
                             "calibration_source": calibration_source, "prior": prior},
    }


def write_report(run_dir: Path, report: dict[str, Any], *, pdf: bool = False) -> str:
    """Write report.json, the rendered reports (and report.pdf when asked and Chromium is
    installed) and the manifest; return the manifest hash."""
    runfolder.write_json(run_dir / REPORT_FILE, report)
    write_report_files(report, run_dir)
    if pdf and render_pdf(run_dir) is None:
        print("fingerprint: no Chromium found; report.pdf not written", file=sys.stderr)
    return runfolder.write_manifest(run_dir)


def compare(request: RunRequest) -> dict[str, Any]:
    collect_run(request)
    calibration = None
    if request.calibration:
        # The user's calibration file travels with the evidence so verify can redo it.
        src = Path(request.calibration)
        if not src.is_file():
            raise FingerprintError(f"calibration file {src} does not exist; "
                                   "make one with `fingerprint calibrate`")
        shutil.copyfile(src, request.out / CALIBRATION_COPY)  # byte for byte: the hash must match
        calibration = str(request.out / CALIBRATION_COPY)
    report = build_report(request.out, request.command, calibration=calibration,
                          prior=request.prior, calibration_source=request.calibration)
    report["manifest_note"] = ("manifest.json lists the SHA-256 of every file of this folder; "
                               "run `fingerprint verify DIR` to check them and recompute the verdict")
    write_report(request.out, report)
    return report


def load_report(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / REPORT_FILE).read_text(encoding="utf-8"))
