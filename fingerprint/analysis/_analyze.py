"""Stored responses ─► evidence ─► the test-based verdict.

:func:`analyze` is a pure function of its inputs: every random step draws from generators
derived from ``seed`` (probe ``i`` gets ``SeedSequence(seed, spawn_key=(0, i))``, report-level
steps ``spawn_key=(1,)``), so re-running it gives bit-for-bit the same result.  The statistics
are described in docs/statistics.md and, briefly, in the result's ``method``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..features.embed import Embedder, HashedTfidfEmbedder
from ..suite import Probe
from ._multi import assemble
from ._probe import probe_data, run_probe
from ._results import Analysis, EmbedderRecord
from ._single import analyze_single

METHOD = (
    "Each model's answers to a probe are embedded ({embedder}) and compared with the linear "
    "(cosine) kernel; choice probes compare answer distributions (one-hot), identity probes "
    "average the text kernel with an identity-claim kernel. Equality (suspect vs reference): "
    "unbiased MMD² with a permutation p-value per probe, pooled over probes by a joint "
    "permutation test of the standardised sum (null: identical answer distributions). "
    "Distillation: per probe and control two differences, d = MMD²(control, reference) − "
    "MMD²(suspect, reference) (is the suspect closer to the reference than the control is?) "
    "and d' = MMD²(suspect, control) − MMD²(suspect, reference) (is the suspect closer to the "
    "reference than to the control? this guards against a suspect trained on a mix of "
    "sources, which is near every model); per control and difference a one-sided t-test of "
    "its mean > 0 over probes; against the panel an intersection–union test, p = max over "
    "controls and both differences (null: for some control, the suspect is on average no "
    "closer to the reference than that control is, or no closer to the reference than to "
    "that control). Per-probe "
    "p-values permute suspect/control (reference/control for d') labels and are adjusted over probes by Benjamini–Hochberg (false discovery rate); a Cauchy "
    "combination of them is reported as a dependence-robust cross-check. Effect intervals are "
    "percentile bootstraps ({n_boot} resamples of each model's answers); identity-claim rates "
    "have exact Clopper–Pearson intervals. Test level alpha = {alpha}; the test-based verdict uses "
    "no other threshold (the final label also asks the calibrated probability to agree).")


@dataclass(frozen=True)
class ResponseSet:
    probes: tuple[Probe, ...]
    reference: dict[str, list[str]]  # probe_id -> sample texts, ordered by sample index
    suspect: dict[str, list[str]]
    controls: tuple[dict[str, list[str]], ...]
    control_names: tuple[str, ...]


def _validate(data: ResponseSet, seed: int, alpha: float) -> None:
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    if len(data.controls) != len(data.control_names):
        raise ValueError(f"{len(data.controls)} control response sets but "
                         f"{len(data.control_names)} control names")
    ids = [p.id for p in data.probes]
    if len(set(ids)) != len(ids):
        raise ValueError("probe ids must be unique")
    for name, d in [("reference", data.reference), ("suspect", data.suspect)] + \
            [(f"control {n}", c) for n, c in zip(data.control_names, data.controls)]:
        if not isinstance(d, dict):
            raise ValueError(f"{name} responses must be a dict probe_id -> list of texts")
        for pid, texts in d.items():
            if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
                raise ValueError(f"{name} responses for probe {pid!r} must be a list of strings")


def analyze(data: ResponseSet, *, seed: int, alpha: float = 0.05, embedder: Embedder | None = None,
            n_permutations: int = 999, n_boot: int = 200) -> Analysis:
    """Evidence, tests and the test-based verdict of one reference/suspect/controls
    comparison.

    BLAS runs single-threaded here: the work is thousands of tiny matrix products, for which
    threads only cost time (much more on a busy machine), and one thread also fixes the
    floating-point summation order."""
    _validate(data, seed, alpha)
    with _one_blas_thread():
        return _analyze(data, seed, alpha, embedder, n_permutations, n_boot)


def _one_blas_thread() -> Any:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it BLAS keeps its own thread setting
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _analyze(data: ResponseSet, seed: int, alpha: float, embedder: Embedder | None,
             n_permutations: int, n_boot: int) -> Analysis:
    emb = embedder or HashedTfidfEmbedder()
    names = ["reference", "suspect"] + list(data.control_names)
    pdata = [probe_data(p, data.reference.get(p.id, []), data.suspect.get(p.id, []),
                        [c.get(p.id, []) for c in data.controls], emb) for p in data.probes]
    top_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    method = METHOD.format(embedder=emb.info.name, n_boot=n_boot, alpha=alpha)
    sizes = [[len(g) for g in d.groups] for d in pdata]
    record = EmbedderRecord(**emb.info.to_json())
    if any(sizes) and all(max(s) <= 1 for s in sizes) and any(min(s) == 1 for s in sizes):
        return analyze_single(pdata, names, alpha=alpha, rng=top_rng, embedder=record,
                              method=method)
    results = [run_probe(d, np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, i))),
                         n_perm=n_permutations, n_boot=n_boot)
               for i, d in enumerate(pdata)]
    return assemble(results, names, record, alpha, top_rng, method, n_permutations)
