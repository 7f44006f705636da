"""The single-sample path: one answer per prompt per model (replayed public corpora).

With one sample per model and prompt, within-model kernel terms (and so MMD² and any
per-prompt test) cannot be estimated.  Evidence is pooled across prompts instead: each
prompt gives one similarity difference per control, and the prompts, sampled independently
given the models, are the replicates of the pooled test (studentised mean over prompts and
intersection–union over the panel, as in :mod:`fingerprint.stats.relative`).

This module is the hook for the corpus work: :func:`single_sample_differences` may be
replaced by a better lineage score as long as it keeps its contract — one row per prompt,
one column per control, positive when the suspect is more reference-like than that
control, and mean zero when suspect and control are exchangeable.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

METHOD = ("per-prompt cosine similarity to the reference, suspect minus control, hub-corrected: "
          "each model's mean similarity to the other controls is subtracted; and the suspect's "
          "similarity to the reference minus its similarity to the control")


def _kernel_matrices(grams: Sequence[np.ndarray], n_controls: int) -> np.ndarray:
    """The per-prompt kernel matrices (reference, suspect, controls) as one validated array."""
    if n_controls < 1:
        raise ValueError("the single-sample path needs at least one control")
    size = n_controls + 2
    out = np.empty((len(grams), size, size))
    for p, g in enumerate(grams):
        g = np.asarray(g, dtype=np.float64)
        if g.shape != (size, size):
            raise ValueError(f"prompt {p}: expected a {(size, size)} kernel matrix, got {g.shape}")
        out[p] = g
    return out


def single_sample_differences(grams: Sequence[np.ndarray], n_controls: int) -> np.ndarray:
    """Per-prompt, per-control lineage differences, shape ``(P, K)``.

    ``grams[p]`` is the ``(K+2)×(K+2)`` kernel matrix of prompt ``p``'s answers in the order
    reference, suspect, control 1..K.  The default score is

        d_k = [sim(S,R) − mean_{j≠k} sim(S,C_j)] − [sim(C_k,R) − mean_{j≠k} sim(C_k,C_j)]

    (plain ``sim(S,R) − sim(C_k,R)`` with a single control): a model that resembles every
    model (a "hub" with a generic assistant style) gains nothing from that resemblance.
    Exchanging S and C_k flips the sign of d_k, so d_k has mean zero when they are
    exchangeable.
    """
    out = np.empty((len(grams), n_controls))
    for p, g in enumerate(_kernel_matrices(grams, n_controls)):
        for k in range(n_controls):
            c = 2 + k
            others = [2 + j for j in range(n_controls) if j != k]
            d = g[1, 0] - g[c, 0]
            if others:
                d -= g[1, others].mean() - g[c, others].mean()
            out[p, k] = d
    return out


def suspect_centred_differences(grams: Sequence[np.ndarray], n_controls: int) -> np.ndarray:
    """Per-prompt ``sim(S,R) − sim(S,C_k)``, shape ``(P, K)``: is the suspect's answer more
    like the reference's than like control k's?  Exchanging R and C_k flips the sign, so
    its mean is zero when reference and control are exchangeable as seen from the suspect.
    It is the second half of the intersection–union test (as ``d'`` in
    :mod:`fingerprint.stats.relative`): a suspect that is a mixture of many sources is
    about as similar to every control as to the reference, and is not called distilled."""
    g = _kernel_matrices(grams, n_controls)
    return g[:, 1, 0:1] - g[:, 1, 2:]


def is_single_sample(sizes: Sequence[Sequence[int]]) -> bool:
    """True when no probe has two or more samples from every model it needs."""
    return all(min(s) < 2 for s in sizes if s)
