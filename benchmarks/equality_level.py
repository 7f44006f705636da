"""The equality test's level, re-validated on fresh seeds: independent draws of one organism.

The equality level ALPHA_EQUALITY = 0.01 was chosen after one seed's result (docs/statistics.md).
This measures, on fresh seeds never used to choose it, how often the equality test calls two
independent draws of ``zoo/teacher`` different, at the default budget (79 probes x 10
samples), and whether its p-values are uniform.

    python benchmarks/equality_level.py [--reps 200] [--seed 20261206]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
import numpy as np  # noqa: E402
from scipy import stats as sps  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fingerprint.analysis import ALPHA_EQUALITY, ResponseSet, analyze  # noqa: E402
from fingerprint.stats import clopper_pearson  # noqa: E402
from fingerprint.suite import load_suite  # noqa: E402


def _power_module():
    spec = importlib.util.spec_from_file_location("power_benchmark", ROOT / "benchmarks" / "power.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20261206, help="master seed (fresh: not 0)")
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--organism", default="teacher")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "equality_level.json"))
    args = ap.parse_args()
    power = _power_module()
    suite = load_suite()
    sampler = power.Sampler(args.samples)
    seeds = [int(s.generate_state(2)[0]) & 0x7FFFFFFF
             for s in np.random.SeedSequence(args.seed).spawn(args.reps)]
    started, ps = time.perf_counter(), []
    for i, seed in enumerate(seeds):
        other = (seed * 2654435761 + 1) & 0x7FFFFFFF  # the second, independent draw
        ref = {p.id: sampler.texts(args.organism, p, seed, args.samples) for p in suite.probes}
        sus = {p.id: sampler.texts(args.organism, p, other, args.samples) for p in suite.probes}
        sampler._cache.clear()
        out = analyze(ResponseSet(suite.probes, ref, sus, (), ()), seed=seed)
        ps.append(out.test_verdict.p_value_equality)
        if (i + 1) % 20 == 0:
            print(f"{i + 1}/{args.reps} draws, {time.perf_counter() - started:.0f} s", flush=True)
    p = np.array(ps, float)
    rows = {}
    for level in (ALPHA_EQUALITY, 0.05):
        k = int((p < level).sum())
        rows[str(level)] = {"rejections": k, "n": p.size, "rate": k / p.size,
                            "ci95": clopper_pearson(k, p.size)}
    result = {"organism": args.organism, "samples": args.samples, "probes": len(suite.probes),
              "master_seed": args.seed, "replicates": p.size, "alpha_equality": ALPHA_EQUALITY,
              "rejections": rows, "ks_uniform_p": float(sps.kstest(p, "uniform").pvalue),
              "p_values": p.tolist(), "runtime_s": round(time.perf_counter() - started, 1)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    for level, r in rows.items():
        lo, hi = r["ci95"]
        print(f"equality p < {level}: {r['rejections']}/{r['n']} = {r['rate']:.3f} "
              f"(95 % CI {lo:.3f}-{hi:.3f})")
    print(f"KS test of uniform p-values: p = {result['ks_uniform_p']:.3f}; "
          f"{result['runtime_s']} s -> {args.out}")


if __name__ == "__main__":
    main()
