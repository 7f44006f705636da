"""``fingerprint calibrate``: gather evidence on the user's labelled pairs (live comparisons
through the pipeline, or a corpus's stored answers), fit a map and write it."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any, Callable

from .. import run as runfolder
from ..calibration import (DEFAULT_FEATURES, Case, build_calibration, corpus_cases,
                           format_metrics, pair_id, read_pairs)
from ..collect import DEFAULT_SAMPLES
from ..errors import CalibrationError
from ._compare import RunRequest, collect_run, roles_for

LIVE_REPLICATES = 3


def live_evidence(reference: str, suspect: str, controls: list[str], *, seed: int,
                  samples: int, suite: str | None, work: Path, store: str | None = None
                  ) -> dict[str, Any]:
    """Run one comparison through the pipeline (collect, then analyse the run folder) and
    return its evidence, without any calibration applied (calibration is being fitted)."""
    out = work / runfolder.run_id({"r": reference, "s": suspect, "c": controls, "seed": seed,
                                   "n": samples, "suite": suite})
    request = RunRequest(models=roles_for(reference, suspect, controls), suite_path=suite,
                         samples=samples, seed=seed, out=out, store_path=store, progress=False,
                         command="fingerprint calibrate")
    collect_run(request)
    return runfolder.analyze_run(out)[1].result.evidence.as_dict()


def live_cases(pairs: list[dict[str, Any]], *, seed: int, replicates: int = LIVE_REPLICATES,
               samples: int = DEFAULT_SAMPLES, suite: str | None = None,
               store: str | None = None, source: str = "live",
               log: Callable[[str], None] | None = None) -> list[Case]:
    """Every pair compared ``replicates`` times (seeds seed, seed+1, ...) through the pipeline."""
    cases = []
    with tempfile.TemporaryDirectory(prefix="fingerprint-calibrate-") as tmp:
        for pair in pairs:
            controls = list(pair.get("controls") or [])
            if not controls:
                raise CalibrationError(f"pair {pair_id(pair)} has no controls: calibration of the "
                                       "distillation test needs independent control models")
            for r in range(replicates):
                evidence = live_evidence(pair["reference"], pair["suspect"], controls,
                                         seed=seed + r, samples=int(pair.get("samples", samples)),
                                         suite=pair.get("suite", suite), work=Path(tmp), store=store)
                cases.append(Case(pair=pair_id(pair), label=pair["y"], evidence=evidence,
                                  source=pair.get("source", source), kind=pair["kind"],
                                  info={"controls": controls, "seed": seed + r}))
                if log:
                    log(f"{pair_id(pair)} seed {seed + r}: " + json.dumps(
                        {k: v for k, v in evidence.items() if isinstance(v, (int, float))}))
    return cases


def calibrate(pairs: str, corpus: str | None, out: str, *, seed: int = 0) -> str:
    """Gather evidence on ``pairs``, fit, write the map to ``out`` (usable as ``compare
    --calibration FILE``) and return the metrics table."""
    features = {seg: list(f) for seg, f in DEFAULT_FEATURES.items()}
    specs = read_pairs(pairs)
    cases = corpus_cases(corpus, specs, seed=seed) if corpus else live_cases(specs, seed=seed)
    target = Path(out)
    digest = hashlib.sha256(Path(pairs).read_bytes()).hexdigest()
    cmap = build_calibration(cases, features, name=target.stem, version=f"custom-{digest[:12]}",
                             seed=seed, extra={"pairs_file": {"name": Path(pairs).name,
                                                              "sha256": digest},
                                               "corpus": Path(corpus).name if corpus else None})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(cmap, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return (format_metrics(cmap) + f"\nwrote {target}; use it with "
            f"`fingerprint compare --calibration {target}`")
