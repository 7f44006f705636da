"""Null calibration of every test, at scale: p-values uniform and false-positive rates
inside their binomial 99 % band when the null holds.

    python benchmarks/null_calibration.py [--reps 1000]

Nulls simulated (synthetic Gaussian / categorical / text data, each replicate fresh):
* MMD two-sample test: X and Y from one distribution.
* Relative test per probe and pooled over probes: suspect and control drawn alike.
* Intersection–union panel of both comparisons (Gaussian, linear kernel) on each boundary
  of the composite null, where it must be exact.
* Equality inside analyze(): the suspect is a fresh draw of the reference.
* Distillation inside analyze() on both boundaries of the null (text, exact by a letter
  mirror symmetry), and inside the null with suspect and control drawn alike (valid,
  conservative: checked like a discrete test).
* Categorical test: one answer distribution on both sides (discrete, so valid but
  conservative: the check is FPR <= upper band and no excess of small p-values).
* Cauchy combination of independent uniform p-values.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats as sps

from fingerprint.analysis import ResponseSet, analyze
from fingerprint.stats.categorical import categorical_test
from fingerprint.stats.combine import cauchy_combination
from fingerprint.stats.mmd import mmd_test
from fingerprint.stats.relative import (panel_test, pooled_relative_test, relative_statistic,
                                        relative_test, suspect_centred_statistic)
from fingerprint.suite import Probe

WORDS = [f"w{i}" for i in range(30)]


def report(name: str, ps: np.ndarray, discrete: bool = False, alpha: float = 0.05) -> bool:
    n = ps.size
    lo, hi = sps.binom.ppf([0.005, 0.995], n, alpha)
    fp = int(np.sum(ps <= alpha))
    ks = sps.kstest(ps, "uniform", alternative="greater" if discrete else "two-sided").pvalue
    ok = (fp <= hi if discrete else lo <= fp <= hi) and ks > 0.01
    print(f"{name:34s} n={n:5d} FPR={fp / n:.3f} band=[{lo / n:.3f},{hi / n:.3f}] "
          f"KS p={ks:.3f} {'OK' if ok else 'FAIL'}", flush=True)
    return ok


def _text_sets(rng: np.random.Generator, n_probes: int, n: int, suspect: str):
    probes = tuple(Probe(id=f"p{i}", family="f", version=1, rationale="null",
                         messages=({"role": "user", "content": "q"},)) for i in range(n_probes))
    ref, sus, ctl = {}, {}, {}
    for pr in probes:
        dr, dx = rng.dirichlet(np.full(30, 0.5)), rng.dirichlet(np.full(30, 0.5))
        ref[pr.id] = [" ".join(rng.choice(WORDS, 8, p=dr)) for _ in range(n)]
        sus[pr.id] = [" ".join(rng.choice(WORDS, 8, p=dr if suspect == "reference" else dx))
                      for _ in range(n)]
        ctl[pr.id] = [" ".join(rng.choice(WORDS, 8, p=dx)) for _ in range(n)]
    return ResponseSet(probes, ref, sus, (ctl,), ("control",))


MIRROR = str.maketrans("abcdefghij", "fghijabcde")


def _mirror_sets(rng: np.random.Generator, n_probes: int, n: int, boundary: str):
    """Text exactly on one boundary of the distillation null (see tests/test_analysis.py):
    words over letters a-e and their mirror images over f-j; the letter swap maps the
    character n-gram kernel onto itself."""
    probes = tuple(Probe(id=f"p{i}", family="f", version=1, rationale="null",
                         messages=({"role": "user", "content": "q"},)) for i in range(n_probes))
    words = ["".join(rng.choice(list("abcde"), 3)) for _ in range(12)]
    ref, sus, ctl = {}, {}, {}
    for pr in probes:
        q = rng.dirichlet(np.full(len(words), 0.5))

        def draw(mix: float) -> list[str]:
            return [" ".join(w.translate(MIRROR) if rng.random() < mix else w
                             for w in rng.choice(words, 6, p=q)) for _ in range(n)]

        sym, plain, mirrored = draw(0.5), draw(0.0), draw(1.0)
        if boundary == "reference":
            ref[pr.id], sus[pr.id], ctl[pr.id] = sym, plain, mirrored
        else:
            ref[pr.id], sus[pr.id], ctl[pr.id] = plain, sym, mirrored
    return ResponseSet(probes, ref, sus, (ctl,), ("control",))


def _gauss_iut(rng: np.random.Generator, mus: tuple, n_probes: int = 10, n: int = 8) -> float:
    d, d2 = [], []
    for _ in range(n_probes):
        z = np.vstack([rng.normal(size=(n, 2)) + m for m in mus])
        k = z @ z.T
        idx = np.arange(n), np.arange(n, 2 * n), np.arange(2 * n, 3 * n)
        d.append(relative_statistic(k, *idx))
        d2.append(suspect_centred_statistic(k, *idx))
    return panel_test([pooled_relative_test(d), pooled_relative_test(d2)]).p_value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    reps = args.reps
    t0 = time.perf_counter()
    results = []
    ps = []
    for _ in range(reps):
        z = rng.normal(size=(30, 8))
        ps.append(mmd_test(z @ z.T, 15, rng=rng, n_permutations=199).p_value)
    results.append(report("MMD two-sample", np.array(ps)))
    per, pooled = [], []
    for _ in range(reps):
        d = []
        for p in range(10):
            r = rng.normal(size=(8, 4)) + rng.normal(size=4)
            s, c = rng.normal(size=(8, 4)) * (1 + p / 10), rng.normal(size=(8, 4)) * (1 + p / 10)
            zz = np.vstack([r, s, c])
            k = zz @ zz.T
            idx = np.arange(8), np.arange(8, 16), np.arange(16, 24)
            if p == 0:
                per.append(relative_test(k, *idx, rng=rng, n_permutations=199).p_value)
            d.append(relative_statistic(k, *idx))
        pooled.append(pooled_relative_test(np.array(d)).p_value)
    results.append(report("relative, per probe", np.array(per)))
    results.append(report("relative, pooled t over probes", np.array(pooled)))
    o, e = np.zeros(2), np.array([2.0, 0.0])
    results.append(report("IUT panel, boundary of d", np.array(
        [_gauss_iut(rng, (o, e, -e)) for _ in range(reps)])))
    results.append(report("IUT panel, boundary of d'", np.array(
        [_gauss_iut(rng, (e, o, -e)) for _ in range(reps)])))
    eq, dist, bnd_r, bnd_s = [], [], [], []
    n_an = max(200, reps // 4)
    for i in range(n_an):
        out = analyze(_text_sets(rng, 6, 6, "reference"), seed=i, n_permutations=199, n_boot=20)
        eq.append(out.result.tests.equality.p_value)
        out = analyze(_text_sets(rng, 6, 6, "control"), seed=i, n_permutations=199, n_boot=20)
        dist.append(out.result.tests.distillation.p_value)
        for boundary, store in (("reference", bnd_r), ("suspect", bnd_s)):
            out = analyze(_mirror_sets(rng, 6, 4, boundary), seed=i, n_permutations=199, n_boot=20)
            store.append(out.result.tests.distillation.p_value)
    results.append(report("analyze: equality (joint perm.)", np.array(eq)))
    results.append(report("analyze: distillation, boundary d", np.array(bnd_r)))
    results.append(report("analyze: distillation, boundary d'", np.array(bnd_s)))
    results.append(report("analyze: distillation, S = C (in)", np.array(dist), discrete=True))
    probs = [0.4, 0.3, 0.2, 0.1]
    cat = [categorical_test(list(rng.choice(4, 15, p=probs)), list(rng.choice(4, 15, p=probs)),
                            rng=rng).p_value for _ in range(reps)]
    results.append(report("categorical (exact, discrete)", np.array(cat), discrete=True))
    results.append(report("Cauchy combination", np.array([cauchy_combination(rng.random(20))
                                                          for _ in range(reps)])))
    print(f"{sum(results)}/{len(results)} calibrated; {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
