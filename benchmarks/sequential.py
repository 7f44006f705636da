"""Sequential, anytime-valid collection on the built-in organisms: decisions, answers to a
decision, and the false-positive rate under optional stopping (docs/statistics.md,
"Sequential collection").

Each run is what ``fingerprint compare --sequential --seed SEED --samples MAX`` computes
(the same schedule, the same request seeds per round, the same e-values and stopping rule,
:func:`fingerprint.analysis.run_sequential`) without the run folder and without the final
calibration step (the label is the sequential test's).  Answers are counted over every model
(the issue's unit: one answer is one request for a provider without ``n``).  The fixed
budgets that reach the same power are read from the power benchmark's results
(``benchmarks/results/power.json`` and ``large/power.json``) with the same control panels.

    python benchmarks/sequential.py --suspects student-100,student-50,student-25,independent-a,teacher-wrapped
    python benchmarks/sequential.py --power-reps 10 --null-reps 40 --out benchmarks/results/sequential-quick
    python benchmarks/sequential.py --lm --power-reps 20 [--store STORE]   # the lm/ organisms

With ``--lm`` the organisms are the real ``lm/`` models (docs/zoo.md) and the answers come
from the same pool as ``benchmarks/lm_power.py`` (every probe x ``--max-samples`` answers per
organism, from the store of a compare at seed 0, or collected live): each replicate has its
own probe order and its own seeded order of each probe's pooled answers, so replicates share
one pool and are not independent draws from the models.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Sequence

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from power import (NEGATIVES, STUDENT_CONTROLS, Comparison, Task, _parse_budgets,  # noqa: E402
                   plan_replicates, rate_ci, run_replicate, without_locations)

from fingerprint.analysis import Fetched, RoundPlan, SequentialOptions, run_sequential  # noqa: E402
from fingerprint.collect.runner import probe_seed  # noqa: E402
from fingerprint.suite import Probe, load_suite  # noqa: E402
from fingerprint.zoo import load_organism  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
REFERENCE = "teacher"
#: suspect -> (controls, the correct label)
POWER_CASES: dict[str, tuple[tuple[str, ...], str]] = {
    "student-100": (STUDENT_CONTROLS, "distilled"),
    "student-50": (STUDENT_CONTROLS, "distilled"),
    "student-25": (STUDENT_CONTROLS, "distilled"),
    "student-10": (STUDENT_CONTROLS, "distilled"),
    "independent-a": (NEGATIVES["independent-a"], "independent"),
    "teacher-wrapped": (STUDENT_CONTROLS, "same_model"),
}
NO_LINK = tuple(NEGATIVES)  # the distilled-rate null: rotated over these suspects
_ORGS: dict[str, Any] = {}


def answers(organism: str, probe: Probe, seed: int, start: int, stop: int, draw: int = 0
            ) -> list[str]:
    """Samples [start, stop) as compare's round asks for them: one request with the seed of
    the batch's first index (and a draw's own seed name, as for a model named twice)."""
    if organism not in _ORGS:
        _ORGS[organism] = load_organism(organism)
    name = probe.id if draw == 0 else f"{probe.id}@draw{draw}"
    gens = _ORGS[organism].generate([dict(m) for m in probe.messages],
                                    temperature=probe.temperature, top_p=probe.top_p,
                                    max_tokens=probe.max_tokens,
                                    seed=probe_seed(seed, name, start), n=stop - start)
    return [g.text for g in gens]


def run_one(suspect: str, controls: Sequence[str], seed: int, probes: Sequence[Probe],
            options: SequentialOptions, max_samples: int, suspect_draw: int = 0) -> dict:
    models = {"reference": (REFERENCE, 0), "suspect": (suspect, suspect_draw)}
    models.update({f"control {k}": (c, 0) for k, c in enumerate(controls, 1)})

    def fetch(plan: RoundPlan) -> Fetched:
        texts = {role: {p.id: answers(models[role][0], p, seed, a, b, models[role][1])
                        for p, a, b in plan.probes} for role in plan.roles}
        return Fetched(texts, plan.answers)

    out = run_sequential(probes, len(controls), fetch, seed=seed, options=options,
                         max_samples=max_samples)
    last = out.rounds[-1] if out.rounds else {"answers_total": 0}
    return {"suspect": suspect if not suspect_draw else f"{suspect} (draw)",
            "seed": seed, "label": out.test_verdict.label, "stopped_because": out.stopped_because,
            "rounds": len(out.rounds), "answers": last["answers_total"],
            "equality_rejected": out.test_verdict.p_value_equality <= out.test_verdict.alpha_equality,
            "e_equality": out.rounds[-1]["evidence"]["equality"] if out.rounds else None,
            "e_distillation": out.rounds[-1]["evidence"]["distillation"] if out.rounds else None}


def run_lm(replicates: int, seed: int, max_samples: int, options: SequentialOptions,
           store: str | None) -> list[dict]:
    """The sequential test on the ``lm/`` organisms (see the module docstring)."""
    import lm_power

    suite = load_suite(None)
    comps = lm_power.comparisons(list(lm_power.lm.organisms()))
    pool = lm_power.collect_pool(lm_power.organisms_of(comps), suite, pool=max_samples,
                                 seed=lm_power.POOL_SEED, store_path=store)
    rows = []
    for r in plan_replicates(seed, replicates, suite):
        for comp in comps:
            models = {"reference": lm_power.REFERENCE, "suspect": comp.suspect}
            models.update({f"control {k}": c for k, c in enumerate(comp.controls, 1)})

            def fetch(plan: RoundPlan) -> Fetched:
                texts = {role: {p.id: _pooled(pool, models[role], p, r.seed)[a:b]
                                for p, a, b in plan.probes} for role in plan.roles}
                return Fetched(texts, plan.answers)

            out = run_sequential(suite.probes, len(comp.controls), fetch, seed=r.seed,
                                 options=options, max_samples=max_samples)
            rows.append({"suspect": comp.suspect, "controls": list(comp.controls),
                         "distilled_truth": comp.distilled, "seed": r.seed,
                         "label": out.test_verdict.label, "stopped_because": out.stopped_because,
                         "rounds": len(out.rounds),
                         "answers": out.rounds[-1]["answers_total"] if out.rounds else 0,
                         "p_distillation": out.test_verdict.p_value,
                         "p_equality": out.test_verdict.p_value_equality})
        print(f"lm replicate {len(rows) // len(comps)}/{replicates}", file=sys.stderr, flush=True)
    return rows


def _pooled(pool: dict[tuple[str, str], list[str]], organism: str, probe: Probe,
            seed: int) -> list[str]:
    """The pooled answers of (organism, probe) in an order fixed by the replicate's seed."""
    import lm_power

    answers = pool[(organism, probe.id)]
    return [answers[i] for i in lm_power.pool_rng(seed, organism, probe).permutation(len(answers))]


