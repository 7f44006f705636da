"""Power and false-positive rate of the distillation verdict on the built-in organisms.

Repeats ``compare --ref zoo/teacher --suspect zoo/student-F`` (F = 100, 50, 25, 10, 5 %) over
independent replicates (fresh seed, fresh random probe subset) at several budgets (probes x
samples per model) and reports the share of ``distilled`` verdicts with Clopper-Pearson 95 %
intervals; suspects with no link to the teacher give the false-positive rate.  Each comparison
is what ``fingerprint compare --seed SEED --samples S`` computes (same request seeds, same
``analyze``, same calibration step) without the run folder.  See docs/power.md.

    python benchmarks/power.py --quick     # 3 budgets, 10 replicates -> results/quick/
    python benchmarks/power.py             # 4 budgets, 30 replicates -> results/
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import multiprocessing as mp
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # many tiny matrix products: threads only cost time
import numpy as np  # noqa: E402
from scipy import stats as sps  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fingerprint.analysis import ResponseSet, analyze  # noqa: E402
from fingerprint.calibration import DEFAULT_CALIBRATION  # noqa: E402
from fingerprint.collect.runner import probe_seed  # noqa: E402
from fingerprint.errors import FingerprintError  # noqa: E402
from fingerprint.calibration import calibrated_verdict  # noqa: E402
from fingerprint.suite import Probe, Suite, load_suite  # noqa: E402
from fingerprint.zoo import load_organism  # noqa: E402

REFERENCE = "teacher"
FRACTIONS = (100, 50, 25, 10, 5)
STUDENT_CONTROLS = ("independent-a", "independent-b")
# Suspects with no training link to the teacher, each with its fixed control panel: the
# students' panel, except that an independent suspect is controlled by the other two.
NEGATIVES: dict[str, tuple[str, ...]] = {
    "student-0": STUDENT_CONTROLS,
    "student-b-100": STUDENT_CONTROLS,
    "independent-a": ("independent-b", "independent-c"),
    "independent-b": ("independent-a", "independent-c"),
    "independent-c": ("independent-a", "independent-b"),
}
FULL_BUDGETS = ((20, 5), (40, 10), (79, 10), (79, 20))
QUICK_BUDGETS = ((20, 5), (40, 10), (79, 10))
TARGET_POWER, TARGET_FPR = 0.90, 0.05
RESULTS = ROOT / "benchmarks" / "results"


@dataclass(frozen=True)
class Comparison:
    suspect: str
    controls: tuple[str, ...]
    distilled: bool  # ground truth: trained on the reference's outputs
    fraction: int  # teacher-text percentage (0 for every negative)


@dataclass(frozen=True)
class Replicate:
    index: int
    seed: int  # the run seed: request seeds and the analysis seed derive from it
    probe_order: tuple[str, ...]  # a random permutation of the suite; budget P takes the first P


def comparisons(fractions: Sequence[int] = FRACTIONS,
                negatives: Sequence[str] = tuple(NEGATIVES)) -> list[Comparison]:
    """The students at ``fractions`` (controls: STUDENT_CONTROLS) and the named negatives."""
    out = [Comparison(f"student-{f}", STUDENT_CONTROLS, True, int(f)) for f in fractions]
    return out + [Comparison(n, NEGATIVES[n], False, 0) for n in negatives]


def plan_replicates(master_seed: int, n: int, suite: Suite) -> list[Replicate]:
    """Independent replicates: seeds from a SeedSequence, probe permutations from each seed."""
    seeds = [int(s.generate_state(1)[0]) & 0x7FFFFFFF
             for s in np.random.SeedSequence(master_seed).spawn(n)]
    ids = [p.id for p in suite.probes]
    return [Replicate(i, s, tuple(ids[j] for j in np.random.default_rng(s).permutation(len(ids))))
            for i, s in enumerate(seeds)]


class Sampler:
    """Answers per (organism, probe, run seed), asked once with the largest budget's ``n`` and
    compare's request seed; sample k depends only on (seed, k), so the first S answers are
    what ``compare --samples S`` collects."""

    def __init__(self, n_max: int):
        self.n_max = n_max
        self._orgs: dict[str, Any] = {}
        self._cache: dict[tuple[str, str, int], list[str]] = {}

    def texts(self, organism: str, probe: Probe, seed: int, n: int) -> list[str]:
        key = (organism, probe.id, seed)
        if key not in self._cache:
            if organism not in self._orgs:
                self._orgs[organism] = load_organism(organism)
            gens = self._orgs[organism].generate(
                [dict(m) for m in probe.messages], temperature=probe.temperature,
                top_p=probe.top_p, max_tokens=probe.max_tokens, seed=probe_seed(seed, probe.id),
                n=max(self.n_max, probe.samples or 0))
            self._cache[key] = [g.text for g in gens]
        return self._cache[key][:probe.samples or n]


def run_comparison(sampler: Any, comp: Comparison, probes: Sequence[Probe], samples: int,
                   seed: int, alpha: float = 0.05, calibration: str | None = None, *,
                   reference: str = REFERENCE, prefix: str = "zoo/") -> dict:
    """One ``compare`` of the reference vs the suspect: label, p-values, calibrated label.
    ``sampler.texts(organism, probe, seed, n)`` gives the answers; ``prefix`` makes the specs."""
    def answers(org: str) -> dict[str, list[str]]:
        return {p.id: sampler.texts(org, p, seed, samples) for p in probes}
    specs = [prefix + name for name in (reference, comp.suspect, *comp.controls)]
    data = ResponseSet(probes=tuple(probes), reference=answers(reference),
                       suspect=answers(comp.suspect),
                       controls=tuple(answers(c) for c in comp.controls),
                       control_names=tuple(specs[2:]))
    analysis = analyze(data, seed=seed, alpha=alpha)
    test = analysis.test_verdict
    out = {"suspect": comp.suspect, "label": test.label, "label_from_test": test.label,
           "label_from_calibration": None, "probability": None,
           "p_distill": analysis.result.evidence.distill_p, "p_equality": test.p_value_equality,
           "families": {f.family: [f.effect, f.p_value] for f in analysis.result.families}}
    if calibration:  # exactly what compare reports (calibration.calibrated_verdict)
        v, ev = calibrated_verdict(analysis, has_controls=True, calibration_file=calibration,
                                   models=specs)
        out.update(label=v.label, label_from_calibration=v.label_from_calibration,
                   probability=v.probability_at_base_rate,
                   p_clustered=analysis.result.evidence.distill_p_clustered,
                   likelihood_ratio=ev.likelihood_ratio if ev else None,
                   likelihood_ratio_lower=ev.likelihood_ratio_lower if ev else None)
    return out


@dataclass(frozen=True)
class Task:
    replicate: Replicate
    budgets: tuple[tuple[int, int], ...]
    comps: tuple[Comparison, ...]
    alpha: float
    calibration: str | None
    suite_source: str | None = None  # compare's --suite; None: the default suite


@functools.lru_cache(maxsize=4)
def _worker_suite(source: str | None) -> Suite:
    """The suite a worker process scores, read once per process, not once per replicate."""
    return load_suite(source)


def run_replicate(task: Task, suite: Suite | None = None, sampler: Any = None, *,
                  reference: str = REFERENCE, prefix: str = "zoo/") -> list[dict[str, Any]]:
    """Every comparison of one replicate at every budget (one worker's unit of work); the
    answers come from ``sampler`` (default: the zoo organisms, sampled in-process)."""
    suite = suite or _worker_suite(task.suite_source)
    by_id = {p.id: p for p in suite.probes}
    sampler = sampler or Sampler(max(s for _, s in task.budgets))
    rows = []
    for n_probes, samples in task.budgets:
        probes = [by_id[i] for i in task.replicate.probe_order[:n_probes]]
        for comp in task.comps:
            row = run_comparison(sampler, comp, probes, samples, task.replicate.seed,
                                 task.alpha, task.calibration, reference=reference,
                                 prefix=prefix)
            rows.append(dict(row, replicate=task.replicate.index, seed=task.replicate.seed,
                             budget=f"{n_probes}x{samples}"))
    return rows


def rate_ci(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for a binomial proportion."""
    ci = sps.binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


def summarise(rows: Sequence[dict[str, Any]], comps: Sequence[Comparison],
              budgets: Sequence[tuple[int, int]], field: str = "label") -> list[dict[str, Any]]:
    """Rate of ``distilled`` per (suspect, budget) with its interval and the label counts."""
    out = []
    for b in budgets:
        name = f"{b[0]}x{b[1]}"
        for comp in comps:
            mine = [r for r in rows if r["budget"] == name and r["suspect"] == comp.suspect]
            labels = [r[field] for r in mine]
            if not mine or any(lab is None for lab in labels):
                continue
            k = sum(lab == "distilled" for lab in labels)
            lo, hi = rate_ci(k, len(mine))
            counts = {lab: labels.count(lab) for lab in sorted(set(labels))}
            linked = k + counts.get("same_model", 0)  # any training link flagged
            out.append({"budget": name, "probes": b[0], "samples": b[1],
                        "suspect": comp.suspect, "distilled_truth": comp.distilled,
                        "fraction": comp.fraction, "measure": "power" if comp.distilled else "fpr",
                        "n": len(mine), "distilled": k, "rate": k / len(mine),
                        "ci95": [lo, hi], "labels": counts,
                        "linked_rate": linked / len(mine)})
    return out


def headline(summary: Sequence[dict[str, Any]], power: float = TARGET_POWER,
             fpr: float = TARGET_FPR) -> dict[str, Any]:
    """Smallest fraction detected with >= ``power`` (every larger one too) at a budget whose
    FPR is <= ``fpr`` on every negative (point estimates); the cheaper budget wins ties."""
    best: dict[str, Any] | None = None
    per_budget = []
    for name in dict.fromkeys(s["budget"] for s in summary):
        rows = [s for s in summary if s["budget"] == name]
        neg = [s for s in rows if not s["distilled_truth"]]
        pos = sorted((s for s in rows if s["distilled_truth"]), key=lambda s: -s["fraction"])
        max_fpr = max((s["rate"] for s in neg), default=None)
        detected = None
        for s in pos:  # from the largest fraction down, stop at the first miss
            if s["rate"] < power:
                break
            detected = s
        ok = max_fpr is not None and max_fpr <= fpr
        cost = rows[0]["probes"] * rows[0]["samples"]
        per_budget.append({"budget": name, "max_fpr": max_fpr, "fpr_ok": ok,
                           "smallest_fraction": detected["fraction"] if detected else None,
                           "power_at_it": detected["rate"] if detected else None,
                           "power_ci95": detected["ci95"] if detected else None})
        if ok and detected and (best is None or (detected["fraction"], cost)
                                < (best["fraction"], best["cost"])):
            best = {"fraction": detected["fraction"], "budget": name, "cost": cost,
                    "power": detected["rate"], "power_ci95": detected["ci95"], "max_fpr": max_fpr}
    met = bool(best and best["fraction"] <= 10)
    if best:
        text = (f"smallest fraction detected with >= {power:.0%} power at a false-positive rate "
                f"<= {fpr:.0%}: {best['fraction']} % teacher text, at {best['budget']} "
                f"(probes x samples per model); power {best['power']:.0%} "
                f"[{best['power_ci95'][0]:.0%}, {best['power_ci95'][1]:.0%}], "
                f"max false-positive rate {best['max_fpr']:.0%}")
    else:
        text = (f"no fraction was detected with >= {power:.0%} power at a false-positive rate "
                f"<= {fpr:.0%} at any budget tried")
    return {"best": best, "per_budget": per_budget, "text": text,
            "target": f"power >= {power:.0%} at fraction <= 10 % with FPR <= {fpr:.0%}",
            "target_met": met}


def format_table(summary: Sequence[dict[str, Any]]) -> str:
    lines = [f"{'budget':>7} {'suspect':>14} {'truth':>9} {'rate':>6} {'95% CI':>15}  labels"]
    for s in summary:
        truth = "distilled" if s["distilled_truth"] else "none"
        labels = ", ".join(f"{k} {v}" for k, v in s["labels"].items())
        lines.append(f"{s['budget']:>7} {s['suspect']:>14} {truth:>9} "
                     f"{s['distilled']:>2}/{s['n']:<3} [{s['ci95'][0]:.2f}, {s['ci95'][1]:.2f}]  "
                     f"{labels}")
    return "\n".join(lines)


def plot(summary: Sequence[dict[str, Any]], path: Path, title: str) -> None:
    """Power against fraction, one line per budget; the largest false-positive rate over the
    negative suspects is plotted at the left (hollow markers) with the 5 % and 90 % lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    budgets = list(dict.fromkeys(s["budget"] for s in summary))
    styles, markers = ["-", "--", "-.", ":"], ["o", "s", "^", "D", "v"]
    greys = np.linspace(0.0, 0.55, max(len(budgets), 1))
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    fpr_x = 2.5
    for i, b in enumerate(budgets):
        pos = sorted((s for s in summary if s["budget"] == b and s["distilled_truth"]),
                     key=lambda s: s["fraction"])
        x = [s["fraction"] for s in pos]
        y = [s["rate"] for s in pos]
        err = [[s["rate"] - s["ci95"][0] for s in pos], [s["ci95"][1] - s["rate"] for s in pos]]
        c = str(greys[i])
        jitter = 1 + 0.04 * (i - (len(budgets) - 1) / 2)
        ax.errorbar([v * jitter for v in x], y, yerr=err, color=c, ls=styles[i % 4],
                    marker=markers[i % 5], capsize=3, label=b)
        neg = [s for s in summary if s["budget"] == b and not s["distilled_truth"]]
        if neg:
            worst = max(neg, key=lambda s: s["rate"])
            r, (lo, hi) = worst["rate"], worst["ci95"]
            ax.errorbar([fpr_x * jitter], [r], yerr=[[r - lo], [hi - r]], color=c,
                        marker=markers[i % 5], mfc="white", capsize=3, ls="none")
    ax.axhline(TARGET_POWER, color="0.4", lw=0.8, ls=":")
    ax.axhline(TARGET_FPR, color="0.4", lw=0.8, ls=":")
    ax.axvline(3.6, color="0.7", lw=0.8)
    ax.set_xscale("log")
    ticks = [fpr_x] + sorted({s["fraction"] for s in summary if s["distilled_truth"]})
    ax.set_xticks(ticks)
    ax.set_xticklabels(["max FPR\n(no link)"] + [f"{t} %" for t in ticks[1:]])
    ax.minorticks_off()
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("teacher-text fraction of the suspect's training data")
    ax.set_ylabel("rate of 'distilled' verdicts (95 % CI)")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=min(len(budgets), 4),
              fontsize=8, frameon=False, title="budget: probes x samples per model")
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


def run_benchmark(*, budgets: Sequence[tuple[int, int]], replicates: int, seed: int,
                  comps: Sequence[Comparison], workers: int = 2, alpha: float = 0.05,
                  calibration: str | None = None, progress: bool = True,
                  suite_source: str | None = None) -> dict[str, Any]:
    """Run every replicate (in at most 2 worker processes) and summarise."""
    suite = load_suite(suite_source)
    if max(p for p, _ in budgets) > len(suite.probes):
        raise FingerprintError(f"the suite has {len(suite.probes)} probes; ask for "
                               "at most that many per budget")
    reps = plan_replicates(seed, replicates, suite)
    tasks = [Task(r, tuple(budgets), tuple(comps), alpha, calibration, suite_source)
             for r in reps]
    started, code = time.perf_counter(), _code_sha256()
    rows: list[dict[str, Any]] = []
    workers = max(1, min(int(workers), 2))  # the machine is shared: never more than 2
    ctx = mp.get_context("fork" if sys.platform != "win32" else "spawn")
    with ctx.Pool(workers) if workers > 1 else contextlib.nullcontext() as pool:
        results = pool.imap_unordered(run_replicate, tasks) if pool else \
            (run_replicate(t, suite) for t in tasks)
        for done, res in enumerate(results, 1):
            rows.extend(res)
            if progress:
                print(f"replicate {done}/{len(tasks)} done, {time.perf_counter() - started:.0f} s",
                      file=sys.stderr, flush=True)
    rows.sort(key=lambda r: (r["replicate"], r["budget"], r["suspect"]))
    summary = summarise(rows, comps, budgets)
    out: dict[str, Any] = {
        "config": {"reference": f"zoo/{REFERENCE}", "budgets": [list(b) for b in budgets],
                   "replicates": replicates, "master_seed": seed, "alpha": alpha,
                   "comparisons": [asdict(c) for c in comps], "workers": workers,
                   "suite": {"id": suite.id, "version": suite.version, "sha256": suite.sha256,
                             "probes": len(suite.probes)},
                   "organisms": {n: load_organism(n).weights_sha256 for n in sorted(
                       {REFERENCE} | {c.suspect for c in comps}
                       | {x for c in comps for x in c.controls})},
                   "decision": "verdict.label after analyze(), apply_calibration() and "
                               "final_verdict(), as calibration.calibrated_verdict (what compare reports)",
                   "calibration": calibration and {
                       "file": Path(calibration).name,
                       "sha256": hashlib.sha256(Path(calibration).read_bytes()).hexdigest()}},
        "replicates": [{"index": r.index, "seed": r.seed, "probe_order": list(r.probe_order)}
                       for r in reps],
        "summary": summary, "headline": headline(summary), "rows": rows,
        "runtime_s": round(time.perf_counter() - started, 1), "code_sha256": code,
        "environment": {"python": platform.python_version(), "numpy": np.__version__,
                        "machine": platform.machine(), "cpus": os.cpu_count()},
    }
    for name in ("label_from_test", "label_from_calibration") if calibration else ():
        extra = summarise(rows, comps, budgets, field=name)
        out[f"summary_{name}"], out[f"headline_{name}"] = extra, headline(extra)
    return out


def _code_sha256() -> str:
    """SHA-256 over the package's sources: which analysis code made these numbers."""
    h = hashlib.sha256()
    for f in sorted((ROOT / "fingerprint").rglob("*.py")):
        h.update(f.relative_to(ROOT).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def _parse_budgets(text: str) -> list[tuple[int, int]]:
    try:
        return [(int(a), int(b)) for a, b in (item.split("x") for item in text.split(","))]
    except ValueError:
        raise SystemExit(f"--budgets takes PROBESxSAMPLES,... (e.g. 20x5,79x10), got {text!r}")


def without_locations(argv: Sequence[str]) -> list[str]:
    """The command as recorded: --store and --out name places on this machine, not choices
    that change a figure."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--store", "--out"):
            skip = True
        elif not arg.startswith(("--store=", "--out=")):
            out.append(arg)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 budgets, 10 replicates")
    ap.add_argument("--replicates", type=int, help="replicates per configuration")
    ap.add_argument("--budgets", help="PROBESxSAMPLES list, e.g. 20x5,40x10,79x10,79x20")
    ap.add_argument("--seed", type=int, default=20240601, help="master seed of the replicates")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (at most 2)")
    ap.add_argument("--calibration", help="calibration map (default: the shipped one)")
    ap.add_argument("--suite", help="probe suite, as compare's --suite (default: the default one)")
    ap.add_argument("--out", type=Path, help="folder for power.json / power.png "
                    "(default benchmarks/results, with --quick benchmarks/results/quick)")
    args = ap.parse_args(argv)
    budgets = _parse_budgets(args.budgets) if args.budgets else \
        list(QUICK_BUDGETS if args.quick else FULL_BUDGETS)
    replicates = args.replicates or (10 if args.quick else 30)
    out_dir = args.out or (RESULTS / "quick" if args.quick else RESULTS)
    calibration = args.calibration or (str(DEFAULT_CALIBRATION)
                                       if DEFAULT_CALIBRATION.is_file() else None)
    with tempfile.TemporaryDirectory() as tmp:  # a frozen copy, as compare keeps in its run
        if calibration:
            calibration = shutil.copy(calibration, Path(tmp) / Path(calibration).name)
        result = run_benchmark(budgets=budgets, replicates=replicates, seed=args.seed,
                               comps=comparisons(), workers=args.workers, calibration=calibration,
                               suite_source=args.suite)
    result["command"] = "python benchmarks/power.py " + " ".join(
        sys.argv[1:] if argv is None else argv)
    head = result["headline"]
    print(f"{format_table(result['summary'])}\n\n{head['text']}\n"
          f"target ({head['target']}): {'met' if head['target_met'] else 'NOT met'}")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "power.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    plot(result["summary"], out_dir / "power.png",
         f"zoo/teacher vs its students, {replicates} replicates per point")
    print(f"{'' if calibration else 'no calibration map: test-based labels only. '}runtime "
          f"{result['runtime_s']:.0f} s; wrote {out_dir / 'power.json'} and .png")


if __name__ == "__main__":
    main()
