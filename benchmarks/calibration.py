"""Fit the shipped calibration map on pairs of known lineage and measure its error.

Two sources of known pairs:

* the built-in organism panel (``zoo/...``): every student trained on any fraction f > 0 of
  the teacher's outputs is labelled distilled (the small fractions are the hard positives);
  students of the other teacher, the student trained on none of it, and the independent
  labs are not; ``teacher-wrapped`` (the teacher behind a system prompt) is a same-model pair,
  reported but not fitted.  Each pair is compared several times, each time with another
  seed and another control panel drawn from the organisms that share no training source
  with the reference or the suspect.
* the labelled public pairs of an AlpacaEval corpus (``--corpus DIR --pairs pairs.json``),
  one answer per prompt, with random prompt subsets and control panels drawn from the
  models with no documented lineage link to either pair member.

Usage::

    python benchmarks/calibration.py --corpus PATH/alpaca_eval --pairs PATH/pairs.json

writes ``fingerprint/data/calibration-v1.json``, ``docs/calibration-reliability.png`` and
``reports/calibration/evidence.json`` (every case's evidence, so a refit needs no model).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fingerprint.calibration import write_reliability  # noqa: E402
from fingerprint.errors import CalibrationError  # noqa: E402
from fingerprint.calibration import DEFAULT_FEATURES, Case, build_calibration, format_metrics  # noqa: E402
from fingerprint.calibration import segment_of  # noqa: E402
from fingerprint.calibration import (CORPUS_CONTROLS, corpus_cases, read_pairs,  # noqa: E402
                                     stable_int, unrelated_organisms)
from fingerprint.pipeline import live_evidence  # noqa: E402

FEATURES = {seg: list(f) for seg, f in DEFAULT_FEATURES.items()}
# The public pairs are gathered twice: with small control panels (what a live run brings) and
# with every eligible corpus model as control (what a replayed corpus can bring); each design
# is its own segment of the map (``fingerprint.calibration._segments.segment_of``).
PUBLIC_DESIGNS = {"public": ("public pairs", CORPUS_CONTROLS),
                  "public-wide": ("public pairs, wide panels", None)}
VERSION = "1.1.0"
NAME = "fingerprint-default-v1"

# (reference, suspect, label, kind); label 1 distilled, 0 not, None same model (not fitted)
STUDENTS = ["student-100", "student-50", "student-25", "student-10", "student-5"]
ZOO_PAIRS = ([("teacher", s, 1, s) for s in STUDENTS]
             + [("teacher-b", "student-b-100", 1, "student-100 (other teacher)")]
             + [("teacher", s, 0, "independent") for s in
                ("student-0", "independent-a", "independent-b", "independent-c", "teacher-b")]
             + [("teacher", "student-b-100", 0, "student of another teacher"),
                ("teacher-b", "student-0", 0, "independent"),
                ("independent-b", "teacher", 0, "independent"),
                ("teacher", "teacher-wrapped", None, "same model")]
             # every student is also paired with references it did NOT learn from, so the
             # negatives hold the same suspects as the positives (a student trained on a mix
             # of sources sits nearer every reference than a single-source model does)
             + [("teacher-b", s, 0, "student of another teacher") for s in STUDENTS]
             + [(ind, s, 0, "student of another teacher") for ind, s in
                zip(["independent-a", "independent-b", "independent-c", "independent-a",
                     "independent-b"], STUDENTS)])
# Candidate controls: the organisms trained on one lab's data, and the student lab's own
# model.  A candidate controls a pair only if it shares no training source with the
# reference *or* the suspect (`unrelated_organisms`): the relative test assumes controls
# independent of both models, and the users are told to choose them so.
CONTROL_POOL = ["independent-a", "independent-b", "independent-c", "teacher-b", "student-0", "teacher"]


def eligible_controls(ref: str, sus: str) -> list[str]:
    """The candidates of ``CONTROL_POOL`` unrelated to both organisms."""
    return unrelated_organisms(ref, sus, CONTROL_POOL)


def zoo_cases(replicates: int, n_controls: int, seed: int, log,
              have: list[Case] | None = None) -> list[Case]:
    """Evidence of every organism pair, each replicate with its own seed and a control panel
    drawn from the eligible controls (reusing the cases in ``have`` of a pair whose cached
    panels all follow that rule)."""
    cases: list[Case] = []
    with tempfile.TemporaryDirectory(prefix="fingerprint-calibration-") as tmp:
        for ref, sus, label, kind in ZOO_PAIRS:
            cached = [c for c in have or [] if c.pair == f"zoo/{ref} -> zoo/{sus}"]
            if len(cached) == replicates and all(
                    set(c.info["controls"]) <= set(eligible_controls(ref, sus)) for c in cached):
                cases += cached
                continue
            pool = eligible_controls(ref, sus)
            if len(pool) < n_controls:
                raise CalibrationError(f"{ref} -> {sus} has only {len(pool)} unrelated controls; "
                                       "lower --zoo-controls")
            rng = np.random.default_rng([seed, stable_int(f"{ref} -> {sus}")])
            for r in range(replicates):
                controls = sorted(rng.choice(pool, size=n_controls, replace=False).tolist())
                t0 = time.perf_counter()
                ev = live_evidence(f"zoo/{ref}", f"zoo/{sus}", [f"zoo/{c}" for c in controls],
                                   seed=seed + r, samples=10, suite=None, work=Path(tmp))
                cases.append(Case(pair=f"zoo/{ref} -> zoo/{sus}", label=label, evidence=ev,
                                  source="organism panel", kind=kind,
                                  info={"controls": controls, "seed": seed + r}))
                log(f"{ref} -> {sus} [{', '.join(controls)}] seed {seed + r}: t_min="
                    f"{ev.get('distill_t_min')} eff={ev.get('effect_standardized')} "
                    f"({time.perf_counter() - t0:.1f}s)")
    return cases


def _dump(cases: list[Case]) -> list[dict]:
    return [{"pair": c.pair, "label": c.label, "source": c.source, "kind": c.kind,
             "evidence": c.evidence, "info": c.info} for c in cases]


def wide_test_summary(cases: list[Case], alpha: float = 0.05) -> str:
    """How often the test that decides a wide one-answer panel (the lineage score's
    predictive p, ``lineage_p``) rejects, by label: the final label needs it to agree with
    the calibrated likelihood ratio."""
    wide = [c for c in cases if segment_of(c.evidence) == "single_sample_wide"
            and c.label in (0, 1) and c.evidence.get("lineage_p") is not None]
    parts = []
    for label, name in ((1, "distilled"), (0, "not distilled")):
        mine = [c for c in wide if c.label == label]
        hits = sum(c.evidence["lineage_p"] < alpha for c in mine)
        parts.append(f"{hits} of {len(mine)} {name}")
    return f"wide panels: the lineage test rejects at {alpha} on " + ", ".join(parts) + " cases"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", help="AlpacaEval corpus folder (results/<model>/model_outputs.json)")
    ap.add_argument("--pairs", help="labelled pairs of that corpus (pairs.json)")
    ap.add_argument("--zoo-replicates", type=int, default=4)
    ap.add_argument("--zoo-controls", type=int, default=3)
    ap.add_argument("--corpus-replicates", type=int, default=4)
    ap.add_argument("--corpus-prompts", default="50,100,200,400",
                    help="prompt-subset sizes the replicates cycle through")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--evidence-dir", default=str(ROOT / "reports" / "calibration"),
                    help="evidence caches (organisms.json, public.json): read when present")
    ap.add_argument("--regather", action="store_true", help="recompute the evidence caches")
    ap.add_argument("--only", choices=["organisms", *PUBLIC_DESIGNS],
                    help="gather one source and stop")
    ap.add_argument("--out", default=str(ROOT / "fingerprint" / "data" / "calibration-v1.json"))
    ap.add_argument("--plot", default=str(ROOT / "docs" / "calibration-reliability.png"))
    args = ap.parse_args(argv)
    log = lambda s: print(s, flush=True)  # noqa: E731

    def gather(name: str, make) -> list[Case]:
        cache = Path(args.evidence_dir) / f"{name}.json"
        have: list[Case] = []
        if cache.is_file() and not args.regather:
            have = [Case(**row) for row in json.loads(cache.read_text())["cases"]]
            log(f"read {len(have)} {name} cases from {cache}")
        cases = make(have)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({"cases": _dump(cases)}, indent=1) + "\n")
        return cases

    cases: list[Case] = []
    counts = tuple(int(x) for x in args.corpus_prompts.split(","))
    if args.only in (None, "organisms"):
        cases += gather("organisms", lambda have: zoo_cases(args.zoo_replicates, args.zoo_controls,
                                                            args.seed, log, have))
    for name, (source, n_controls) in PUBLIC_DESIGNS.items():
        if args.only in (None, name) and args.corpus and args.pairs:
            pairs = [dict(p, source=source) for p in read_pairs(args.pairs)]
            cases += gather(name, lambda have, pairs=pairs, n=n_controls: have or corpus_cases(
                args.corpus, pairs, seed=args.seed, replicates=args.corpus_replicates, log=log,
                prompt_counts=counts, n_controls=n))
    if args.only:
        return 0
    cmap = build_calibration(cases, FEATURES, name=NAME, version=VERSION, seed=args.seed, extra={
        "evidence_settings": {"organism panel": "default probe suite, 10 samples per probe, "
                                                f"{args.zoo_controls} controls drawn per seed among "
                                                "organisms sharing no training source with the "
                                                "reference or the suspect",
                              **{source: f"one answer per prompt, {n or 'every eligible model as'} "
                                         "controls sharing no documented training source with "
                                         "the reference or the suspect, "
                                         f"{args.corpus_prompts} prompts"
                                 for source, n in PUBLIC_DESIGNS.values()}},
        "created_by": "benchmarks/calibration.py",
    })
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(cmap, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    write_reliability(cmap, args.plot)
    log(format_metrics(cmap))
    log(wide_test_summary(cases))
    log(f"wrote {out} and {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