def summarise_lm(rows: list[dict]) -> list[dict[str, Any]]:
    out = []
    for suspect in dict.fromkeys(r["suspect"] for r in rows):
        mine = [r for r in rows if r["suspect"] == suspect]
        spent = sorted(r["answers"] for r in mine)
        out.append({"suspect": f"lm/{suspect}", "n": len(mine),
                    "labels": _counts(mine, "label"), "stopped": _counts(mine, "stopped_because"),
                    "distilled": sum(r["label"] == "distilled" for r in mine),
                    "distilled_ci95": rate_ci(sum(r["label"] == "distilled" for r in mine),
                                              len(mine)),
                    "answers_median": statistics.median(spent),
                    "answers_p90": float(np.percentile(spent, 90))})
    return out


def run_fixed(suspects: Sequence[str], budgets: Sequence[tuple[int, int]], reps: int,
              seed: int, out: Path) -> None:
    """Fixed-budget runs (the power benchmark's own code and replicates) for suspects it does
    not cover; written to ``out/fixed.json`` in its summary format, with the calibration
    step of compare."""
    from fingerprint.calibration import DEFAULT_CALIBRATION
    from power import summarise as fixed_summary

    comps = tuple(Comparison(s, POWER_CASES[s][0], False, 0) for s in suspects)
    suite = load_suite(None)
    rows: list[dict] = []
    for r in plan_replicates(seed, reps, suite):
        rows += run_replicate(Task(r, tuple(budgets), comps, 0.05, str(DEFAULT_CALIBRATION)), suite)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fixed.json").write_text(json.dumps(
        {"summary": fixed_summary(rows, comps, budgets), "replicates": reps, "master_seed": seed},
        indent=1) + "\n", encoding="utf-8")


def fixed_budgets(correct: str, suspect: str, extra: Path | None = None) -> list[dict[str, Any]]:
    """The power benchmark's budgets for ``suspect``: answers over every model, rate of the
    correct label."""
    out = []
    for f in (RESULTS / "power.json", RESULTS / "large" / "power.json", extra):
        if f is None:
            continue
        if not f.is_file():
            continue
        data = json.loads(f.read_text(encoding="utf-8"))
        for s in data["summary"]:
            if s["suspect"] != suspect:
                continue
            models = 2 + len(POWER_CASES.get(suspect, (STUDENT_CONTROLS,))[0])
            out.append({"budget": s["budget"], "answers": s["probes"] * s["samples"] * models,
                        "rate": s["labels"].get(correct, 0) / s["n"], "n": s["n"]})
    return sorted(out, key=lambda b: b["answers"])


