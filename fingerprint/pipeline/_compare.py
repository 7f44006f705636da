"""The main job, stage by stage: specs ─► collection ─► responses.jsonl ─► analysis ─► report.

Every stage after collection reads only the run folder, so ``verify`` and ``report`` can redo
them offline, byte for byte.
"""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import run as runfolder
from ..calibration import read_lineage_file
from ..collect import DEFAULT_SAMPLES, BudgetLimits
from ..collect.dryrun import DryRun, dry_run
from ..collect import Target, collect, raise_if_short
from ..collect.store import Store
from ..corpus import corpus_suite, load_corpus
from ..errors import FingerprintError
from ..features.embed import DEFAULT_EMBEDDER, embedder_for
from ..models.registry import get_provider
from ..models.replay import split_replay_model
from ..models.spec import ModelSpec, parse_spec
from ..run import CALIBRATION_COPY, COLLECTION_FILE, LINEAGE_FILE, Report
from ..suite import Suite, load_suite
from ._report import build_report, log_analysis, write_report
from ._sequential import collect_sequential, response_row


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
    lineage: str | None = None  # a --lineage case file (docs/report.md#lineage)
    embedder: str | None = None  # features.embed.embedder_for name; None = the default
    command: str = ""
    progress: bool = True
    budget: Any = None  # collect.budget.BudgetLimits; not part of the run's identity
    preflight: bool = True  # check every remote model with one request before sampling
    sequential: Any = None  # analysis.SequentialOptions: collect in rounds, stop when decided


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
    config = {
        "models": [[role, spec.to_json()] for role, spec in request.models],
        "suite_sha256": suite.sha256, "samples": request.samples, "seed": request.seed,
        "command": request.command,
    }
    if request.embedder not in (None, DEFAULT_EMBEDDER):
        # recorded only when not the default, so default runs keep their run id
        config["embedder"] = request.embedder
    if request.sequential is not None:  # likewise: fixed runs keep their run id
        config["sequential"] = request.sequential.to_json()
    return config


def round_samples(providers: list[Any], samples: int) -> int:
    """Answers per probe and model in one sequential round, when the user did not say: all
    ``samples`` at once if every provider returns that many in one request (each probe then
    costs one request per model, and deeper probes test more sharply), else 2 (a request
    per answer: small rounds let the collection stop sooner)."""
    if all(getattr(p, "max_n", 1) >= samples for p in providers):
        return max(2, samples)
    return 2


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
    targets, seen = [], []
    for role, spec in request.models:
        targets.append(Target(role, get_provider(spec), draw=seen.count(spec.raw)))
        seen.append(spec.raw)
    if request.sequential is not None and request.sequential.samples_per_round is None:
        chosen = round_samples([t.provider for t in targets], request.samples)
        request = dataclasses.replace(request, sequential=dataclasses.replace(
            request.sequential, samples_per_round=chosen))
    runfolder.prepare(request.out, _config(request, suite))
    if request.sequential is not None:
        return suite, collect_sequential(request, suite, request.sequential, targets)
    with Store(request.store_path) as store:
        result = collect(targets, suite.probes, samples=request.samples, seed=request.seed,
                         store=store, progress_factory=_progress_factory(request.progress),
                         strict=False, budget=request.budget, preflight=request.preflight)
    rows = []
    for target in targets:
        for probe in suite.probes:
            rows += [response_row(target, s)
                     for s in result.samples.get((target.role, probe.id), [])]
    runfolder.write_suite(request.out / runfolder.SUITE_FILE, suite)
    runfolder.write_responses(request.out / runfolder.RESPONSES_FILE, rows)
    summary = result.to_json()
    sources = {t.provider.source: t.provider.source_record for t in targets
               if getattr(t.provider, "source_record", None) is not None}
    if sources:  # replays: which stored files the answers came from, hashed
        summary["replay_sources"] = sources
    runfolder.write_json(request.out / COLLECTION_FILE, summary)
    raise_if_short(result)  # interrupted, budget spent or samples missing: after writing
    return suite, summary


def preview(request: RunRequest) -> DryRun:
    """``--dry-run``: the plan and one check per remote model; nothing sampled or written."""
    if request.embedder not in (None, DEFAULT_EMBEDDER):
        embedder_for(request.embedder)  # an unknown name or a missing key: one line now
    suite = resolve_suite(request.suite_path, [spec for _, spec in request.models])
    return dry_run(request.models, suite.probes, samples=request.samples, seed=request.seed,
                   store_path=request.store_path, limits=request.budget or BudgetLimits())


def compare(request: RunRequest) -> Report:
    embedder_for(request.embedder)  # an unknown name or a missing key fails before sampling
    lineage = read_lineage_file(request.lineage) if request.lineage else None  # likewise
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
    lineage_copy = request.out / LINEAGE_FILE
    if lineage is not None:
        runfolder.write_json(lineage_copy, lineage)
    elif lineage_copy.exists():
        lineage_copy.unlink()  # facts of an earlier run must not decide this one
    report = build_report(request.out, request.command, calibration=calibration,
                          prior=request.prior, calibration_source=request.calibration)
    report = log_analysis(request.out, request.store_path, report)
    write_report(request.out, report)
    return report


