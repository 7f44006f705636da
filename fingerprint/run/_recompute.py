"""Analysis, calibration and verdict of a run folder, from its files alone.

``compare`` writes a report from this and ``verify`` recomputes it, so both go through the
same few lines: no model, no network, nothing outside the folder (and its calibration copy).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..analysis import (Analysis, AnalysisResult, Evaluation, Fetched, ProbeRow, ResponseSet,
                        RoundPlan, SequentialOptions, SequentialResult, Verdict, analyze,
                        run_sequential)
from ..calibration import calibrated_verdict, validate_lineage
from ..features.embed import embedder_for
from ..suite import Suite
from ._folder import (COLLECTION_FILE, LINEAGE_FILE, RESPONSES_FILE, RUN_FILE, SUITE_FILE,
                      read_json, read_responses, read_suite)


@dataclass(frozen=True)
class RunData:
    """A run folder's configuration, suite and raw response lines."""

    run: dict[str, Any]
    suite: Suite
    rows: list[dict[str, Any]]
    lineage: dict[str, Any] | None = None  # the run's --lineage facts, if any

    @property
    def specs(self) -> list[str]:
        """The model specs in report order: reference, suspect, controls."""
        return [spec["spec"] for _, spec in self.run["config"]["models"]]

    @property
    def has_controls(self) -> bool:
        return any(role.startswith("control") for role, _ in self.run["config"]["models"])


@dataclass(frozen=True)
class Recomputed:
    data: RunData
    analysis: AnalysisResult
    probes: tuple[ProbeRow, ...]
    verdict: Verdict
    evaluation: Evaluation | None
    sequential: SequentialResult | None = None  # the rounds of a --sequential run


def read_run(run_dir: Path) -> RunData:
    return RunData(run=read_json(run_dir / RUN_FILE), suite=read_suite(run_dir / SUITE_FILE),
                   rows=read_responses(run_dir / RESPONSES_FILE),
                   lineage=read_json(run_dir / LINEAGE_FILE)
                   if (run_dir / LINEAGE_FILE).is_file() else None)


def analyze_run(run_dir: Path) -> tuple[RunData, Analysis]:
    """The analysis of a run folder, from its files alone (no model, no calibration)."""
    data = read_run(run_dir)
    config = data.run["config"]
    roles = [role for role, _ in config["models"]]
    specs = {role: spec["spec"] for role, spec in config["models"]}
    texts: dict[str, dict[str, list[str]]] = {role: {} for role in roles}
    for row in sorted(data.rows, key=lambda r: (r["role"], r["probe_id"], r["sample_index"])):
        texts.setdefault(row["role"], {}).setdefault(row["probe_id"], []).append(
            row["response"].get("text") or "")
    controls = [r for r in roles if r.startswith("control")]
    answers = ResponseSet(
        probes=data.suite.probes, reference=texts.get("reference", {}),
        suspect=texts.get("suspect", {}), controls=tuple(texts.get(c, {}) for c in controls),
        control_names=tuple(specs[c] for c in controls))
    return data, analyze(answers, seed=int(config["seed"]),
                         embedder=embedder_for(config.get("embedder")))


def replay_sequential(run_dir: Path, data: RunData) -> SequentialResult:
    """The rounds of a sequential run, from its stored answers: the same schedule, the same
    e-values and the same stopping point as when they were collected.  A round whose answers
    are missing is where the budget (or an interruption) stopped it; collection.json says
    which."""
    config = data.run["config"]
    table: dict[tuple[str, str, int], str] = {
        (r["role"], r["probe_id"], r["sample_index"]): r["response"].get("text") or ""
        for r in data.rows}
    collection = read_json(run_dir / COLLECTION_FILE) if (run_dir / COLLECTION_FILE).is_file() \
        else {}

    def fetch(plan: RoundPlan) -> Fetched:
        texts: dict[str, dict[str, list[str]]] = {role: {} for role in plan.roles}
        for role in plan.roles:
            for probe, start, stop in plan.probes:
                got = [table.get((role, probe.id, i)) for i in range(start, stop)]
                if any(t is None for t in got):
                    return Fetched(None, stopped=collection.get("stopped_because")
                                   or "interrupted")
                texts[role][probe.id] = got  # type: ignore[assignment]
        return Fetched(texts)

    specs = {role: spec["spec"] for role, spec in config["models"]}
    n_controls = sum(role.startswith("control") for role in specs)
    return run_sequential(data.suite.probes, n_controls, fetch, seed=int(config["seed"]),
                          options=SequentialOptions(**config["sequential"]),
                          max_samples=int(config["samples"]),
                          embedder=embedder_for(config.get("embedder")))


def recompute(run_dir: Path, *, calibration: str | None = None,
              prior: float | None = None) -> Recomputed:
    """Redo analysis, calibration and verdict from the run folder alone.  A sequential run's
    label is its sequential test's (valid under optional stopping); the analysis of every
    collected answer stays in the report as evidence."""
    data, analysis = analyze_run(run_dir)
    sequential = None
    if data.run["config"].get("sequential") is not None:
        sequential = replay_sequential(run_dir, data)
        analysis = replace(analysis, test_verdict=sequential.test_verdict)
    verdict, evaluation = calibrated_verdict(
        analysis, has_controls=data.has_controls, calibration_file=calibration, prior=prior,
        models=data.specs, lineage_facts=validate_lineage(data.lineage) if data.lineage else None)
    return Recomputed(data=data, analysis=analysis.result, probes=analysis.probes,
                      verdict=verdict, evaluation=evaluation, sequential=sequential)