def summarise(rows: list[dict], suspect: str, correct: str,
              extra: Path | None = None) -> dict[str, Any]:
    mine = [r for r in rows if r["suspect"] == suspect]
    n = len(mine)
    k = sum(r["label"] == correct for r in mine)
    decided = [r["answers"] for r in mine if r["stopped_because"] in ("decision", "futility")]
    spent = sorted(r["answers"] for r in mine)
    labels = {lab: sum(r["label"] == lab for r in mine) for lab in sorted({r["label"] for r in mine})}
    stops = {s: sum(r["stopped_because"] == s for r in mine)
             for s in sorted({r["stopped_because"] for r in mine})}
    power = k / n if n else 0.0
    fixed = [b for b in fixed_budgets(correct, suspect, extra) if b["rate"] >= power]
    need = fixed[0] if fixed else None
    median = statistics.median(spent) if spent else None
    return {"suspect": suspect, "correct": correct, "n": n, "correct_count": k, "power": power,
            "power_ci95": rate_ci(k, n) if n else None, "labels": labels, "stopped": stops,
            "answers_median": median,
            "answers_p90": float(np.percentile(spent, 90)) if spent else None,
            "answers_to_decision_median": statistics.median(decided) if decided else None,
            "fixed_budget_same_power": need,
            "ratio_to_fixed": (median / need["answers"]) if need and median else None}


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--power-reps", type=int, default=30)
    ap.add_argument("--null-reps", type=int, default=200, help="replicates of each null")
    ap.add_argument("--max-samples", type=int,
                    help="answers per probe and model at most (default 20; with --lm 5, the "
                         "acceptance compares' --samples)")
    ap.add_argument("--samples-per-round", type=int, default=SequentialOptions.samples_per_round)
    ap.add_argument("--probes-per-family", type=int, default=SequentialOptions.probes_per_family)
    ap.add_argument("--suspects", default=",".join(POWER_CASES))
    ap.add_argument("--seed", type=int, default=20261206)
    ap.add_argument("--out", type=Path,
                    help="results folder (default benchmarks/results/sequential; with --lm "
                         "benchmarks/results/lm)")
    ap.add_argument("--fixed-suspects", default="",
                    help="also run the fixed path for these suspects (e.g. teacher-wrapped, which "
                         "the power benchmark does not cover), at --fixed-budgets")
    ap.add_argument("--fixed-budgets", default="20x5,40x10")
    ap.add_argument("--fixed-only", action="store_true", help="only the fixed runs")
    ap.add_argument("--lm", action="store_true", help="the real lm/ organisms (pooled answers)")
    ap.add_argument("--store", help="with --lm: the response store holding the pool")
    ap.add_argument("--summarise-only", action="store_true",
                    help="re-summarise OUT/sequential.json (e.g. after --fixed-only)")
    args = ap.parse_args(argv)
    default_out, default_samples = (RESULTS / "lm", 5) if args.lm else (RESULTS / "sequential", 20)
    args.out = args.out or default_out
    args.max_samples = args.max_samples or default_samples
    if args.fixed_suspects:
        run_fixed([s for s in args.fixed_suspects.split(",") if s],
                  _parse_budgets(args.fixed_budgets), args.power_reps, 20240601, args.out)
        if args.fixed_only:
            return
    options = SequentialOptions(samples_per_round=args.samples_per_round,
                                probes_per_family=args.probes_per_family)
    if args.lm:
        return main_lm(args, options, argv)
    suite = load_suite(None)
    started = time.perf_counter()
    rows: list[dict] = []
    nulls: list[dict] = []
    previous = None
    if args.summarise_only:
        previous = json.loads((args.out / "sequential.json").read_text(encoding="utf-8"))
        rows, nulls = previous["rows"], previous["nulls"]
    reps = plan_replicates(args.seed, max(args.power_reps, args.null_reps), suite)
    for suspect in [s for s in args.suspects.split(",") if s and previous is None]:
        controls, _ = POWER_CASES[suspect]
        for r in reps[:args.power_reps]:
            rows.append(run_one(suspect, controls, r.seed, suite.probes, options, args.max_samples))
        print(f"{suspect}: done, {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    for i, r in enumerate(reps[:args.null_reps] if previous is None else ()):
        suspect = NO_LINK[i % len(NO_LINK)]
        nulls.append(dict(run_one(suspect, NEGATIVES[suspect], r.seed, suite.probes, options,
                                  args.max_samples), null="no_link"))
        nulls.append(dict(run_one(REFERENCE, STUDENT_CONTROLS, r.seed, suite.probes, options,
                                  args.max_samples, suspect_draw=1), null="teacher_draw"))
        if (i + 1) % 20 == 0:
            print(f"nulls: {i + 1} replicates, {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)
    print(f"nulls: done, {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    extra = args.out / "fixed.json"
    summary = [summarise(rows, s, POWER_CASES[s][1], extra if extra.is_file() else None)
               for s in dict.fromkeys(r["suspect"] for r in rows)]
    no_link = [r for r in nulls if r["null"] == "no_link"]
    draws = [r for r in nulls if r["null"] == "teacher_draw"]
    fp = sum(r["label"] == "distilled" for r in no_link)
    # the equality question's error on a second draw of the reference: calling it different
    wrong = sum(r["equality_rejected"] for r in draws)
    validity = {
        "no_link_distilled": {"n": len(no_link), "count": fp, "rate": fp / max(1, len(no_link)),
                              "alpha": 0.05, "binomial99": _band(len(no_link), 0.05)},
        "teacher_draw_not_same_model": {"n": len(draws), "count": wrong,
                                        "rate": wrong / max(1, len(draws)), "alpha": 0.01,
                                        "binomial99": _band(len(draws), 0.01)},
        "teacher_draw_labels": _counts(draws, "label"), "no_link_labels": _counts(no_link, "label"),
        "no_link_answers_median": statistics.median([r["answers"] for r in no_link]) if no_link else None,
        "teacher_draw_answers_median": statistics.median([r["answers"] for r in draws]) if draws else None,
    }
    result = {"config": {"options": options.to_json(), "max_samples": args.max_samples,
                         "power_reps": args.power_reps, "null_reps": args.null_reps,
                         "master_seed": args.seed, "reference": f"zoo/{REFERENCE}",
                         "suite_sha256": suite.sha256},
              "command": "python benchmarks/sequential.py " + " ".join(
                  sys.argv[1:] if argv is None else argv),
              "summary": summary, "validity": validity, "rows": rows, "nulls": nulls,
              "runtime_s": previous["runtime_s"] if previous
              else round(time.perf_counter() - started, 1)}
    if previous:
        result["config"], result["command"] = previous["config"], previous["command"]
    print(format_table(summary, validity))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sequential.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"runtime {result['runtime_s']:.0f} s; wrote {args.out / 'sequential.json'}")


def main_lm(args: argparse.Namespace, options: SequentialOptions,
            argv: Sequence[str] | None) -> None:
    started = time.perf_counter()
    max_samples = args.max_samples
    rows = run_lm(args.power_reps, args.seed, max_samples, options, args.store)
    summary = summarise_lm(rows)
    words = without_locations(sys.argv[1:] if argv is None else list(argv))
    result = {"config": {"options": options.to_json(), "max_samples": max_samples,
                         "replicates": args.power_reps, "master_seed": args.seed,
                         "reference": "lm/teacher"},
              "command": "python benchmarks/sequential.py " + " ".join(words),
              "summary": summary, "rows": rows,
              "runtime_s": round(time.perf_counter() - started, 1)}
    for s in summary:
        print(f"{s['suspect']:>20} distilled {s['distilled']}/{s['n']}  labels {s['labels']}  "
              f"answers median {s['answers_median']} (p90 {s['answers_p90']:.0f})  {s['stopped']}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sequential.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"runtime {result['runtime_s']:.0f} s; wrote {args.out / 'sequential.json'}")


def _band(n: int, alpha: float) -> list[int]:
    """The binomial 99 % interval of the count of false positives at rate ``alpha``."""
    from scipy import stats as sps

    return [int(sps.binom.ppf(0.005, n, alpha)), int(sps.binom.ppf(0.995, n, alpha))]


def _counts(rows: list[dict], field: str) -> dict[str, int]:
    return {v: sum(r[field] == v for r in rows) for v in sorted({r[field] for r in rows})}


def format_table(summary: list[dict], validity: dict) -> str:
    lines = [f"{'suspect':>16} {'correct':>11} {'power':>7} {'median':>7} {'p90':>7} "
             f"{'fixed (same power)':>22} {'ratio':>6}  stops"]
    for s in summary:
        f = s["fixed_budget_same_power"]
        fixed = f"{f['budget']} = {f['answers']}" if f else "none reaches it"
        ratio = f"{s['ratio_to_fixed']:.2f}" if s["ratio_to_fixed"] else "-"
        lines.append(f"{s['suspect']:>16} {s['correct']:>11} {s['correct_count']:>3}/{s['n']:<3} "
                     f"{s['answers_median']:>7} {s['answers_p90']:>7.0f} {fixed:>22} {ratio:>6}  "
                     f"{s['stopped']}")
    for name, v in validity.items():
        if isinstance(v, dict) and "rate" in v:
            lines.append(f"{name}: {v['count']}/{v['n']} = {v['rate']:.3f} (alpha {v['alpha']}, "
                         f"binomial 99 % band of the count {v['binomial99']})")
        else:
            lines.append(f"{name}: {v}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
