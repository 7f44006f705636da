"""Time the analysis alone (no collection) on synthetic answers.

    python benchmarks/analysis.py            # 100 probes x 8 models x 20 samples, then 10x probes
    python benchmarks/analysis.py --quick    # also the smaller shapes only

Prints seconds per configuration and the cost per probe, to check that cost is linear in
probes and in models.  Target: <= 10 s for 100 x 8 x 20 on 2 cores.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fingerprint.analysis import ResponseSet, analyze
from fingerprint.suite import Probe

WORDS = [f"tok{i}" for i in range(200)]


def synthetic(n_probes: int, n_models: int, n_samples: int, seed: int = 0) -> ResponseSet:
    rng = np.random.default_rng(seed)
    probes = tuple(Probe(id=f"p{i}", family=f"f{i % 8}", version=1, rationale="benchmark",
                         messages=({"role": "user", "content": f"q{i}"},), max_tokens=48)
                   for i in range(n_probes))
    n_controls = n_models - 2
    sets: list[dict[str, list[str]]] = [{} for _ in range(n_models)]
    for pr in probes:
        dr = rng.dirichlet(np.full(len(WORDS), 0.2))
        for m in range(n_models):
            own = rng.dirichlet(np.full(len(WORDS), 0.2))
            dist = dr if m == 0 else (0.5 * dr + 0.5 * own if m == 1 else own)
            sets[m][pr.id] = [" ".join(rng.choice(WORDS, size=30, p=dist)) for _ in range(n_samples)]
    return ResponseSet(probes, sets[0], sets[1], tuple(sets[2:]),
                       tuple(f"control-{k}" for k in range(n_controls)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the 10x-probes configuration")
    args = ap.parse_args()
    shapes = [(100, 4, 20), (100, 8, 20), (200, 8, 20)]
    if not args.quick:
        shapes.append((1000, 8, 20))
    print(f"{'probes':>7} {'models':>6} {'samples':>7} {'seconds':>8} {'ms/probe':>9}  verdict")
    for n_probes, n_models, n_samples in shapes:
        data = synthetic(n_probes, n_models, n_samples)
        t = time.perf_counter()
        out = analyze(data, seed=1)
        dt = time.perf_counter() - t
        print(f"{n_probes:>7} {n_models:>6} {n_samples:>7} {dt:>8.2f} {1000 * dt / n_probes:>9.1f}  "
              f"{out.test_verdict.label}", flush=True)


if __name__ == "__main__":
    main()
