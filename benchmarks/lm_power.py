"""Power and false-positive rate of the distillation verdict on the real ``lm/`` organisms.

The live path: every answer comes from a real model (the teacher SmolLM2-135M-Instruct, or
Gemma-3-270m with a student's LoRA adapter) over HTTP from a loopback llama-server, through
the ``lm/`` provider and the response store, exactly as ``fingerprint compare`` collects
them.  Sampling a real model is slow (a few answers/s here), so each organism is asked once
for a *pool*: every probe of the suite (the default one, or ``--suite``)
x ``--pool`` answers (compare's request seeds at ``--pool-seed``, so a compare with that seed
reuses them), organism by organism, so an interrupted run resumes where it stopped.  Each
replicate then draws a fresh probe subset (a seeded permutation, as benchmarks/power.py) and,
per organism and probe, a fresh subset of the pooled answers, and runs what compare runs on
them (``analyze`` + ``calibrated_verdict``).  Replicates share one pool, so they are not
independent draws from the models: the intervals describe the spread over subsets of one
pool and are narrower than fully fresh runs would give (docs/power.md says how much).

    python benchmarks/lm_power.py                      # 20 replicates, budgets 40x5 and 79x10
    python benchmarks/lm_power.py --replicates 5 --budgets 20x3   # a quick look
    python benchmarks/lm_power.py --suite probes/instructions --pool 5 --budgets 32x3,64x4
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
import zlib
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fingerprint.calibration import DEFAULT_CALIBRATION  # noqa: E402
from fingerprint.collect import Target, collect  # noqa: E402
from fingerprint.collect.store import Store  # noqa: E402
from fingerprint.models import lm  # noqa: E402
from fingerprint.models.registry import get_provider  # noqa: E402
from fingerprint.models.spec import parse_spec  # noqa: E402
from fingerprint.suite import Probe, Suite, load_suite  # noqa: E402


def _power_module() -> Any:
    """benchmarks/power.py (not a package): its replicate plan, comparison and summaries."""
    spec = importlib.util.spec_from_file_location("power_benchmark", ROOT / "benchmarks" / "power.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


power = _power_module()
Comparison = power.Comparison

REFERENCE = "teacher"
DOSES = (100, 30, 10)
# The designed controls: the students' base and students of sources unrelated to the teacher.
NO_LINK = ("base", "student-b", "student-c", "student-human")
STUDENT_CONTROLS = ("base", "student-b", "student-c")  # the acceptance compare's panel
PARAPHRASED = "student-paraphrased"
BUDGETS = ((40, 5), (79, 10))
POOL, POOL_SEED = 20, 0
RESULTS = ROOT / "benchmarks" / "results" / "lm"


def comparisons(available: Sequence[str],
                student_controls: Sequence[str] = STUDENT_CONTROLS) -> list[Comparison]:
    """Students at each dose and the paraphrased one (those built) against
    ``student_controls``; each no-link organism against the other three no-link organisms."""
    panel = tuple(student_controls)
    out = [Comparison(f"student-{d}", panel, True, d) for d in DOSES
           if f"student-{d}" in available]
    if PARAPHRASED in available:
        out.append(Comparison(PARAPHRASED, panel, True, 100))
    out += [Comparison(n, tuple(c for c in NO_LINK if c != n), False, 0) for n in NO_LINK]
    return out


def organisms_of(comps: Sequence[Comparison]) -> list[str]:
    return list(dict.fromkeys([REFERENCE] + [x for c in comps for x in (c.suspect, *c.controls)]))


def collect_pool(names: Sequence[str], suite: Suite, *, pool: int, seed: int,
                 store_path: str | None, progress: bool = True
                 ) -> dict[tuple[str, str], list[str]]:
    """Every probe x ``pool`` answers of each organism, from the store or the live server, one
    organism at a time (Ctrl-C keeps what arrived; a rerun asks only for the rest)."""
    texts: dict[tuple[str, str], list[str]] = {}
    for name in names:
        started = time.perf_counter()
        target = Target(f"lm/{name}", get_provider(parse_spec(f"lm/{name}")))
        with Store(store_path) as store:
            result = collect([target], suite.probes, samples=pool, seed=seed, store=store,
                             strict=True)
        for probe in suite.probes:
            texts[(name, probe.id)] = [s.response.get("text") or ""
                                       for s in result.samples[(target.role, probe.id)]]
        if progress:
            print(f"pool lm/{name}: {result.samples_stored} answers "
                  f"({result.samples_new} new), "
                  f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return texts


def pool_rng(seed: int, organism: str, probe: Probe) -> np.random.Generator:
    """The generator that picks (organism, probe)'s pooled answers for a replicate's seed."""
    return np.random.default_rng([seed, zlib.crc32(organism.encode()),
                                  zlib.crc32(probe.id.encode())])


class PoolSampler:
    """``texts(organism, probe, seed, n)``: n of the pooled answers, a subset fixed by (seed,
    organism, probe), in pool order."""

    def __init__(self, pool: dict[tuple[str, str], list[str]]):
        self.pool = pool

    def texts(self, organism: str, probe: Probe, seed: int, n: int) -> list[str]:
        answers = self.pool[(organism, probe.id)]
        k = min(probe.samples or n, len(answers))
        pick = pool_rng(seed, organism, probe).choice(len(answers), size=k, replace=False)
        return [answers[i] for i in sorted(pick)]


_POOL: dict[tuple[str, str], list[str]] = {}  # the parent's pool, inherited by forked workers


def _run_replicate(task: Any) -> list[dict[str, Any]]:
    return power.run_replicate(task, sampler=PoolSampler(_POOL), reference=REFERENCE,
                               prefix="lm/")


def family_signal(rows: Sequence[dict[str, Any]], comps: Sequence[Comparison],
                  alpha: float = 0.05) -> list[dict[str, Any]]:
    """Per (budget, suspect, probe family): mean effect over replicates and the share of
    replicates whose family p-value is below ``alpha`` (which families carry the signal)."""
    out = []
    for budget in dict.fromkeys(r["budget"] for r in rows):
        for comp in comps:
            mine = [r for r in rows if r["budget"] == budget and r["suspect"] == comp.suspect]
            for fam in sorted({f for r in mine for f in r["families"]}):
                vals = [r["families"].get(fam) for r in mine]
                eff = [v[0] for v in vals if v and v[0] is not None]
                ps = [v[1] for v in vals if v and v[1] is not None]
                out.append({"budget": budget, "suspect": comp.suspect, "family": fam,
                            "distilled_truth": comp.distilled,
                            "mean_effect": float(np.mean(eff)) if eff else None,
                            "share_p_below_alpha": (sum(p < alpha for p in ps) / len(ps))
                            if ps else None, "n": len(ps)})
    return out


def format_families(signal: Sequence[dict[str, Any]], budget: str) -> str:
    suspects = list(dict.fromkeys(s["suspect"] for s in signal if s["budget"] == budget))
    fams = sorted({s["family"] for s in signal if s["budget"] == budget})
    cell = {(s["suspect"], s["family"]): s for s in signal if s["budget"] == budget}
    lines = [f"{'family':>16} " + " ".join(f"{x:>14}" for x in suspects)]
    for fam in fams:
        vals = []
        for sus in suspects:
            s = cell.get((sus, fam))
            vals.append(f"{s['share_p_below_alpha']:>5.0%} {s['mean_effect']:+.3f}"
                        if s and s["mean_effect"] is not None and s["share_p_below_alpha"]
                        is not None else f"{'-':>14}")
        lines.append(f"{fam:>16} " + " ".join(f"{v:>14}" for v in vals))
    return "\n".join(lines)


def run_benchmark(*, budgets: Sequence[tuple[int, int]], replicates: int, seed: int,
                  pool: int, pool_seed: int, store_path: str | None, workers: int = 2,
                  alpha: float = 0.05, calibration: str | None = None,
                  student_controls: Sequence[str] = STUDENT_CONTROLS,
                  suite_source: str | None = None) -> dict[str, Any]:
    suite = load_suite(suite_source)
    if max(s for _, s in budgets) > pool:
        raise SystemExit(f"a budget asks for more samples than the pool holds ({pool}); "
                         "raise --pool")
    known = lm.organisms()
    comps = comparisons(list(known), student_controls)
    names = organisms_of(comps)
    started = time.perf_counter()
    _POOL.clear()
    _POOL.update(collect_pool(names, suite, pool=pool, seed=pool_seed, store_path=store_path))
    collected_s = time.perf_counter() - started
    reps = power.plan_replicates(seed, replicates, suite)
    tasks = [power.Task(r, tuple(budgets), tuple(comps), alpha, calibration, suite_source)
             for r in reps]
    rows: list[dict[str, Any]] = []
    workers = max(1, min(int(workers), 2))
    ctx = mp.get_context("fork")
    with ctx.Pool(workers) if workers > 1 else contextlib.nullcontext() as procs:
        results = procs.imap_unordered(_run_replicate, tasks) if procs else \
            map(_run_replicate, tasks)
        for done, res in enumerate(results, 1):
            rows.extend(res)
            print(f"replicate {done}/{len(tasks)} done, {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)
    rows.sort(key=lambda r: (r["replicate"], r["budget"], r["suspect"]))
    summary = power.summarise(rows, comps, budgets)
    cards = {n: known[n].adapter_sha256 for n in names}
    return {
        "config": {"reference": f"lm/{REFERENCE}", "budgets": [list(b) for b in budgets],
                   "replicates": replicates, "master_seed": seed, "alpha": alpha,
                   "pool": {"samples_per_probe": pool, "request_seed": pool_seed,
                            "organisms": names},
                   "comparisons": [asdict(c) for c in comps],
                   "not_built": [n for n in [f"student-{d}" for d in DOSES] + [PARAPHRASED]
                                 if n not in known],
                   "suite": {"id": suite.id, "version": suite.version, "sha256": suite.sha256,
                             "probes": len(suite.probes)},
                   "adapters_sha256": cards,
                   "calibration": calibration and Path(calibration).name},
        "replicates": [{"index": r.index, "seed": r.seed, "probe_order": list(r.probe_order)}
                       for r in reps],
        "summary": summary, "families": family_signal(rows, comps, alpha), "rows": rows,
        "collection_s": round(collected_s, 1),
        "runtime_s": round(time.perf_counter() - started, 1),
    }


def _panel(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names or not set(names) <= set(NO_LINK):
        raise SystemExit(f"--student-controls takes names from {', '.join(NO_LINK)}, got {text!r}")
    return names


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=20, help="replicates per configuration")
    ap.add_argument("--budgets", help="PROBESxSAMPLES list (default 40x5,79x10)")
    ap.add_argument("--seed", type=int, default=20261206, help="master seed of the replicates")
    ap.add_argument("--pool", type=int, default=POOL, help="pooled answers per probe and model")
    ap.add_argument("--pool-seed", type=int, default=POOL_SEED,
                    help="compare's --seed for the pooled requests (default 0, compare's)")
    ap.add_argument("--student-controls", default=",".join(STUDENT_CONTROLS),
                    help="the students' control panel (default: the acceptance compare's, "
                    f"{','.join(STUDENT_CONTROLS)}); any of {', '.join(NO_LINK)}")
    ap.add_argument("--suite", help="probe suite, as compare's --suite (default: the default "
                    "suite; e.g. probes/instructions)")
    ap.add_argument("--store", help="response store (default: compare's)")
    ap.add_argument("--workers", type=int, default=2, help="analysis processes (at most 2)")
    ap.add_argument("--out", type=Path, default=RESULTS, help="folder for lm_power.json")
    args = ap.parse_args(argv)
    budgets = power._parse_budgets(args.budgets) if args.budgets else list(BUDGETS)
    with tempfile.TemporaryDirectory() as tmp:  # a frozen copy, as compare keeps in its run
        calibration = shutil.copy(DEFAULT_CALIBRATION, Path(tmp) / DEFAULT_CALIBRATION.name)
        result = run_benchmark(budgets=budgets, replicates=args.replicates, seed=args.seed,
                               pool=args.pool, pool_seed=args.pool_seed, store_path=args.store,
                               workers=args.workers, calibration=calibration,
                               student_controls=_panel(args.student_controls),
                               suite_source=args.suite)
    result["command"] = "python benchmarks/lm_power.py " + " ".join(
        power.without_locations(sys.argv[1:] if argv is None else list(argv)))
    print(power.format_table(result["summary"]))
    for budget in dict.fromkeys(s["budget"] for s in result["summary"]):
        print(f"\nprobe families at {budget}: share of replicates with family p < 0.05, "
              f"mean effect\n{format_families(result['families'], budget)}")
    if result["config"]["not_built"]:
        print(f"\nnot built, so not measured: {', '.join(result['config']['not_built'])}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "lm_power.json").write_text(json.dumps(result, indent=1) + "\n",
                                            encoding="utf-8")
    print(f"collection {result['collection_s']:.0f} s, total {result['runtime_s']:.0f} s; "
          f"wrote {args.out / 'lm_power.json'}")


if __name__ == "__main__":
    main()
