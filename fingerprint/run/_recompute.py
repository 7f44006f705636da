"""Analysis, calibration and verdict of a run folder, from its files alone.

``compare`` writes a report from this and ``verify`` recomputes it, so both go through the
same few lines: no model, no network, nothing outside the folder (and its calibration copy).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..analysis import ResponseSet, analyze, final_verdict
from ..calibration import apply_calibration
from ._folder import RESPONSES_FILE, RUN_FILE, SUITE_FILE, read_json, read_responses, read_suite


def analyze_run(run_dir: Path) -> dict[str, Any]:
    """The analysis of a run folder, from its files alone (no model, no calibration)."""
    run = read_json(run_dir / RUN_FILE)
    suite = read_suite(run_dir / SUITE_FILE)
    rows = read_responses(run_dir / RESPONSES_FILE)
    roles = [role for role, _ in run["config"]["models"]]
    specs = {role: spec["spec"] for role, spec in run["config"]["models"]}
    texts: dict[str, dict[str, list[str]]] = {role: {} for role in roles}
    for row in sorted(rows, key=lambda r: (r["role"], r["probe_id"], r["sample_index"])):
        texts.setdefault(row["role"], {}).setdefault(row["probe_id"], []).append(
            row["response"].get("text") or "")
    controls = [r for r in roles if r.startswith("control")]
    data = ResponseSet(
        probes=suite.probes, reference=texts.get("reference", {}), suspect=texts.get("suspect", {}),
        controls=tuple(texts.get(c, {}) for c in controls),
        control_names=tuple(specs[c] for c in controls))
    analysis = analyze(data, seed=int(run["config"]["seed"]))
    return {"analysis": analysis, "suite": suite, "rows": rows, "run": run,
            "has_controls": bool(controls)}


def final_verdict_of(analysis: dict[str, Any], *, has_controls: bool,
                     calibration: str | None = None, prior: float | None = None) -> dict[str, Any]:
    """The verdict a report states: the analysis' test-based verdict, calibrated, then the
    final label of both (the one place this sequence is written down)."""
    verdict = dict(analysis["verdict"])
    calibrated = apply_calibration(analysis.get("evidence", {}), verdict,
                                   calibration_file=calibration, prior=prior,
                                   has_controls=has_controls)
    verdict.update(calibrated)
    verdict.update(final_verdict(verdict, calibrated, has_controls=has_controls))
    return verdict


def recompute(run_dir: Path, *, calibration: str | None = None,
              prior: float | None = None) -> dict[str, Any]:
    """Redo analysis, calibration and verdict from the run folder alone."""
    result = analyze_run(run_dir)
    analysis = result.pop("analysis")
    verdict = final_verdict_of(analysis, has_controls=result["has_controls"],
                               calibration=calibration, prior=prior)
    del analysis["verdict"]
    probes = analysis.pop("probes")
    return dict(result, analysis=analysis, probes=probes, verdict=verdict)
