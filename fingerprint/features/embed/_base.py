"""The embedder interface and the kernel helpers every embedder's output goes through.

Every embedder has the same small interface (:class:`Embedder`): an ``info`` record that
goes into the report (name, version, parameters) and ``embed(texts)``, which receives *all*
answers to one probe from every model at once, so that embedders that fit something (the
TF-IDF weights of the default one) fit it on the pooled answers.  A function of the pooled
multiset of answers is unchanged when model labels are permuted, so permutation tests on
the resulting vectors stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class EmbedderInfo:
    """What the report says about the embedder: enough to re-create it."""

    name: str
    version: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "params": dict(self.params)}


@runtime_checkable
class Embedder(Protocol):
    info: EmbedderInfo

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an ``(len(texts), d)`` float array (numpy or scipy.sparse) with unit-norm
        rows (zero rows allowed for empty texts).  ``texts`` are all answers to one probe, pooled over models."""
        ...


def gram(x: Any) -> np.ndarray:
    """Linear-kernel Gram matrix ``x @ x.T`` of dense or sparse row vectors, as dense float64."""
    if sp.issparse(x):
        return np.asarray((x @ x.T).toarray(), dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    return x @ x.T


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Divide each row by its norm; zero rows stay zero."""
    x = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def one_hot(labels: Sequence[str | None]) -> np.ndarray:
    """Unit vectors for categorical answers (``None`` = unparsed, its own category).

    With the linear kernel, MMD² between one-hot samples is the squared L2 distance between
    the two answer distributions, so choice probes use the same machinery as free text.
    """
    keys = ["\x00none" if v is None else str(v) for v in labels]
    cats = sorted(set(keys))
    index = {k: i for i, k in enumerate(cats)}
    out = np.zeros((len(keys), max(1, len(cats))), dtype=np.float64)
    if keys:
        out[np.arange(len(keys)), [index[k] for k in keys]] = 1.0
    return out
