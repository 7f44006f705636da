"""The default embedder, :class:`HashedTfidfEmbedder`, needs numpy only: character n-grams, hashed with
a fixed 64-bit polynomial hash and the splitmix64 finaliser (never Python's salted
``hash()``), sublinear TF times smoothed IDF, L2-normalised, held as a sparse matrix.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from ._base import EmbedderInfo

_BASE = np.uint64(1099511628211)  # FNV-64 prime as polynomial base
_WS = re.compile(r"\s+")


def _splitmix64(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.uint64, copy=True)
    x += np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def normalize_text(text: str, lowercase: bool = True) -> str:
    """Collapse whitespace, strip, optionally lowercase; pad with one space each side so
    that n-grams see word boundaries."""
    t = _WS.sub(" ", text).strip()
    if lowercase:
        t = t.lower()
    return f" {t} " if t else ""


def ngram_keys(texts: Sequence[str], ngram_range: tuple[int, int] = (3, 5),
               lowercase: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """All character n-gram keys of ``texts``: ``(doc_index, key)`` arrays (uint64 keys).

    Vectorised over the concatenation of all texts; n-grams that would cross a document
    boundary are dropped.  Deterministic across runs, platforms and Python versions.
    """
    norm = [normalize_text(t, lowercase) for t in texts]
    lengths = np.array([len(t) for t in norm], dtype=np.int64)
    if lengths.sum() == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64)
    codes = np.frombuffer("".join(norm).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    doc_of = np.repeat(np.arange(len(norm), dtype=np.int64), lengths)
    docs, keys = [], []
    lo, hi = ngram_range
    with np.errstate(over="ignore"):
        for n in range(lo, hi + 1):
            m = codes.size - n + 1
            if m <= 0:
                continue
            h = np.zeros(m, dtype=np.uint64)
            for j in range(n):  # h = sum c[i+j] * BASE^(n-1-j), wrapping mod 2^64
                h = h * _BASE + codes[j:j + m] + np.uint64(1)
            h = _splitmix64(h ^ np.uint64(n))
            ok = doc_of[:m] == doc_of[n - 1:n - 1 + m]
            docs.append(doc_of[:m][ok])
            keys.append(h[ok])
    if not docs:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64)
    return np.concatenate(docs), np.concatenate(keys)


class HashedTfidfEmbedder:
    """Hashed character n-gram TF-IDF; IDF fitted on the texts given (one probe's answers).

    Returns a ``scipy.sparse`` CSR matrix with one unit-norm row per text: the columns are
    the distinct 64-bit n-gram hashes of the pooled texts (collisions have probability
    ~1e-10 per probe, so no bucket folding is needed and sparse products stay fast).
    """

    VERSION = "1"

    def __init__(self, ngram_range: tuple[int, int] = (3, 5), lowercase: bool = True,
                 sublinear_tf: bool = True):
        lo, hi = ngram_range
        if not (1 <= lo <= hi <= 16):
            raise ValueError(f"ngram_range must satisfy 1 <= lo <= hi <= 16, got {ngram_range}")
        self.ngram_range = (int(lo), int(hi))
        self.lowercase = bool(lowercase)
        self.sublinear_tf = bool(sublinear_tf)
        self.info = EmbedderInfo(
            name="hashed-char-tfidf", version=self.VERSION,
            params={"ngram_range": list(self.ngram_range), "lowercase": self.lowercase,
                    "sublinear_tf": self.sublinear_tf,
                    "idf": "log((1+n)/(1+df))+1, fitted per probe on all models' answers pooled",
                    "hash": "64-bit polynomial hash of code points + splitmix64 finaliser"})

    def embed(self, texts: Sequence[str]) -> sp.csr_matrix:
        texts = list(texts)
        n = len(texts)
        doc, key = ngram_keys(texts, self.ngram_range, self.lowercase)
        if key.size == 0:
            return sp.csr_matrix((n, 1), dtype=np.float64)
        vocab, col = np.unique(key, return_inverse=True)
        pair, count = np.unique(doc * vocab.size + col.reshape(-1), return_counts=True)
        d, c = pair // vocab.size, pair % vocab.size
        df = np.bincount(c, minlength=vocab.size)
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        tf = 1.0 + np.log(count) if self.sublinear_tf else count.astype(np.float64)
        val = tf * idf[c]
        norms = np.sqrt(np.bincount(d, weights=val * val, minlength=n))
        val = val / norms[d]
        return sp.csr_matrix((val, (d, c)), shape=(n, vocab.size))
